/*
 * test_ipsecd_sa.c - keyd's Sa messages to SA table specs
 * (servers/ipsecd/ipsecd_sa.c): every field of a good message lands where
 * the SA table and the transforms expect it, keys are copied (the message
 * can be wiped at once, and is), the spec installs into a real SA table
 * with a real persistent state, and one table row per way a message is
 * refused, each with its own reason and nothing leaked (ASan).
 */
#include <sys/mman.h>

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipsecd_sa.h"
#include "pstore.h"
#include "xform.h"

struct msg {
	Parapet__Sa	sa;
	Parapet__SaAddr	src, dst, oa;
	Parapet__SaLimits soft, hard;
	uint8_t		srcb[16], dstb[16], oab[16];
	uint8_t		ekey[36], akey[64];
};

/* ESP NULL + HMAC-SHA-256, transport, v4, a window of 64. */
static void
msg_init(struct msg *m)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	parapet__sa__init(&m->sa);
	parapet__sa_addr__init(&m->src);
	parapet__sa_addr__init(&m->dst);
	parapet__sa_addr__init(&m->oa);
	parapet__sa_limits__init(&m->soft);
	parapet__sa_limits__init(&m->hard);
	memcpy(m->srcb, "\x0a\x00\x00\x01", 4);
	memcpy(m->dstb, "\x0a\x00\x00\x02", 4);
	m->src.family = m->dst.family = PARAPET__SA_FAMILY__SA_FAMILY_INET;
	m->src.addr.data = m->srcb;
	m->src.addr.len = 4;
	m->dst.addr.data = m->dstb;
	m->dst.addr.len = 4;
	for (i = 0; i < sizeof(m->akey); i++)
		m->akey[i] = (uint8_t)(0x40 + i);
	for (i = 0; i < sizeof(m->ekey); i++)
		m->ekey[i] = (uint8_t)(0x80 + i);
	m->sa.generation = 17;
	m->sa.proto = PARAPET__SA_PROTO__SA_PROTO_ESP;
	m->sa.spi = 0x1000;
	m->sa.src = &m->src;
	m->sa.dst = &m->dst;
	m->sa.mode = PARAPET__SA_MODE__SA_MODE_TRANSPORT;
	m->sa.state = PARAPET__SA_STATE__SA_STATE_MATURE;
	m->sa.reqid = 5;
	m->sa.replay_window = 64;
	m->sa.auth_alg = 5;
	m->sa.auth_key.data = m->akey;
	m->sa.auth_key.len = 32;
	m->sa.enc_alg = 11;
	m->soft.bytes = 1000;
	m->soft.packets = 10;
	m->hard.bytes = 2000;
	m->hard.packets = 20;
	m->sa.soft = &m->soft;
	m->sa.hard = &m->hard;
}

static void
chacha(struct msg *m)
{
	m->sa.enc_alg = PARAPET_SADB_X_EALG_CHACHA20POLY1305;
	m->sa.enc_key.data = m->ekey;
	m->sa.enc_key.len = 36;
	m->sa.auth_alg = 0;
	m->sa.auth_key.data = NULL;
	m->sa.auth_key.len = 0;
}

static void
v6(struct msg *m)
{
	memset(m->srcb, 0x20, 16);
	memset(m->dstb, 0x30, 16);
	m->src.family = m->dst.family = PARAPET__SA_FAMILY__SA_FAMILY_INET6;
	m->src.addr.len = m->dst.addr.len = 16;
}

static void
test_good(void **state)
{
	enum ipsecd_sa_reject why;
	struct sa_spec s;
	struct msg m;

	(void)state;
	msg_init(&m);
	assert_int_equal(ipsecd_sa_from_msg(&m.sa, true, &s, &why), 0);
	assert_int_equal(why, IPSECD_SA_OK);
	assert_int_equal(s.gen, 17);
	assert_int_equal(s.spi, 0x1000);
	assert_int_equal(s.proto, 50);
	assert_int_equal(s.mode, SA_MODE_TRANSPORT);
	assert_int_equal(s.flags, 0);
	assert_int_equal(s.src.family, 4);
	assert_memory_equal(s.src.a, "\x0a\x00\x00\x01\0\0\0\0\0\0\0\0\0\0"
	    "\0\0", 16);
	assert_memory_equal(s.dst.a, "\x0a\x00\x00\x02", 4);
	assert_int_equal(s.reqid, 5);
	assert_int_equal(s.ealg, 11);
	assert_int_equal(s.aalg, 5);
	assert_int_equal(s.replay_window, 64);
	assert_int_equal(s.lft.soft_bytes, 1000);
	assert_int_equal(s.lft.soft_packets, 10);
	assert_int_equal(s.lft.hard_bytes, 2000);
	assert_int_equal(s.lft.hard_packets, 20);
	assert_non_null(s.enc);
	assert_non_null(s.auth);
	assert_int_equal(xform_key_xform(s.enc)->alg, XFORM_NULL);
	assert_int_equal(xform_key_xform(s.auth)->alg, XFORM_HMAC_SHA256_128);
	/* Wiping the message leaves the SA's keys alone. */
	ipsecd_sa_wipe(&m.sa);
	assert_int_equal(m.akey[0], 0);
	assert_int_equal(m.akey[31], 0);
	ipsecd_sa_spec_free(&s);
	assert_null(s.enc);
	assert_null(s.auth);
}

static void
test_flags(void **state)
{
	enum ipsecd_sa_reject why;
	struct sa_spec s;
	struct msg m;

	(void)state;
	msg_init(&m);
	chacha(&m);
	v6(&m);
	m.sa.mode = PARAPET__SA_MODE__SA_MODE_TUNNEL;
	m.sa.esn = true;
	m.sa.cyclic_seq = true;
	m.sa.padding = PARAPET__SA_PADDING__SA_PADDING_RANDOM;
	m.sa.state = PARAPET__SA_STATE__SA_STATE_DYING;
	m.sa.nat_type = PARAPET__SA_NAT_TYPE__SA_NAT_ESPINUDP;
	m.sa.nat_sport = 4500;
	m.sa.nat_dport = 4501;
	m.oa.family = PARAPET__SA_FAMILY__SA_FAMILY_INET6;
	memset(m.oab, 0x44, 16);
	m.oa.addr.data = m.oab;
	m.oa.addr.len = 16;
	m.sa.nat_oa = &m.oa;
	m.sa.soft = NULL;
	assert_int_equal(ipsecd_sa_from_msg(&m.sa, true, &s, &why), 0);
	assert_int_equal(s.mode, SA_MODE_TUNNEL);
	assert_int_equal(s.flags, SA_F_ESN | SA_F_CYCLIC | SA_F_PAD_RANDOM |
	    SA_F_DYING | SA_F_NATT);
	assert_int_equal(s.natt_sport, 4500);
	assert_int_equal(s.natt_dport, 4501);
	assert_int_equal(s.natt_oa_src.family, 6);
	assert_int_equal(s.natt_oa_src.a[15], 0x44);
	assert_int_equal(s.natt_oa_dst.family, 0);
	assert_int_equal(s.lft.soft_bytes, 0);
	assert_int_equal(s.lft.hard_packets, 20);
	assert_int_equal(s.dst.family, 6);
	assert_int_equal(xform_key_xform(s.enc)->alg, XFORM_CHACHA20POLY1305);
	assert_null(s.auth);
	assert_int_equal(sa_spec_replay_flags(&s),
	    REPLAY_F_ESN | REPLAY_F_CYCLIC);
	ipsecd_sa_spec_free(&s);

	/* Zero padding; AH with SHA-512. */
	msg_init(&m);
	m.sa.padding = PARAPET__SA_PADDING__SA_PADDING_ZERO;
	assert_int_equal(ipsecd_sa_from_msg(&m.sa, true, &s, &why), 0);
	assert_int_equal(s.flags, SA_F_PAD_ZERO);
	ipsecd_sa_spec_free(&s);
	msg_init(&m);
	m.sa.proto = PARAPET__SA_PROTO__SA_PROTO_AH;
	m.sa.enc_alg = 0;
	m.sa.auth_alg = 7;
	m.sa.auth_key.len = 64;
	assert_int_equal(ipsecd_sa_from_msg(&m.sa, true, &s, &why), 0);
	assert_null(s.enc);
	assert_int_equal(xform_key_xform(s.auth)->alg, XFORM_HMAC_SHA512_256);
	ipsecd_sa_spec_free(&s);

	/* DELETE: identity only, no keys needed. */
	msg_init(&m);
	m.sa.auth_alg = 99;	/* not looked at */
	assert_int_equal(ipsecd_sa_from_msg(&m.sa, false, &s, &why), 0);
	assert_int_equal(s.spi, 0x1000);
	assert_null(s.enc);
	assert_null(s.auth);
}

/* One row per refusal: a change to a good message, the reason. */
struct bad_row {
	const char		*what;
	void			(*spoil)(struct msg *);
	enum ipsecd_sa_reject	 why;
};

static void no_sa_dst(struct msg *m) { m->sa.dst = NULL; }
static void gen0(struct msg *m) { m->sa.generation = 0; }
static void spi0(struct msg *m) { m->sa.spi = 0; }
static void proto0(struct msg *m) { m->sa.proto = 0; }
static void proto_ipcomp(struct msg *m) { m->sa.proto = 108; }
static void beet(struct msg *m) { m->sa.mode = PARAPET__SA_MODE__SA_MODE_BEET; }
static void mode0(struct msg *m) { m->sa.mode = 0; }
static void fam_mix(struct msg *m)
{
	m->dst.family = PARAPET__SA_FAMILY__SA_FAMILY_INET6;
	m->dst.addr.len = 16;
}
static void v4_len16(struct msg *m) { m->src.addr.len = 16; }
static void fam_unspec(struct msg *m)
{
	m->src.family = PARAPET__SA_FAMILY__SA_FAMILY_UNSPEC;
}
static void fam_bad(struct msg *m) { m->src.family = 5; }
static void natt_ports_without(struct msg *m) { m->sa.nat_sport = 4500; }
static void natt_port0(struct msg *m)
{
	m->sa.nat_type = PARAPET__SA_NAT_TYPE__SA_NAT_ESPINUDP;
	m->sa.nat_sport = 4500;
}
static void natt_port_big(struct msg *m)
{
	natt_port0(m);
	m->sa.nat_dport = 70000;
}
static void natt_type_bad(struct msg *m)
{
	natt_port0(m);
	m->sa.nat_dport = 4500;
	m->sa.nat_type = 9;
}
static void natt_ah(struct msg *m)
{
	natt_port0(m);
	m->sa.nat_dport = 4500;
	m->sa.proto = PARAPET__SA_PROTO__SA_PROTO_AH;
}
static void natt_oa_v6(struct msg *m)
{
	natt_port0(m);
	m->sa.nat_dport = 4500;
	m->oa.family = PARAPET__SA_FAMILY__SA_FAMILY_INET6;
	m->oa.addr.data = m->oab;
	m->oa.addr.len = 16;
	m->sa.nat_oa = &m->oa;
}
static void oa_without_natt(struct msg *m)
{
	m->oa.family = PARAPET__SA_FAMILY__SA_FAMILY_INET;
	m->oa.addr.data = m->oab;
	m->oa.addr.len = 4;
	m->sa.nat_oa = &m->oa;
}
static void enc_unknown(struct msg *m) { m->sa.enc_alg = 3; }
static void enc_huge(struct msg *m) { m->sa.enc_alg = 0x10000 + 11; }
static void auth_unknown(struct msg *m) { m->sa.auth_alg = 2; }
static void null_no_auth(struct msg *m)
{
	m->sa.auth_alg = 0;
	m->sa.auth_key.len = 0;
}
static void aead_with_auth(struct msg *m)
{
	chacha(m);
	m->sa.auth_alg = 5;
	m->sa.auth_key.data = m->akey;
	m->sa.auth_key.len = 32;
}
static void aead_short_key(struct msg *m)
{
	chacha(m);
	m->sa.enc_key.len = 32;	/* salt missing */
}
static void auth_long_key(struct msg *m) { m->sa.auth_key.len = 33; }
static void null_with_key(struct msg *m)
{
	m->sa.enc_key.data = m->ekey;
	m->sa.enc_key.len = 8;
}
static void ah_with_enc(struct msg *m)
{
	m->sa.proto = PARAPET__SA_PROTO__SA_PROTO_AH;
}
static void ah_no_auth(struct msg *m)
{
	m->sa.proto = PARAPET__SA_PROTO__SA_PROTO_AH;
	m->sa.enc_alg = 0;
	m->sa.auth_alg = 0;
	m->sa.auth_key.len = 0;
}
static void window_big(struct msg *m) { m->sa.replay_window = 8193; }
static void esn_window0(struct msg *m)
{
	m->sa.esn = true;
	m->sa.replay_window = 0;
}

static const struct bad_row bad_rows[] = {
	{ "no dst", no_sa_dst, IPSECD_SA_MISSING },
	{ "generation 0", gen0, IPSECD_SA_GEN },
	{ "spi 0", spi0, IPSECD_SA_SPI },
	{ "proto 0", proto0, IPSECD_SA_PROTO },
	{ "proto ipcomp", proto_ipcomp, IPSECD_SA_PROTO },
	{ "mode beet", beet, IPSECD_SA_MODE },
	{ "mode 0", mode0, IPSECD_SA_MODE },
	{ "src v4, dst v6", fam_mix, IPSECD_SA_FAMILY },
	{ "v4 of 16 bytes", v4_len16, IPSECD_SA_FAMILY },
	{ "src unspec", fam_unspec, IPSECD_SA_FAMILY },
	{ "family 5", fam_bad, IPSECD_SA_FAMILY },
	{ "ports without nat-t", natt_ports_without, IPSECD_SA_NATT },
	{ "nat-t port 0", natt_port0, IPSECD_SA_NATT },
	{ "nat-t port > 65535", natt_port_big, IPSECD_SA_NATT },
	{ "nat-t type 9", natt_type_bad, IPSECD_SA_NATT },
	{ "nat-t on ah", natt_ah, IPSECD_SA_NATT },
	{ "nat-oa v6 on a v4 sa", natt_oa_v6, IPSECD_SA_NATT },
	{ "nat-oa without nat-t", oa_without_natt, IPSECD_SA_NATT },
	{ "enc alg 3des", enc_unknown, IPSECD_SA_ALG },
	{ "enc alg > 16 bits", enc_huge, IPSECD_SA_ALG },
	{ "auth alg md5", auth_unknown, IPSECD_SA_ALG },
	{ "null without auth", null_no_auth, IPSECD_SA_ALG },
	{ "aead with auth", aead_with_auth, IPSECD_SA_ALG },
	{ "aead key without salt", aead_short_key, IPSECD_SA_KEY },
	{ "auth key 33 bytes", auth_long_key, IPSECD_SA_KEY },
	{ "null with a key", null_with_key, IPSECD_SA_KEY },
	{ "ah with enc alg", ah_with_enc, IPSECD_SA_ALG },
	{ "ah without auth", ah_no_auth, IPSECD_SA_ALG },
	{ "window 8193", window_big, IPSECD_SA_WINDOW },
	{ "esn with window 0", esn_window0, IPSECD_SA_WINDOW },
};

static void
test_bad_rows(void **state)
{
	enum ipsecd_sa_reject why;
	struct sa_spec s;
	struct msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		msg_init(&m);
		bad_rows[i].spoil(&m);
		why = IPSECD_SA_OK;
		if (ipsecd_sa_from_msg(&m.sa, true, &s, &why) != -EINVAL ||
		    why != bad_rows[i].why)
			fail_msg("row \"%s\": got %s, want %s",
			    bad_rows[i].what, ipsecd_sa_reject_str(why),
			    ipsecd_sa_reject_str(bad_rows[i].why));
		assert_null(s.enc);
		assert_null(s.auth);
	}
	assert_string_equal(ipsecd_sa_reject_str(IPSECD_SA_REJECT_COUNT),
	    "unknown");
}

/* The spec is what the SA table and the state core accept. */
static void
state_free(void *arg, struct sa_pstate *st)
{
	sa_pstate_free(arg, st);
}

static void
test_install(void **state)
{
	struct sa_table_ops ops = { xform_key_free, state_free, NULL };
	enum ipsecd_sa_reject why;
	struct sa_pstate_id id;
	struct sa_pstates *pst;
	struct sa_pstate *st;
	struct sa_table *t;
	struct sa_entry *e;
	struct pstore *ps;
	struct sa_out_req rq;
	struct sa_spec s;
	struct msg m;
	bool again;
	int fd;

	(void)state;
	fd = memfd_create("t", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)pstore_size(64, 2304)), 0);
	assert_int_equal(pstore_format(fd, 64, 2304), 0);
	assert_int_equal(pstore_attach(fd, &ps), 0);
	close(fd);
	assert_int_equal(sa_pstates_open(ps, 1, &pst), 0);
	ops.arg = pst;
	assert_int_equal(sa_table_create(&ops, 2, &t), 0);

	msg_init(&m);
	m.sa.replay_window = 4096;
	assert_int_equal(ipsecd_sa_from_msg(&m.sa, true, &s, &why), 0);
	ipsecd_sa_pstate_id(&s, &id);
	assert_int_equal(id.gen, 17);
	assert_int_equal(id.family, 4);
	assert_int_equal(sa_pstate_attach(pst, &id, s.replay_window,
	    sa_spec_replay_flags(&s), false, &again, &st), 0);
	assert_false(again);
	assert_int_equal(sa_table_install(t, &s, st, &e), 0);
	assert_ptr_equal(sa_table_lookup_in(t, 0x1000, &s.dst, 50), e);
	memset(&rq, 0, sizeof(rq));
	rq.proto = 50;
	rq.mode = SA_MODE_TRANSPORT;
	rq.src = s.src;
	rq.dst = s.dst;
	assert_ptr_equal(sa_table_lookup_out(t, &rq), e);
	rq.reqid = 6;
	assert_null(sa_table_lookup_out(t, &rq));
	sa_table_destroy(t);
	sa_pstates_close(pst);
	pstore_detach(ps);
}

/* --seeds DIR: packed Sa messages for fuzz_ipsecd_sa's corpus. */
static int
write_seed(const char *dir, const char *name, const Parapet__Sa *sa)
{
	char path[512];
	uint8_t buf[1024];
	size_t n;
	FILE *f;

	n = parapet__sa__pack(sa, buf);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	if (fwrite(buf, 1, n, f) != n) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

static int
seeds(const char *dir)
{
	struct msg m;
	int error = 0;

	msg_init(&m);
	error |= write_seed(dir, "esp_null_sha256", &m.sa);
	chacha(&m);
	v6(&m);
	m.sa.mode = PARAPET__SA_MODE__SA_MODE_TUNNEL;
	m.sa.esn = true;
	m.sa.padding = PARAPET__SA_PADDING__SA_PADDING_RANDOM;
	m.sa.nat_type = PARAPET__SA_NAT_TYPE__SA_NAT_ESPINUDP;
	m.sa.nat_sport = 4500;
	m.sa.nat_dport = 4500;
	error |= write_seed(dir, "esp_chacha_tunnel6_esn_natt", &m.sa);
	msg_init(&m);
	m.sa.enc_alg = 20;
	m.sa.enc_key.data = m.ekey;
	m.sa.enc_key.len = 36;
	m.sa.auth_alg = 0;
	m.sa.auth_key.len = 0;
	m.sa.state = PARAPET__SA_STATE__SA_STATE_DYING;
	error |= write_seed(dir, "esp_aesgcm_dying", &m.sa);
	msg_init(&m);
	m.sa.proto = PARAPET__SA_PROTO__SA_PROTO_AH;
	m.sa.enc_alg = 0;
	m.sa.auth_alg = 7;
	m.sa.auth_key.len = 64;
	m.sa.padding = PARAPET__SA_PADDING__SA_PADDING_ZERO;
	error |= write_seed(dir, "ah_sha512", &m.sa);
	msg_init(&m);
	m.sa.auth_key.len = 0;
	m.sa.auth_alg = 0;
	m.sa.enc_alg = 0;
	error |= write_seed(dir, "delete_identity", &m.sa);
	return error == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_install),
	};

	if (argc == 3 && strcmp(argv[1], "--seeds") == 0)
		return seeds(argv[2]);
	if (xform_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
