/*
 * test_setkey_dump.c - PF_KEY replies to setkey(8)'s text
 * (setkey_dump.c): -D (pfkey_sadump), -DP (pfkey_spdump), -l, -x and
 * the error texts, each compared with the exact text ipsec-tools'
 * layout gives (tabs, trailing blanks, 32-octet key lines). Every
 * message goes through the builder and pfkey_msg_parse_reply() first,
 * as the tool receives it. Times in UTC (TZ is set here).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "pfkey_build.h"
#include "pfkey_msg.h"
#include "setkey_dump.h"
#include "setkey_parse.h"

#define BIT(e)		(UINT32_C(1) << (e))
#define SK(x)		PARAPET_SADB_##x
#define T0		1764585000	/* Mon Dec  1 10:30:00 2025 UTC */

static uint8_t wire[4096];

/* m through the builder and the reply validator, into *out. */
static void
as_received(const struct pfkey_msg *m, struct pfkey_msg *out)
{
	enum pfkey_reject why;
	size_t len;

	assert_int_equal(pfkey_build_msg(m, wire, sizeof(wire), &len), 0);
	if (pfkey_msg_parse_reply(wire, len, out, &why) != 0)
		fail_msg("reply refused: %s", pfkey_reject_str(why));
}

static void
addr(struct pfkey_address *a, int family, const char *ip, uint8_t proto,
    uint8_t plen, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->proto = proto;
	a->prefixlen = plen;
	a->sa.family = (uint16_t)family;
	a->sa.port = port;
	assert_int_equal(inet_pton(family, ip, a->sa.addr), 1);
}

static const uint8_t key36[36] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
	0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e,
	0x1f, 0x20, 0x21, 0x22, 0x23, 0x24 };

static void
sa_reply(struct pfkey_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = PARAPET_PF_KEY_V2;
	m->hdr.type = SK(DUMP);
	m->hdr.satype = SK(SATYPE_ESP);
	m->hdr.seq = 3;
	m->hdr.pid = 4242;
	m->present = BIT(SK(EXT_SA)) | BIT(SK(EXT_LIFETIME_CURRENT)) |
	    BIT(SK(EXT_ADDRESS_SRC)) | BIT(SK(EXT_ADDRESS_DST)) |
	    BIT(SK(EXT_KEY_ENCRYPT)) | BIT(SK(X_EXT_SA2));
	m->sa.spi = 0x1000;
	m->sa.state = SK(SASTATE_MATURE);
	m->sa.encrypt = SK(X_EALG_AES_GCM_ICV16);
	m->sa.flags = 0x40;
	m->sa.replay = 32;
	m->lft_current.addtime = T0 - 25;
	m->lft_current.bytes = 1234;
	m->lft_current.allocations = 2;
	addr(&m->src, AF_INET, "10.0.0.1", 255, 32, 0);
	addr(&m->dst, AF_INET, "10.0.0.2", 255, 32, 0);
	m->key_encrypt.data = key36;
	m->key_encrypt.len_bytes = sizeof(key36);
	m->key_encrypt.bits = 8 * sizeof(key36);
	m->sa2.mode = PARAPET_IPSEC_MODE_TRANSPORT;
	m->sa2.reqid = 7;
}

static void
check(struct setkey_out *o, const char *want)
{
	assert_int_equal(o->error, 0);
	if (strcmp(o->buf, want) != 0)
		fail_msg("got:\n%s\nwant:\n%s", o->buf, want);
	setkey_out_reset(o);
}

static void
test_sa_esp(void **state)
{
	struct pfkey_msg m, r;
	struct setkey_out o = { 0 };

	(void)state;
	sa_reply(&m);
	as_received(&m, &r);
	setkey_dump_sa(&o, &r, T0, false);
	check(&o,
	    "10.0.0.1 10.0.0.2 \n"
	    "\tesp mode=transport spi=4096(0x00001000) reqid=7(0x00000007)\n"
	    "\tE: aes-gcm-16  01020304 05060708 090a0b0c 0d0e0f10 11121314 "
	    "15161718 191a1b1c 1d1e1f20\n"
	    " 21222324\n"
	    "\tseq=0x00000000 replay=32 flags=0x00000040 state=mature \n"
	    "\tcreated: Dec  1 10:29:35 2025\tcurrent: Dec  1 10:30:00 2025\n"
	    "\tdiff: 25(s)\thard: 0(s)\tsoft: 0(s)\n"
	    "\tlast:                     \thard: 0(s)\tsoft: 0(s)\n"
	    "\tcurrent: 1234(bytes)\thard: 0(bytes)\tsoft: 0(bytes)\n"
	    "\tallocated: 2\thard: 0\tsoft: 0\n"
	    "\tsadb_seq=3 pid=4242 refcnt=0\n");
	setkey_out_free(&o);
}

static const uint8_t key32[32] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
	0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2,
	0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe,
	0xbf, 0xc0 };

/* AH, lifetimes, IPv6 with scope, ports shown (-p), a dead state. */
static void
test_sa_ah_v6(void **state)
{
	struct pfkey_msg m, r;
	struct setkey_out o = { 0 };

	(void)state;
	sa_reply(&m);
	m.hdr.satype = SK(SATYPE_AH);
	m.present &= ~BIT(SK(EXT_KEY_ENCRYPT));
	m.present |= BIT(SK(EXT_KEY_AUTH)) | BIT(SK(EXT_LIFETIME_HARD)) |
	    BIT(SK(EXT_LIFETIME_SOFT));
	m.sa.encrypt = 0;
	m.sa.auth = SK(X_AALG_SHA2_256HMAC);
	m.sa.state = SK(SASTATE_DEAD);
	m.key_auth.data = key32;
	m.key_auth.len_bytes = sizeof(key32);
	m.key_auth.bits = 256;
	m.lft_hard.addtime = 3600;
	m.lft_hard.bytes = 1000000;
	m.lft_soft.addtime = 3000;
	m.lft_soft.allocations = 9;
	m.lft_current.usetime = T0 - 5;
	m.sa2.mode = PARAPET_IPSEC_MODE_TUNNEL;
	addr(&m.src, AF_INET6, "fe80::1", 255, 128, 500);
	m.src.sa.scope_id = 2;
	addr(&m.dst, AF_INET6, "2001:db8::2", 255, 128, 0);
	as_received(&m, &r);
	setkey_dump_sa(&o, &r, T0, true);
	check(&o,
	    "fe80::1%2[500] 2001:db8::2[0] \n"
	    "\tah mode=tunnel spi=4096(0x00001000) reqid=7(0x00000007)\n"
	    "\tA: hmac-sha256  a1a2a3a4 a5a6a7a8 a9aaabac adaeafb0 b1b2b3b4 "
	    "b5b6b7b8 b9babbbc bdbebfc0\n"
	    "\tseq=0x00000000 replay=32 flags=0x00000040 state=dead \n"
	    "\tcreated: Dec  1 10:29:35 2025\tcurrent: Dec  1 10:30:00 2025\n"
	    "\tdiff: 25(s)\thard: 3600(s)\tsoft: 3000(s)\n"
	    "\tlast: Dec  1 10:29:55 2025\thard: 0(s)\tsoft: 0(s)\n"
	    "\tcurrent: 1234(bytes)\thard: 1000000(bytes)\tsoft: 0(bytes)\n"
	    "\tallocated: 2\thard: 0\tsoft: 9\n"
	    "\tsadb_seq=3 pid=4242 refcnt=0\n");
	setkey_out_free(&o);
}

/* ESP in UDP: esp-udp, the NAT-T ports after the addresses, NAT OA. */
static void
test_sa_natt(void **state)
{
	struct pfkey_msg m, r;
	struct setkey_out o = { 0 };

	(void)state;
	sa_reply(&m);
	m.present |= BIT(SK(X_EXT_NAT_T_TYPE)) | BIT(SK(X_EXT_NAT_T_SPORT)) |
	    BIT(SK(X_EXT_NAT_T_DPORT)) | BIT(SK(X_EXT_NAT_T_OA)) |
	    BIT(SK(EXT_KEY_AUTH));
	m.present &= ~BIT(SK(EXT_LIFETIME_CURRENT));
	m.natt_type = 2;
	m.natt_sport = 4500;
	m.natt_dport = 4501;
	addr(&m.natt_oa, AF_INET, "192.0.2.9", 255, 32, 0);
	m.sa.encrypt = SK(EALG_NULL);
	m.key_encrypt.len_bytes = 0;
	m.key_encrypt.bits = 0;
	m.sa.auth = SK(X_AALG_SHA2_512HMAC);
	m.key_auth.data = key36;
	m.key_auth.len_bytes = 4;
	m.key_auth.bits = 32;
	as_received(&m, &r);
	setkey_dump_sa(&o, &r, T0, false);
	check(&o,
	    "10.0.0.1[4500] 10.0.0.2[4501] \n"
	    "\tesp-udp mode=transport spi=4096(0x00001000) "
	    "reqid=7(0x00000007)\n"
	    "\tNAT OA=192.0.2.9\n"
	    "\tE: null \n"
	    "\tA: hmac-sha512  01020304\n"
	    "\tseq=0x00000000 replay=32 flags=0x00000040 state=mature \n"
	    "\tsadb_seq=3 pid=4242 refcnt=0\n");
	setkey_out_free(&o);
}

static void
policy_reply(struct pfkey_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = PARAPET_PF_KEY_V2;
	m->hdr.type = SK(X_SPDDUMP);
	m->hdr.seq = 1;
	m->hdr.pid = 99;
	m->present = BIT(SK(X_EXT_POLICY)) | BIT(SK(EXT_ADDRESS_SRC)) |
	    BIT(SK(EXT_ADDRESS_DST)) | BIT(SK(EXT_LIFETIME_CURRENT)) |
	    BIT(SK(EXT_LIFETIME_HARD));
	addr(&m->src, AF_INET, "10.0.0.0", 6, 24, 0);
	addr(&m->dst, AF_INET, "10.0.1.0", 6, 24, 80);
	m->policy.type = PARAPET_IPSEC_POLICY_IPSEC;
	m->policy.dir = PARAPET_IPSEC_DIR_OUTBOUND;
	m->policy.id = 81;		/* 81 % 8 = 1: out, global */
	m->policy.priority = 0x80000000u;
	m->policy.nreqs = 2;
	m->policy.req[0].proto = 50;
	m->policy.req[0].mode = PARAPET_IPSEC_MODE_TUNNEL;
	m->policy.req[0].level = PARAPET_IPSEC_LEVEL_REQUIRE;
	m->policy.req[0].has_addrs = true;
	m->policy.req[0].src.family = AF_INET;
	m->policy.req[0].dst.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", m->policy.req[0].src.addr);
	inet_pton(AF_INET, "10.0.0.2", m->policy.req[0].dst.addr);
	m->policy.req[1].proto = 51;
	m->policy.req[1].mode = PARAPET_IPSEC_MODE_TRANSPORT;
	m->policy.req[1].level = PARAPET_IPSEC_LEVEL_UNIQUE;
	m->policy.req[1].reqid = 5;
	m->lft_current.addtime = T0;
	m->lft_hard.addtime = 0;
}

static void
test_sp(void **state)
{
	struct pfkey_msg m, r;
	struct setkey_out o = { 0 };

	(void)state;
	policy_reply(&m);
	as_received(&m, &r);
	setkey_dump_sp(&o, &r, false);
	check(&o,
	    "10.0.0.0/24[any] 10.0.1.0/24[80] tcp\n"
	    "\tout prio def ipsec\n"
	    "\tesp/tunnel/10.0.0.1-10.0.0.2/require\n"
	    "\tah/transport//unique:5\n"
	    "\tcreated: Dec  1 10:30:00 2025  lastused:                     \n"
	    "\tlifetime: 0(s) validtime: 0(s)\n"
	    "\tspid=81 seq=1 pid=99\n"
	    "\trefcnt=0\n");

	/* icmp6 type/code from the ports, no [port]; any; discard; /0. */
	m.present &= ~(BIT(SK(EXT_LIFETIME_CURRENT)) |
	    BIT(SK(EXT_LIFETIME_HARD)));
	addr(&m.src, AF_INET6, "::", 58, 0, 135);
	addr(&m.dst, AF_INET6, "::", 58, 0, 0);
	m.policy.type = PARAPET_IPSEC_POLICY_NONE;
	m.policy.dir = PARAPET_IPSEC_DIR_INBOUND;
	m.policy.id = 8 * 7;
	m.policy.nreqs = 0;
	as_received(&m, &r);
	setkey_dump_sp(&o, &r, false);
	check(&o,
	    "::/0 ::/0 ipv6-icmp 135,0\n"
	    "\tin prio def none\n"
	    "\tspid=56 seq=1 pid=99\n"
	    "\trefcnt=0\n");

	addr(&m.src, AF_INET, "10.0.0.1", 255, 32, 0);
	addr(&m.dst, AF_INET, "10.0.0.2", 255, 32, 0);
	m.policy.type = PARAPET_IPSEC_POLICY_DISCARD;
	m.policy.dir = PARAPET_IPSEC_DIR_FWD;
	m.policy.priority = 0x40000000u;
	as_received(&m, &r);
	setkey_dump_sp(&o, &r, true);
	check(&o,
	    "10.0.0.1[any] 10.0.0.2[any] any\n"
	    "\tfwd prio high discard\n"
	    "\tspid=56 seq=1 pid=99\n"
	    "\trefcnt=0\n");

	/* Linux per-socket policies: id % 8 >= 3. */
	m.policy.id = 8 * 7 + 3;
	as_received(&m, &r);
	setkey_dump_sp(&o, &r, false);
	check(&o,
	    "(per-socket policy) \n"
	    "\tfwd prio high discard\n"
	    "\tspid=59 seq=1 pid=99\n"
	    "\trefcnt=0\n");

	/* gre: the key from both ports; no ports printed. */
	m.policy.id = 8;
	addr(&m.src, AF_INET, "10.0.0.1", 47, 32, 0);
	addr(&m.dst, AF_INET, "10.0.0.2", 47, 32, 1234);
	as_received(&m, &r);
	setkey_dump_sp(&o, &r, false);
	check(&o,
	    "10.0.0.1 10.0.0.2 gre 1234\n"
	    "\tfwd prio high discard\n"
	    "\tspid=8 seq=1 pid=99\n"
	    "\trefcnt=0\n");
	setkey_out_free(&o);
}

/* What setkey_parse() builds for spdadd dumps back to the same text. */
static void
test_sp_from_parser(void **state)
{
	const char *t = "spdadd 10.0.0.0/24[any] 10.0.1.0/24[80] tcp -P out "
	    "prio low - 3 ipsec esp/tunnel/10.0.0.1-10.0.0.2/use;";
	struct setkey_opts so;
	struct setkey_script *s;
	struct setkey_error err;
	struct pfkey_msg m;
	enum pfkey_reject why;
	struct setkey_out o = { 0 };

	(void)state;
	memset(&so, 0, sizeof(so));
	so.pid = 5;
	assert_int_equal(setkey_parse(t, strlen(t), &so, &s, &err), 0);
	assert_int_equal(pfkey_msg_parse(s->stmt[0].msg, s->stmt[0].len, &m,
	    &why), 0);
	setkey_dump_sp(&o, &m, false);
	check(&o,
	    "10.0.0.0/24[any] 10.0.1.0/24[80] tcp\n"
	    "\tout prio low - 3 ipsec\n"
	    "\tesp/tunnel/10.0.0.1-10.0.0.2/use\n"
	    "\tspid=0 seq=0 pid=5\n"
	    "\trefcnt=0\n");
	setkey_out_free(&o);
	setkey_script_free(s);
}

static void
test_short(void **state)
{
	struct pfkey_msg m, r;
	struct setkey_out o = { 0 };

	(void)state;
	setkey_dump_short_hdr(&o);
	check(&o, "time p   s spi      ltime   src -> dst\n");
	sa_reply(&m);
	m.present |= BIT(SK(EXT_LIFETIME_HARD)) | BIT(SK(EXT_LIFETIME_SOFT));
	m.lft_hard.addtime = 120;
	m.lft_soft.addtime = 100;
	as_received(&m, &r);
	setkey_dump_short(&o, &r, T0);
	check(&o, "3000 esp M 00001000  25/120 10.0.0.1 -> 10.0.0.2\n");
	m.src.proto = 6;
	m.dst.proto = 6;
	m.src.sa.port = 80;
	as_received(&m, &r);
	setkey_dump_short(&o, &r, T0 + 1000);
	check(&o, "4640 esp M 00001000 big/120 tcp 10.0.0.1[80] -> "
	    "tcp 10.0.0.2\n");
	setkey_out_free(&o);
}

static void
test_debug_and_hex(void **state)
{
	struct pfkey_msg m;
	struct setkey_out o = { 0 };
	size_t len;
	uint8_t junk[8] = { 2, 3, 0, 3, 9, 0, 0, 0 };

	(void)state;
	sa_reply(&m);
	m.present = BIT(SK(EXT_SA)) | BIT(SK(EXT_ADDRESS_SRC)) |
	    BIT(SK(EXT_ADDRESS_DST));
	assert_int_equal(pfkey_build_msg(&m, wire, sizeof(wire), &len), 0);
	setkey_dump_debug(&o, wire, len);
	check(&o,
	    "sadb_msg{ version=2 type=10 errno=0 satype=3\n"
	    "  len=10 reserved=0 seq=3 pid=4242\n"
	    "sadb_ext{ len=2 type=1 }\n"
	    "sadb_sa{ spi=4096 replay=32 state=1\n"
	    "  auth=0 encrypt=20 flags=0x00000040 }\n"
	    "sadb_ext{ len=3 type=5 }\n"
	    "sadb_address{ proto=255 prefixlen=32 reserved=0x0000 }\n"
	    "sockaddr{ family=2 port=0 addr=10.0.0.1 }\n"
	    "sadb_ext{ len=3 type=6 }\n"
	    "sadb_address{ proto=255 prefixlen=32 reserved=0x0000 }\n"
	    "sockaddr{ family=2 port=0 addr=10.0.0.2 }\n");
	setkey_dump_debug(&o, junk, sizeof(junk));
	check(&o, "invalid PF_KEY message (8 octets): hdr_short\n");
	setkey_dump_hex(&o, wire, 18);
	check(&o, "00000000: 02 0a 00 03 0a 00 00 00 03 00 00 00 92 10 00 00 \n"
	    "00000010: 02 00 \n");
	setkey_out_free(&o);
}

static void
test_errstr(void **state)
{
	(void)state;
	assert_string_equal(setkey_errstr(SK(DUMP), ENOENT), "No SAD entries");
	assert_string_equal(setkey_errstr(SK(X_SPDDUMP), ENOENT),
	    "No SPD entries");
	assert_string_equal(setkey_errstr(SK(GET), ENOENT), "No entry");
	assert_string_equal(setkey_errstr(SK(DELETE), ENOENT), "No entry");
	assert_string_equal(setkey_errstr(SK(ADD), EINVAL),
	    "Invalid argument");
	assert_string_equal(setkey_errstr(SK(ADD), ENOENT),
	    "No such file or directory");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sa_esp),
		cmocka_unit_test(test_sa_ah_v6),
		cmocka_unit_test(test_sa_natt),
		cmocka_unit_test(test_sp),
		cmocka_unit_test(test_sp_from_parser),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_debug_and_hex),
		cmocka_unit_test(test_errstr),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
