/*
 * test_decide_natt.c - netd's decision for UDP port 4500 (RFC 3948),
 * from the packet's bytes: pkt_parse() then decide().
 *
 * The SPD is that of the responder in tests/e2e/netd_natt.sh (host B,
 * 198.51.100.2, talking to a NAT's public address 198.51.100.1): UDP
 * 4500 bypass both ways first (IKE and keepalives), then ESP transport
 * require, and a require policy for everyone else.
 *
 * Rows: a keepalive for us is discarded and counted (whatever the state
 * of policyd and ipsecd), also without a bypass policy; two 0xff bytes
 * are no keepalive; a keepalive going out or forwarded is traffic under
 * policy; IKE (the non-ESP marker) is UDP under policy (bypass: to the
 * host; require: discarded); ESP in UDP goes to ipsecd (held while it
 * is away), to port 4500 only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "decide.h"
#include "ipsec_policy.h"
#include "pktgen.h"

#define NAT	"198.51.100.1"
#define ME	"198.51.100.2"
#define OTHER	"198.51.100.7"

static struct spd *db;

static void
add(uint8_t dir, const char *src, uint8_t splen, const char *dst,
    uint8_t dplen, uint8_t proto, uint16_t sport, uint16_t dport,
    uint8_t action)
{
	struct spd_entry e;

	memset(&e, 0, sizeof(e));
	e.sel.family = AF_INET;
	pg_addr(src, e.sel.src);
	pg_addr(dst, e.sel.dst);
	e.sel.src_plen = splen;
	e.sel.dst_plen = dplen;
	e.sel.proto = proto;
	e.sel.sport = sport;
	e.sel.dport = dport;
	e.dir = dir;
	e.action = action;
	e.priority = SPD_PRIORITY_DEFAULT;
	if (action == SPD_ACTION_IPSEC) {
		e.nreqs = 1;
		e.req[0].proto = IPPROTO_ESP;
		e.req[0].mode = PARAPET_IPSEC_MODE_TRANSPORT;
		e.req[0].level = PARAPET_IPSEC_LEVEL_REQUIRE;
	}
	assert_int_equal(spd_add(db, &e, 0, NULL), 0);
}

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(spd_create(&db, 1), 0);
	/* Ties go to the earlier policy: the bypass ones first. */
	add(SPD_DIR_IN, NAT, 32, ME, 32, IPPROTO_UDP, 0, 4500,
	    SPD_ACTION_NONE);
	add(SPD_DIR_OUT, ME, 32, NAT, 32, IPPROTO_UDP, 4500, 0,
	    SPD_ACTION_NONE);
	add(SPD_DIR_OUT, ME, 32, NAT, 32, 255, 0, 0, SPD_ACTION_IPSEC);
	add(SPD_DIR_IN, NAT, 32, ME, 32, 255, 0, 0, SPD_ACTION_IPSEC);
	add(SPD_DIR_IN, "0.0.0.0", 0, ME, 32, 255, 0, 0, SPD_ACTION_IPSEC);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	spd_destroy(db);
	return 0;
}

enum { F_UNKNOWN = 1, F_AWAY = 2, F_GW = 4, F_OUT = 8 };

struct row {
	const char	*name;
	const char	*src, *dst;
	const uint8_t	*data;
	size_t		 n;
	unsigned	 flags;
	uint16_t	 sport, dport;
	uint8_t		 kind;		/* what pkt_parse must say */
	uint8_t		 verdict, why;
};

static const uint8_t KA[] = { 0xff };
static const uint8_t KA2[] = { 0xff, 0xff };
static const uint8_t IKE[] = { 0, 0, 0, 0, 'I', 'K', 'E', '_', 'S', 'A' };
static const uint8_t ESPU[] = { 0, 0, 0x10, 0x01, 0, 0, 0, 7, 0xaa, 0xbb,
    0xcc, 0xdd, 0xee, 0xff, 0x11, 0x22 };

/* name, flags, src, dst, ports, data, kind, verdict, why */
#define R(nm, fl, s, d, sp, dp, x, k, v, w)				\
	{ .name = (nm), .flags = (fl), .src = (s), .dst = (d),		\
	  .sport = (sp), .dport = (dp), .data = (x), .n = sizeof(x),	\
	  .kind = (k), .verdict = (v), .why = (w) }
#define V(x)	DECIDE_V_##x
#define W(x)	DECIDE_W_##x

static const struct row rows[] = {
	R("keepalive for us", 0, NAT, ME, 41003, 4500, KA,
	    PKT_K_UDP_KEEPALIVE, V(DISCARD), W(NATT_KEEPALIVE)),
	R("keepalive, no bypass policy", 0, OTHER, ME, 4500, 4500, KA,
	    PKT_K_UDP_KEEPALIVE, V(DISCARD), W(NATT_KEEPALIVE)),
	R("keepalive, ipsecd away", F_AWAY, NAT, ME, 41003, 4500, KA,
	    PKT_K_UDP_KEEPALIVE, V(DISCARD), W(NATT_KEEPALIVE)),
	R("keepalive, policyd unknown", F_UNKNOWN, NAT, ME, 41003, 4500,
	    KA, PKT_K_UDP_KEEPALIVE, V(DISCARD), W(NATT_KEEPALIVE)),
	R("two 0xff bytes: udp under policy", 0, NAT, ME, 41003, 4500,
	    KA2, PKT_K_UDP, V(DELIVER), W(POLICY)),
	R("keepalive to port 4501: udp", 0, OTHER, ME, 4500, 4501, KA,
	    PKT_K_UDP, V(DISCARD), W(IN_REQUIRE)),
	R("keepalive from the host: bypass", F_OUT, ME, NAT, 4500, 41003,
	    KA, PKT_K_OTHER, V(BYPASS), W(POLICY)),
	R("keepalive forwarded (gateway)", F_GW, NAT, "10.9.0.5", 41003,
	    4500, KA, PKT_K_UDP_KEEPALIVE, V(FORWARD), W(DEF_POLICY)),
	R("ike, bypass: to the host", 0, NAT, ME, 41003, 4500, IKE,
	    PKT_K_UDP_IKE, V(DELIVER), W(POLICY)),
	R("ike, require: discarded", 0, OTHER, ME, 4500, 4500, IKE,
	    PKT_K_UDP_IKE, V(DISCARD), W(IN_REQUIRE)),
	R("ike, ipsecd away: still policy", F_AWAY, NAT, ME, 41003, 4500,
	    IKE, PKT_K_UDP_IKE, V(DELIVER), W(POLICY)),
	R("ike from the host: bypass", F_OUT, ME, NAT, 4500, 41003, IKE,
	    PKT_K_OTHER, V(BYPASS), W(POLICY)),
	R("esp in udp: to ipsecd", 0, NAT, ME, 41003, 4500, ESPU,
	    PKT_K_UDP_ESP, V(UNPROTECT), W(ESP_FOR_US)),
	R("esp in udp, no bypass policy", 0, OTHER, ME, 4500, 4500, ESPU,
	    PKT_K_UDP_ESP, V(UNPROTECT), W(ESP_FOR_US)),
	R("esp in udp, ipsecd away: held", F_AWAY, NAT, ME, 41003, 4500,
	    ESPU, PKT_K_UDP_ESP, V(HOLD), W(IPSECD_AWAY)),
	R("esp in udp, policyd unknown", F_UNKNOWN, NAT, ME, 41003, 4500,
	    ESPU, PKT_K_UDP_ESP, V(UNPROTECT), W(ESP_FOR_US)),
	R("esp in udp to port 4501: udp", 0, OTHER, ME, 4500, 4501, ESPU,
	    PKT_K_UDP, V(DISCARD), W(IN_REQUIRE)),
	R("clear udp from the host: protected", F_OUT, ME, NAT, 7000, 7001,
	    IKE, PKT_K_UDP, V(PROTECT), W(POLICY)),
};

/* 198.51.100.2 is ours (gateway mode). */
static bool
local_hook(void *arg, uint16_t family, const uint8_t *a)
{
	uint8_t me[16];

	(void)arg;
	pg_addr(ME, me);
	return family == AF_INET && memcmp(a, me, 4) == 0;
}

static void
one(const struct row *w)
{
	uint8_t l4[64], pkt[128];
	struct decide_result r;
	struct decide_ctx c;
	struct pkt_info pi;
	size_t n;

	n = pg_udp(l4, w->sport, w->dport, w->data, w->n);
	n = pg_v4(pkt, w->src, w->dst, IPPROTO_UDP, l4, n, 0, 1);
	assert_int_equal(pkt_parse(pkt, n, &pi), PKT_OK);
	/* From the host, port 4500 is the destination's only when it is. */
	if (w->kind != PKT_K_OTHER)
		assert_int_equal(pi.kind, w->kind);
	memset(&c, 0, sizeof(c));
	c.spd = db;
	decide_params_default(&c.params);
	c.params.gateway = (w->flags & F_GW) != 0;
	c.local = (w->flags & F_GW) ? local_hook : NULL;
	c.policyd_known = (w->flags & F_UNKNOWN) == 0;
	c.ipsecd_up = (w->flags & F_AWAY) == 0;
	decide(&c, &pi, (w->flags & F_OUT) ? DECIDE_FROM_HOST :
	    DECIDE_FROM_WIRE, &r);
	if (r.verdict != w->verdict || r.why != w->why)
		fail_msg("%s: %s/%s, want %s/%s", w->name,
		    decide_verdict_name(r.verdict), decide_why_name(r.why),
		    decide_verdict_name(w->verdict),
		    decide_why_name(w->why));
	assert_int_equal(c.stats.verdict[w->verdict], 1);
	assert_int_equal(c.stats.why[w->why], 1);
}

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		one(&rows[i]);
	printf("%zu rows\n", i);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(decide_why_name(DECIDE_W_NATT_KEEPALIVE),
	    "natt_keepalive");
	assert_string_equal(decide_why_name(DECIDE_W_COUNT), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
