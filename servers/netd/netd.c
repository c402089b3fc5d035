/*
 * netd.c - the netd server process: the shared server shell
 * (common/server.c: handoff, bus, ReadyEvent, counters, SIGTERM) plus
 * netd's engine at this stage: two links from netd.conf (the host side,
 * a TAP; the wire side, AF_PACKET), bridged by bridge_pump() with every
 * IP packet through decide() (bump in the stack, DESIGN §4), or an
 * overlay (a TUN inside; ESP in UDP on port 4500 or ESP on a raw IPv4
 * socket outside: only what ipsecd protected or unprotected crosses,
 * bridge.h no_clear), and the
 * path through ipsecd (netd_ring.h): ring side A of the first region the
 * supervisor hands over, the hold queue, reassembly, ICMP too-big.
 *
 * Usage: netd [-c NETD_CONF [-t]] [-P POLICY]... [server options]
 * Without -c: no links (on the bus, keeping the SPD replica only).
 *   -c  netd's configuration (netd_conf.h); required
 *   -t  check the configuration and the policies, then exit (0 good)
 *   -P  TEST HOOK: a static policy "DIR,SRC/PLEN,DST/PLEN,PROTO,ACTION"
 *       (netd_conf_policy(); ACTION discard, none, or ipsec meaning
 *       esp/transport//require) added to the SPD replica, and to every
 *       snapshot of policyd's SPD after it (netd_spd.h; a policyd
 *       policy with the same selector wins). For tests only.
 *   -d -n -s -u: the shell's (common/server.h)
 *
 * State at this stage: the SPD replica (netd_spd.h) follows policyd's
 * snapshot and deltas; before the first snapshot netd fails closed
 * (holds everything) unless netd.conf says wait_policyd = no (tests
 * without policyd: the -P policies and def_policy decide). ipsecd is
 * "up" while a region is attached and the supervisor's
 * ServerStateEvents say it is ready; while
 * it is away (or policyd unknown) what needs it is held (bounded, 2 s),
 * then released or dropped: never passed in clear. With a region, vnet
 * headers stay on (superpackets segmented, inner segments coalesced:
 * gso.h). Counters
 * (parapetctl counters netd): pkt.reject.* per reason, decide.* per
 * verdict and decide.why.* per reason, bridge.*, link.*, ring.*,
 * ipsec.<result> and ipsec.*, icmp.*, hold.*, frag.*, and the replica's.
 *
 * Privileges: opening a TAP and an AF_PACKET socket needs CAP_NET_ADMIN
 * and CAP_NET_RAW. Under the supervisor they come opened (the handoff,
 * server_link_fd(): parapetd opens each [link NAME] of the file named by
 * -c, sup_links.h), and what is left of the setup needs no privilege, so
 * netd may run as `user =` (-u). Alone, netd opens them itself in
 * init(), after the shell's -u privilege drop: run it as root then.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "bridge.h"
#include "bus.pb-c.h"
#include "log.h"
#include "netd_conf.h"
#include "netd_pmtu.h"
#include "netd_ring.h"
#include "netd_spd.h"
#include "server.h"
#include "supervisor.pb-c.h"

#define NETD_POLICIES_MAX	32
#define NETD_CONF_BYTES_MAX	(64 * 1024)

struct netd {
	struct server		*srv;
	const char		*conf_path;
	struct netd_conf	 conf;
	struct spd_entry	 pol[NETD_POLICIES_MAX];
	size_t			 npol;
	struct decide_ctx	 dc;
	struct link		 link[2];	/* [DECIDE_FROM_HOST/WIRE] */
	bool			 link_open[2];
	struct bridge		 br;
	bool			 br_init;
	uv_poll_t		 poll[2];
	bool			 poll_init[2];
	struct log_rl		 rl;
	/* The path through ipsecd (netd_ring.h). */
	struct ring_region	*region;	/* side A; NULL: none */
	struct netd_ring	 nr;
	bool			 nr_init;
	bool			 ipsecd_ready;	/* ServerStateEvent */
	uv_poll_t		 rpoll;		/* the done ring's bell */
	uv_idle_t		 ridle;		/* more done work */
	uv_timer_t		 tick;		/* hold / reassembly timeouts */
	bool			 rpoll_init, ridle_init, ridle_on, tick_init;
	/* The SPD replica (netd_spd.h, spd_replica()): it gets its share of
	 * the ServerStateEvents netd handles (one handler per type). */
	struct netd_spd		*ns;
	/* Path MTU learned from ICMP errors about our ESP (netd_pmtu.h). */
	struct netd_pmtu	*pmtu;
};

static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-c NETD_CONF [-t]] [-P POLICY]... "
	    "[-d] [-n BUSNAME] [-s BUS_SOCKET] [-u USER]\n", prog);
	exit(2);
}

/* Read and check netd.conf; every error on stderr. */
static int
load_conf(struct netd *nd)
{
	static char buf[NETD_CONF_BYTES_MAX];
	ssize_t n;
	size_t len = 0;
	unsigned i;
	int fd, error;

	if ((fd = open(nd->conf_path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "netd: %s: %s\n", nd->conf_path,
		    strerror(errno));
		return -errno;
	}
	while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (n < 0 || len == sizeof(buf)) {
		fprintf(stderr, "netd: %s: unreadable or larger than %d "
		    "bytes\n", nd->conf_path, NETD_CONF_BYTES_MAX - 1);
		return -EINVAL;
	}
	error = netd_conf_parse(nd->conf_path, buf, len, &nd->conf);
	for (i = 0; i < nd->conf.nerrors && i < NETD_CONF_ERRORS_MAX; i++)
		fprintf(stderr, "%s\n", nd->conf.errors[i]);
	if (nd->conf.nerrors > NETD_CONF_ERRORS_MAX)
		fprintf(stderr, "%s: %u more errors\n", nd->conf_path,
		    nd->conf.nerrors - NETD_CONF_ERRORS_MAX);
	return error;
}

/* ---- the engine ---- */

static void
on_readable(uv_poll_t *h, int status, int events)
{
	struct netd *nd = h->data;
	enum decide_from from = h == &nd->poll[0] ? DECIDE_FROM_HOST :
	    DECIDE_FROM_WIRE;
	unsigned i;
	int n = 0;

	(void)events;
	if (status < 0) {
		log_rl_warnx(&nd->rl, "netd: poll %s: %s",
		    nd->link[from].cfg.ifname, uv_strerror(status));
		return;
	}
	/* Bounded work per wake-up; level-triggered, so the rest waits. */
	nd->nr.now_ms = uv_now(server_loop(nd->srv));
	for (i = 0; i < nd->conf.batches; i++)
		if ((n = bridge_pump(&nd->br, from)) < LINK_BATCH)
			break;
	/* What went to ipsecd: one doorbell for all of it. */
	if (nd->region != NULL)
		netd_ring_flush(&nd->nr);
	if (n < 0)
		log_rl_warnx(&nd->rl, "netd: receive on %s: %s",
		    nd->link[from].cfg.ifname, strerror(-n));
}

/* ---- the path through ipsecd ---- */

static void ring_run(struct netd *nd);

static void
on_ring_idle(uv_idle_t *h)
{
	ring_run(h->data);
}

/* The done ring: bounded work per turn, then idle or arm the bell. */
static void
ring_run(struct netd *nd)
{
	unsigned i;
	int n = 0;

	nd->nr.now_ms = uv_now(server_loop(nd->srv));
	for (i = 0; i < nd->conf.batches; i++)
		if ((n = netd_ring_drain(&nd->nr, NETD_RING_BATCH)) <
		    NETD_RING_BATCH)
			break;
	if (n < 0)
		log_rl_warnx(&nd->rl, "netd: done ring: %s", strerror(-n));
	if (ring_pending(nd->region) != 0 ||
	    !ring_sleep_prepare(nd->region)) {
		if (!nd->ridle_on && uv_idle_start(&nd->ridle,
		    on_ring_idle) == 0)
			nd->ridle_on = true;
	} else if (nd->ridle_on) {
		(void)uv_idle_stop(&nd->ridle);
		nd->ridle_on = false;
	}
}

static void
on_ring_bell(uv_poll_t *h, int status, int events)
{
	struct netd *nd = h->data;

	(void)status;
	(void)events;
	ring_sleep_finish(nd->region);
	ring_run(nd);
}

static void
on_tick(uv_timer_t *t)
{
	struct netd *nd = t->data;

	nd->nr.now_ms = uv_now(server_loop(nd->srv));
	netd_ring_tick(&nd->nr);
}

/*
 * ipsecd's and policyd's state: decide() holds what needs them while
 * they are away; when both are there again, the held frames go round
 * once more (netd_spd_on_change() calls this too).
 */
static void
release_held(void *arg)
{
	struct netd *nd = arg;

	if (!nd->nr_init || !nd->dc.policyd_known)
		return;
	nd->nr.now_ms = uv_now(server_loop(nd->srv));
	netd_ring_release(&nd->nr);
}

static void
set_ipsecd(struct netd *nd, bool ready)
{
	bool up = ready && nd->region != NULL;

	nd->ipsecd_ready = ready;
	if (up == nd->dc.ipsecd_up)
		return;
	nd->dc.ipsecd_up = up;
	log_info("netd: ipsecd %s", up ? "ready: protecting" :
	    "away: holding what needs it");
	if (up)
		release_held(nd);
}

/* ServerStateEvent (topic "server", from the supervisor only). */
static void
on_server_state(struct bus_client *c, const struct bus_msg *msg, void *arg)
{
	const Parapet__ServerStateEvent *ev = (const void *)msg->body;
	struct netd *nd = arg;

	(void)c;
	if (nd->ns != NULL)
		netd_spd_server_event(nd->ns, msg);
	if (msg->src == NULL || strcmp(msg->src, "supervisor") != 0 ||
	    ev->name == NULL || strcmp(ev->name, "ipsecd") != 0)
		return;
	set_ipsecd(nd, ev->state == PARAPET__SERVER_STATE__SERVER_STATE_READY);
}

/* netd_ring_vars_fn: policyd's variables when the replica has them. */
static void
ring_vars(void *arg, uint16_t family, struct netd_ring_vars *v)
{
	const struct netd *nd = arg;
	const struct netd_spd_vars *sv;

	if (nd->ns == NULL || (sv = netd_spd_vars(nd->ns, family)) == NULL)
		return;
	v->dfbit = sv->dfbit;
	v->ecn = sv->ecn == 1;
	v->ah_cleartos = sv->ah_cleartos;
	v->ah_offsetmask = sv->ah_offsetmask;
}

/* bridge_icmp_fn: ICMP errors from the wire about our ESP are kept. */
static bool
on_wire_icmp(void *arg, const uint8_t *ip, const struct pkt_info *pi)
{
	struct netd *nd = arg;

	return netd_pmtu_consumed(netd_pmtu_icmp(nd->pmtu, ip, pi,
	    nd->nr.mtu, uv_now(server_loop(nd->srv))));
}

/* The path MTU table: PROTECTs use it, the bridge feeds it. */
static int
pmtu_start(struct netd *nd, uint64_t seed)
{
	struct netd_pmtu_conf pc;
	int error;

	netd_pmtu_conf_default(&pc);
	pc.expire_ms = (uint64_t)nd->conf.pmtu_expire * 1000;
	if ((error = netd_pmtu_new(&nd->pmtu, &pc, seed)) != 0)
		return error;
	nd->nr.pmtu = nd->pmtu;
	nd->br.icmp = on_wire_icmp;
	nd->br.icmp_arg = nd;
	return 0;
}

/* The wire link's MTU (what ipsecd's result must fit). */
static uint16_t
link_mtu(const struct link *l)
{
	struct ifreq ifr;

	if (l->fd < 0 || l->cfg.ifname[0] == '\0')
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, l->cfg.ifname, sizeof(l->cfg.ifname));
	if (ioctl(l->fd, SIOCGIFMTU, &ifr) != 0 || ifr.ifr_mtu <= 0)
		return 0;
	return ifr.ifr_mtu > 65535 ? 65535 : (uint16_t)ifr.ifr_mtu;
}

/* The ring side A, its bell and the timer; ServerStateEvents. */
static int
ring_start(struct netd *nd)
{
	uv_loop_t *loop = server_loop(nd->srv);
	uint64_t seed;
	int error;

	randombytes_buf(&seed, sizeof(seed));
	if ((error = netd_ring_init(&nd->nr, nd->region, &nd->br, &nd->dc,
	    uv_now(loop), seed)) != 0)
		return error;
	nd->nr_init = true;
	nd->nr.vars = ring_vars;
	nd->nr.vars_arg = nd;
	nd->nr.mtu = link_mtu(&nd->link[DECIDE_FROM_WIRE]);
	if ((error = pmtu_start(nd, seed ^ 0x706d7475)) != 0)
		return error;
	if (uv_timer_init(loop, &nd->tick) != 0)
		return -EIO;
	nd->tick_init = true;
	nd->tick.data = nd;
	if (uv_timer_start(&nd->tick, on_tick, 100, 100) != 0)
		return -EIO;
	if (nd->region == NULL)
		return 0;
	if (uv_idle_init(loop, &nd->ridle) != 0)
		return -EIO;
	nd->ridle_init = true;
	nd->ridle.data = nd;
	if (uv_poll_init(loop, &nd->rpoll, ring_wake_fd(nd->region)) != 0)
		return -EIO;
	nd->rpoll_init = true;
	nd->rpoll.data = nd;
	if (uv_poll_start(&nd->rpoll, UV_READABLE, on_ring_bell) != 0)
		return -EIO;
	ring_run(nd);
	log_info("netd: ring side A: %u slots of %u bytes, headroom %u; "
	    "wire MTU %u", nd->nr.g->nslots, nd->nr.g->slot_bytes,
	    nd->nr.g->headroom, nd->nr.mtu);
	return 0;
}

static int
counter(struct netd *nd, const uint64_t *v, const char *prefix,
    const char *what)
{
	char name[64];
	int error;

	snprintf(name, sizeof(name), "%s%s", prefix, what);
	if ((error = server_counter_add(nd->srv, name, v)) != 0)
		log_warnx("netd: counter %s: %s", name, strerror(-error));
	return error;
}

/* An overlay: TUN inside, udp or raw outside (netd_conf.h's pairs). */
static bool
is_overlay(const struct netd *nd)
{
	return nd->link[DECIDE_FROM_HOST].cfg.kind == LINK_TUN;
}

static int
register_counters(struct netd *nd)
{
	static const char *const role[2] = { "link.host.", "link.wire." };
	/* Ethernet and vnet only: meaningless in an overlay. */
	const bool l2 = !is_overlay(nd);
	const struct {
		const uint64_t	*v;
		const char	*name;
	} br[] = {
		{ l2 ? &nd->br.st.nonip : NULL, "nonip" },
		{ &nd->br.st.passed, "passed" },
		{ &nd->br.st.dropped, "dropped" },
		{ &nd->br.st.no_path, "no_path" },
		{ &nd->br.st.held, "held" },
		{ l2 ? &nd->br.st.gso_dropped : NULL, "gso_dropped" },
		{ l2 ? &nd->br.st.csum_fixed : NULL, "csum_fixed" },
		{ &nd->br.st.send_lost, "send_lost" },
	};
	unsigned i;
	int e = 0;

	for (i = 1; i < PKT_REJECT_COUNT; i++)
		e |= counter(nd, &nd->br.st.pkt_reject[i], "pkt.reject.",
		    pkt_reject_name((enum pkt_reject)i));
	for (i = 0; i < DECIDE_V_COUNT; i++)
		e |= counter(nd, &nd->dc.stats.verdict[i], "decide.",
		    decide_verdict_name((enum decide_verdict)i));
	for (i = 0; i < DECIDE_W_COUNT; i++)
		e |= counter(nd, &nd->dc.stats.why[i], "decide.why.",
		    decide_why_name((enum decide_why)i));
	for (i = 0; i < nitems(br); i++)
		if (br[i].v != NULL)
			e |= counter(nd, br[i].v, "bridge.", br[i].name);
	for (i = 0; i < 2; i++) {
		e |= counter(nd, &nd->link[i].st.rx_pkts, role[i], "rx_pkts");
		e |= counter(nd, &nd->link[i].st.tx_pkts, role[i], "tx_pkts");
	}
	if (l2)
		e |= counter(nd, &nd->link[1].st.rx_other, role[1],
		    "rx_other");
	e |= counter(nd, &nd->br.st.diverted, "bridge.", "diverted");
	return e == 0 ? 0 : -ENOSPC;
}

/* ring.*, ipsec.*, icmp.*, hold.*, frag.* (netd_ring.h). */
static int
register_ring_counters(struct netd *nd)
{
	const struct netd_ring_stats *st = &nd->nr.st;
	const struct {
		const uint64_t	*v;
		const char	*name;
	} c[] = {
		{ &st->sent, "ring.sent" },
		{ &st->batches, "ring.batches" },
		{ &st->done, "ring.done" },
		{ &st->no_slot, "ring.no_slot" },
		{ &st->too_long, "ring.too_long" },
		{ &st->bad_done, "ring.bad_done" },
		{ &st->send_failed, "ring.send_failed" },
		{ &st->recv_failed, "ring.recv_failed" },
		{ &st->no_policy, "ipsec.no_policy" },
		{ &st->bad_policy, "ipsec.bad_policy" },
		{ &st->gso_dropped, "ipsec.gso_dropped" },
		{ &st->gso_super, "gso.super" },
		{ &st->gso_segs, "gso.segs" },
		{ &st->gro_merged, "gro.merged" },
		{ &st->gro_bad_csum, "gro.bad_csum" },
		{ &st->bad_result, "ipsec.bad_result" },
		{ &st->inner_discard, "ipsec.inner_discard" },
		{ &st->delivered, "ipsec.delivered" },
		{ &st->wire_out, "ipsec.wire_out" },
		{ &st->tx_lost, "ipsec.tx_lost" },
		{ &st->icmp_sent, "icmp.sent" },
		{ &st->icmp_limited, "icmp.limited" },
		{ &st->icmp_refused, "icmp.refused" },
		{ &st->held, "hold.held" },
		{ &st->released, "hold.released" },
		{ &st->hold_full, "hold.full" },
		{ &st->hold_expired, "hold.expired" },
		{ &st->frag_held, "frag.held" },
		{ &st->frag_done, "frag.done" },
		{ &st->frag_dropped, "frag.dropped" },
	};
	unsigned i;
	int e = 0;

	for (i = 0; i < nitems(c); i++)
		e |= counter(nd, c[i].v, "", c[i].name);
	for (i = 0; i < PKT_R_COUNT; i++)
		e |= counter(nd, &st->result[i], "ipsec.",
		    pkt_result_str((enum pkt_result)i));
	return e == 0 ? 0 : -ENOSPC;
}

/* overlay.* (only in an overlay); past SERVER_COUNTERS_MAX only logged. */
static void
register_overlay_counters(struct netd *nd)
{
	const struct link_stats *w = &nd->link[DECIDE_FROM_WIRE].st;

	if (!is_overlay(nd))
		return;
	(void)counter(nd, &nd->br.st.clear_dropped, "overlay.",
	    "clear_dropped");
	(void)counter(nd, &w->rx_ike, "overlay.", "rx_ike");
	(void)counter(nd, &w->rx_keepalive, "overlay.", "rx_keepalive");
	(void)counter(nd, &w->tx_bad, "overlay.", "tx_bad");
}

/* An overlay has no clear path between its sides (bridge.h). */
static void
overlay_start(struct netd *nd)
{
	nd->br.no_clear = is_overlay(nd);
	if (nd->br.no_clear && nd->region == NULL)
		log_warnx("netd: an overlay without a ring region to ipsecd "
		    "carries nothing");
}

/* "tap0", "udp port 4500", "raw esp": a link for the log. */
static const char *
link_desc(const struct link_cfg *c, char *buf, size_t len)
{
	if (c->kind == LINK_UDP)
		snprintf(buf, len, "udp port %u%s", c->port,
		    c->family == AF_INET6 ? " inet6" : "");
	else if (c->kind == LINK_RAW)
		snprintf(buf, len, "raw %s",
		    c->proto == IPPROTO_AH ? "ah" : "esp");
	else
		snprintf(buf, len, "%s", c->ifname);
	return buf;
}

/*
 * icmp.pmtu_learned, icmp.pmtu_ignored.<why> (netd_pmtu.h), the most
 * telling first: past SERVER_COUNTERS_MAX they are only logged.
 */
static void
register_pmtu_counters(struct netd *nd)
{
	static const uint8_t order[] = { NETD_PMTU_UNKNOWN_SPI,
	    NETD_PMTU_NOT_OURS, NETD_PMTU_NOT_LOWER, NETD_PMTU_BAD };
	const struct netd_pmtu_stats *st = netd_pmtu_stats(nd->pmtu);
	unsigned i;

	(void)counter(nd, &st->why[NETD_PMTU_LEARNED], "icmp.",
	    "pmtu_learned");
	for (i = 0; i < nitems(order); i++)
		(void)counter(nd, &st->why[order[i]], "icmp.pmtu_ignored.",
		    netd_pmtu_why_name((enum netd_pmtu_why)order[i]));
}

/*
 * Open the link of role on side: with the descriptor the supervisor
 * handed over under the link's name when there is one (it opened it with
 * the same link_fd_open(); the rest of the setup needs no privilege, so
 * netd may run as `user =`), else our own. novnet: without vnet headers.
 */
static int
open_link(struct netd *nd, enum decide_from side, enum netd_role role,
    bool novnet)
{
	const struct netd_link_conf *lc = netd_conf_role(&nd->conf, role);
	struct link *l = &nd->link[side];
	struct link_cfg cfg = lc->cfg;
	char desc[32];
	int error;

	if (novnet)
		cfg.vnet = false;
	if ((cfg.fd = server_link_fd(nd->srv, lc->name)) >= 0)
		cfg.has_fd = true;
	/*
	 * With ipsecd, vnet headers stay: superpackets to protect are cut
	 * into segments and inner segments to the host coalesced (gso.h).
	 */
	if ((error = link_open(l, &cfg)) != 0) {
		log_warnx("netd: link %s (%s %s): %s", lc->name,
		    link_kind_name(lc->cfg.kind),
		    link_desc(&lc->cfg, desc, sizeof(desc)), strerror(-error));
		return error;
	}
	nd->link_open[side] = true;
	log_info("netd: link %s: %s %s, index %d%s%s", lc->name,
	    link_kind_name(lc->cfg.kind),
	    link_desc(&l->cfg, desc, sizeof(desc)), l->ifindex,
	    l->vnet ? ", vnet headers" : !cfg.vnet ? "" : cfg.has_fd ?
	    ", no vnet headers (as the supervisor opened it)" :
	    ", no vnet headers (the kernel refused; fallback)",
	    cfg.has_fd ? ", handed over" : "");
	return 0;
}

/* decide_local_fn: this node's addresses (gateway mode). */
/* decide()'s per-socket hook: policyd's registry (netd_spd.h). */
static bool
sock_policy(void *arg, uint8_t dir, const struct spd_pkt *p,
    struct decide_sockpol *sp)
{
	const struct netd *nd = arg;

	return nd->ns != NULL && netd_spd_sockpol(nd->ns, dir, p, sp);
}

static bool
is_local(void *arg, uint16_t family, const uint8_t *addr)
{
	const struct netd *nd = arg;

	return netd_conf_is_local(&nd->conf, family, addr);
}

/*
 * The SPD replica (netd_spd.h): netd.conf's def_policy until policyd's
 * variables arrive, the -P policies in every snapshot, held frames
 * decided again after each change. Started by netd_init().
 */
static int
spd_replica(struct netd *nd)
{
	size_t i;
	int error;

	decide_params_default(&nd->dc.params);
	if (nd->conf_path != NULL)
		memcpy(nd->dc.params.def_policy, nd->conf.def_policy,
		    sizeof(nd->dc.params.def_policy));
	if ((error = netd_spd_new(&nd->ns, &nd->dc)) != 0)
		return error;
	for (i = 0; i < nd->npol; i++) {
		if ((error = netd_spd_add_static(nd->ns, &nd->pol[i])) != 0) {
			log_warnx("netd: test policy %zu: %s", i + 1,
			    strerror(-error));
			return error;
		}
	}
	if (nd->npol != 0)
		log_info("netd: %zu test policies in the SPD replica", nd->npol);
	netd_spd_set_provisional(nd->ns, nd->conf_path != NULL &&
	    !nd->conf.wait_policyd);
	netd_spd_on_change(nd->ns, release_held, nd);
	return 0;
}

/*
 * Offloads only when both sides speak vnet headers: with one side only,
 * the host's TCP superpackets could not cross (there is no software
 * segmentation yet), so the side that has them reopens without. A TAP
 * handed over with vnet headers cannot drop them (its flags were set
 * when the supervisor attached it): then the configuration must say
 * vnet = no.
 */
static int
vnet_match(struct netd *nd)
{
	static const enum netd_role role[2] = { NETD_ROLE_HOST,
	    NETD_ROLE_WIRE };
	enum decide_from v;
	int error;

	if (nd->link[0].vnet == nd->link[1].vnet)
		return 0;
	v = nd->link[0].vnet ? DECIDE_FROM_HOST : DECIDE_FROM_WIRE;
	log_info("netd: vnet headers on one side only: reopening %s without",
	    nd->link[v].cfg.ifname);
	link_close(&nd->link[v]);
	nd->link_open[v] = false;
	if ((error = open_link(nd, v, role[v], true)) != 0)
		return error;
	if (nd->link[0].vnet != nd->link[1].vnet) {
		log_warnx("netd: %s keeps its vnet headers (handed over with "
		    "them): set vnet = no on both links",
		    nd->link[v].cfg.ifname);
		return -EINVAL;
	}
	return 0;
}

static int
netd_init(struct server *srv, void *arg)
{
	static const char *const what[2] = { "bridging", "overlay" };
	struct netd *nd = arg;
	char desc[32];
	int error, k;

	nd->srv = srv;
	nd->rl.burst = 10;
	if ((error = spd_replica(nd)) != 0)
		return error;
	if (nd->conf_path == NULL) {
		log_info("netd: no -c NETD_CONF: no links, SPD replica only");
		return netd_spd_start(nd->ns, srv);
	}
	/* Before the SPD replica starts: it takes its share from us. */
	if ((error = bus_client_on(server_bus(srv),
	    PARAPET__MSG_TYPE__MSG_SERVER_STATE_EVENT, on_server_state,
	    nd)) != 0 ||
	    (error = bus_subscribe(server_bus(srv), "server")) != 0 ||
	    (error = netd_spd_start(nd->ns, srv)) != 0) {
		log_warnx("netd: bus: %s", strerror(-error));
		return error;
	}
	if (server_nregions(srv) > 0)
		nd->region = server_region(srv, 0, NULL);
	if (server_nregions(srv) > 1)
		log_warnx("netd: %zu ring regions: only the first is used",
		    server_nregions(srv));
	nd->dc.params.gateway = nd->conf.gateway;
	nd->dc.arg = nd;
	nd->dc.sock = sock_policy;
	if (nd->conf.gateway)
		nd->dc.local = is_local;
	/*
	 * The supervisor starts netd after ipsecd is ready (after =); from
	 * then on ServerStateEvents say. Without a region nothing can be
	 * protected: fail closed.
	 */
	nd->dc.ipsecd_up = nd->region != NULL;
	nd->ipsecd_ready = nd->region != NULL;

	if ((error = open_link(nd, DECIDE_FROM_HOST, NETD_ROLE_HOST,
	    false)) != 0 ||
	    (error = open_link(nd, DECIDE_FROM_WIRE, NETD_ROLE_WIRE,
	    false)) != 0 || (error = vnet_match(nd)) != 0)
		return error;
	if ((error = bridge_init(&nd->br, &nd->link[0], &nd->link[1],
	    &nd->dc)) != 0)
		return error;
	nd->br_init = true;
	overlay_start(nd);
	if ((error = ring_start(nd)) != 0)
		return error;
	for (k = 0; k < 2; k++) {
		if ((error = uv_poll_init(server_loop(srv), &nd->poll[k],
		    nd->link[k].fd)) != 0) {
			log_warnx("netd: uv_poll_init: %s", uv_strerror(error));
			return error;
		}
		nd->poll_init[k] = true;
		nd->poll[k].data = nd;
		if ((error = uv_poll_start(&nd->poll[k], UV_READABLE,
		    on_readable)) != 0)
			return error;
	}
	if ((error = register_counters(nd)) != 0 ||
	    (error = register_ring_counters(nd)) != 0)
		return error;
	register_overlay_counters(nd);
	register_pmtu_counters(nd);
	log_info("netd: %s %s <-> %s, mode %s, def_policy %u/%u, "
	    "%zu test policies%s", what[nd->br.no_clear],
	    nd->link[0].cfg.ifname,
	    link_desc(&nd->link[1].cfg, desc, sizeof(desc)),
	    nd->conf.gateway ? "gateway" : "host",
	    nd->conf.def_policy[0], nd->conf.def_policy[1], nd->npol,
	    nd->dc.policyd_known ? "" : ", waiting for policyd");
	return 0;
}

static void
netd_fini(struct server *srv, void *arg)
{
	struct netd *nd = arg;
	int k;

	(void)srv;
	for (k = 0; k < 2; k++) {
		if (nd->poll_init[k])
			uv_close((uv_handle_t *)&nd->poll[k], NULL);
		nd->poll_init[k] = false;
	}
	if (nd->rpoll_init)
		uv_close((uv_handle_t *)&nd->rpoll, NULL);
	if (nd->ridle_init)
		uv_close((uv_handle_t *)&nd->ridle, NULL);
	if (nd->tick_init)
		uv_close((uv_handle_t *)&nd->tick, NULL);
	nd->rpoll_init = nd->ridle_init = nd->tick_init = false;
	/* Slots still held go back with the region; frames held are freed. */
	if (nd->nr_init)
		netd_ring_fini(&nd->nr);
	nd->nr_init = false;
	netd_pmtu_free(nd->pmtu);
	nd->pmtu = NULL;
	/* uv_close stopped the watchers: the descriptors may go now. */
	for (k = 0; k < 2; k++)
		if (nd->link_open[k])
			link_close(&nd->link[k]);
	if (nd->br_init)
		bridge_fini(&nd->br);
	netd_spd_free(nd->ns);
	nd->ns = NULL;
}

int
main(int argc, char **argv)
{
	static struct netd nd;
	static char *sargv[32];
	struct server_def def = {
		.name = "netd",
		.region_side = RING_SIDE_A,
		.init = netd_init,
		.fini = netd_fini,
		.arg = &nd,
	};
	bool check = false;
	int ch, sargc = 0;

	/* Our options here; the shell's (-d -n -s -u) go on to it. */
	sargv[sargc++] = argv[0];
	while ((ch = getopt(argc, argv, "c:tP:dn:s:u:")) != -1) {
		switch (ch) {
		case 'c':
			nd.conf_path = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'P':
			if (nd.npol == NETD_POLICIES_MAX ||
			    netd_conf_policy(optarg, &nd.pol[nd.npol]) != 0) {
				fprintf(stderr, "netd: -P %s: expected "
				    "DIR,SRC/PLEN,DST/PLEN,PROTO,ACTION\n",
				    optarg);
				return 2;
			}
			nd.npol++;
			break;
		case 'd':
			sargv[sargc++] = deconst("-d");
			break;
		case 'n':
		case 's':
		case 'u':
			if (sargc + 2 >= (int)nitems(sargv))
				usage(argv[0]);
			sargv[sargc++] = ch == 'n' ? deconst("-n") :
			    ch == 's' ? deconst("-s") : deconst("-u");
			sargv[sargc++] = optarg;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc || (check && nd.conf_path == NULL))
		usage(argv[0]);
	/* Without -c netd runs with no links (a stack under construction,
	 * or the supervisor's tests): it answers on the bus and moves no
	 * packet. */
	if (nd.conf_path != NULL && load_conf(&nd) != 0)
		return 1;
	if (check) {
		printf("%s: ok, %zu links, %zu test policies\n", nd.conf_path,
		    nd.conf.nlinks, nd.npol);
		return 0;
	}
	sargv[sargc] = NULL;
	optind = 1;	/* the shell parses its own options next */
	return server_main(sargc, sargv, &def);
}
