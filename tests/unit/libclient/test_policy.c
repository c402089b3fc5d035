/*
 * test_policy.c - the KAME policy API: text to sadb_x_policy bytes to text.
 *
 * Golden rows give the text, the exact extension (hex, little-endian
 * host order, as PF_KEY is a host interface) and the text ipsec-tools
 * would print; each row also parses its own dump back to the same bytes.
 * Every parse error and every byte-level rejection is its own row. The
 * round-trip property runs on random policies, seeded from PARAPET_SEED
 * (printed on failure).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <cmocka.h>

#include "policy.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define GOLDEN_BYTES	1
#else
#define GOLDEN_BYTES	0	/* the committed hex is little-endian */
#endif

static unsigned int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned int)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned int)(c - 'a' + 10);
	fail_msg("bad hex digit '%c'", c);
	return 0;
}

static size_t
unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*hex != '\0') {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		assert_true(n < max && hex[1] != '\0');
		out[n++] = (uint8_t)(nibble(hex[0]) << 4 | nibble(hex[1]));
		hex += 2;
	}
	return n;
}

static char *
tohex(const uint8_t *b, size_t n)
{
	char *s = malloc(n * 2 + 1);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	s[2 * n] = '\0';
	return s;
}

struct golden {
	const char	*text;
	const char	*hex;
	const char	*dump;
};

static const struct golden golden[] = {
	{ "in",
	    "02001200000001000000000000000000",
	    "in prio high + 1073741824 discard" },
	{ "out",
	    "02001200000002000000000000000000",
	    "out prio high + 1073741824 discard" },
	{ "fwd",
	    "02001200000003000000000000000000",
	    "fwd prio high + 1073741824 discard" },
	{ "in discard",
	    "02001200000001000000000000000080",
	    "in prio def discard" },
	{ "out none",
	    "02001200010002000000000000000080",
	    "out prio def none" },
	{ "fwd bypass",
	    "02001200040003000000000000000080",
	    "fwd prio def bypass" },
	{ "in entrust",
	    "02001200030001000000000000000080",
	    "in prio def entrust" },
	{ "out ipsec",
	    "02001200020002000000000000000080",
	    "out prio def ipsec" },
	{ "out ipsec esp/transport//require",
	    "0400120002000200000000000000008010003200010200000000000000000000",
	    "out prio def ipsec esp/transport//require" },
	{ "in ipsec ah/transport//use",
	    "0400120002000100000000000000008010003300010100000000000000000000",
	    "in prio def ipsec ah/transport//use" },
	{ "fwd ipsec ipcomp/transport//default",
	    "0400120002000300000000000000008010006c00010000000000000000000000",
	    "fwd prio def ipsec ipcomp/transport//default" },
	{ "in ipsec esp/transport//unique",
	    "0400120002000100000000000000008010003200010300000000000000000000",
	    "in prio def ipsec esp/transport//unique" },
	{ "in ipsec esp/transport",
	    "0400120002000100000000000000008010003200010000000000000000000000",
	    "in prio def ipsec esp/transport//default" },
	{ "in ipsec esp/transport/",
	    "0400120002000100000000000000008010003200010000000000000000000000",
	    "in prio def ipsec esp/transport//default" },
	{ "out ipsec esp/tunnel/10.0.0.1-10.0.0.2/require",
	    "0800120002000200000000000000008030003200020200000000000000000000020000000a0000010000000000000000020000000a0000020000000000000000",
	    "out prio def ipsec esp/tunnel/10.0.0.1-10.0.0.2/require" },
	{ "out ipsec ah/tunnel/10.0.0.1-10.0.0.2",
	    "0800120002000200000000000000008030003300020000000000000000000000020000000a0000010000000000000000020000000a0000020000000000000000",
	    "out prio def ipsec ah/tunnel/10.0.0.1-10.0.0.2/default" },
	{ "out ipsec ipcomp/tunnel/10.0.0.1-10.0.0.2/",
	    "0800120002000200000000000000008030006c00020000000000000000000000020000000a0000010000000000000000020000000a0000020000000000000000",
	    "out prio def ipsec ipcomp/tunnel/10.0.0.1-10.0.0.2/default" },
	{ "fwd ipsec esp/tunnel/192.168.1.1-192.168.2.1/use",
	    "080012000200030000000000000000803000320002010000000000000000000002000000c0a80101000000000000000002000000c0a802010000000000000000",
	    "fwd prio def ipsec esp/tunnel/192.168.1.1-192.168.2.1/use" },
	{ "in ipsec esp/transport/10.0.0.1-10.0.0.2/require",
	    "0800120002000100000000000000008030003200010200000000000000000000020000000a0000010000000000000000020000000a0000020000000000000000",
	    "in prio def ipsec esp/transport/10.0.0.1-10.0.0.2/require" },
	{ "in ipsec ah/tunnel/2001:db8::1-2001:db8::2/unique",
	    "0b001200020001000000000000000080480033000203000000000000000000000a0000000000000020010db8000000000000000000000001000000000a0000000000000020010db800000000000000000000000200000000",
	    "in prio def ipsec ah/tunnel/2001:db8::1-2001:db8::2/unique" },
	{ "in ipsec esp/tunnel/fe80::1%2-fe80::2%3/use",
	    "0b001200020001000000000000000080480032000201000000000000000000000a00000000000000fe800000000000000000000000000001020000000a00000000000000fe80000000000000000000000000000203000000",
	    "in prio def ipsec esp/tunnel/fe80::1%2-fe80::2%3/use" },
	{ "in ipsec esp/tunnel/::ffff:10.0.0.1-::1/require",
	    "0b001200020001000000000000000080480032000202000000000000000000000a0000000000000000000000000000000000ffff0a000001000000000a000000000000000000000000000000000000000000000100000000",
	    "in prio def ipsec esp/tunnel/::ffff:10.0.0.1-::1/require" },
	{ "out ipsec esp/tunnel/10.0.0.1[4500]-10.0.0.2[500]/require",
	    "0800120002000200000000000000008030003200020200000000000000000000020011940a0000010000000000000000020001f40a0000020000000000000000",
	    "out prio def ipsec esp/tunnel/10.0.0.1[4500]-10.0.0.2[500]/require" },
	{ "out ipsec esp/tunnel/2001:db8::1[0]-2001:db8::2[65535]/require",
	    "0b001200020002000000000000000080480032000202000000000000000000000a0000000000000020010db8000000000000000000000001000000000a00ffff0000000020010db800000000000000000000000200000000",
	    "out prio def ipsec esp/tunnel/2001:db8::1[0]-2001:db8::2[65535]/require" },
	{ "out ipsec esp/tunnel/10.0.0.1[0]-10.0.0.2[0]/require",
	    "0800120002000200000000000000008030003200020200000000000000000000020000000a0000010000000000000000020000000a0000020000000000000000",
	    "out prio def ipsec esp/tunnel/10.0.0.1-10.0.0.2/require" },
	{ "out ipsec esp/transport//unique:1",
	    "0400120002000200000000000000008010003200010300000100000000000000",
	    "out prio def ipsec esp/transport//unique:1" },
	{ "out ipsec esp/transport//unique:16383",
	    "040012000200020000000000000000801000320001030000ff3f000000000000",
	    "out prio def ipsec esp/transport//unique:16383" },
	{ "out ipsec esp/transport//unique:16384",
	    "0400120002000200000000000000008010003200010300000040000000000000",
	    "out prio def ipsec esp/transport//unique:16384" },
	{ "out ipsec esp/transport//unique:32767",
	    "040012000200020000000000000000801000320001030000ff7f000000000000",
	    "out prio def ipsec esp/transport//unique:32767" },
	{ "out ipsec esp/transport//unique#32768",
	    "0400120002000200000000000000008010003200010300000080000000000000",
	    "out prio def ipsec esp/transport//unique#32768" },
	{ "out ipsec esp/transport//unique#4294967295",
	    "040012000200020000000000000000801000320001030000ffffffff00000000",
	    "out prio def ipsec esp/transport//unique#4294967295" },
	{ "out ipsec esp/transport//unique:007",
	    "0400120002000200000000000000008010003200010300000700000000000000",
	    "out prio def ipsec esp/transport//unique:7" },
	{ "out ipsec esp/transport/me-any/require",
	    "0400120002000200000000000000008010003200010200000000000000000000",
	    "out prio def ipsec esp/transport//require" },
	{ "in ipsec esp/transport/any-me/use",
	    "0400120002000100000000000000008010003200010100000000000000000000",
	    "in prio def ipsec esp/transport//use" },
	{ "out prio 0 discard",
	    "02001200000002000000000000000080",
	    "out prio def discard" },
	{ "out prio 5 discard",
	    "020012000000020000000000fbffff7f",
	    "out prio def + 5 discard" },
	{ "out prio -5 none",
	    "02001200010002000000000005000080",
	    "out prio def - 5 none" },
	{ "out priority 2147483648 discard",
	    "02001200000002000000000000000000",
	    "out prio high + 1073741824 discard" },
	{ "out prio - 2147483647 discard",
	    "020012000000020000000000ffffffff",
	    "out prio low - 1073741823 discard" },
	{ "out prio high discard",
	    "02001200000002000000000000000040",
	    "out prio high discard" },
	{ "out prio def discard",
	    "02001200000002000000000000000080",
	    "out prio def discard" },
	{ "out prio low discard",
	    "020012000000020000000000000000c0",
	    "out prio low discard" },
	{ "out prio high + 1073741824 discard",
	    "02001200000002000000000000000000",
	    "out prio high + 1073741824 discard" },
	{ "out prio high - 1 discard",
	    "02001200000002000000000001000040",
	    "out prio high - 1 discard" },
	{ "out prio low - 1073741823 discard",
	    "020012000000020000000000ffffffff",
	    "out prio low - 1073741823 discard" },
	{ "out prio low + 1 discard",
	    "020012000000020000000000ffffffbf",
	    "out prio low + 1 discard" },
	{ "out prio def + 536870912 discard",
	    "02001200000002000000000000000060",
	    "out prio def + 536870912 discard" },
	{ "out prio high - 536870911 discard",
	    "020012000000020000000000ffffff5f",
	    "out prio high - 536870911 discard" },
	{ "out prio def - 536870912 discard",
	    "020012000000020000000000000000a0",
	    "out prio low + 536870912 discard" },
	{ "out prio def+1 ipsec esp/transport//require",
	    "040012000200020000000000ffffff7f10003200010200000000000000000000",
	    "out prio def + 1 ipsec esp/transport//require" },
	{ "out ipsec esp/transport//require ah/transport//require",
	    "060012000200020000000000000000801000320001020000000000000000000010003300010200000000000000000000",
	    "out prio def ipsec esp/transport//require ah/transport//require" },
	{ "out ipsec ipcomp/tunnel/10.0.0.1-10.0.0.2/use esp/transport//require ah/tunnel/2001:db8::1-2001:db8::2/unique:7",
	    "1300120002000200000000000000008030006c00020100000000000000000000020000000a0000010000000000000000020000000a000002000000000000000010003200010200000000000000000000480033000203000007000000000000000a0000000000000020010db8000000000000000000000001000000000a0000000000000020010db800000000000000000000000200000000",
	    "out prio def ipsec ipcomp/tunnel/10.0.0.1-10.0.0.2/use esp/transport//require ah/tunnel/2001:db8::1-2001:db8::2/unique:7" },
	{ "in ipsec esp/tunnel/10.0.0.1-10.0.0.2/require esp/tunnel/10.0.0.2-10.0.0.3/require esp/tunnel/10.0.0.3-10.0.0.4/require",
	    "1400120002000100000000000000008030003200020200000000000000000000020000000a0000010000000000000000020000000a000002000000000000000030003200020200000000000000000000020000000a0000020000000000000000020000000a000003000000000000000030003200020200000000000000000000020000000a0000030000000000000000020000000a0000040000000000000000",
	    "in prio def ipsec esp/tunnel/10.0.0.1-10.0.0.2/require esp/tunnel/10.0.0.2-10.0.0.3/require esp/tunnel/10.0.0.3-10.0.0.4/require" },
	/* Whitespace and newlines between any tokens, as flex allows. */
	{ "  out\tipsec\n esp / tunnel / 10.0.0.1 - 10.0.0.2 / require ",
	    "0800120002000200000000000000008030003200020200000000000000000000020000000a0000010000000000000000020000000a0000020000000000000000",
	    "out prio def ipsec esp/tunnel/10.0.0.1-10.0.0.2/require" },
};

static void
test_golden(void **state)
{
	uint8_t want[1024];
	size_t i, n, len, len2;
	uint8_t *b, *b2;
	char *t, *h;

	(void)state;
	for (i = 0; i < nitems(golden); i++) {
		const struct golden *g = &golden[i];

		b = (uint8_t *)ipsec_set_policy(g->text, (int)strlen(g->text));
		if (b == NULL) {
			fail_msg("row %zu \"%s\": %s", i, g->text,
			    ipsec_strerror());
			return;
		}
		len = (size_t)ipsec_get_policylen((const char *)b);
		n = unhex(g->hex, want, sizeof(want));
		h = tohex(b, len);
		if (GOLDEN_BYTES && (len != n || memcmp(b, want, n) != 0))
			fail_msg("row %zu \"%s\":\n got  %s\n want %s", i,
			    g->text, h, g->hex);
		free(h);
		assert_int_equal(len % 8, 0);
		t = ipsec_dump_policy((const char *)b, NULL);
		if (t == NULL || strcmp(t, g->dump) != 0) {
			fail_msg("row %zu \"%s\":\n got  \"%s\"\n want \"%s\"",
			    i, g->text, t ? t : ipsec_strerror(), g->dump);
			return;
		}
		assert_int_equal(ipsec_errcode(), EIPSEC_NO_ERROR);
		assert_string_equal(ipsec_strerror(), "Success");
		/* The dump reads back to the very same bytes. */
		assert_int_equal(policy_parse(t, strlen(t), &b2, &len2), 0);
		assert_int_equal(len2, len);
		assert_memory_equal(b2, b, len);
		free(b2);
		free(t);
		free(b);
	}
}

struct bad_text {
	const char	*text;
	int		 code;
};

static const struct bad_text bad_texts[] = {
	{ "", EIPSEC_INVAL_ARGUMENT },
	{ "   ", EIPSEC_INVAL_ARGUMENT },
	{ "inbound discard", EIPSEC_INVAL_ARGUMENT },
	{ "discard", EIPSEC_INVAL_ARGUMENT },
	{ "in foo", EIPSEC_INVAL_ARGUMENT },
	{ "in discard;", EIPSEC_INVAL_ARGUMENT },
	{ "in discard\r", EIPSEC_INVAL_ARGUMENT },
	{ "IN discard", EIPSEC_INVAL_ARGUMENT },
	{ "in in discard", EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec 10.0.0.1", EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec esp", EIPSEC_FEW_ARGUMENTS },
	{ "in ipsec esp ah/transport//require", EIPSEC_FEW_ARGUMENTS },
	{ "in ipsec esp/", EIPSEC_FEW_ARGUMENTS },
	{ "in ipsec esp/foo", EIPSEC_FEW_ARGUMENTS },
	{ "in ipsec esp/beet", EIPSEC_FEW_ARGUMENTS },
	{ "in ipsec esp/tunnel", EIPSEC_INVAL_ADDRESS },
	{ "in ipsec esp/tunnel/", EIPSEC_INVAL_ADDRESS },
	{ "in ipsec esp/tunnel//require", EIPSEC_INVAL_ADDRESS },
	{ "out ipsec esp/tunnel/me-any/require", EIPSEC_INVAL_ADDRESS },
	{ "in ipsec esp/transport//", EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec esp/transport///require", EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec esp/transport//require/", EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec esp/transport//bogus", EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec esp/tunnel/10.0.0.1/require", EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec esp/tunnel/10.0.0.1-/require", EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec esp/tunnel/10.0.0.1-me/require", EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec esp/tunnel/10.0.0.256-10.0.0.2/require",
	    EIPSEC_INVAL_ADDRESS },
	{ "in ipsec esp/tunnel/10.1-10.0.0.2/require", EIPSEC_INVAL_ADDRESS },
	{ "in ipsec esp/tunnel/host.example-10.0.0.2/require",
	    EIPSEC_INVAL_ADDRESS },
	{ "in ipsec esp/tunnel/10.0.0.1-2001:db8::1/require",
	    EIPSEC_FAMILY_MISMATCH },
	{ "in ipsec esp/tunnel/10.0.0.1%1-10.0.0.2/require",
	    EIPSEC_INVAL_ADDRESS },
	{ "in ipsec esp/tunnel/fe80::1%eth0-fe80::2/require",
	    EIPSEC_INVAL_ADDRESS },
	{ "in ipsec esp/tunnel/fe80::1%4294967296-fe80::2/require",
	    EIPSEC_INVAL_ADDRESS },
	{ "in ipsec esp/tunnel/10.0.0.1[65536]-10.0.0.2[1]/require",
	    EIPSEC_INVAL_ADDRESS },
	{ "in ipsec esp/tunnel/10.0.0.1[1]-10.0.0.2/require",
	    EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec esp/tunnel/10.0.0.1-10.0.0.2[1]/require",
	    EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec esp/tunnel/10.0.0.1[x]-10.0.0.2[1]/require",
	    EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec esp/transport//unique:0", EIPSEC_INVAL_LEVEL },
	{ "in ipsec esp/transport//unique:32768", EIPSEC_INVAL_LEVEL },
	{ "in ipsec esp/transport//unique:99999999999999999999",
	    EIPSEC_INVAL_LEVEL },
	{ "in ipsec esp/transport//unique:", EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec esp/transport//unique#32767", EIPSEC_INVAL_LEVEL },
	{ "in ipsec esp/transport//unique#4294967296", EIPSEC_INVAL_LEVEL },
	{ "in ipsec esp/transport//unique#", EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec esp/transport//require:5", EIPSEC_INVAL_ARGUMENT },
	{ "in ipsec esp/transport/me-any/require", EIPSEC_INVAL_DIR },
	{ "out ipsec esp/transport/any-me/require", EIPSEC_INVAL_DIR },
	{ "fwd ipsec esp/transport/any-me/require", EIPSEC_INVAL_DIR },
	{ "out ipsec esp/transport/me-me/require", EIPSEC_INVAL_ARGUMENT },
	{ "in discard esp/transport//require", EIPSEC_INVAL_POLICY },
	{ "in none ah/transport", EIPSEC_INVAL_POLICY },
	{ "in prio 2147483649 discard", EIPSEC_INVAL_PRIORITY_OFFSET },
	{ "in prio - 2147483648 discard", EIPSEC_INVAL_PRIORITY_OFFSET },
	{ "in prio def + 1073741825 discard",
	    EIPSEC_INVAL_PRIORITY_BASE_OFFSET },
	{ "in prio def - 1073741824 discard",
	    EIPSEC_INVAL_PRIORITY_BASE_OFFSET },
	{ "in prio discard", EIPSEC_INVAL_ARGUMENT },
	{ "in prio def", EIPSEC_INVAL_ARGUMENT },
	{ "in prio +5 discard", EIPSEC_INVAL_ARGUMENT },
	{ "in prio def + discard", EIPSEC_INVAL_ARGUMENT },
	{ "in prio def 5 discard", EIPSEC_INVAL_ARGUMENT },
};

static void
test_bad_text(void **state)
{
	size_t i;
	char *p;

	(void)state;
	for (i = 0; i < nitems(bad_texts); i++) {
		const struct bad_text *bt = &bad_texts[i];

		p = ipsec_set_policy(bt->text, (int)strlen(bt->text));
		if (p != NULL || ipsec_errcode() != bt->code)
			fail_msg("row %zu \"%s\": got %d (%s), want %d", i,
			    bt->text, p ? 0 : ipsec_errcode(),
			    ipsec_strerror(), bt->code);
	}
	assert_null(ipsec_set_policy(NULL, 0));
	assert_int_equal(ipsec_errcode(), EIPSEC_INVAL_ARGUMENT);
	assert_null(ipsec_set_policy("in discard", -1));
	assert_int_equal(ipsec_errcode(), EIPSEC_INVAL_ARGUMENT);
	assert_string_equal(ipsec_strerror(), "Invalid argument");
}

/* The length bounds the text; a NUL inside it ends it sooner. */
static void
test_text_length(void **state)
{
	static const char s[] = "in discard\0garbage";
	uint8_t want[16];
	char *p;

	(void)state;
	p = ipsec_set_policy(s, (int)sizeof(s));
	assert_non_null(p);
	unhex("02001200000001000000000000000080", want, sizeof(want));
	if (GOLDEN_BYTES)
		assert_memory_equal(p, want, sizeof(want));
	free(p);
	/* "in discard" cut after "in": the bare direction. */
	p = ipsec_set_policy("in discard", 2);
	assert_non_null(p);
	assert_int_equal(ipsec_get_policylen(p), 16);
	free(p);
	assert_int_equal(ipsec_get_policylen(NULL), -1);
}

/* More requests than sadb_x_policy_len can count. */
static void
test_too_long(void **state)
{
	static const char req[] =
	    " esp/tunnel/2001:db8::1-2001:db8::2/require";
	size_t n = 7282, i, len = 0;
	char *s = malloc(16 + n * sizeof(req));
	uint8_t *b;

	(void)state;
	assert_non_null(s);
	len = strlen("out ipsec");
	memcpy(s, "out ipsec", len);
	for (i = 0; i < n - 1; i++) {
		memcpy(s + len, req, sizeof(req));
		len += sizeof(req) - 1;
	}
	/* 16 + 7281 * 72 octets fit in 0xffff words... */
	b = (uint8_t *)ipsec_set_policy(s, (int)len);
	assert_non_null(b);
	assert_int_equal(ipsec_get_policylen((char *)b), 16 + 7281 * 72);
	free(b);
	/* ...one more does not. */
	memcpy(s + len, req, sizeof(req));
	len += sizeof(req) - 1;
	assert_null(ipsec_set_policy(s, (int)len));
	assert_int_equal(ipsec_errcode(), EIPSEC_NO_BUFS);
	free(s);
}

static void
test_delimiter(void **state)
{
	static const char s[] = "out ipsec esp/tunnel/10.0.0.1-10.0.0.2/require"
	    " ah/transport//use";
	char *p, *t;

	(void)state;
	p = ipsec_set_policy(s, (int)strlen(s));
	assert_non_null(p);
	t = ipsec_dump_policy(p, "\n\t");
	assert_string_equal(t, "out prio def ipsec\n\t"
	    "esp/tunnel/10.0.0.1-10.0.0.2/require\n\tah/transport//use");
	free(t);
	t = ipsec_dump_policy_withports(p, NULL);
	assert_string_equal(t, "out prio def ipsec "
	    "esp/tunnel/10.0.0.1[0]-10.0.0.2[0]/require ah/transport//use");
	free(t);
	free(p);
	assert_null(ipsec_dump_policy(NULL, NULL));
	assert_int_equal(ipsec_errcode(), EIPSEC_INVAL_ARGUMENT);
}

struct bad_bytes {
	const char	*what;
	const char	*hex;
	int		 code;
};

#define HDR_IPSEC(words) words "001200 02000200 00000000 00000080 "
#define SIN_A	"02000000 0a000001 00000000 00000000 "
#define SIN_B	"02000000 0a000002 00000000 00000000 "
#define SIN6_B	"0a000000 00000000 20010db8000000000000000000000002 00000000 "

static const struct bad_bytes bad_bytes[] = {
	{ "empty", "", EIPSEC_INVAL_SADBMSG },
	{ "truncated header", "01001200 02000200", EIPSEC_INVAL_SADBMSG },
	{ "exttype 17", "02001100 00000100 00000000 00000080",
	    EIPSEC_INVAL_EXTTYPE },
	{ "len words 0", "00001200 00000100 00000000 00000080",
	    EIPSEC_INVAL_SADBMSG },
	{ "len words 3 for 2", "03001200 00000100 00000000 00000080",
	    EIPSEC_INVAL_SADBMSG },
	{ "len words 1 for 2", "01001200 00000100 00000000 00000080",
	    EIPSEC_INVAL_SADBMSG },
	{ "reserved", "02001200 00000101 00000000 00000080",
	    EIPSEC_INVAL_SADBMSG },
	{ "dir any", "02001200 00000000 00000000 00000080", EIPSEC_INVAL_DIR },
	{ "dir 4 (socket in)", "02001200 00000400 00000000 00000080",
	    EIPSEC_INVAL_DIR },
	{ "dir 5 (socket out)", "02001200 00000500 00000000 00000080",
	    EIPSEC_INVAL_DIR },
	{ "dir 255", "02001200 0000ff00 00000000 00000080", EIPSEC_INVAL_DIR },
	{ "type 5", "02001200 05000100 00000000 00000080",
	    EIPSEC_INVAL_POLICY },
	{ "type 0x100", "02001200 00010100 00000000 00000080",
	    EIPSEC_INVAL_POLICY },
	{ "discard with a request", "04001200 00000200 00000000 00000080 "
	    "10003200 01020000 00000000 00000000", EIPSEC_INVAL_POLICY },
	{ "request len 0", HDR_IPSEC("04")
	    "00003200 01020000 00000000 00000000", EIPSEC_INVAL_SADBMSG },
	{ "request len 8", HDR_IPSEC("04")
	    "08003200 01020000 00000000 00000000", EIPSEC_INVAL_SADBMSG },
	{ "request past the end", HDR_IPSEC("04")
	    "18003200 01020000 00000000 00000000", EIPSEC_INVAL_SADBMSG },
	{ "truncated request", HDR_IPSEC("03") "10003200 01020000",
	    EIPSEC_INVAL_SADBMSG },
	{ "proto 0", HDR_IPSEC("04") "10000000 01020000 00000000 00000000",
	    EIPSEC_INVAL_PROTO },
	{ "proto tcp", HDR_IPSEC("04") "10000600 01020000 00000000 00000000",
	    EIPSEC_INVAL_PROTO },
	{ "mode any", HDR_IPSEC("04") "10003200 00020000 00000000 00000000",
	    EIPSEC_INVAL_MODE },
	{ "mode beet", HDR_IPSEC("04") "10003200 03020000 00000000 00000000",
	    EIPSEC_INVAL_MODE },
	{ "level 4", HDR_IPSEC("04") "10003200 01040000 00000000 00000000",
	    EIPSEC_INVAL_LEVEL },
	{ "require with reqid", HDR_IPSEC("04")
	    "10003200 01020000 05000000 00000000", EIPSEC_INVAL_LEVEL },
	{ "tunnel without endpoints", HDR_IPSEC("04")
	    "10003200 02020000 00000000 00000000", EIPSEC_INVAL_ADDRESS },
	{ "family 0", HDR_IPSEC("08") "30003200 02020000 00000000 00000000 "
	    "00000000 0a000001 00000000 00000000 " SIN_B,
	    EIPSEC_INVAL_FAMILY },
	{ "family AF_UNIX", HDR_IPSEC("08")
	    "30003200 02020000 00000000 00000000 " SIN_A
	    "01000000 0a000002 00000000 00000000", EIPSEC_INVAL_FAMILY },
	{ "family mismatch", HDR_IPSEC("0a")
	    "40003200 02020000 00000000 00000000 " SIN_A SIN6_B "00000000",
	    EIPSEC_FAMILY_MISMATCH },
	{ "sin_zero not zero", HDR_IPSEC("08")
	    "30003200 02020000 00000000 00000000 "
	    "02000000 0a000001 00000000 00000001 " SIN_B,
	    EIPSEC_INVAL_ADDRESS },
	{ "sin6_flowinfo not zero", HDR_IPSEC("0b")
	    "48003200 02020000 00000000 00000000 "
	    "0a000000 00000001 20010db8000000000000000000000001 00000000 "
	    SIN6_B, EIPSEC_INVAL_ADDRESS },
	{ "one sockaddr", HDR_IPSEC("06")
	    "20003200 02020000 00000000 00000000 " SIN_A,
	    EIPSEC_INVAL_ADDRESS },
	{ "truncated sockaddr", HDR_IPSEC("07")
	    "28003200 02020000 00000000 00000000 " SIN_A "02000000 0a000002",
	    EIPSEC_INVAL_ADDRESS },
	{ "bytes after the sockaddrs", HDR_IPSEC("09")
	    "38003200 02020000 00000000 00000000 " SIN_A SIN_B
	    "00000000 00000000", EIPSEC_INVAL_ADDRESS },
	{ "second request bad", HDR_IPSEC("06")
	    "10003200 01020000 00000000 00000000 "
	    "10003200 01050000 00000000 00000000", EIPSEC_INVAL_LEVEL },
};

static void
test_bad_bytes(void **state)
{
	uint8_t b[256];
	size_t i, n;
	char *t;
	int e;

	(void)state;
	if (!GOLDEN_BYTES)
		skip();
	for (i = 0; i < nitems(bad_bytes); i++) {
		const struct bad_bytes *bb = &bad_bytes[i];

		n = unhex(bb->hex, b, sizeof(b));
		t = NULL;
		e = policy_dump(b, n, NULL, false, &t);
		if (e != bb->code || t != NULL)
			fail_msg("row %zu (%s): got %d \"%s\", want %d", i,
			    bb->what, e, t ? t : "", bb->code);
		/* The libipsec entry point reads the length from the header. */
		if (n >= 16 && (size_t)b[0] * 8 == n) {
			assert_null(ipsec_dump_policy((char *)b, NULL));
			assert_int_equal(ipsec_errcode(), bb->code);
		}
	}
}

/* The id and the request's reserved fields are outside the text form. */
static void
test_canon(void **state)
{
	uint8_t b[128], want[128];
	size_t n;
	char *t;
	uint8_t *b2;
	size_t len2;

	(void)state;
	if (!GOLDEN_BYTES)
		skip();
	n = unhex("08001200 02000200 78563412 00000080 "
	    "30003200 0202ffff 00000000 efbeadde " SIN_A SIN_B, b, sizeof(b));
	unhex(HDR_IPSEC("08") "30003200 02020000 00000000 00000000 "
	    SIN_A SIN_B, want, sizeof(want));
	assert_int_equal(policy_dump(b, n, NULL, false, &t), 0);
	assert_string_equal(t,
	    "out prio def ipsec esp/tunnel/10.0.0.1-10.0.0.2/require");
	assert_int_equal(policy_parse(t, strlen(t), &b2, &len2), 0);
	policy_canon(b, n);
	assert_int_equal(len2, n);
	assert_memory_equal(b, want, n);
	assert_memory_equal(b2, want, n);
	free(b2);
	free(t);
}

static void
test_strerror(void **state)
{
	(void)state;
	assert_null(ipsec_set_policy("in ipsec esp", 12));
	assert_string_equal(ipsec_strerror(), "Too few arguments");
	assert_null(ipsec_set_policy("in prio 9999999999 none", 23));
	assert_string_equal(ipsec_strerror(),
	    "Priority offset not in valid range [-2147483647, 2147483648]");
	assert_null(ipsec_set_policy("out ipsec esp/tunnel/10.0.0.1-::1", 33));
	assert_string_equal(ipsec_strerror(), "Family mismatch");
	assert_null(ipsec_set_policy("out ipsec esp/tunnel", 20));
	assert_string_equal(ipsec_strerror(), "Invalid address specification");
}

static void *
fail_in_thread(void *arg)
{
	(void)arg;
	return ipsec_set_policy("in ipsec esp", 12) == NULL &&
	    ipsec_errcode() == EIPSEC_FEW_ARGUMENTS ? arg : NULL;
}

/* The error code is per thread, as one process may parse in many. */
static void
test_errcode_per_thread(void **state)
{
	static int token;
	pthread_t th;
	void *ok = NULL;
	char *p;

	(void)state;
	p = ipsec_set_policy("in discard", 10);
	assert_non_null(p);
	free(p);
	assert_int_equal(pthread_create(&th, NULL, fail_in_thread, &token), 0);
	assert_int_equal(pthread_join(th, &ok), 0);
	assert_ptr_equal(ok, &token);
	assert_int_equal(ipsec_errcode(), EIPSEC_NO_ERROR);
}

/* ---- Round trip on random policies ---- */

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
below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

struct text {
	char	s[8192];
	size_t	len;
};

static void tx(struct text *, const char *, ...) PRINTFLIKE(2, 3);

static void
tx(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(t->s + t->len, sizeof(t->s) - t->len, fmt, ap);
	va_end(ap);
	assert_true(r >= 0 && (size_t)r < sizeof(t->s) - t->len);
	t->len += (size_t)r;
}

static void
rand_addr(struct text *t, int family, bool port, bool scope)
{
	uint8_t a[16];
	char s[INET6_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < sizeof(a); i++)
		a[i] = below(4) == 0 ? 0 : (uint8_t)rnd();
	assert_non_null(inet_ntop(family, a, s, sizeof(s)));
	tx(t, "%s", s);
	if (scope)
		tx(t, "%%%u", (unsigned)rnd());
	if (port)
		tx(t, "[%u]", below(65536));
}

static void rand_request(struct text *, uint32_t);

static void
rand_policy(struct text *t, int *dir_out)
{
	static const char *const dirs[] = { "in", "out", "fwd" };
	static const char *const actions[] = { "discard", "none", "ipsec",
	    "entrust", "bypass" };
	static const char *const bases[] = { "high", "def", "low" };
	uint32_t dir = below(3), i, n;
	const char *action;

	*dir_out = (int)dir;
	tx(t, "%s", dirs[dir]);
	if (below(16) == 0)
		return;		/* the bare direction */
	switch (below(6)) {
	case 0:
		break;
	case 1:
		tx(t, " prio %u", below(0x80000001u));
		break;
	case 2:
		tx(t, " prio -%u", below(0x80000000u));
		break;
	case 3:
		tx(t, " priority %s", bases[below(3)]);
		break;
	case 4:
		tx(t, " prio %s + %u", bases[below(3)], below(0x40000001u));
		break;
	default:
		tx(t, " prio %s - %u", bases[below(3)], below(0x40000000u));
		break;
	}
	action = actions[below(8) < 4 ? 2 : below(5)];
	tx(t, " %s", action);
	if (strcmp(action, "ipsec") != 0)
		return;
	n = below(5);
	for (i = 0; i < n; i++)
		rand_request(t, dir);
}

static void
rand_request(struct text *t, uint32_t dir)
{
	static const char *const protos[] = { "esp", "ah", "ipcomp" };
	static const char *const levels[] = { "default", "use", "require",
	    "unique" };
	bool tunnel = below(2), addrs = tunnel || below(3) == 0;
	int family = below(2) ? AF_INET : AF_INET6;
	bool port = below(4) == 0;
	uint32_t lv = below(6);

	tx(t, " %s/%s", protos[below(3)], tunnel ? "tunnel" : "transport");
	if (!addrs && below(2) == 0)
		return;		/* "esp/transport" */
	tx(t, "/");
	if (addrs) {
		bool scope = family == AF_INET6 && below(4) == 0;

		rand_addr(t, family, port, scope);
		tx(t, "-");
		rand_addr(t, family, port, scope);
	} else if (below(4) == 0 && dir == 1)
		tx(t, "me-any");
	else if (below(4) == 0 && dir == 0)
		tx(t, "any-me");
	else if (below(3) == 0)
		return;		/* "esp/transport/" */
	else
		lv = below(5);	/* "//level" needs the level */
	if (lv < 4)
		tx(t, "/%s", levels[lv]);
	else if (lv == 4)
		tx(t, "/unique:%u", 1 + below(32767));
	else if (addrs || below(2) == 0)
		tx(t, "/unique#%u", 32768 + below(0xffff8000u));
}

static void
test_roundtrip(void **state)
{
	const char *env = getenv("PARAPET_SEED");
	uint64_t seed;
	struct text t;
	uint8_t *b, *b2;
	size_t len, len2;
	char *d, *d2;
	int i, dir, e;

	(void)state;
	seed = env != NULL ? strtoull(env, NULL, 0) : 0x5eed0f9011c4ull;
	rng = seed ? seed : 1;
	for (i = 0; i < 20000; i++) {
		t.len = 0;
		t.s[0] = '\0';
		rand_policy(&t, &dir);
		if ((e = policy_parse(t.s, t.len, &b, &len)) != 0)
			fail_msg("seed %llu iter %d: \"%s\": error %d",
			    (unsigned long long)seed, i, t.s, e);
		if ((e = policy_dump(b, len, NULL, i % 2, &d)) != 0)
			fail_msg("seed %llu iter %d: \"%s\": dump error %d",
			    (unsigned long long)seed, i, t.s, e);
		if ((e = policy_parse(d, strlen(d), &b2, &len2)) != 0 ||
		    len2 != len || memcmp(b, b2, len) != 0)
			fail_msg("seed %llu iter %d: \"%s\" -> \"%s\" (%d)",
			    (unsigned long long)seed, i, t.s, d, e);
		/* And the dump is a fixed point. */
		assert_int_equal(policy_dump(b2, len2, NULL, i % 2, &d2), 0);
		if (strcmp(d, d2) != 0)
			fail_msg("seed %llu iter %d: \"%s\" != \"%s\"",
			    (unsigned long long)seed, i, d, d2);
		free(d2);
		free(d);
		free(b2);
		free(b);
	}
}

/*
 * Random byte damage to valid extensions: whatever the dumper accepts
 * reads back to the same bytes, up to policy_canon().
 */
static void
test_damage(void **state)
{
	const char *env = getenv("PARAPET_SEED");
	uint64_t seed;
	uint8_t b[1024], *b2;
	size_t n, len2, g, k, accepted = 0;
	char *d;
	int i;

	(void)state;
	seed = env != NULL ? strtoull(env, NULL, 0) : 0xda3a6eull;
	rng = seed ? seed : 1;
	for (i = 0; i < 50000; i++) {
		g = below((uint32_t)nitems(golden));
		if ((n = unhex(golden[g].hex, b, sizeof(b))) == 0)
			continue;
		for (k = 1 + below(3); k > 0; k--)
			b[below((uint32_t)n)] = (uint8_t)rnd();
		if (policy_dump(b, n, NULL, i % 2, &d) != 0)
			continue;
		accepted++;
		if (policy_parse(d, strlen(d), &b2, &len2) != 0)
			fail_msg("seed %llu iter %d: \"%s\" does not parse",
			    (unsigned long long)seed, i, d);
		policy_canon(b, n);
		if (len2 != n || memcmp(b, b2, n) != 0)
			fail_msg("seed %llu iter %d: \"%s\" reads back wrong",
			    (unsigned long long)seed, i, d);
		free(b2);
		free(d);
	}
	assert_true(accepted > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_bad_text),
		cmocka_unit_test(test_text_length),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_delimiter),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_canon),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_errcode_per_thread),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_damage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
