/*
 * netd.c - the netd server process: the shared server shell
 * (common/server.c: handoff, bus, ReadyEvent, counters, SIGTERM) plus
 * netd's engine at this stage: two links from netd.conf (the host side,
 * a TAP; the wire side, AF_PACKET), bridged by bridge_pump() with every
 * IP packet through decide() (bump in the stack, DESIGN §4).
 *
 * Usage: netd [-c NETD_CONF [-t]] [-P POLICY]... [server options]
 * Without -c: no links (idle on the bus).
 *   -c  netd's configuration (netd_conf.h); required
 *   -t  check the configuration and the policies, then exit (0 good)
 *   -P  TEST HOOK: a static policy "DIR,SRC/PLEN,DST/PLEN,PROTO,ACTION"
 *       (netd_conf_policy(); ACTION discard, none, or ipsec meaning
 *       esp/transport//require) installed in the SPD replica at start.
 *       For tests only, until policyd publishes the SPD to netd.
 *   -d -n -s -u: the shell's (common/server.h)
 *
 * State at this stage: the SPD replica holds only the -P policies and
 * is "known" unless wait_policyd = yes; ipsecd is "away" (no rings yet),
 * so whatever needs protection is dropped and counted, never passed in
 * clear. Counters (parapetctl counters netd): pkt.reject.* per reason,
 * decide.* per verdict and decide.why.* per reason, bridge.*, link.*.
 *
 * Privileges: opening a TAP and an AF_PACKET socket needs CAP_NET_ADMIN
 * and CAP_NET_RAW; they are opened in init(), which runs after the
 * shell's -u privilege drop, so run netd as root for now (the
 * supervisor will hand the descriptors over, STYLE §9).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "bridge.h"
#include "log.h"
#include "netd_conf.h"
#include "server.h"

#define NETD_POLICIES_MAX	32
#define NETD_CONF_BYTES_MAX	(64 * 1024)

struct netd {
	struct server		*srv;
	const char		*conf_path;
	struct netd_conf	 conf;
	struct spd_entry	 pol[NETD_POLICIES_MAX];
	size_t			 npol;
	struct spd		*spd;
	struct decide_ctx	 dc;
	struct link		 link[2];	/* [DECIDE_FROM_HOST/WIRE] */
	bool			 link_open[2];
	struct bridge		 br;
	bool			 br_init;
	uv_poll_t		 poll[2];
	bool			 poll_init[2];
	struct log_rl		 rl;
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
	for (i = 0; i < nd->conf.batches; i++)
		if ((n = bridge_pump(&nd->br, from)) < LINK_BATCH)
			break;
	if (n < 0)
		log_rl_warnx(&nd->rl, "netd: receive on %s: %s",
		    nd->link[from].cfg.ifname, strerror(-n));
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

static int
register_counters(struct netd *nd)
{
	static const char *const role[2] = { "link.host.", "link.wire." };
	const struct {
		const uint64_t	*v;
		const char	*name;
	} br[] = {
		{ &nd->br.st.nonip, "nonip" },
		{ &nd->br.st.passed, "passed" },
		{ &nd->br.st.dropped, "dropped" },
		{ &nd->br.st.no_path, "no_path" },
		{ &nd->br.st.held, "held" },
		{ &nd->br.st.gso_dropped, "gso_dropped" },
		{ &nd->br.st.csum_fixed, "csum_fixed" },
		{ &nd->br.st.send_lost, "send_lost" },
	};
	unsigned i;
	int e = 0;

	for (i = 1; i < PKT_R_COUNT; i++)
		e |= counter(nd, &nd->br.st.pkt_reject[i], "pkt.reject.",
		    pkt_reject_name((enum pkt_reject)i));
	for (i = 0; i < DECIDE_V_COUNT; i++)
		e |= counter(nd, &nd->dc.stats.verdict[i], "decide.",
		    decide_verdict_name((enum decide_verdict)i));
	for (i = 0; i < DECIDE_W_COUNT; i++)
		e |= counter(nd, &nd->dc.stats.why[i], "decide.why.",
		    decide_why_name((enum decide_why)i));
	for (i = 0; i < nitems(br); i++)
		e |= counter(nd, br[i].v, "bridge.", br[i].name);
	for (i = 0; i < 2; i++) {
		e |= counter(nd, &nd->link[i].st.rx_pkts, role[i], "rx_pkts");
		e |= counter(nd, &nd->link[i].st.tx_pkts, role[i], "tx_pkts");
	}
	e |= counter(nd, &nd->link[1].st.rx_other, role[1], "rx_other");
	return e == 0 ? 0 : -ENOSPC;
}

static int
open_link(struct netd *nd, enum decide_from side, enum netd_role role)
{
	const struct netd_link_conf *lc = netd_conf_role(&nd->conf, role);
	struct link *l = &nd->link[side];
	int error;

	if ((error = link_open(l, &lc->cfg)) != 0) {
		log_warnx("netd: link %s (%s %s): %s", lc->name,
		    link_kind_name(lc->cfg.kind), lc->cfg.ifname,
		    strerror(-error));
		return error;
	}
	nd->link_open[side] = true;
	log_info("netd: link %s: %s %s, index %d%s", lc->name,
	    link_kind_name(lc->cfg.kind), l->cfg.ifname, l->ifindex,
	    l->vnet ? ", vnet headers" : lc->cfg.vnet ?
	    ", no vnet headers (the kernel refused; fallback)" : "");
	return 0;
}

/* decide_local_fn: this node's addresses (gateway mode). */
static bool
is_local(void *arg, uint16_t family, const uint8_t *addr)
{
	const struct netd *nd = arg;

	return netd_conf_is_local(&nd->conf, family, addr);
}

static int
netd_init(struct server *srv, void *arg)
{
	struct netd *nd = arg;
	uint64_t seed;
	size_t i;
	int error, k;

	nd->srv = srv;
	nd->rl.burst = 10;
	if (nd->conf_path == NULL) {
		log_info("netd: no -c NETD_CONF: no links, idle");
		return 0;
	}
	randombytes_buf(&seed, sizeof(seed));
	if ((error = spd_create(&nd->spd, seed)) != 0)
		return error;
	for (i = 0; i < nd->npol; i++) {
		uint32_t id;

		if ((error = spd_add(nd->spd, &nd->pol[i], 0, &id)) != 0) {
			log_warnx("netd: test policy %zu: %s", i + 1,
			    strerror(-error));
			return error;
		}
		log_info("netd: test policy %zu installed, id %u", i + 1, id);
	}
	nd->dc.spd = nd->spd;
	decide_params_default(&nd->dc.params);
	memcpy(nd->dc.params.def_policy, nd->conf.def_policy,
	    sizeof(nd->dc.params.def_policy));
	nd->dc.params.gateway = nd->conf.gateway;
	if (nd->conf.gateway) {
		nd->dc.local = is_local;
		nd->dc.arg = nd;
	}
	nd->dc.policyd_known = !nd->conf.wait_policyd;
	nd->dc.ipsecd_up = false;	/* no rings yet: fail closed */

	if ((error = open_link(nd, DECIDE_FROM_HOST, NETD_ROLE_HOST)) != 0 ||
	    (error = open_link(nd, DECIDE_FROM_WIRE, NETD_ROLE_WIRE)) != 0)
		return error;
	/*
	 * Offloads only when both sides speak vnet headers: with one side
	 * only, the host's TCP superpackets could not cross (there is no
	 * software segmentation yet), so the side that has them reopens
	 * without.
	 */
	if (nd->link[0].vnet != nd->link[1].vnet) {
		enum decide_from v = nd->link[0].vnet ? DECIDE_FROM_HOST :
		    DECIDE_FROM_WIRE;
		struct link_cfg c = nd->link[v].cfg;

		log_info("netd: vnet headers on one side only: reopening "
		    "%s without", c.ifname);
		link_close(&nd->link[v]);
		nd->link_open[v] = false;
		c.vnet = false;
		if ((error = link_open(&nd->link[v], &c)) != 0) {
			log_warnx("netd: reopen %s: %s", c.ifname,
			    strerror(-error));
			return error;
		}
		nd->link_open[v] = true;
	}
	if ((error = bridge_init(&nd->br, &nd->link[0], &nd->link[1],
	    &nd->dc)) != 0)
		return error;
	nd->br_init = true;
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
	if ((error = register_counters(nd)) != 0)
		return error;
	log_info("netd: bridging %s <-> %s, mode %s, def_policy %u/%u, "
	    "%zu test policies%s", nd->link[0].cfg.ifname,
	    nd->link[1].cfg.ifname, nd->conf.gateway ? "gateway" : "host",
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
	/* uv_close stopped the watchers: the descriptors may go now. */
	for (k = 0; k < 2; k++)
		if (nd->link_open[k])
			link_close(&nd->link[k]);
	if (nd->br_init)
		bridge_fini(&nd->br);
	spd_destroy(nd->spd);
	nd->spd = NULL;
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
