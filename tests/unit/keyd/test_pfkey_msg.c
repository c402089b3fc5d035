/*
 * test_pfkey_msg.c - the PF_KEY v2 validator and builder.
 *
 *  - every sample (each message type, both directions, the ipsec-tools
 *    and racoon forms) is accepted, and rebuilding its view gives its
 *    bytes back;
 *  - one row per rejection: the exact enum pfkey_reject, errno and
 *    extension at fault;
 *  - the reject table itself: names, errnos, which can be answered;
 *  - a round-trip property on random values: build, parse, same values,
 *    rebuild, same bytes (seed from PARAPET_SEED, printed);
 *  - the committed fuzz seeds are exactly these samples (golden files);
 *  - the builder's own errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pfkey_build.h"
#include "pfkey_msg.h"
#include "pfkey_samples.h"

#define T(x)		PARAPET_SADB_##x
#define BUF_MAX		(PFKEY_MSG_MAX_BYTES + 64)

static uint8_t buf[BUF_MAX];
static uint8_t buf2[BUF_MAX];

static void
build_sample(const char *name, uint8_t *out, size_t *len, bool *reply)
{
	const struct pfkey_sample *s = pfkey_sample_find(name);

	*len = 0;
	if (reply != NULL)
		*reply = false;
	if (s == NULL) {
		fail_msg("no sample %s", name);
		return;
	}
	assert_int_equal(s->build(out, PFKEY_SAMPLE_MAX, len), 0);
	if (reply != NULL)
		*reply = s->reply;
}

static int
parse_dir(bool reply, const uint8_t *p, size_t len, struct pfkey_msg *m,
    enum pfkey_reject *why)
{
	return reply ? pfkey_msg_parse_reply(p, len, m, why) :
	    pfkey_msg_parse(p, len, m, why);
}

/* ---- Every sample is accepted and rebuilds to its own bytes. ---- */

/* The extensions are in ascending type order, as the builder writes. */
static bool
ascending(const uint8_t *p, size_t len)
{
	size_t off = sizeof(struct pp_sadb_msg);
	uint16_t last = 0, type;

	while (off + 4 <= len) {
		type = pfkey_sample_get16(p, off + 2);
		if (type <= last)
			return false;
		last = type;
		off += 8 * (size_t)pfkey_sample_get16(p, off);
	}
	return true;
}

static void
test_samples_accepted(void **state)
{
	struct pfkey_msg m, again;
	enum pfkey_reject why;
	size_t i, len, len2;
	bool types[2][PARAPET_SADB_MAX + 1];

	(void)state;
	memset(types, 0, sizeof(types));
	for (i = 0; i < pfkey_nsamples; i++) {
		const struct pfkey_sample *s = &pfkey_samples[i];
		int error;

		assert_int_equal(s->build(buf, PFKEY_SAMPLE_MAX, &len), 0);
		error = parse_dir(s->reply, buf, len, &m, &why);
		if (error != 0)
			fail_msg("%s: rejected: %s (ext %u)", s->name,
			    pfkey_reject_str(why), m.fail_ext);
		assert_int_equal(why, PFKEY_REJECT_NONE);
		assert_int_equal(m.fail_ext, 0);
		assert_int_equal(m.hdr.len_words64 * 8, len);
		types[s->reply][m.hdr.type] = true;
		/* Rebuild the view: same values and length, and the same
		 * bytes unless the sample carries junk the parser ignores or
		 * lists its extensions in another order (clients do). */
		assert_int_equal(pfkey_build_msg(&m, buf2, sizeof(buf2),
		    &len2), 0);
		assert_int_equal(parse_dir(s->reply, buf2, len2, &again, &why),
		    0);
		if (!pfkey_msg_equal(&m, &again))
			fail_msg("%s: view changed on rebuild", s->name);
		assert_int_equal(len2, len);
		if (!s->quirk && ascending(buf, len) &&
		    memcmp(buf, buf2, len) != 0)
			fail_msg("%s: bytes changed on rebuild", s->name);
		if (s->quirk && memcmp(buf, buf2, len) == 0)
			fail_msg("%s: quirk sample is canonical", s->name);
	}
	/* Every message type keyd accepts from clients has a sample ... */
	for (i = T(GETSPI); i <= T(X_SPDDELETE2); i++) {
		if (i == T(EXPIRE) || i == T(X_PCHANGE) ||
		    i == T(X_SPDACQUIRE) || i == T(X_SPDEXPIRE))
			continue;
		if (!types[0][i])
			fail_msg("no request sample of type %zu", i);
	}
	/* ... and every type it or a kernel sends back. */
	for (i = T(GETSPI); i <= T(X_NAT_T_NEW_MAPPING); i++) {
		if (i == T(X_PCHANGE))
			continue;
		if (!types[1][i])
			fail_msg("no reply sample of type %zu", i);
	}
}

/* The forms ipsec-tools sends, with the values they carry. */
static void
test_ipsec_tools_quirks(void **state)
{
	struct pfkey_msg m;
	enum pfkey_reject why;
	size_t len;

	(void)state;
	/* ADD with state 0, CYCSEQ, SA2 junk, hard lifetime alone. */
	build_sample("req_add_esp_setkey_v4", buf, &len, NULL);
	assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), 0);
	assert_int_equal(m.sa.state, T(SASTATE_LARVAL));
	assert_int_equal(m.sa.flags, PARAPET_SADB_X_EXT_CYCSEQ);
	assert_int_equal(m.sa.spi, 0x1000);
	assert_int_equal(m.sa2.mode, PARAPET_IPSEC_MODE_ANY);
	assert_int_equal(m.sa2.sequence, 0xfeedf00d);
	assert_true(pfkey_msg_has(&m, T(EXT_LIFETIME_HARD)));
	assert_false(pfkey_msg_has(&m, T(EXT_LIFETIME_SOFT)));
	assert_int_equal(m.key_auth.bits, 160);
	assert_memory_equal(m.key_auth.data, "\x01\x02\x03\x04", 4);
	/* REGISTER with SA type 0. */
	build_sample("req_register_unspec", buf, &len, NULL);
	assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), 0);
	assert_int_equal(m.hdr.satype, T(SATYPE_UNSPEC));
	/* Policy requests with junk in their reserved fields. */
	build_sample("req_spdadd_transport_v6", buf, &len, NULL);
	assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), 0);
	assert_int_equal(m.policy.nreqs, 2);
	assert_int_equal(m.policy.req[0].proto, IPPROTO_ESP);
	assert_int_equal(m.policy.req[1].level, PARAPET_IPSEC_LEVEL_USE);
	assert_false(m.policy.req[0].has_addrs);
	assert_int_equal(m.src.sa.port, 500);
	assert_int_equal(m.src.proto, IPPROTO_UDP);
	/* GETSPI without SPI range; DELETE with SA2. */
	build_sample("req_getspi_nospirange_v6", buf, &len, NULL);
	assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), 0);
	build_sample("req_delete_esp_v4", buf, &len, NULL);
	assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), 0);
	/* A negative ACQUIRE: header only, errno set. */
	build_sample("req_acquire_negative", buf, &len, NULL);
	assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), 0);
	assert_int_equal(m.hdr.msg_errno, ENOENT);
	assert_int_equal(m.present, 0);
}

/* Values of a tunnel policy and of a proposal come through. */
static void
test_views(void **state)
{
	struct pfkey_msg m;
	enum pfkey_reject why;
	struct pfkey_comb c;
	struct pfkey_alg a;
	size_t len;

	(void)state;
	build_sample("req_spdadd_tunnel_v4", buf, &len, NULL);
	assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), 0);
	assert_int_equal(m.policy.type, PARAPET_IPSEC_POLICY_IPSEC);
	assert_int_equal(m.policy.dir, PARAPET_IPSEC_DIR_OUTBOUND);
	assert_int_equal(m.policy.nreqs, 1);
	assert_true(m.policy.req[0].has_addrs);
	assert_int_equal(m.policy.req[0].mode, PARAPET_IPSEC_MODE_TUNNEL);
	assert_int_equal(m.policy.req[0].reqid, 7);
	assert_int_equal(m.policy.req[0].src.family, AF_INET);
	assert_memory_equal(m.policy.req[0].dst.addr, "\xc6\x33\x64\x02", 4);
	assert_int_equal(m.src.prefixlen, 24);

	build_sample("rep_acquire_v4", buf, &len, NULL);
	assert_int_equal(pfkey_msg_parse_reply(buf, len, &m, &why), 0);
	assert_int_equal(m.hdr.seq, 0x80000001U);
	assert_int_equal(m.prop.ncombs, 3);
	pfkey_prop_comb(&m.prop, 2, &c);
	assert_int_equal(c.encrypt, T(X_EALG_AES_GCM_ICV16));
	assert_int_equal(c.encrypt_maxbits, 288);
	assert_int_equal(c.hard_addtime, 3600);
	assert_int_equal(m.policy.id, 0x119);

	build_sample("rep_register_esp", buf, &len, NULL);
	assert_int_equal(pfkey_msg_parse_reply(buf, len, &m, &why), 0);
	assert_int_equal(m.supp_auth.nalgs, 4);
	assert_int_equal(m.supp_encrypt.nalgs, 3);
	pfkey_supported_alg(&m.supp_encrypt, 1, &a);
	assert_int_equal(a.id, T(X_EALG_AESCBC));
	assert_int_equal(a.ivlen, 8);
	assert_int_equal(a.minbits, 128);
	assert_int_equal(a.maxbits, 256);

	build_sample("req_update_esp_natt_v4", buf, &len, NULL);
	assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), 0);
	assert_int_equal(m.natt_type, PARAPET_UDP_ENCAP_ESPINUDP);
	assert_int_equal(m.natt_sport, 4500);
	assert_int_equal(m.natt_oa.sa.family, AF_INET);
	assert_int_equal(m.sa.spi, 0x12345678);
	/* SPI is in network order on the wire. */
	assert_int_equal(buf[pfkey_sample_ext_off(buf, len, T(EXT_SA)) + 4],
	    0x12);
}

/* ---- One row per rejection. ---- */

/* Mutations the table rows cannot express as a poke. */
static void
grow_ext(uint8_t *p, size_t *len, uint16_t type, size_t extra)
{
	size_t off = pfkey_sample_ext_off(p, *len, type), elen;

	assert_true(off != 0);
	elen = 8 * (size_t)pfkey_sample_get16(p, off);
	memmove(p + off + elen + extra, p + off + elen, *len - off - elen);
	memset(p + off + elen, 0, extra);
	pfkey_sample_put16(p, off, (uint16_t)((elen + extra) / 8));
	*len += extra;
	pfkey_sample_put16(p, 4, (uint16_t)(*len / 8));
}

static void
drop_ext(uint8_t *p, size_t *len, uint16_t type)
{
	size_t off = pfkey_sample_ext_off(p, *len, type), elen;

	assert_true(off != 0);
	elen = 8 * (size_t)pfkey_sample_get16(p, off);
	memmove(p + off, p + off + elen, *len - off - elen);
	*len -= elen;
	pfkey_sample_put16(p, 4, (uint16_t)(*len / 8));
}

static void
mk_short(uint8_t *p, size_t *len)
{
	(void)p;
	*len = 15;
}

static void
mk_empty(uint8_t *p, size_t *len)
{
	(void)p;
	*len = 0;
}

static void
mk_too_big(uint8_t *p, size_t *len)
{
	*len = PFKEY_MSG_MAX_BYTES + 8;
	memset(p + 16, 0, *len - 16);
	pfkey_sample_put16(p, 4, (uint16_t)(*len / 8));
}

static void
mk_unaligned(uint8_t *p, size_t *len)
{
	memset(p + *len, 0, 4);
	*len += 4;
}

static void
mk_prop_len(uint8_t *p, size_t *len)
{
	grow_ext(p, len, T(EXT_PROPOSAL), 8);
}

static void
mk_key_pad_long(uint8_t *p, size_t *len)
{
	grow_ext(p, len, T(EXT_KEY_AUTH), 8);
}

static void
mk_sec_ctx_long(uint8_t *p, size_t *len)
{
	grow_ext(p, len, T(X_EXT_SEC_CTX), 8);
}

static void
mk_ident_huge(uint8_t *p, size_t *len)
{
	grow_ext(p, len, T(EXT_IDENTITY_SRC), PFKEY_IDENT_MAX_BYTES);
}

static void
mk_drop_dst(uint8_t *p, size_t *len)
{
	drop_ext(p, len, T(EXT_ADDRESS_DST));
}

static void
mk_drop_src(uint8_t *p, size_t *len)
{
	drop_ext(p, len, T(EXT_ADDRESS_SRC));
}

static void
mk_drop_sa(uint8_t *p, size_t *len)
{
	drop_ext(p, len, T(EXT_SA));
}

static void
mk_drop_key_enc(uint8_t *p, size_t *len)
{
	drop_ext(p, len, T(EXT_KEY_ENCRYPT));
}

static void
mk_drop_key_auth(uint8_t *p, size_t *len)
{
	drop_ext(p, len, T(EXT_KEY_AUTH));
}

static void
mk_drop_policy(uint8_t *p, size_t *len)
{
	drop_ext(p, len, T(X_EXT_POLICY));
}

static void
mk_drop_prop(uint8_t *p, size_t *len)
{
	drop_ext(p, len, T(EXT_PROPOSAL));
}

static void
mk_drop_current(uint8_t *p, size_t *len)
{
	drop_ext(p, len, T(EXT_LIFETIME_CURRENT));
}

static void
mk_drop_hard(uint8_t *p, size_t *len)
{
	drop_ext(p, len, T(EXT_LIFETIME_HARD));
}

/* Append an 8-octet extension of the given type. */
static void
append8(uint8_t *p, size_t *len, uint16_t type)
{
	memset(p + *len, 0, 8);
	pfkey_sample_put16(p, *len, 1);
	pfkey_sample_put16(p, *len + 2, type);
	*len += 8;
	pfkey_sample_put16(p, 4, (uint16_t)(*len / 8));
}

static void
mk_add_kmaddress(uint8_t *p, size_t *len)
{
	append8(p, len, T(X_EXT_KMADDRESS));
}

static void
mk_add_filter8(uint8_t *p, size_t *len)
{
	append8(p, len, T(X_EXT_FILTER));
}

static void
mk_add_natt_type(uint8_t *p, size_t *len)
{
	append8(p, len, T(X_EXT_NAT_T_TYPE));
}

static void
mk_add_supported(uint8_t *p, size_t *len)
{
	append8(p, len, T(EXT_SUPPORTED_AUTH));
}

/* Seven transport requests: one more than Linux allows. */
static void
mk_seven_reqs(uint8_t *p, size_t *len)
{
	struct pfkey_policy pol;
	struct pfkey_hdr h = { 2, T(X_SPDADD), 0, 0, 0, 99, 1 };
	struct pfkey_address s, d;
	struct pfkey_build b;
	size_t i, off;

	memset(&pol, 0, sizeof(pol));
	memset(&s, 0, sizeof(s));
	s.sa.family = AF_INET;
	d = s;
	pol.type = PARAPET_IPSEC_POLICY_IPSEC;
	pol.dir = PARAPET_IPSEC_DIR_INBOUND;
	pol.nreqs = PFKEY_POLICY_MAX_REQS;
	for (i = 0; i < pol.nreqs; i++) {
		pol.req[i].proto = IPPROTO_ESP;
		pol.req[i].mode = PARAPET_IPSEC_MODE_TRANSPORT;
	}
	pfkey_build_begin(&b, p, BUF_MAX, &h);
	pfkey_build_address(&b, T(EXT_ADDRESS_SRC), &s);
	pfkey_build_address(&b, T(EXT_ADDRESS_DST), &d);
	pfkey_build_policy(&b, &pol);
	assert_int_equal(pfkey_build_end(&b, len), 0);
	grow_ext(p, len, T(X_EXT_POLICY), 16);
	off = pfkey_sample_ext_off(p, *len, T(X_EXT_POLICY)) + 16 + (size_t)6 * 16;
	pfkey_sample_put16(p, off, 16);
	pfkey_sample_put16(p, off + 2, IPPROTO_ESP);
	p[off + 4] = PARAPET_IPSEC_MODE_TRANSPORT;
}

static void
mk_family_mismatch(uint8_t *p, size_t *len)
{
	struct pfkey_hdr h = { 2, T(GET), 0, T(SATYPE_ESP), 0, 5, 1 };
	struct pfkey_sa sa = { 0x1234, 0, 0, 0, 0, 0 };
	struct pfkey_address s, d;
	struct pfkey_build b;

	memset(&s, 0, sizeof(s));
	memset(&d, 0, sizeof(d));
	s.sa.family = AF_INET;
	d.sa.family = AF_INET6;
	pfkey_build_begin(&b, p, BUF_MAX, &h);
	pfkey_build_sa(&b, &sa);
	pfkey_build_address(&b, T(EXT_ADDRESS_SRC), &s);
	pfkey_build_address(&b, T(EXT_ADDRESS_DST), &d);
	assert_int_equal(pfkey_build_end(&b, len), 0);
}

static void
mk_auth_key_empty(uint8_t *p, size_t *len)
{
	struct pfkey_hdr h = { 2, T(ADD), 0, T(SATYPE_AH), 0, 5, 1 };
	struct pfkey_sa sa = { 0x1234, 0, 1, T(AALG_SHA1HMAC), 0, 0 };
	struct pfkey_key k = { 0, NULL, 0 };
	struct pfkey_address s;
	struct pfkey_build b;

	memset(&s, 0, sizeof(s));
	s.sa.family = AF_INET;
	pfkey_build_begin(&b, p, BUF_MAX, &h);
	pfkey_build_sa(&b, &sa);
	pfkey_build_address(&b, T(EXT_ADDRESS_SRC), &s);
	pfkey_build_address(&b, T(EXT_ADDRESS_DST), &s);
	pfkey_build_key(&b, T(EXT_KEY_AUTH), &k);
	assert_int_equal(pfkey_build_end(&b, len), 0);
}

static void
mk_key_too_long(uint8_t *p, size_t *len)
{
	static const uint8_t big[PFKEY_KEY_MAX_BYTES + 8];
	struct pfkey_hdr h = { 2, T(ADD), 0, T(SATYPE_AH), 0, 5, 1 };
	struct pfkey_sa sa = { 0x1234, 0, 1, T(AALG_SHA1HMAC), 0, 0 };
	struct pfkey_key k = { 8 * sizeof(big), big, sizeof(big) };
	struct pfkey_build b;

	pfkey_build_begin(&b, p, BUF_MAX, &h);
	pfkey_build_sa(&b, &sa);
	pfkey_build_key(&b, T(EXT_KEY_AUTH), &k);
	assert_int_equal(pfkey_build_end(&b, len), 0);
}

/* EXPIRE with both the hard and the soft lifetime. */
static void
mk_expire_both(uint8_t *p, size_t *len)
{
	struct pfkey_hdr h = { 2, T(EXPIRE), 0, T(SATYPE_ESP), 0, 0, 0 };
	struct pfkey_sa sa = { 0x1234, 0, 2, 0, 0, 0 };
	struct pfkey_lifetime l = { 1, 2, 3, 4 };
	struct pfkey_address s;
	struct pfkey_build b;

	memset(&s, 0, sizeof(s));
	s.sa.family = AF_INET;
	pfkey_build_begin(&b, p, BUF_MAX, &h);
	pfkey_build_sa(&b, &sa);
	pfkey_build_lifetime(&b, T(EXT_LIFETIME_CURRENT), &l);
	pfkey_build_lifetime(&b, T(EXT_LIFETIME_HARD), &l);
	pfkey_build_lifetime(&b, T(EXT_LIFETIME_SOFT), &l);
	pfkey_build_address(&b, T(EXT_ADDRESS_SRC), &s);
	pfkey_build_address(&b, T(EXT_ADDRESS_DST), &s);
	assert_int_equal(pfkey_build_end(&b, len), 0);
}

/*
 * A row: build `sample`, poke `width` octets of `value` at `off` inside
 * extension `ext` (0: the header), then run `mk`; the parser in the
 * sample's direction must answer exactly `why`, `error` and `fail_ext`.
 */
struct reject_case {
	const char		*name;
	const char		*sample;
	size_t			 ext;
	size_t			 off;
	int			 width;
	uint32_t		 value;
	void			(*mk)(uint8_t *, size_t *);
	enum pfkey_reject	 why;
	int			 error;
	unsigned int		 fail_ext;
};

#define R(why)		PFKEY_REJECT_##why
#define HDR		0

static const struct reject_case reject_cases[] = {
	/* Datagram and header: no reply possible. */
	{ "15 octets", "req_flush_all", HDR, 0, 0, 0, mk_short,
	    R(HDR_SHORT), EMSGSIZE, 0 },
	{ "empty", "req_flush_all", HDR, 0, 0, 0, mk_empty,
	    R(HDR_SHORT), EMSGSIZE, 0 },
	{ "64 KiB + 8", "req_flush_all", HDR, 0, 0, 0, mk_too_big,
	    R(MSG_TOO_BIG), EMSGSIZE, 0 },
	{ "version 1", "req_flush_all", HDR, 0, 1, 1, NULL,
	    R(HDR_VERSION), EINVAL, 0 },
	{ "header reserved", "req_flush_all", HDR, 6, 2, 1, NULL,
	    R(HDR_RESERVED), EINVAL, 0 },
	{ "type 0", "req_flush_all", HDR, 1, 1, 0, NULL,
	    R(HDR_TYPE), EINVAL, 0 },
	{ "type 25", "req_flush_all", HDR, 1, 1, 25, NULL,
	    R(HDR_TYPE), EINVAL, 0 },
	{ "length one word long", "req_getspi_esp_v4", HDR, 4, 2, 10, NULL,
	    R(MSG_LEN), EMSGSIZE, 0 },
	{ "length zero", "req_flush_all", HDR, 4, 2, 0, NULL,
	    R(MSG_LEN), EMSGSIZE, 0 },
	{ "4 stray octets", "req_flush_all", HDR, 0, 0, 0, mk_unaligned,
	    R(MSG_LEN), EMSGSIZE, 0 },
	/* Message. */
	{ "EXPIRE from a client", "req_flush_all", HDR, 1, 1, T(EXPIRE), NULL,
	    R(TYPE_UNSUPPORTED), EOPNOTSUPP, 0 },
	{ "X_MIGRATE", "req_flush_all", HDR, 1, 1, T(X_MIGRATE), NULL,
	    R(TYPE_UNSUPPORTED), EOPNOTSUPP, 0 },
	{ "X_PCHANGE", "req_flush_all", HDR, 1, 1, T(X_PCHANGE), NULL,
	    R(TYPE_UNSUPPORTED), EOPNOTSUPP, 0 },
	{ "X_SPDEXPIRE from a client", "req_flush_all", HDR, 1, 1,
	    T(X_SPDEXPIRE), NULL, R(TYPE_UNSUPPORTED), EOPNOTSUPP, 0 },
	{ "X_PCHANGE from keyd", "rep_flush", HDR, 1, 1, T(X_PCHANGE), NULL,
	    R(TYPE_UNSUPPORTED), EOPNOTSUPP, 0 },
	{ "errno in FLUSH", "req_flush_all", HDR, 2, 1, EINVAL, NULL,
	    R(MSG_ERRNO), EINVAL, 0 },
	{ "negative ACQUIRE with extensions", "req_acquire_ask_v4", HDR, 2,
	    1, ENOENT, NULL, R(ERRNO_WITH_EXT), EINVAL, 0 },
	{ "ADD with SA type 0", "req_add_ah_v6", HDR, 3, 1, 0, NULL,
	    R(SATYPE), EINVAL, 0 },
	{ "ADD with SA type RSVP", "req_add_ah_v6", HDR, 3, 1,
	    T(SATYPE_RSVP), NULL, R(SATYPE), EINVAL, 0 },
	{ "REGISTER with SA type 4", "req_register_esp", HDR, 3, 1, 4, NULL,
	    R(SATYPE), EINVAL, 0 },
	{ "SPDFLUSH with SA type 10", "req_spdflush", HDR, 3, 1, 10, NULL,
	    R(SATYPE), EINVAL, 0 },
	{ "X_PROMISC 2", "req_promisc_on", HDR, 3, 1, 2, NULL,
	    R(SATYPE), EINVAL, 0 },
	{ "NEW_MAPPING for AH", "rep_nat_t_new_mapping_v4", HDR, 3, 1,
	    T(SATYPE_AH), NULL, R(SATYPE), EINVAL, 0 },
	/* Extension framing and rules. */
	{ "extension length 0", "req_getspi_esp_v4", T(X_EXT_SA2), 0, 2, 0,
	    NULL, R(EXT_LEN_ZERO), EINVAL, T(X_EXT_SA2) },
	{ "extension past the end", "req_getspi_esp_v4", T(X_EXT_SA2), 0, 2,
	    100, NULL, R(EXT_OVERRUN), EINVAL, T(X_EXT_SA2) },
	{ "extension type 27", "req_getspi_esp_v4", T(X_EXT_SA2), 2, 2, 27,
	    NULL, R(EXT_UNKNOWN), EINVAL, 27 },
	{ "extension type 0", "req_getspi_esp_v4", T(X_EXT_SA2), 2, 2, 0,
	    NULL, R(EXT_UNKNOWN), EINVAL, 0 },
	{ "SPIRANGE in DELETE", "req_delete_esp_v4", T(X_EXT_SA2), 2, 2,
	    T(EXT_SPIRANGE), NULL, R(EXT_NOT_ALLOWED), EINVAL,
	    T(EXT_SPIRANGE) },
	{ "NAT-T type in FLUSH", "req_flush_all", HDR, 0, 0, 0,
	    mk_add_natt_type, R(EXT_NOT_ALLOWED), EINVAL,
	    T(X_EXT_NAT_T_TYPE) },
	{ "KMADDRESS in SPDADD", "req_spdadd_tunnel_v4", HDR, 0, 0, 0,
	    mk_add_kmaddress, R(EXT_NOT_ALLOWED), EINVAL,
	    T(X_EXT_KMADDRESS) },
	{ "SUPPORTED in a request", "req_register_esp", HDR, 0, 0, 0,
	    mk_add_supported, R(EXT_NOT_ALLOWED), EINVAL,
	    T(EXT_SUPPORTED_AUTH) },
	{ "two sources", "req_delete_esp_v4", T(EXT_ADDRESS_DST), 2, 2,
	    T(EXT_ADDRESS_SRC), NULL, R(EXT_DUPLICATE), EINVAL,
	    T(EXT_ADDRESS_SRC) },
	{ "soft lifetime of 16 octets", "req_add_ah_v6", T(EXT_SA), 2, 2,
	    T(EXT_LIFETIME_SOFT), NULL, R(EXT_TOO_SHORT), EINVAL,
	    T(EXT_LIFETIME_SOFT) },
	{ "FILTER of 8 octets", "req_dump_esp", HDR, 0, 0, 0, mk_add_filter8,
	    R(EXT_TOO_SHORT), EINVAL, T(X_EXT_FILTER) },
	{ "SA2 of 32 octets", "req_add_ah_v6", T(EXT_LIFETIME_HARD), 2, 2,
	    T(X_EXT_SA2), NULL, R(EXT_TOO_LONG), EINVAL, T(X_EXT_SA2) },
	{ "key of 520 octets", "req_flush_all", HDR, 0, 0, 0, mk_key_too_long,
	    R(EXT_TOO_LONG), EINVAL, T(EXT_KEY_AUTH) },
	{ "identity over the limit", "req_add_esp_full_v4", HDR, 0, 0, 0,
	    mk_ident_huge, R(EXT_TOO_LONG), EINVAL, T(EXT_IDENTITY_SRC) },
	/* Reserved fields, extension by extension. */
	{ "address reserved", "req_add_ah_v6", T(EXT_ADDRESS_SRC), 6, 2, 1,
	    NULL, R(EXT_RESERVED), EINVAL, T(EXT_ADDRESS_SRC) },
	{ "key reserved", "req_add_ah_v6", T(EXT_KEY_AUTH), 6, 2, 1, NULL,
	    R(EXT_RESERVED), EINVAL, T(EXT_KEY_AUTH) },
	{ "identity reserved", "req_add_esp_full_v4", T(EXT_IDENTITY_DST), 6,
	    2, 1, NULL, R(EXT_RESERVED), EINVAL, T(EXT_IDENTITY_DST) },
	{ "sensitivity reserved", "req_add_esp_full_v4", T(EXT_SENSITIVITY),
	    12, 4, 1, NULL, R(EXT_RESERVED), EINVAL, T(EXT_SENSITIVITY) },
	{ "proposal reserved", "req_acquire_ask_v4", T(EXT_PROPOSAL), 5, 1, 1,
	    NULL, R(EXT_RESERVED), EINVAL, T(EXT_PROPOSAL) },
	{ "combination reserved", "req_acquire_ask_v4", T(EXT_PROPOSAL),
	    8 + 72 + 12, 4, 1, NULL, R(EXT_RESERVED), EINVAL,
	    T(EXT_PROPOSAL) },
	{ "supported reserved", "rep_register_esp", T(EXT_SUPPORTED_AUTH), 4,
	    4, 1, NULL, R(EXT_RESERVED), EINVAL, T(EXT_SUPPORTED_AUTH) },
	{ "algorithm reserved", "rep_register_esp", T(EXT_SUPPORTED_ENCRYPT),
	    8 + 8 + 6, 2, 1, NULL, R(EXT_RESERVED), EINVAL,
	    T(EXT_SUPPORTED_ENCRYPT) },
	{ "SPI range reserved", "req_getspi_esp_v4", T(EXT_SPIRANGE), 12, 4,
	    1, NULL, R(EXT_RESERVED), EINVAL, T(EXT_SPIRANGE) },
	{ "KM private reserved", "req_add_esp_full_v4", T(X_EXT_KMPRIVATE), 4,
	    4, 1, NULL, R(EXT_RESERVED), EINVAL, T(X_EXT_KMPRIVATE) },
	{ "policy reserved", "req_spdadd_tunnel_v4", T(X_EXT_POLICY), 7, 1, 1,
	    NULL, R(EXT_RESERVED), EINVAL, T(X_EXT_POLICY) },
	{ "NAT-T type reserved", "req_update_esp_natt_v4",
	    T(X_EXT_NAT_T_TYPE), 5, 1, 1, NULL, R(EXT_RESERVED), EINVAL,
	    T(X_EXT_NAT_T_TYPE) },
	{ "NAT-T port reserved", "req_update_esp_natt_v4",
	    T(X_EXT_NAT_T_DPORT), 6, 2, 1, NULL, R(EXT_RESERVED), EINVAL,
	    T(X_EXT_NAT_T_DPORT) },
	/* Extension contents. */
	{ "SPI 0", "req_add_ah_v6", T(EXT_SA), 4, 4, 0, NULL,
	    R(SA_SPI_ZERO), EINVAL, T(EXT_SA) },
	{ "SPI 0 in DELETE", "req_delete_esp_v4", T(EXT_SA), 4, 4, 0, NULL,
	    R(SA_SPI_ZERO), EINVAL, T(EXT_SA) },
	{ "SPI 0 in EXPIRE", "rep_expire_soft_v6", T(EXT_SA), 4, 4, 0, NULL,
	    R(SA_SPI_ZERO), EINVAL, T(EXT_SA) },
	{ "state 4", "req_delete_esp_v4", T(EXT_SA), 9, 1, 4, NULL,
	    R(SA_STATE), EINVAL, T(EXT_SA) },
	{ "family AF_UNIX", "req_add_ah_v6", T(EXT_ADDRESS_SRC), 8, 2,
	    AF_UNIX, NULL, R(ADDR_FAMILY), EINVAL, T(EXT_ADDRESS_SRC) },
	{ "NAT-T OA family 0", "req_update_esp_natt_v4", T(X_EXT_NAT_T_OA), 8,
	    2, 0, NULL, R(ADDR_FAMILY), EINVAL, T(X_EXT_NAT_T_OA) },
	{ "filter family 0", "req_dump_filter_v4", T(X_EXT_FILTER), 36, 2, 0,
	    NULL, R(ADDR_FAMILY), EINVAL, T(X_EXT_FILTER) },
	{ "AF_INET in 40 octets", "req_add_ah_v6", T(EXT_ADDRESS_DST), 8, 2,
	    AF_INET, NULL, R(ADDR_LEN), EINVAL, T(EXT_ADDRESS_DST) },
	{ "AF_INET6 in 24 octets", "req_add_esp_null_v4", T(EXT_ADDRESS_SRC),
	    8, 2, AF_INET6, NULL, R(ADDR_LEN), EINVAL, T(EXT_ADDRESS_SRC) },
	{ "IPv4 prefix 33", "req_add_esp_null_v4", T(EXT_ADDRESS_DST), 5, 1,
	    33, NULL, R(ADDR_PREFIX), EINVAL, T(EXT_ADDRESS_DST) },
	{ "IPv6 prefix 129", "req_spdsetidx_none_v6", T(EXT_ADDRESS_SRC), 5,
	    1, 129, NULL, R(ADDR_PREFIX), EINVAL, T(EXT_ADDRESS_SRC) },
	{ "filter prefix 33", "req_dump_filter_v4", T(X_EXT_FILTER), 38, 1,
	    33, NULL, R(ADDR_PREFIX), EINVAL, T(X_EXT_FILTER) },
	{ "key of 159 bits", "req_add_esp_null_v4", T(EXT_KEY_AUTH), 4, 2,
	    159, NULL, R(KEY_BITS_ALIGN), EINVAL, T(EXT_KEY_AUTH) },
	{ "128 bits in a 160-bit key", "req_add_esp_null_v4", T(EXT_KEY_AUTH),
	    4, 2, 128, NULL, R(KEY_LEN), EINVAL, T(EXT_KEY_AUTH) },
	{ "key longer than its bits", "req_add_esp_null_v4", HDR, 0, 0, 0,
	    mk_key_pad_long, R(KEY_LEN), EINVAL, T(EXT_KEY_AUTH) },
	{ "identity type 0", "req_add_esp_full_v4", T(EXT_IDENTITY_SRC), 4,
	    2, 0, NULL, R(IDENT_TYPE), EINVAL, T(EXT_IDENTITY_SRC) },
	{ "identity type 4", "req_add_esp_full_v4", T(EXT_IDENTITY_DST), 4,
	    2, 4, NULL, R(IDENT_TYPE), EINVAL, T(EXT_IDENTITY_DST) },
	{ "sensitivity bitmap too long", "req_add_esp_full_v4",
	    T(EXT_SENSITIVITY), 9, 1, 2, NULL, R(SENS_LEN), EINVAL,
	    T(EXT_SENSITIVITY) },
	{ "proposal of 1.1 combinations", "req_acquire_ask_v4", HDR, 0, 0, 0,
	    mk_prop_len, R(PROP_LEN), EINVAL, T(EXT_PROPOSAL) },
	{ "SPI range min > max", "req_getspi_esp_v4", T(EXT_SPIRANGE), 8, 4,
	    0xff, NULL, R(SPIRANGE_ORDER), EINVAL, T(EXT_SPIRANGE) },
	{ "SA2 mode 4", "req_getspi_esp_v4", T(X_EXT_SA2), 4, 1, 4, NULL,
	    R(SA2_MODE), EINVAL, T(X_EXT_SA2) },
	{ "policy type 5", "req_spdadd_tunnel_v4", T(X_EXT_POLICY), 4, 2, 5,
	    NULL, R(POLICY_TYPE), EINVAL, T(X_EXT_POLICY) },
	{ "policy direction 4", "req_spdadd_tunnel_v4", T(X_EXT_POLICY), 6, 1,
	    4, NULL, R(POLICY_DIR), EINVAL, T(X_EXT_POLICY) },
	{ "requests in a DISCARD policy", "req_spdadd_tunnel_v4",
	    T(X_EXT_POLICY), 4, 2, PARAPET_IPSEC_POLICY_DISCARD, NULL,
	    R(POLICY_REQ_UNEXPECTED), EINVAL, T(X_EXT_POLICY) },
	{ "seven requests", "req_flush_all", HDR, 0, 0, 0, mk_seven_reqs,
	    R(POLICY_REQ_TOO_MANY), ELOOP, T(X_EXT_POLICY) },
	{ "request of 8 octets", "req_spdadd_tunnel_v4", T(X_EXT_POLICY), 16,
	    2, 8, NULL, R(POLICY_REQ_LEN), EINVAL, T(X_EXT_POLICY) },
	{ "request past the policy", "req_spdadd_tunnel_v4", T(X_EXT_POLICY),
	    16, 2, 56, NULL, R(POLICY_REQ_LEN), EINVAL, T(X_EXT_POLICY) },
	{ "request for UDP", "req_spdadd_tunnel_v4", T(X_EXT_POLICY), 18, 2,
	    IPPROTO_UDP, NULL, R(POLICY_REQ_PROTO), EINVAL, T(X_EXT_POLICY) },
	{ "request mode 0", "req_spdadd_tunnel_v4", T(X_EXT_POLICY), 20, 1, 0,
	    NULL, R(POLICY_REQ_MODE), EINVAL, T(X_EXT_POLICY) },
	{ "request mode 4", "req_spdadd_transport_v6", T(X_EXT_POLICY), 36, 1,
	    4, NULL, R(POLICY_REQ_MODE), EINVAL, T(X_EXT_POLICY) },
	{ "request level 4", "req_spdadd_tunnel_v4", T(X_EXT_POLICY), 21, 1,
	    4, NULL, R(POLICY_REQ_LEVEL), EINVAL, T(X_EXT_POLICY) },
	{ "tunnel without endpoints", "req_spdadd_transport_v6",
	    T(X_EXT_POLICY), 20, 1, PARAPET_IPSEC_MODE_TUNNEL, NULL,
	    R(POLICY_REQ_TUNNEL), EINVAL, T(X_EXT_POLICY) },
	{ "endpoints of two families", "req_spdadd_tunnel_v4",
	    T(X_EXT_POLICY), 16 + 16 + 16, 2, AF_INET6, NULL,
	    R(POLICY_REQ_ADDR), EINVAL, T(X_EXT_POLICY) },
	{ "endpoint family AF_UNIX", "req_spdadd_tunnel_v4", T(X_EXT_POLICY),
	    16 + 16, 2, AF_UNIX, NULL, R(POLICY_REQ_ADDR), EINVAL,
	    T(X_EXT_POLICY) },
	{ "LSM context length 20 in 16", "req_add_esp_full_v4",
	    T(X_EXT_SEC_CTX), 6, 2, 20, NULL, R(SEC_CTX_LEN), EINVAL,
	    T(X_EXT_SEC_CTX) },
	{ "LSM context padded too far", "req_add_esp_full_v4", HDR, 0, 0, 0,
	    mk_sec_ctx_long, R(SEC_CTX_LEN), EINVAL, T(X_EXT_SEC_CTX) },
	/* Across extensions. */
	{ "DELETE without destination", "req_delete_esp_v4", HDR, 0, 0, 0,
	    mk_drop_dst, R(EXT_MISSING), EINVAL, T(EXT_ADDRESS_DST) },
	{ "GETSPI without source", "req_getspi_esp_v4", HDR, 0, 0, 0,
	    mk_drop_src, R(EXT_MISSING), EINVAL, T(EXT_ADDRESS_SRC) },
	{ "GET without SA", "req_get_ah_v6", HDR, 0, 0, 0, mk_drop_sa,
	    R(EXT_MISSING), EINVAL, T(EXT_SA) },
	{ "ESP without encryption key", "req_update_esp_natt_v4", HDR, 0, 0,
	    0, mk_drop_key_enc, R(EXT_MISSING), EINVAL, T(EXT_KEY_ENCRYPT) },
	{ "AH without authentication key", "req_add_ah_v6", HDR, 0, 0, 0,
	    mk_drop_key_auth, R(EXT_MISSING), EINVAL, T(EXT_KEY_AUTH) },
	{ "SPDADD without policy", "req_spdadd_tunnel_v4", HDR, 0, 0, 0,
	    mk_drop_policy, R(EXT_MISSING), EINVAL, T(X_EXT_POLICY) },
	{ "ACQUIRE without proposal", "req_acquire_ask_v4", HDR, 0, 0, 0,
	    mk_drop_prop, R(EXT_MISSING), EINVAL, T(EXT_PROPOSAL) },
	{ "EXPIRE without current lifetime", "rep_expire_hard_v6", HDR, 0, 0,
	    0, mk_drop_current, R(EXT_MISSING), EINVAL,
	    T(EXT_LIFETIME_CURRENT) },
	{ "GETSPI reply without SA", "rep_getspi_v4", HDR, 0, 0, 0,
	    mk_drop_sa, R(EXT_MISSING), EINVAL, T(EXT_SA) },
	{ "IPv4 source, IPv6 destination", "req_flush_all", HDR, 0, 0, 0,
	    mk_family_mismatch, R(ADDR_FAMILY_MISMATCH), EINVAL,
	    T(EXT_ADDRESS_DST) },
	{ "ADD of a DYING SA", "req_add_ah_v6", T(EXT_SA), 9, 1,
	    T(SASTATE_DYING), NULL, R(SA_STATE_SUBMIT), EINVAL, T(EXT_SA) },
	{ "UPDATE to DEAD", "req_update_esp_natt_v4", T(EXT_SA), 9, 1,
	    T(SASTATE_DEAD), NULL, R(SA_STATE_SUBMIT), EINVAL, T(EXT_SA) },
	{ "auth algorithm 252", "req_add_ah_v6", T(EXT_SA), 10, 1, 252, NULL,
	    R(SA_AALG), EINVAL, T(EXT_SA) },
	{ "encrypt algorithm 254", "req_update_esp_natt_v4", T(EXT_SA), 11,
	    1, 254, NULL, R(SA_EALG), EINVAL, T(EXT_SA) },
	{ "compression algorithm 5", "req_add_ipcomp_v4", T(EXT_SA), 11, 1, 5,
	    NULL, R(SA_EALG), EINVAL, T(EXT_SA) },
	{ "empty key for AES-CBC", "req_add_esp_null_v4", T(EXT_SA), 11, 1,
	    T(X_EALG_AESCBC), NULL, R(KEY_BITS_ZERO), EINVAL,
	    T(EXT_KEY_ENCRYPT) },
	{ "empty key for HMAC-SHA1", "req_flush_all", HDR, 0, 0, 0,
	    mk_auth_key_empty, R(KEY_BITS_ZERO), EINVAL, T(EXT_KEY_AUTH) },
	{ "SPD entry of type ENTRUST", "req_spdupdate_discard_v4",
	    T(X_EXT_POLICY), 4, 2, PARAPET_IPSEC_POLICY_ENTRUST, NULL,
	    R(POLICY_TYPE_SPD), EINVAL, T(X_EXT_POLICY) },
	{ "SPDADD direction ANY", "req_spdadd_tunnel_v4", T(X_EXT_POLICY), 6,
	    1, PARAPET_IPSEC_DIR_ANY, NULL, R(POLICY_DIR_ANY), EINVAL,
	    T(X_EXT_POLICY) },
	{ "SPDDELETE direction ANY", "req_spddelete_v4", T(X_EXT_POLICY), 6,
	    1, PARAPET_IPSEC_DIR_ANY, NULL, R(POLICY_DIR_ANY), EINVAL,
	    T(X_EXT_POLICY) },
	{ "EXPIRE with hard and soft", "rep_flush", HDR, 0, 0, 0,
	    mk_expire_both, R(EXPIRE_LIFETIME), EINVAL,
	    T(EXT_LIFETIME_HARD) },
	{ "EXPIRE with neither", "rep_expire_hard_v6", HDR, 0, 0, 0,
	    mk_drop_hard, R(EXPIRE_LIFETIME), EINVAL, T(EXT_LIFETIME_HARD) },
	/* Accepted edge forms kept in the table next to their rejections. */
	{ "soft lifetime alone", "req_add_ah_v6", T(EXT_LIFETIME_HARD), 2, 2,
	    T(EXT_LIFETIME_SOFT), NULL, R(NONE), 0, 0 },
	{ "SA2 mode BEET", "req_getspi_esp_v4", T(X_EXT_SA2), 4, 1,
	    PARAPET_IPSEC_MODE_BEET, NULL, R(NONE), 0, 0 },
	{ "IPv4 prefix 32", "req_add_esp_null_v4", T(EXT_ADDRESS_DST), 5, 1,
	    32, NULL, R(NONE), 0, 0 },
	{ "SPI range min == max", "req_getspi_esp_v4", T(EXT_SPIRANGE), 8, 4,
	    0x100, NULL, R(NONE), 0, 0 },
	{ "unknown SA flags", "req_add_ah_v6", T(EXT_SA), 12, 4, 0x0fff0fffU,
	    NULL, R(NONE), 0, 0 },
	{ "negative ACQUIRE with seq 0", "req_acquire_negative", HDR, 8, 4, 0,
	    NULL, R(NONE), 0, 0 },
	{ "error reply of any type", "rep_error_add", HDR, 1, 1, T(X_SPDGET),
	    NULL, R(NONE), 0, 0 },
};

static void
poke(uint8_t *p, size_t len, const struct reject_case *c)
{
	size_t off = c->off;

	if (c->width == 0)
		return;
	if (c->ext != HDR) {
		size_t eo = pfkey_sample_ext_off(p, len, (uint16_t)c->ext);

		if (eo == 0)
			fail_msg("%s: no extension %zu in %s", c->name, c->ext,
			    c->sample);
		off += eo;
	}
	switch (c->width) {
	case 1:
		p[off] = (uint8_t)c->value;
		break;
	case 2:
		pfkey_sample_put16(p, off, (uint16_t)c->value);
		break;
	default:
		pfkey_sample_put32(p, off, c->value);
		break;
	}
}

static void
test_reject_table(void **state)
{
	bool seen[PFKEY_REJECT_COUNT];
	struct pfkey_msg m;
	enum pfkey_reject why;
	size_t i, len;
	bool reply;
	int error;

	(void)state;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < sizeof(reject_cases) / sizeof(reject_cases[0]); i++) {
		const struct reject_case *c = &reject_cases[i];

		build_sample(c->sample, buf, &len, &reply);
		poke(buf, len, c);
		if (c->mk != NULL)
			c->mk(buf, &len);
		error = parse_dir(reply, buf, len, &m, &why);
		if (why != c->why)
			fail_msg("%s: got %s (ext %u), want %s", c->name,
			    pfkey_reject_str(why), m.fail_ext,
			    pfkey_reject_str(c->why));
		assert_int_equal(error, -c->error);
		assert_int_equal(pfkey_reject_errno(why), c->error);
		if (m.fail_ext != c->fail_ext)
			fail_msg("%s: extension at fault %u, want %u",
			    c->name, m.fail_ext, c->fail_ext);
		if (c->why != PFKEY_REJECT_NONE &&
		    pfkey_reject_replyable(why)) {
			/* The error reply can echo the request. */
			assert_int_equal(m.hdr.version, PARAPET_PF_KEY_V2);
			assert_int_equal(m.hdr.type, buf[1]);
			assert_int_equal(m.hdr.satype, buf[3]);
		}
		seen[why] = true;
	}
	/* The table has a row for every rejection. */
	for (i = 0; i < PFKEY_REJECT_COUNT; i++)
		if (!seen[i])
			fail_msg("no row rejects with %s",
			    pfkey_reject_str((enum pfkey_reject)i));
}

static void
test_reject_info(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < PFKEY_REJECT_COUNT; i++) {
		enum pfkey_reject r = (enum pfkey_reject)i;
		const char *name = pfkey_reject_str(r);

		assert_non_null(name);
		assert_true(strlen(name) > 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(name,
			    pfkey_reject_str((enum pfkey_reject)j));
		if (r == PFKEY_REJECT_NONE)
			assert_int_equal(pfkey_reject_errno(r), 0);
		else
			assert_true(pfkey_reject_errno(r) > 0 &&
			    pfkey_reject_errno(r) < 256);
		/* Only the header group cannot be answered. */
		assert_int_equal(pfkey_reject_replyable(r),
		    !(r >= PFKEY_REJECT_HDR_SHORT &&
		    r <= PFKEY_REJECT_MSG_LEN));
	}
	assert_string_equal(pfkey_reject_str(PFKEY_REJECT_COUNT), "unknown");
	assert_string_equal(pfkey_reject_str(PFKEY_REJECT_EXT_DUPLICATE),
	    "ext_duplicate");
	assert_int_equal(pfkey_reject_errno(PFKEY_REJECT_COUNT), EINVAL);
	assert_false(pfkey_reject_replyable(PFKEY_REJECT_COUNT));
}

/* ---- Round trip on random values. ---- */

static uint64_t rng;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint32_t
rnd_below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

static void
rnd_bytes(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

static void
rnd_sockaddr(struct pfkey_sockaddr *sa, uint16_t family)
{
	memset(sa, 0, sizeof(*sa));
	sa->family = family;
	sa->port = (uint16_t)rnd();
	if (family == AF_INET) {
		rnd_bytes(sa->addr, 4);
	} else {
		sa->flowinfo = (uint32_t)rnd();
		sa->scope_id = (uint32_t)rnd();
		rnd_bytes(sa->addr, 16);
	}
}

static uint16_t
rnd_family(void)
{
	return rnd_below(2) ? AF_INET : AF_INET6;
}

static void
rnd_address(struct pfkey_address *a, uint16_t family)
{
	a->proto = (uint8_t)rnd();
	a->prefixlen = (uint8_t)rnd_below(family == AF_INET ? 33 : 129);
	rnd_sockaddr(&a->sa, family);
}

static void
rnd_lifetime(struct pfkey_lifetime *l)
{
	l->allocations = (uint32_t)rnd();
	l->bytes = rnd();
	l->addtime = rnd();
	l->usetime = rnd();
}

/* Random byte strings live here for the lifetime of one round. */
static uint8_t pool[8192];
static size_t pool_used;

static const uint8_t *
rnd_blob(size_t n)
{
	uint8_t *p = pool + pool_used;

	assert_true(pool_used + n <= sizeof(pool));
	rnd_bytes(p, n);
	pool_used += n;
	return p;
}

static void
want_ext(struct pfkey_msg *w, unsigned int t)
{
	w->present |= UINT32_C(1) << t;
}

/* The optional extensions of an SA, each present or not. */
static void
rnd_sa_extras(struct pfkey_msg *w)
{
	size_t n;

	if (rnd_below(2)) {
		rnd_lifetime(&w->lft_hard);
		want_ext(w, T(EXT_LIFETIME_HARD));
	}
	if (rnd_below(2)) {
		rnd_lifetime(&w->lft_soft);
		want_ext(w, T(EXT_LIFETIME_SOFT));
	}
	if (rnd_below(2)) {
		rnd_address(&w->proxy, rnd_family());
		want_ext(w, T(EXT_ADDRESS_PROXY));
	}
	if (rnd_below(2)) {
		n = 8 * (size_t)rnd_below(8);
		w->ident_src = (struct pfkey_ident){ (uint16_t)(1 +
		    rnd_below(3)), rnd(), rnd_blob(n), n };
		want_ext(w, T(EXT_IDENTITY_SRC));
	}
	if (rnd_below(2)) {
		n = 8 * (size_t)rnd_below(8);
		w->ident_dst = (struct pfkey_ident){ (uint16_t)(1 +
		    rnd_below(3)), rnd(), rnd_blob(n), n };
		want_ext(w, T(EXT_IDENTITY_DST));
	}
	if (rnd_below(2)) {
		w->sens.dpd = (uint32_t)rnd();
		w->sens.sens_level = (uint8_t)rnd();
		w->sens.sens_len = (uint8_t)rnd_below(5);
		w->sens.integ_level = (uint8_t)rnd();
		w->sens.integ_len = (uint8_t)rnd_below(5);
		w->sens.sens_bitmap = rnd_blob(8 * (size_t)w->sens.sens_len);
		w->sens.integ_bitmap = rnd_blob(8 * (size_t)w->sens.integ_len);
		want_ext(w, T(EXT_SENSITIVITY));
	}
	if (rnd_below(2)) {
		n = 8 * (size_t)rnd_below(5);
		w->kmprivate = (struct pfkey_kmprivate){ rnd_blob(n), n };
		want_ext(w, T(X_EXT_KMPRIVATE));
	}
	if (rnd_below(2)) {
		w->sa2.mode = (uint8_t)rnd_below(PARAPET_IPSEC_MODE_BEET + 1);
		w->sa2.sequence = (uint32_t)rnd();
		w->sa2.reqid = (uint32_t)rnd();
		want_ext(w, T(X_EXT_SA2));
	}
	if (rnd_below(2)) {
		w->natt_type = (uint8_t)rnd();
		w->natt_sport = (uint16_t)rnd();
		w->natt_dport = (uint16_t)rnd();
		want_ext(w, T(X_EXT_NAT_T_TYPE));
		want_ext(w, T(X_EXT_NAT_T_SPORT));
		want_ext(w, T(X_EXT_NAT_T_DPORT));
		if (rnd_below(2)) {
			rnd_address(&w->natt_oa, rnd_family());
			want_ext(w, T(X_EXT_NAT_T_OA));
		}
	}
	if (rnd_below(2)) {
		n = rnd_below(41);
		w->sec_ctx = (struct pfkey_sec_ctx){ (uint8_t)rnd(),
		    (uint8_t)rnd(), (uint16_t)n, rnd_blob(n) };
		want_ext(w, T(X_EXT_SEC_CTX));
	}
}

/* A random ADD or UPDATE the validator must accept. */
static void
rnd_sa_msg(struct pfkey_msg *w)
{
	static const uint8_t satypes[3] = { PARAPET_SADB_SATYPE_AH,
		PARAPET_SADB_SATYPE_ESP, PARAPET_SADB_X_SATYPE_IPCOMP };
	uint16_t fam = rnd_family();
	size_t n;

	w->hdr.type = rnd_below(2) ? T(ADD) : T(UPDATE);
	w->hdr.satype = satypes[rnd_below(3)];
	w->sa.spi = (uint32_t)rnd() | 1;
	w->sa.replay = (uint8_t)rnd();
	w->sa.state = (uint8_t)rnd_below(2);
	w->sa.flags = (uint32_t)rnd();
	w->sa.auth = (uint8_t)(1 + rnd_below(PARAPET_SADB_AALG_MAX));
	w->sa.encrypt = (uint8_t)rnd_below(w->hdr.satype ==
	    PARAPET_SADB_X_SATYPE_IPCOMP ? PARAPET_SADB_X_CALG_MAX + 1 :
	    PARAPET_SADB_EALG_MAX + 1);
	want_ext(w, T(EXT_SA));
	rnd_address(&w->src, fam);
	rnd_address(&w->dst, fam);
	want_ext(w, T(EXT_ADDRESS_SRC));
	want_ext(w, T(EXT_ADDRESS_DST));
	if (w->hdr.satype == PARAPET_SADB_SATYPE_AH || rnd_below(2)) {
		n = 1 + rnd_below(64);
		w->key_auth = (struct pfkey_key){ (uint16_t)(8 * n),
		    rnd_blob(n), n };
		want_ext(w, T(EXT_KEY_AUTH));
	}
	if (w->hdr.satype == PARAPET_SADB_SATYPE_ESP) {
		n = rnd_below(64);
		w->key_encrypt = (struct pfkey_key){ (uint16_t)(8 * n),
		    rnd_blob(n), n };
		if (n == 0)
			w->sa.encrypt = PARAPET_SADB_EALG_NULL;
		want_ext(w, T(EXT_KEY_ENCRYPT));
	}
	rnd_sa_extras(w);
}

/* A random SPD install the validator must accept. */
static void
rnd_spd_msg(struct pfkey_msg *w)
{
	static const uint16_t protos[3] = { IPPROTO_ESP, IPPROTO_AH,
		IPPROTO_COMP };
	static const uint8_t types[3] = { T(X_SPDADD), T(X_SPDUPDATE),
		T(X_SPDSETIDX) };
	uint16_t fam = rnd_family();
	size_t i;

	w->hdr.type = types[rnd_below(3)];
	w->hdr.satype = PARAPET_SADB_SATYPE_UNSPEC;
	rnd_address(&w->src, fam);
	rnd_address(&w->dst, fam);
	want_ext(w, T(EXT_ADDRESS_SRC));
	want_ext(w, T(EXT_ADDRESS_DST));
	w->policy.type = (uint16_t)rnd_below(PARAPET_IPSEC_POLICY_IPSEC + 1);
	w->policy.dir = (uint8_t)(1 + rnd_below(PARAPET_IPSEC_DIR_FWD));
	w->policy.id = (uint32_t)rnd();
	w->policy.priority = (uint32_t)rnd();
	if (w->policy.type == PARAPET_IPSEC_POLICY_IPSEC)
		w->policy.nreqs = rnd_below(PFKEY_POLICY_MAX_REQS + 1);
	for (i = 0; i < w->policy.nreqs; i++) {
		struct pfkey_ipsecreq *q = &w->policy.req[i];
		uint16_t tf = rnd_family();

		q->proto = protos[rnd_below(3)];
		q->mode = (uint8_t)(1 + rnd_below(PARAPET_IPSEC_MODE_BEET));
		q->level = (uint8_t)rnd_below(PARAPET_IPSEC_LEVEL_UNIQUE + 1);
		q->reqid = (uint32_t)rnd();
		q->has_addrs = q->mode == PARAPET_IPSEC_MODE_TUNNEL ||
		    rnd_below(2);
		if (q->has_addrs) {
			rnd_sockaddr(&q->src, tf);
			rnd_sockaddr(&q->dst, tf);
		}
	}
	want_ext(w, T(X_EXT_POLICY));
	if (rnd_below(2)) {
		rnd_lifetime(&w->lft_hard);
		want_ext(w, T(EXT_LIFETIME_HARD));
	}
	if (rnd_below(2)) {
		rnd_lifetime(&w->lft_soft);
		want_ext(w, T(EXT_LIFETIME_SOFT));
	}
}

/* Write a view with the extension builders, one by one. */
static int
build_view(const struct pfkey_msg *w, uint8_t *out, size_t cap, size_t *len)
{
	struct pfkey_build b;

	pfkey_build_begin(&b, out, cap, &w->hdr);
	if (pfkey_msg_has(w, T(EXT_SA)))
		pfkey_build_sa(&b, &w->sa);
	if (pfkey_msg_has(w, T(EXT_LIFETIME_SOFT)))
		pfkey_build_lifetime(&b, T(EXT_LIFETIME_SOFT), &w->lft_soft);
	if (pfkey_msg_has(w, T(EXT_LIFETIME_HARD)))
		pfkey_build_lifetime(&b, T(EXT_LIFETIME_HARD), &w->lft_hard);
	if (pfkey_msg_has(w, T(X_EXT_POLICY)))
		pfkey_build_policy(&b, &w->policy);
	pfkey_build_address(&b, T(EXT_ADDRESS_DST), &w->dst);
	pfkey_build_address(&b, T(EXT_ADDRESS_SRC), &w->src);
	if (pfkey_msg_has(w, T(EXT_ADDRESS_PROXY)))
		pfkey_build_address(&b, T(EXT_ADDRESS_PROXY), &w->proxy);
	if (pfkey_msg_has(w, T(EXT_KEY_ENCRYPT)))
		pfkey_build_key(&b, T(EXT_KEY_ENCRYPT), &w->key_encrypt);
	if (pfkey_msg_has(w, T(EXT_KEY_AUTH)))
		pfkey_build_key(&b, T(EXT_KEY_AUTH), &w->key_auth);
	if (pfkey_msg_has(w, T(EXT_IDENTITY_SRC)))
		pfkey_build_ident(&b, T(EXT_IDENTITY_SRC), &w->ident_src);
	if (pfkey_msg_has(w, T(EXT_IDENTITY_DST)))
		pfkey_build_ident(&b, T(EXT_IDENTITY_DST), &w->ident_dst);
	if (pfkey_msg_has(w, T(EXT_SENSITIVITY)))
		pfkey_build_sens(&b, &w->sens);
	if (pfkey_msg_has(w, T(X_EXT_KMPRIVATE)))
		pfkey_build_kmprivate(&b, &w->kmprivate);
	if (pfkey_msg_has(w, T(X_EXT_SA2)))
		pfkey_build_sa2(&b, &w->sa2);
	if (pfkey_msg_has(w, T(X_EXT_NAT_T_TYPE))) {
		pfkey_build_natt_port(&b, T(X_EXT_NAT_T_DPORT), w->natt_dport);
		pfkey_build_natt_type(&b, w->natt_type);
		pfkey_build_natt_port(&b, T(X_EXT_NAT_T_SPORT), w->natt_sport);
	}
	if (pfkey_msg_has(w, T(X_EXT_NAT_T_OA)))
		pfkey_build_address(&b, T(X_EXT_NAT_T_OA), &w->natt_oa);
	if (pfkey_msg_has(w, T(X_EXT_SEC_CTX)))
		pfkey_build_sec_ctx(&b, &w->sec_ctx);
	return pfkey_build_end(&b, len);
}

static void
roundtrip_one(struct pfkey_msg *w, unsigned long long seed, int round)
{
	struct pfkey_msg got, again;
	enum pfkey_reject why;
	size_t len, len2;

	assert_int_equal(build_view(w, buf, sizeof(buf), &len), 0);
	w->hdr.version = PARAPET_PF_KEY_V2;
	w->hdr.len_words64 = (uint16_t)(len / 8);
	if (pfkey_msg_parse(buf, len, &got, &why) != 0)
		fail_msg("seed %llu round %d: rejected: %s (ext %u)", seed,
		    round, pfkey_reject_str(why), got.fail_ext);
	if (!pfkey_msg_equal(w, &got))
		fail_msg("seed %llu round %d: values changed", seed, round);
	/* Rebuilt in canonical order: the same values, and bytes that
	 * parse back to them again. */
	assert_int_equal(pfkey_build_msg(&got, buf2, sizeof(buf2), &len2), 0);
	assert_int_equal(len2, len);
	assert_int_equal(pfkey_msg_parse(buf2, len2, &again, &why), 0);
	if (!pfkey_msg_equal(&got, &again))
		fail_msg("seed %llu round %d: rebuild changed values", seed,
		    round);
}

static void
rnd_comb(struct pfkey_comb *c)
{
	memset(c, 0, sizeof(*c));
	c->auth = (uint8_t)rnd();
	c->encrypt = (uint8_t)rnd();
	c->flags = (uint16_t)rnd();
	c->auth_minbits = (uint16_t)rnd();
	c->auth_maxbits = (uint16_t)rnd();
	c->encrypt_minbits = (uint16_t)rnd();
	c->encrypt_maxbits = (uint16_t)rnd();
	c->soft_allocations = (uint32_t)rnd();
	c->hard_allocations = (uint32_t)rnd();
	c->soft_bytes = rnd();
	c->hard_bytes = rnd();
	c->soft_addtime = rnd();
	c->hard_addtime = rnd();
	c->soft_usetime = rnd();
	c->hard_usetime = rnd();
}

static bool
comb_equal(const struct pfkey_comb *a, const struct pfkey_comb *b)
{
	return a->auth == b->auth && a->encrypt == b->encrypt &&
	    a->flags == b->flags && a->auth_minbits == b->auth_minbits &&
	    a->auth_maxbits == b->auth_maxbits &&
	    a->encrypt_minbits == b->encrypt_minbits &&
	    a->encrypt_maxbits == b->encrypt_maxbits &&
	    a->soft_allocations == b->soft_allocations &&
	    a->hard_allocations == b->hard_allocations &&
	    a->soft_bytes == b->soft_bytes && a->hard_bytes == b->hard_bytes &&
	    a->soft_addtime == b->soft_addtime &&
	    a->hard_addtime == b->hard_addtime &&
	    a->soft_usetime == b->soft_usetime &&
	    a->hard_usetime == b->hard_usetime;
}

static void
roundtrip_lists(unsigned long long seed, int round)
{
	struct pfkey_comb c[8], cg;
	struct pfkey_alg a[16], ag;
	struct pfkey_hdr h = { 2, 0, 0, 0, 0, 0, 0 };
	struct pfkey_msg got;
	enum pfkey_reject why;
	struct pfkey_build b;
	size_t nc = rnd_below(9), na = rnd_below(17), i, len;

	for (i = 0; i < nc; i++)
		rnd_comb(&c[i]);
	for (i = 0; i < na; i++)
		a[i] = (struct pfkey_alg){ (uint8_t)rnd(), (uint8_t)rnd(),
		    (uint16_t)rnd(), (uint16_t)rnd() };
	h.type = T(ACQUIRE);
	h.satype = T(SATYPE_ESP);
	h.seq = (uint32_t)rnd();
	pfkey_build_begin(&b, buf, sizeof(buf), &h);
	pfkey_build_prop(&b, (uint8_t)rnd(), c, nc);
	{
		struct pfkey_address s;

		memset(&s, 0, sizeof(s));
		rnd_address(&s, AF_INET6);
		pfkey_build_address(&b, T(EXT_ADDRESS_SRC), &s);
		pfkey_build_address(&b, T(EXT_ADDRESS_DST), &s);
	}
	assert_int_equal(pfkey_build_end(&b, &len), 0);
	if (pfkey_msg_parse_reply(buf, len, &got, &why) != 0)
		fail_msg("seed %llu round %d: ACQUIRE rejected: %s", seed,
		    round, pfkey_reject_str(why));
	assert_int_equal(got.prop.ncombs, nc);
	for (i = 0; i < nc; i++) {
		pfkey_prop_comb(&got.prop, i, &cg);
		if (!comb_equal(&cg, &c[i]))
			fail_msg("seed %llu round %d: comb %zu", seed, round,
			    i);
	}
	h.type = T(REGISTER);
	pfkey_build_begin(&b, buf, sizeof(buf), &h);
	pfkey_build_supported(&b, T(EXT_SUPPORTED_ENCRYPT), a, na);
	assert_int_equal(pfkey_build_end(&b, &len), 0);
	assert_int_equal(pfkey_msg_parse_reply(buf, len, &got, &why), 0);
	assert_int_equal(got.supp_encrypt.nalgs, na);
	assert_false(pfkey_msg_has(&got, T(EXT_SUPPORTED_AUTH)));
	for (i = 0; i < na; i++) {
		pfkey_supported_alg(&got.supp_encrypt, i, &ag);
		if (ag.id != a[i].id || ag.ivlen != a[i].ivlen ||
		    ag.minbits != a[i].minbits || ag.maxbits != a[i].maxbits)
			fail_msg("seed %llu round %d: alg %zu", seed, round,
			    i);
	}
}

static unsigned long long
test_seed(void)
{
	const char *s = getenv("PARAPET_SEED");

	if (s != NULL && *s != '\0')
		return strtoull(s, NULL, 0);
	return (unsigned long long)time(NULL) ^
	    ((unsigned long long)getpid() << 32);
}

static void
test_roundtrip_property(void **state)
{
	unsigned long long seed = test_seed();
	struct pfkey_msg w;
	int round;

	(void)state;
	print_message("roundtrip: PARAPET_SEED=%llu\n", seed);
	rng = seed != 0 ? seed : 1;
	for (round = 0; round < 3000; round++) {
		memset(&w, 0, sizeof(w));
		pool_used = 0;
		w.hdr.seq = (uint32_t)rnd();
		w.hdr.pid = (uint32_t)rnd();
		if (round % 2 == 0)
			rnd_sa_msg(&w);
		else
			rnd_spd_msg(&w);
		roundtrip_one(&w, seed, round);
		roundtrip_lists(seed, round);
	}
}

/* ---- The committed fuzz seeds are these samples. ---- */

static void
test_golden_seeds(void **state)
{
	const char *src = getenv("PARAPET_SRCDIR");
	char path[4096];
	size_t i, len, n;
	FILE *f;

	(void)state;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (src == NULL)
		fail_msg("PARAPET_SRCDIR is not set");
	for (i = 0; i < pfkey_nsamples; i++) {
		const struct pfkey_sample *s = &pfkey_samples[i];

		snprintf(path, sizeof(path),
		    "%s/tests/fuzz/corpus/fuzz_pfkey_msg/%s", src, s->name);
		if ((f = fopen(path, "rb")) == NULL)
			fail_msg("%s: missing; run gen_pfkey_seeds", path);
		n = fread(buf2, 1, sizeof(buf2), f);
		fclose(f);
		assert_int_equal(s->build(buf, PFKEY_SAMPLE_MAX, &len), 0);
		if (n != len || memcmp(buf, buf2, len) != 0)
			fail_msg("%s: differs from the sample; regenerate the "
			    "seeds with gen_pfkey_seeds", path);
	}
#else
	(void)src; (void)path; (void)i; (void)len; (void)n; (void)f;
	skip();		/* The committed seeds are little-endian. */
#endif
}

/* ---- The builder's own errors. ---- */

static void
test_builder_errors(void **state)
{
	struct pfkey_hdr h = { 2, T(ADD), 0, T(SATYPE_ESP), 0, 1, 2 };
	struct pfkey_address bad;
	struct pfkey_key k = { 16, (const uint8_t *)"abc", 3 };
	struct pfkey_policy p;
	struct pfkey_msg m;
	enum pfkey_reject why;
	struct pfkey_build b;
	size_t len;

	(void)state;
	/* Too small for the header, then for an extension. */
	pfkey_build_begin(&b, buf, 8, &h);
	assert_int_equal(pfkey_build_end(&b, &len), -EMSGSIZE);
	pfkey_build_begin(&b, buf, 24, &h);
	pfkey_build_sa(&b, &(struct pfkey_sa){ 1, 0, 0, 0, 0, 0 });
	assert_int_equal(pfkey_build_end(&b, &len), -EMSGSIZE);
	/* No wire form. */
	memset(&bad, 0, sizeof(bad));
	bad.sa.family = AF_UNIX;
	pfkey_build_begin(&b, buf, sizeof(buf), &h);
	pfkey_build_address(&b, T(EXT_ADDRESS_SRC), &bad);
	assert_int_equal(pfkey_build_end(&b, &len), -EINVAL);
	pfkey_build_begin(&b, buf, sizeof(buf), &h);
	pfkey_build_key(&b, T(EXT_KEY_AUTH), &k);
	assert_int_equal(pfkey_build_end(&b, &len), -EINVAL);
	memset(&p, 0, sizeof(p));
	p.nreqs = PFKEY_POLICY_MAX_REQS + 1;
	pfkey_build_begin(&b, buf, sizeof(buf), &h);
	pfkey_build_policy(&b, &p);
	assert_int_equal(pfkey_build_end(&b, &len), -EINVAL);
	p.nreqs = 1;
	p.req[0].has_addrs = true;
	p.req[0].src.family = AF_INET;
	p.req[0].dst.family = AF_INET6;
	pfkey_build_begin(&b, buf, sizeof(buf), &h);
	pfkey_build_policy(&b, &p);
	assert_int_equal(pfkey_build_end(&b, &len), -EINVAL);
	/* The first error sticks. */
	pfkey_build_begin(&b, buf, sizeof(buf), &h);
	pfkey_build_address(&b, T(EXT_ADDRESS_SRC), &bad);
	pfkey_build_sa(&b, &(struct pfkey_sa){ 1, 0, 0, 0, 0, 0 });
	assert_int_equal(b.w.used, 16);
	assert_int_equal(pfkey_build_end(&b, &len), -EINVAL);
	/* Over the datagram limit, though the buffer has room. */
	pfkey_build_begin(&b, buf, sizeof(buf), &h);
	{
		static const uint8_t blob[PFKEY_KMPRIVATE_MAX_BYTES];
		struct pfkey_kmprivate kp = { blob, sizeof(blob) };
		int i;

		for (i = 0; i < 63; i++)		/* 16 + 63 * 1032 */
			pfkey_build_kmprivate(&b, &kp);
		kp.len_bytes = 552;			/* + 560 = 65592 */
		pfkey_build_kmprivate(&b, &kp);
	}
	assert_int_equal(b.error, 0);
	assert_true(b.w.used > PFKEY_MSG_MAX_BYTES);
	assert_int_equal(pfkey_build_end(&b, &len), -EMSGSIZE);
	/* Error replies. */
	assert_int_equal(pfkey_build_error(&h, 0, buf, sizeof(buf), &len),
	    -EINVAL);
	assert_int_equal(pfkey_build_error(&h, 256, buf, sizeof(buf), &len),
	    -EINVAL);
	assert_int_equal(pfkey_build_error(&h, ESRCH, buf, sizeof(buf), &len),
	    0);
	assert_int_equal(len, 16);
	assert_int_equal(pfkey_msg_parse_reply(buf, len, &m, &why), 0);
	assert_int_equal(m.hdr.msg_errno, ESRCH);
	assert_int_equal(m.hdr.seq, 1);
	assert_int_equal(m.hdr.pid, 2);
	/* A client may not send that. */
	assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), -EINVAL);
	assert_int_equal(why, PFKEY_REJECT_MSG_ERRNO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples_accepted),
		cmocka_unit_test(test_ipsec_tools_quirks),
		cmocka_unit_test(test_views),
		cmocka_unit_test(test_reject_table),
		cmocka_unit_test(test_reject_info),
		cmocka_unit_test(test_roundtrip_property),
		cmocka_unit_test(test_golden_seeds),
		cmocka_unit_test(test_builder_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
