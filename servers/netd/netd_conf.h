/*
 * netd_conf.h - netd's own configuration (netd -c netd.conf): what to
 * attach to and how to decide, plus the static policies of the test hook
 * (-P). Parsing is pure (a buffer in, a struct out); every bad line is
 * reported as "file:line: ..." and the whole file is read, so one run
 * shows every mistake.
 *
 *   [netd]
 *   mode = host            ; host: bump in the stack (all wire traffic is
 *                          ;   for the host) | gateway (FWD for others)
 *   def_policy = 1         ; until policyd syncs: 0 discard, 1 none
 *   def_policy6 = 1        ; IPv6 (default: def_policy)
 *   wait_policyd = yes     ; no: decide on -P and def_policy until policyd
 *                          ;   syncs (tests without policyd; not fail closed)
 *   batches = 4            ; batches of 64 moved per wake-up (1..64)
 *   pmtu_expire = 600      ; seconds a learned path MTU lasts (1..86400;
 *                          ;   Linux mtu_expires)
 *   address = 192.0.2.1    ; gateway: this node's addresses (repeat the
 *                          ;   key, up to 16); IN for them, FWD for the
 *                          ;   rest. Required with mode = gateway.
 *
 *   [link NAME]            ; NAME: [a-z0-9_], at most 15 characters
 *   type = tap             ; tap | tun | packet | udp | raw
 *   role = host            ; host (TAP/TUN side) | wire (packet, udp, raw)
 *   ifname = tap0          ; tap, tun, packet
 *   vnet = yes             ; tap, packet: vnet headers and offloads
 *   port = 4500            ; udp
 *   family = inet          ; udp, raw: inet | inet6
 *   proto = esp            ; raw: esp | ah
 *   gso = yes              ; udp: UDP_SEGMENT and UDP_GRO
 *
 * One host link and one wire link, a pair of: tap + packet (bump in
 * the stack: Ethernet both sides, the host's address on the TAP), or
 * tun + udp / tun + raw (an overlay: IP packets on the TUN, ESP in UDP
 * on port 4500 or ESP/AH on a raw IPv4 socket outside; a udp wire link
 * gets cfg.ipframe, link.h). Another pair is an error at the wire
 * link's section; so is a udp wire link on another port than 4500 (the
 * parser knows ESP in UDP by it, RFC 3948) and a raw inet6 link.
 */
#ifndef PARAPET_NETD_CONF_H
#define PARAPET_NETD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link.h"
#include "spd.h"
#include "util.h"

#define NETD_LINKS_MAX		8
#define NETD_LINK_NAME_MAX	15
#define NETD_CONF_ERRORS_MAX	16
#define NETD_ADDRS_MAX		16

enum netd_role {
	NETD_ROLE_NONE = 0,
	NETD_ROLE_HOST,
	NETD_ROLE_WIRE,
};

struct netd_link_conf {
	char		name[NETD_LINK_NAME_MAX + 1];
	uint8_t		role;		/* enum netd_role */
	bool		has_type;
	struct link_cfg	cfg;
	unsigned	line;		/* of its section */
};

struct netd_conf {
	bool		gateway;
	uint8_t		def_policy[2];
	bool		wait_policyd;
	unsigned	batches;
	unsigned	pmtu_expire;	/* seconds (netd_pmtu.h) */
	size_t		naddrs;
	struct {
		uint16_t	family;
		uint8_t		a[16];
	}		addrs[NETD_ADDRS_MAX];
	size_t		nlinks;
	struct netd_link_conf links[NETD_LINKS_MAX];
	/* Errors, "file:line: text", the first NETD_CONF_ERRORS_MAX kept. */
	unsigned	nerrors;
	char		errors[NETD_CONF_ERRORS_MAX][160];
};

void	netd_conf_defaults(struct netd_conf *);
/* 0, or -EINVAL with c->errors filled (also -ENOMEM). */
int	netd_conf_parse(const char *file, const char *buf, size_t len,
	    struct netd_conf *) MUST_CHECK;
/* Whether addr (family's length) is one of c->addrs. */
bool	netd_conf_is_local(const struct netd_conf *, uint16_t family,
	    const uint8_t *addr);
/* The host and the wire link (NULL when missing). */
const struct netd_link_conf *netd_conf_role(const struct netd_conf *,
	    enum netd_role);

/*
 * A static policy for tests (-P): "DIR,SRC/PLEN,DST/PLEN,PROTO,ACTION",
 * DIR in|out|fwd, PROTO any|tcp|udp|icmp|icmp6|NUMBER, ACTION
 * discard|none|ipsec (ipsec: one request esp/transport//require). 0 or
 * -EINVAL.
 */
int	netd_conf_policy(const char *spec, struct spd_entry *) MUST_CHECK;

#endif /* PARAPET_NETD_CONF_H */
