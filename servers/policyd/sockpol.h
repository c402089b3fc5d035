/*
 * sockpol.h - per-socket policy (KAME ipsec_set_policy(3) on a socket,
 * setsockopt IP_IPSEC_POLICY / IPV6_IPSEC_POLICY): the pure core of
 * policyd's registry.
 *
 * A registration is (connection, socket, direction) -> (selector,
 * policy). The connection is policyd's name for one client connection on
 * sockpol.sock (the shell numbers them); the socket is the client's name
 * for one of its sockets (libclient/sockpol_proto.h). Closing a
 * connection drops every registration it made, so a process that dies
 * loses its policies.
 *
 * Also here: the parser and validator of the endpoint's requests
 * (untrusted bytes, read through rd cursors, one reject reason each,
 * table-driven per op), the privilege rule (KAME: `bypass` needs a
 * privileged socket, EACCES otherwise) and the lookup netd needs: given
 * a packet and a direction, the per-socket policy that covers it, if any
 * (DESIGN §6: consulted before the SPD).
 *
 * No I/O, no clock, no globals.
 */
#ifndef PARAPET_SOCKPOL_H
#define PARAPET_SOCKPOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockpol_proto.h"
#include "spd.h"
#include "util.h"

/* sadb_x_policy_type values (ipsec_policy.h), kept as sent. */
enum sockpol_type {
	SOCKPOL_T_DISCARD = 0,
	SOCKPOL_T_NONE = 1,
	SOCKPOL_T_IPSEC = 2,
	SOCKPOL_T_ENTRUST = 3,
	SOCKPOL_T_BYPASS = 4,
};

/*
 * A socket's selector. Addresses network order (IPv4 in the first 4
 * octets), ports host order. All-zero address, port 0: wildcard.
 */
struct sockpol_sel {
	uint16_t	family;		/* AF_INET or AF_INET6 */
	uint8_t		proto;		/* IPPROTO_*, 255 any */
	uint8_t		flags;		/* SOCKPOL_SEL_*: V4MAPPED (IPv6) */
	uint16_t	lport;
	uint16_t	rport;
	uint8_t		laddr[16];
	uint8_t		raddr[16];
};

struct sockpol_pol {
	uint8_t		type;		/* enum sockpol_type */
	uint8_t		dir;		/* SPD_DIR_IN or SPD_DIR_OUT */
	uint32_t	priority;	/* as sent; not used by the lookup */
	size_t		nreqs;		/* SOCKPOL_T_IPSEC only */
	struct spd_req	req[SPD_MAX_REQS];
};

/* One registration. Borrowed from the registry: valid until its next
 * mutating call. */
struct sockpol_ent {
	uint64_t		conn;
	uint64_t		sock;
	uint32_t		pid;	/* of the connection's peer */
	uint32_t		uid;
	uint32_t		id;	/* Linux: id & 7 == 3 + dir - 1 */
	uint64_t		seq;	/* when set: ties in the lookup */
	struct sockpol_sel	sel;
	struct sockpol_pol	pol;
};

/* ---- Requests from sockpol.sock ---- */

enum sockpol_reject {
	SOCKPOL_R_OK = 0,
	SOCKPOL_R_SHORT,	/* fewer than 16 octets */
	SOCKPOL_R_VERSION,	/* not SOCKPOL_VERSION */
	SOCKPOL_R_OP,		/* unknown op */
	SOCKPOL_R_RESERVED,	/* flags or a reserved field not 0 */
	SOCKPOL_R_DIR,		/* dir not allowed for the op */
	SOCKPOL_R_SEL_SHORT,	/* selector cut short */
	SOCKPOL_R_FAMILY,	/* selector family not AF_INET / AF_INET6 */
	SOCKPOL_R_SEL_ADDR,	/* octets past an IPv4 address not 0 */
	SOCKPOL_R_TRAILING,	/* octets after what the op carries */
	SOCKPOL_R_POL_SHORT,	/* policy header cut short */
	SOCKPOL_R_POL_EXTTYPE,	/* not SADB_X_EXT_POLICY */
	SOCKPOL_R_POL_LEN,	/* sadb_x_policy_len * 8 != what is there */
	SOCKPOL_R_POL_TYPE,	/* type above bypass */
	SOCKPOL_R_POL_DIR,	/* not in or out (KAME, Linux: sockets) */
	SOCKPOL_R_POL_REQS,	/* requests after a non-ipsec type, or none */
	SOCKPOL_R_POL_TOO_MANY,	/* more than SPD_MAX_REQS (Linux: ELOOP) */
	SOCKPOL_R_REQ,		/* a request malformed */
	SOCKPOL_R_COUNT
};

struct sockpol_req {
	uint8_t			op;	/* enum sockpol_op */
	uint8_t			dir;	/* DEL: 0 both, 1 in, 2 out */
	uint32_t		seq;
	uint64_t		sock;
	struct sockpol_sel	sel;	/* SET, BIND */
	struct sockpol_pol	pol;	/* SET */
};

/*
 * Parse one request datagram. 0, or the errno to answer (negative) with
 * *why set to the precise reason; *req is meaningful only on success,
 * except req->op and req->seq, which are filled as far as they were read
 * (so the error reply can echo them).
 */
int	sockpol_req_parse(const uint8_t *buf, size_t len,
	    struct sockpol_req *req, enum sockpol_reject *why) MUST_CHECK;
const char *sockpol_reject_name(enum sockpol_reject);

/*
 * The privilege rule: bypass needs uid 0 (KAME ipsec_set_policy(): a
 * non-privileged socket gets EACCES for IPSEC_POLICY_BYPASS; every other
 * type is allowed to anyone). 0 or -EACCES.
 */
int	sockpol_priv_check(const struct sockpol_pol *, uint32_t uid)
	    MUST_CHECK;

/* Reply header into buf (SOCKPOL_REPLY_BYTES). error: positive errno. */
void	sockpol_reply_hdr(uint8_t *buf, uint8_t op, uint32_t seq,
	    uint32_t error, uint32_t count);

/* ---- The registry ---- */

struct sockpol_limits {
	size_t	max_total;	/* registrations in all */
	size_t	max_per_conn;
};
#define SOCKPOL_MAX_TOTAL_DEFAULT	65536
#define SOCKPOL_MAX_PER_CONN_DEFAULT	4096
/* What one SockpolSnapshotReply carries (common/bus_msg.c): policyd's
 * registry is limited to it. */
#define SOCKPOL_BUS_MAX			1024

struct sockpol_db;

/* NULL limits: the defaults. 0 or -ENOMEM. */
int	sockpol_create(struct sockpol_db **, const struct sockpol_limits *)
	    MUST_CHECK;
void	sockpol_destroy(struct sockpol_db *);

/*
 * Add or replace the policy of (conn, sock, pol->dir), with the socket's
 * selector (which also becomes that of the socket's other direction, if
 * registered). A replacement keeps its id and takes a new seq. 0,
 * -EINVAL (dir, family, type), -ENOBUFS (max_per_conn), -ENOSPC
 * (max_total), -ENOMEM.
 */
int	sockpol_set(struct sockpol_db *, uint64_t conn, uint32_t pid,
	    uint32_t uid, uint64_t sock, const struct sockpol_sel *,
	    const struct sockpol_pol *, uint32_t *idp) MUST_CHECK;
/* New selector for every registration of (conn, sock): after bind(),
 * connect(). 0 or -ENOENT. */
int	sockpol_bind(struct sockpol_db *, uint64_t conn, uint64_t sock,
	    const struct sockpol_sel *) MUST_CHECK;
/* Remove (conn, sock, dir), dir 0 both. Returns how many went. */
size_t	sockpol_del(struct sockpol_db *, uint64_t conn, uint64_t sock,
	    uint8_t dir);
/* Remove everything conn registered (it closed). Returns the count. */
size_t	sockpol_drop_conn(struct sockpol_db *, uint64_t conn);

size_t	sockpol_count(const struct sockpol_db *);
/* Changes with every mutation. */
uint64_t sockpol_generation(const struct sockpol_db *);
/* Registration i (0 .. count-1), in no particular order; NULL past it. */
const struct sockpol_ent *sockpol_at(const struct sockpol_db *, size_t i);
const struct sockpol_ent *sockpol_get(const struct sockpol_db *,
	    uint64_t conn, uint64_t sock, uint8_t dir);

/*
 * Change notification, for publishing (policyd's shell): called after
 * every registration that was set (added, replaced, or given a new
 * selector) and before every one that is removed. Borrowed entry.
 */
enum sockpol_change {
	SOCKPOL_CHANGE_SET = 1,
	SOCKPOL_CHANGE_DELETE = 2,
};
typedef void sockpol_notify_fn(void *arg, enum sockpol_change,
    const struct sockpol_ent *);
void	sockpol_set_notify(struct sockpol_db *, sockpol_notify_fn *, void *);

/*
 * A replica's operations (netd, from policyd's snapshot and deltas):
 * install e under its own id and seq (the source's, so ties in the
 * lookup resolve alike; 0: a new one) replacing the registration of
 * that id,
 * remove by id (-ENOENT), remove everything. The replica's conn and
 * sock are 0 and the id.
 */
int	sockpol_put(struct sockpol_db *, const struct sockpol_ent *)
	    MUST_CHECK;
int	sockpol_del_id(struct sockpol_db *, uint32_t id) MUST_CHECK;
void	sockpol_clear(struct sockpol_db *);
const struct sockpol_ent *sockpol_get_id(const struct sockpol_db *,
	    uint32_t id);

/* Whether a socket's selector covers the packet in direction dir
 * (OUT: source = local; IN: source = remote). An IPv6 selector with
 * SOCKPOL_SEL_V4MAPPED also covers IPv4 packets whose addresses its
 * :: (any) or ::ffff:a.b.c.d addresses name. */
bool	sockpol_sel_match(const struct sockpol_sel *, uint8_t dir,
	    const struct spd_pkt *);

/*
 * The registration covering the packet in direction dir (SPD_DIR_IN or
 * SPD_DIR_OUT), or NULL. Of several, the most specific selector wins
 * (one point each for a set local address, local port, remote address,
 * remote port: a connected socket beats a bound one, as a kernel's
 * demultiplexing would pick it), then the latest set. O(registrations).
 */
const struct sockpol_ent *sockpol_lookup(const struct sockpol_db *,
	    uint8_t dir, const struct spd_pkt *);

/*
 * DUMP reply body: entries visible to uid (0: all; others: their own),
 * SOCKPOL_DUMP_ENT_BYTES each, at most (cap / that) and
 * SOCKPOL_DUMP_MAX. Returns the number written.
 */
size_t	sockpol_dump(const struct sockpol_db *, uint32_t uid, uint8_t *buf,
	    size_t cap);

/*
 * Replies held until netd has applied a change (docs/DESIGN.md §10.21):
 * a client's SET, DEL or BIND that advanced the published generation is
 * answered only when netd has acknowledged (SockpolAppliedEvent) a
 * generation at least as high in policyd's epoch, or at the deadline.
 * Before any netd has acknowledged, nothing waits (setups without netd).
 *
 * A FIFO of (connection, generation, deadline): the shell reads no more
 * requests of a connection while its reply waits, so a connection has at
 * most one entry and its replies keep their order. Generations and
 * deadlines (now + a constant) never decrease along the FIFO, so both
 * kinds of release take from the head. Pure: the clock is the caller's.
 */
struct sockpol_hold {
	uint64_t	conn;
	uint64_t	gen;
	uint64_t	deadline;
};

struct sockpol_wait {
	struct sockpol_hold	*q;
	size_t			 n, cap;
	uint64_t		 epoch;		/* policyd's */
	uint64_t		 applied;	/* netd's latest, in epoch */
	bool			 acked;		/* a netd acknowledged once */
};

enum sockpol_release {
	SOCKPOL_KEEP = 0,	/* empty, or the head must still wait */
	SOCKPOL_APPLIED,	/* netd has the head's change */
	SOCKPOL_EXPIRED,	/* the head's deadline passed */
};

/* cap: entries at most (one per connection). -ENOMEM. */
int	sockpol_wait_init(struct sockpol_wait *, uint64_t epoch, size_t cap)
	    MUST_CHECK;
void	sockpol_wait_fini(struct sockpol_wait *);
/* netd applied up to gen in epoch; false (ignored) for another epoch. */
bool	sockpol_wait_applied(struct sockpol_wait *, uint64_t epoch,
	    uint64_t gen);
/* Whether the reply to a change that made gen must wait. */
bool	sockpol_wait_needed(const struct sockpol_wait *, uint64_t gen);
/* Append; -EINVAL if gen or deadline is below the tail's, -ENOBUFS if
 * full (then answer at once). */
int	sockpol_wait_push(struct sockpol_wait *, uint64_t conn, uint64_t gen,
	    uint64_t deadline) MUST_CHECK;
/* Take the head into *out if it may go at `now`; SOCKPOL_KEEP if not. */
enum sockpol_release sockpol_wait_pop(struct sockpol_wait *, uint64_t now,
	    struct sockpol_hold *out);
/* Forget the entries of conn (it closed); how many. */
size_t	sockpol_wait_drop(struct sockpol_wait *, uint64_t conn);
/* The head's deadline; false if empty. */
bool	sockpol_wait_next(const struct sockpol_wait *, uint64_t *deadline);

#endif
