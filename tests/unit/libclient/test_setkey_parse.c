/*
 * test_setkey_parse.c - setkey(8) text to PF_KEY bytes (setkey_parse.c).
 *
 * Golden rows give a statement and the exact datagrams it becomes (hex,
 * one 8-octet word per group, messages separated by '|'; little-endian
 * host order, as PF_KEY is a host interface). Every message must also
 * pass keyd's own validator (pfkey_msg_parse) unless the row says keyd
 * refuses it. Every parse error is its own row with its exact
 * "file:line:col: ..." message. Also: a failing statement yields no
 * script at all; line counting across comments, quotes and policies;
 * deleteall's matching and DELETE; setkey_complete_len(); the names.
 *
 * SETKEY_GOLDEN_PRINT=1 prints the rows' current bytes instead (for
 * writing new rows; every printed row was checked by hand against
 * RFC 2367 and <linux/pfkeyv2.h> before it was committed).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "pfkey_msg.h"
#include "setkey_parse.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define GOLDEN_BYTES	1
#else
#define GOLDEN_BYTES	0	/* the committed hex is little-endian */
#endif

#define PID	1234

/* keyd's REGISTER list (pfkey_dispatch.c keyd_algs[]). */
static const struct setkey_algs keyd_like = {
	.auth = { { 5, 0, 256, 256 }, { 7, 0, 512, 512 } },
	.nauth = 2,
	.enc = { { 20, 64, 288, 288 }, { 25, 64, 288, 288 }, { 11, 0, 0, 0 },
	    { 12, 128, 128, 256 } },
	.nenc = 4,
};

static void
opts(struct setkey_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->fname = "t.conf";
	o->pid = PID;
	o->first_seq = 1;
	o->rfc_mode = true;
	o->algs = &keyd_like;
}

/* Hex of every message of s: words of 8 octets, '|' between messages. */
static char *
script_hex(const struct setkey_script *s)
{
	size_t i, j, n = 1;
	char *out, *p;

	for (i = 0; i < s->nstmt; i++)
		n += s->stmt[i].len * 3 + 4;
	p = out = malloc(n);
	assert_non_null(out);
	*p = '\0';
	for (i = 0; i < s->nstmt; i++) {
		if (i > 0)
			p += sprintf(p, " | ");
		for (j = 0; j < s->stmt[i].len; j++)
			p += sprintf(p, "%s%02x", j > 0 && j % 8 == 0 ?
			    " " : "", s->stmt[i].msg[j]);
	}
	return out;
}

struct golden {
	const char	*text;
	const char	*hex;
};

#define AES288 "0x000102030405060708090a0b0c0d0e0f" \
	"101112131415161718191a1b1c1d1e1f20212223"

static const struct golden golden[] = {
	/* flush, dump, spdflush, spddump: a header, SA type by protocol. */
	{ "flush;",
	  "0209000002000000 01000000d2040000" },
	{ "flush esp;",
	  "0209000302000000 01000000d2040000" },
	{ "flush ah ;",
	  "0209000202000000 01000000d2040000" },
	{ "flush ipcomp;",
	  "0209000902000000 01000000d2040000" },
	{ "dump;",
	  "020a000002000000 01000000d2040000" },
	{ "dump esp-udp;",
	  "020a000302000000 01000000d2040000" },
	{ "spdflush;",
	  "0213000002000000 01000000d2040000" },
	{ "spddump;",
	  "0212000002000000 01000000d2040000" },
	/* ESP AES-GCM-16: mode, reqid, replay in SA2 and SA. */
	{ "add 10.0.0.1 10.0.0.2 esp 0x1000 -m transport -u 7 -r 32 -E "
	  "aes-gcm-16 "
	  "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1"
	  "f20212223;",
	  "0203000312000000 01000000d2040000 0200010000001000"
	  " 2000001440000000 03000500ff200000 020000000a000001"
	  " 0000000000000000 03000600ff200000 020000000a000002"
	  " 0000000000000000 0600090020010000 0001020304050607"
	  " 08090a0b0c0d0e0f 1011121314151617 18191a1b1c1d1e1f"
	  " 2021222300000000 0200130001000000 0000000007000000" },
	/* AH, quoted key, decimal SPI, hard and soft lifetimes. */
	{ "add 10.0.0.2 10.0.0.1 ah 4097 -lh 3600 -ls 3000 -bh 1000000 -A "
	  "hmac-sha256 \"0123456789abcdef0123456789abcdef\";",
	  "0203000219000000 01000000d2040000 0200010000001001"
	  " 0000050040000000 0400030000000000 40420f0000000000"
	  " 100e000000000000 0000000000000000 0400040000000000"
	  " 0000000000000000 b80b000000000000 0000000000000000"
	  " 03000500ff200000 020000000a000002 0000000000000000"
	  " 03000600ff200000 020000000a000001 0000000000000000"
	  " 0500080000010000 3031323334353637 3839616263646566"
	  " 3031323334353637 3839616263646566 0200130000000000"
	  " 0000000000000000" },
	/* IPv6, tunnel, padding flags, empty null key plus HMAC-SHA-512. */
	{ "add -6 2001:db8::1 2001:db8::2 esp 0x2000 -m tunnel -f zero-pad "
	  "-f nocyclic-seq -E null -A hmac-sha512 "
	  "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeef"
	  "f00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	  ";",
	  "020300031a000000 01000000d2040000 0200010000002000"
	  " 0000070b00020000 05000500ff800000 0a00000000000000"
	  " 20010db800000000 0000000000000001 0000000000000000"
	  " 05000600ff800000 0a00000000000000 20010db800000000"
	  " 0000000000000002 0000000000000000 0900080000020000"
	  " 0011223344556677 8899aabbccddeeff 0011223344556677"
	  " 8899aabbccddeeff 0011223344556677 8899aabbccddeeff"
	  " 0011223344556677 8899aabbccddeeff 0100090000000000"
	  " 0200130002000000 0000000000000000" },
	/* ESP in UDP: NAT-T type, ports (4500 when 0), original address. */
	{ "add 10.0.0.1[4501] 192.0.2.1 esp-udp 10.1.1.1 0x3000 -E null -A "
	  "hmac-sha256 "
	  "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1"
	  "f;",
	  "0203000318000000 01000000d2040000 0200010000003000"
	  " 0000050b40000000 03000500ff200000 020011950a000001"
	  " 0000000000000000 03000600ff200000 02000000c0000201"
	  " 0000000000000000 0500080000010000 0001020304050607"
	  " 08090a0b0c0d0e0f 1011121314151617 18191a1b1c1d1e1f"
	  " 0100090000000000 0200130000000000 0000000000000000"
	  " 0100140002000000 0100150011950000 0100160011940000"
	  " 03001700ff200000 020000000a010101 0000000000000000" },
	/* esp-old: SADB_X_EXT_OLD; -ctx: SEC_CTX with its NUL; IPComp -R. */
	{ "add 10.0.0.1 10.0.0.2 esp-old 0x1001 -E null;",
	  "020300030d000000 01000000d2040000 0200010000001001"
	  " 0000000b41000000 03000500ff200000 020000000a000001"
	  " 0000000000000000 03000600ff200000 020000000a000002"
	  " 0000000000000000 0100090000000000 0200130000000000"
	  " 0000000000000000" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x1002 -ctx 1 2 \"system_u:r:t\" -E "
	  "aes-cbc 0x000102030405060708090a0b0c0d0e0f;",
	  "0203000312000000 01000000d2040000 0200010000001002"
	  " 0000000c40000000 03000500ff200000 020000000a000001"
	  " 0000000000000000 03000600ff200000 020000000a000002"
	  " 0000000000000000 0300090080000000 0001020304050607"
	  " 08090a0b0c0d0e0f 0200130000000000 0000000000000000"
	  " 0300180002010d00 73797374656d5f75 3a723a7400000000" },
	{ "add 10.0.0.1 10.0.0.2 ipcomp 0x1003 -C deflate -R;",
	  "020300090c000000 01000000d2040000 0200010000001003"
	  " 00000002c0000000 03000500ff200000 020000000a000001"
	  " 0000000000000000 03000600ff200000 020000000a000002"
	  " 0000000000000000 0200130000000000 0000000000000000" },
	/* get, delete: SA without algorithms, SA2; IPv6 scope. */
	{ "get 10.0.0.1 10.0.0.2 esp 0x1000;",
	  "020500030c000000 01000000d2040000 0200010000001000"
	  " 0000000040000000 03000500ff200000 020000000a000001"
	  " 0000000000000000 03000600ff200000 020000000a000002"
	  " 0000000000000000 0200130000000000 0000000000000000" },
	{ "delete fe80::1%3 fe80::2%3 ah 9;",
	  "0204000210000000 01000000d2040000 0200010000000009"
	  " 0000000040000000 05000500ff800000 0a00000000000000"
	  " fe80000000000000 0000000000000001 0300000000000000"
	  " 05000600ff800000 0a00000000000000 fe80000000000000"
	  " 0000000000000002 0300000000000000 0200130000000000"
	  " 0000000000000000" },
	{ "delete 10.0.0.1 10.0.0.2 esp 0x1000 -m tunnel -u 3;",
	  "020400030c000000 01000000d2040000 0200010000001000"
	  " 0000000040000000 03000500ff200000 020000000a000001"
	  " 0000000000000000 03000600ff200000 020000000a000002"
	  " 0000000000000000 0200130002000000 0000000003000000" },
	/* getspi: SA2 and SPIRANGE (min = max), or no range for SPI 0. */
	{ "getspi 10.0.0.1 10.0.0.2 esp 0x5000 -m tunnel -u 9;",
	  "020100030c000000 01000000d2040000 03000500ff200000"
	  " 020000000a000001 0000000000000000 03000600ff200000"
	  " 020000000a000002 0000000000000000 0200100000500000"
	  " 0050000000000000 0200130002000000 0000000009000000" },
	{ "getspi 10.0.0.1 10.0.0.2 ah 0;",
	  "020100020a000000 01000000d2040000 03000500ff200000"
	  " 020000000a000001 0000000000000000 03000600ff200000"
	  " 020000000a000002 0000000000000000 0200130000000000"
	  " 0000000000000000" },
	/* update: as add. */
	{ "update 10.0.0.1 10.0.0.2 esp 0x5000 -m tunnel -u 9 -E null -A "
	  "hmac-sha256 0x000102030405060708090a0b0c0d0e0f"
	  "101112131415161718191a1b1c1d1e1f;",
	  "0202000312000000 01000000d2040000 0200010000005000"
	  " 0000050b40000000 03000500ff200000 020000000a000001"
	  " 0000000000000000 03000600ff200000 020000000a000002"
	  " 0000000000000000 0500080000010000 0001020304050607"
	  " 08090a0b0c0d0e0f 1011121314151617 18191a1b1c1d1e1f"
	  " 0100090000000000 0200130002000000 0000000009000000" },
	/* deleteall: the DUMP of its SA type (the shell deletes). */
	{ "deleteall 10.0.0.1 10.0.0.2 esp;",
	  "020a000302000000 01000000d2040000" },
	/* spdadd: policy, selectors with prefix, port, upper layer. */
	{ "spdadd 10.0.0.0/24[any] 10.0.1.0/24[80] tcp -P out ipsec "
	  "esp/tunnel/10.0.0.1-10.0.0.2/require;",
	  "020e000010000000 01000000d2040000 0300050006180000"
	  " 020000000a000000 0000000000000000 0300060006180000"
	  " 020000500a000100 0000000000000000 0800120002000200"
	  " 0000000000000080 3000320002020000 0000000000000000"
	  " 020000000a000001 0000000000000000 020000000a000002"
	  " 0000000000000000" },
	/* An in policy and its fwd twin (unique:5 -> require, reqid 0). */
	{ "spdadd 10.0.1.0/24 10.0.0.0/24 any -P in ipsec "
	  "esp/tunnel/10.0.0.2-10.0.0.1/unique:5;",
	  "020e000010000000 01000000d2040000 03000500ff180000"
	  " 020000000a000100 0000000000000000 03000600ff180000"
	  " 020000000a000000 0000000000000000 0800120002000100"
	  " 0000000000000080 3000320002030000 0500000000000000"
	  " 020000000a000002 0000000000000000 020000000a000001"
	  " 0000000000000000 | 020e000010000000 02000000d2040000"
	  " 03000500ff180000 020000000a000100 0000000000000000"
	  " 03000600ff180000 020000000a000000 0000000000000000"
	  " 0800120002000300 0000000000000080 3000320002020000"
	  " 0000000000000000 020000000a000002 0000000000000000"
	  " 020000000a000001 0000000000000000" },
	/* icmp6/icmp type,code in the ports; gre keys; prio; -ctx. */
	{ "spdadd ::/0 ::/0 icmp6 135,0 -P in none;",
	  "020e00000e000000 01000000d2040000 050005003a000000"
	  " 0a00008700000000 0000000000000000 0000000000000000"
	  " 0000000000000000 050006003a000000 0a00000000000000"
	  " 0000000000000000 0000000000000000 0000000000000000"
	  " 0200120001000100 0000000000000080 | 020e00000e000000"
	  " 02000000d2040000 050005003a000000 0a00008700000000"
	  " 0000000000000000 0000000000000000 0000000000000000"
	  " 050006003a000000 0a00000000000000 0000000000000000"
	  " 0000000000000000 0000000000000000 0200120001000300"
	  " 0000000000000080" },
	{ "spdadd 0.0.0.0/0 0.0.0.0/0 icmp 8 -P out discard;",
	  "020e00000a000000 01000000d2040000 0300050001000000"
	  " 0200000800000000 0000000000000000 0300060001000000"
	  " 0200000000000000 0000000000000000 0200120000000200"
	  " 0000000000000080" },
	{ "spdadd 10.0.0.1 10.0.0.2 gre 1234 -P out ipsec "
	  "esp/transport//require;",
	  "020e00000c000000 01000000d2040000 030005002f200000"
	  " 020000000a000001 0000000000000000 030006002f200000"
	  " 020004d20a000002 0000000000000000 0400120002000200"
	  " 0000000000000080 1000320001020000 0000000000000000" },
	{ "spdadd 10.0.0.1 10.0.0.2 gre 0.1.0.2 -P out prio high + 5 ipsec "
	  "esp/transport//use ah/transport//require;",
	  "020e00000e000000 01000000d2040000 030005002f200000"
	  " 020000010a000001 0000000000000000 030006002f200000"
	  " 020000020a000002 0000000000000000 0600120002000200"
	  " 00000000fbffff3f 1000320001010000 0000000000000000"
	  " 1000330001020000 0000000000000000" },
	{ "spdadd 10.0.0.1 10.0.0.2 17 -ctx 1 1 \"ctx\" -P out none;",
	  "020e00000c000000 01000000d2040000 0300050011200000"
	  " 020000000a000001 0000000000000000 0300060011200000"
	  " 020000000a000002 0000000000000000 0200120001000200"
	  " 0000000000000080 0200180001010400 6374780000000000" },
	/* spdupdate; spddelete with the bare direction (and fwd twin). */
	{ "spdupdate 10.0.0.1 10.0.0.2 udp -P fwd ipsec esp/transport//use;",
	  "020d00000c000000 01000000d2040000 0300050011200000"
	  " 020000000a000001 0000000000000000 0300060011200000"
	  " 020000000a000002 0000000000000000 0400120002000300"
	  " 0000000000000080 1000320001010000 0000000000000000" },
	{ "spddelete 10.0.0.0/24 10.0.1.0/24 any -P out;",
	  "020f00000a000000 01000000d2040000 03000500ff180000"
	  " 020000000a000000 0000000000000000 03000600ff180000"
	  " 020000000a000100 0000000000000000 0200120000000200"
	  " 0000000000000000" },
	{ "spddelete 10.0.1.0/24 10.0.0.0/24 any -P in;",
	  "020f00000a000000 01000000d2040000 03000500ff180000"
	  " 020000000a000100 0000000000000000 03000600ff180000"
	  " 020000000a000000 0000000000000000 0200120000000100"
	  " 0000000000000000 | 020f00000a000000 02000000d2040000"
	  " 03000500ff180000 020000000a000100 0000000000000000"
	  " 03000600ff180000 020000000a000000 0000000000000000"
	  " 0200120000000300 0000000000000000" },
	/* Comments, newlines, statements; exit is kept (the shell stops). */
	{ "# comment; not a statement\nflush esp; # more\n\tdump\n "
	  "ah;\nexit;\nflush;",
	  "0209000302000000 01000000d2040000 | 020a000202000000"
	  " 02000000d2040000 |  | 0209000002000000 03000000d2040000" },
	{ "",
	  "" },
};

/* The row as C source (SETKEY_GOLDEN_PRINT). */
static void
print_row(const char *text, const char *hex)
{
	const char *c;

	printf("\t{ \"");
	for (c = text; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\')
			printf("\\%c", *c);
		else if (*c == '\n')
			printf("\\n");
		else if (*c == '\t')
			printf("\\t");
		else
			putchar(*c);
	}
	printf("\",\n\t  \"%s\" },\n", hex);
}

static void
check_golden(const struct golden *g, bool print)
{
	struct setkey_opts o;
	struct setkey_script *s = NULL;
	struct setkey_error err;
	enum pfkey_reject why;
	struct pfkey_msg m;
	char *hex;
	size_t i;
	int rc;

	opts(&o);
	rc = setkey_parse(g->text, strlen(g->text), &o, &s, &err);
	if (rc != 0)
		fail_msg("%s: %s", g->text, err.msg);
	hex = script_hex(s);
	if (print)
		print_row(g->text, hex);
	else if (GOLDEN_BYTES && g->hex != NULL && strcmp(hex, g->hex) != 0)
		fail_msg("%s\n got: %s\nwant: %s", g->text, hex, g->hex);
	for (i = 0; i < s->nstmt; i++) {
		if (s->stmt[i].msg == NULL)
			continue;
		rc = pfkey_msg_parse(s->stmt[i].msg, s->stmt[i].len, &m, &why);
		if (rc != 0)
			fail_msg("%s: keyd's validator refuses message %zu: %s",
			    g->text, i, pfkey_reject_str(why));
		assert_int_equal(m.hdr.pid, PID);
		assert_int_equal(s->stmt[i].type, m.hdr.type);
	}
	free(hex);
	setkey_script_free(s);
}

static void
test_golden(void **state)
{
	bool print = getenv("SETKEY_GOLDEN_PRINT") != NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(golden) / sizeof(golden[0]); i++)
		check_golden(&golden[i], print);
}

struct bad {
	const char	*text;
	const char	*msg;
};

static const struct bad bad[] = {
	{ "frob;", "t.conf:1:1: expected a statement (add, update, getspi, "
	  "get, delete, deleteall, flush, dump, spdadd, spdupdate, spddelete, "
	  "spdflush, spddump), found 'frob'" },
	{ "flush", "t.conf:1:6: expected ';', found end of input" },
	{ "flush esp ah;", "t.conf:1:11: expected ';', found 'ah'" },
	{ "flush tcp;", "t.conf:1:7: TCP-MD5 SAs (tcp) are not supported on "
	  "Linux" },
	{ "\n\n  add host.example 10.0.0.2 esp 1 -E null;",
	  "t.conf:3:7: expected a numeric IPv4 or IPv6 address (names are "
	  "not resolved), found 'host.example'" },
	{ "add -4 ::1 ::2 esp 1 -E null;",
	  "t.conf:1:8: expected an IPv4 address (-4), found '::1'" },
	{ "add 10.0.0.1 ::2 esp 1 -E null;",
	  "t.conf:1:14: source and destination are of different address "
	  "families" },
	{ "add 10.0.0.1[70000] 10.0.0.2 esp 1 -E null;",
	  "t.conf:1:14: expected a port number (0 to 65535) or any, found "
	  "'70000'" },
	{ "add 10.0.0.1[80 10.0.0.2 esp 1 -E null;",
	  "t.conf:1:17: expected ']', found '10.0.0.2'" },
	{ "add 10.0.0.1 10.0.0.2 udp 1 -E null;",
	  "t.conf:1:23: expected esp, esp-old, ah, ah-old, esp-udp or ipcomp, "
	  "found 'udp'" },
	{ "add 10.0.0.1 10.0.0.2 esp 0x100000000 -E null;",
	  "t.conf:1:27: expected an SPI (decimal, or hexadecimal with 0x, at "
	  "most 32 bits), found '0x100000000'" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -m bogus -E null;",
	  "t.conf:1:32: expected transport, tunnel or any, found 'bogus'" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -r 256 -E null;",
	  "t.conf:1:32: expected a replay window (0 to 255), found '256'" },
	{ "add 10.0.0.1 10.0.0.2 esp-old 1 -r 4 -E null;",
	  "t.conf:1:33: replay prevention cannot be used with "
	  "ah-old/esp-old" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -u x -E null;",
	  "t.conf:1:32: expected a reqid (decimal), found 'x'" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -f odd-pad -E null;",
	  "t.conf:1:32: expected zero-pad, random-pad, seq-pad or "
	  "nocyclic-seq, found 'odd-pad'" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -lh -1 -E null;",
	  "t.conf:1:33: expected a lifetime in seconds, found '-1'" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -bs x -E null;",
	  "t.conf:1:33: expected a lifetime in bytes, found 'x'" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -ctx 1 2 ctx -E null;",
	  "t.conf:1:38: expected a \"quoted\" security context, found 'ctx'" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -ctx 300 2 \"c\" -E null;",
	  "t.conf:1:34: expected a DOI (0 to 255), found '300'" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -E rot13 0x00;",
	  "t.conf:1:32: expected an encryption algorithm, found 'rot13'" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -E aes-gcm-16 0x0011;",
	  "t.conf:1:43: aes-gcm-16 takes a key of 288 bits, not 16" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -E aes-cbc 0x0011;",
	  "t.conf:1:40: aes-cbc takes a key of 128 to 256 bits, not 16" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -E 3des-cbc 0x0011;",
	  "t.conf:1:32: encryption algorithm 3des-cbc is not offered by keyd" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -E des-deriv 0x00;",
	  "t.conf:1:32: encryption algorithm des-deriv is not supported on "
	  "Linux" },
#ifndef PARAPET_SADB_X_EALG_CHACHA20POLY1305
	{ "add 10.0.0.1 10.0.0.2 esp 1 -E chacha20-poly1305 0x00;",
	  "t.conf:1:32: encryption algorithm chacha20-poly1305 has no PF_KEY "
	  "number yet" },
#endif
	{ "add 10.0.0.1 10.0.0.2 esp 1 -E null -A hmac-sha256 0x00;",
	  "t.conf:1:52: hmac-sha256 takes a key of 256 bits, not 8" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -E null -A keyed-md5 0x00;",
	  "t.conf:1:40: authentication algorithm keyed-md5 is not supported "
	  "on Linux" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -E aes-gcm-16 zz;",
	  "t.conf:1:43: expected a key (0x followed by hexadecimal digits, or "
	  "a \"quoted string\"), found 'zz'" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -E aes-gcm-16 \"abc;",
	  "t.conf:1:43: unterminated quoted string" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -A hmac-sha256 0x00;",
	  "t.conf:1:29: expected -E and an encryption algorithm (esp), found "
	  "'-A'" },
	{ "add 10.0.0.1 10.0.0.2 ah 1 -E null;",
	  "t.conf:1:28: expected -A and an authentication algorithm (ah), "
	  "found '-E'" },
	{ "add 10.0.0.1 10.0.0.2 ipcomp 1 -C zip;",
	  "t.conf:1:35: expected a compression algorithm (oui, deflate, lzs), "
	  "found 'zip'" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -E null -m tunnel;",
	  "t.conf:1:37: expected ';', found '-m'" },
	{ "get 10.0.0.1 10.0.0.2 esp;",
	  "t.conf:1:26: expected an SPI (decimal, or hexadecimal with 0x, at "
	  "most 32 bits), found ';'" },
	{ "deleteall 10.0.0.1[80] 10.0.0.2 esp;",
	  "t.conf:1:19: expected a numeric IPv4 or IPv6 address (names are "
	  "not resolved), found '['" },
	{ "getspi 10.0.0.1 10.0.0.2 esp;",
	  "t.conf:1:29: expected an SPI (decimal, or hexadecimal with 0x, at "
	  "most 32 bits), found ';'" },
	{ "spdadd 10.0.0.0/33 10.0.1.0/24 any -P out none;",
	  "t.conf:1:17: expected a prefix length (0 to 32), found '33'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 frobnicate -P out none;",
	  "t.conf:1:32: expected an upper-layer protocol (any, icmp, icmp6, "
	  "tcp, udp, gre, a name or a number), found 'frobnicate'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 icmp 300,1 -P out none;",
	  "t.conf:1:37: expected an ICMP type[,code] (0 to 255 each), found "
	  "'300,1'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 tcp 5 -P out none;",
	  "t.conf:1:36: expected -P and a policy, found '5'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 gre 1.2.3 -P out none;",
	  "t.conf:1:36: expected a GRE key (a number or a dotted quad), found "
	  "'1.2.3'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any out none;",
	  "t.conf:1:36: expected -P and a policy, found 'out'" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P sideways none;",
	  "t.conf:1:39: expected a policy (Invalid argument)" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec "
	  "esp/tunnel//require;",
	  "t.conf:1:39: expected a policy (Invalid address specification)" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out none",
	  "t.conf:1:36: expected ';' after the policy" },
	{ "spdadd 10.0.0.0/24 10.0.1.0/24 any -P out ipsec "
	  "esp/transport//use esp/transport//use esp/transport//use "
	  "esp/transport//use esp/transport//use esp/transport//use "
	  "esp/transport//use;",
	  "t.conf:1:39: policy refused: more than 6 requests" },
	{ "spdadd tagged \"x\" -P out none;",
	  "t.conf:1:8: tagged policies (PF tags) are not supported on Linux" },
	{ "spdflush now;", "t.conf:1:10: expected ';', found 'now'" },
	{ "flush; dump; frob", "t.conf:1:14: expected a statement (add, "
	  "update, getspi, get, delete, deleteall, flush, dump, spdadd, "
	  "spdupdate, spddelete, spdflush, spddump), found 'frob'" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -ctx 1 x \"c\" -E null;",
	  "t.conf:1:36: expected a context algorithm (0 to 255), found 'x'" },
	{ "get -6 10.0.0.1 10.0.0.2 esp 1;",
	  "t.conf:1:8: expected an IPv6 address (-6), found '10.0.0.1'" },
	{ "add 10.0.0.1 10.0.0.2 ipcomp 1 -E null;",
	  "t.conf:1:32: expected -C and a compression algorithm, found '-E'" },
	{ "deleteall 10.0.0.1 ::1 esp;",
	  "t.conf:1:20: source and destination are of different address "
	  "families" },
	{ "spdadd ::/129 ::/0 any -P out none;",
	  "t.conf:1:11: expected a prefix length (0 to 128), found '129'" },
	{ "spdadd 10.0.0.0/8 ::/0 any -P out none;",
	  "t.conf:1:19: source and destination are of different address "
	  "families" },
	{ "flush; {", "t.conf:1:8: unexpected character '{'" },
	{ "flush;\n\xff", "t.conf:2:1: unexpected byte 0xff" },
	{ "add 10.0.0.1 10.0.0.2 esp 1 -ctx 1 1 \"a\nb\" x",
	  "t.conf:2:4: expected -E and an encryption algorithm (esp), found "
	  "'x'" },
};

static void
test_errors(void **state)
{
	static struct setkey_script poison;	/* setkey_parse() clears s */
	struct setkey_opts o;
	struct setkey_script *s;
	struct setkey_error err;
	size_t i, nbad = 0;
	int rc;

	(void)state;
	opts(&o);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = &poison;
		rc = setkey_parse(bad[i].text, strlen(bad[i].text), &o, &s,
		    &err);
		if (rc != -EINVAL)
			fail_msg("row %zu (%s): rc %d", i, bad[i].text, rc);
		assert_null(s);
		if (strcmp(err.msg, bad[i].msg) != 0) {
			print_error("row %zu (%s)\n got: %s\nwant: %s\n", i,
			    bad[i].text, err.msg, bad[i].msg);
			nbad++;
		}
	}
	assert_int_equal(nbad, 0);
}

/* NUL bytes, which the rows' strings cannot hold. */
static void
test_nul(void **state)
{
	static const char q[] =
	    "add 10.0.0.1 10.0.0.2 esp 1 -ctx 1 2 \"a\0b\";";
	static const char pol[] = "spdadd 10.0.0.0/8 10.0.0.0/8 any -P out\0;";
	static const char top[] = "flush;\0";
	struct setkey_opts o;
	struct setkey_script *s;
	struct setkey_error err;

	(void)state;
	opts(&o);
	assert_int_equal(setkey_parse(q, sizeof(q) - 1, &o, &s, &err),
	    -EINVAL);
	assert_string_equal(err.msg,
	    "t.conf:1:40: NUL byte in a quoted string");
	assert_int_equal(setkey_parse(pol, sizeof(pol) - 1, &o, &s, &err),
	    -EINVAL);
	assert_string_equal(err.msg, "t.conf:1:40: NUL byte in a policy");
	assert_int_equal(setkey_parse(top, sizeof(top) - 1, &o, &s, &err),
	    -EINVAL);
	assert_string_equal(err.msg, "t.conf:1:7: unexpected byte 0x00");
}

/* Keys and contexts past their limits (built here: too long for rows). */
static void
test_long_inputs(void **state)
{
	struct setkey_opts o;
	struct setkey_script *s;
	struct setkey_error err;
	char *t = malloc(8192);
	size_t n;

	(void)state;
	assert_non_null(t);
	opts(&o);
	o.algs = NULL;
	n = (size_t)sprintf(t, "add 10.0.0.1 10.0.0.2 esp 1 -E aes-cbc 0x");
	memset(t + n, 'a', 1026);
	memcpy(t + n + 1026, ";", sizeof(";"));
	assert_int_equal(setkey_parse(t, strlen(t), &o, &s, &err), -EINVAL);
	assert_string_equal(err.msg, "t.conf:1:40: key longer than 512 octets");
	memset(t + n, 'a', 1024);	/* 512 octets: fine */
	memcpy(t + n + 1024, ";", sizeof(";"));
	assert_int_equal(setkey_parse(t, strlen(t), &o, &s, &err), 0);
	setkey_script_free(s);
	n = (size_t)sprintf(t, "add 10.0.0.1 10.0.0.2 esp 1 -E aes-cbc \"");
	memset(t + n, 'k', 513);
	memcpy(t + n + 513, "\";", sizeof("\";"));
	assert_int_equal(setkey_parse(t, strlen(t), &o, &s, &err), -EINVAL);
	assert_string_equal(err.msg, "t.conf:1:40: key longer than 512 octets");
	n = (size_t)sprintf(t, "spdadd 10.0.0.1 10.0.0.2 any -ctx 1 1 \"");
	memset(t + n, 'c', 4096);
	memcpy(t + n + 4096, "\" -P out none;", sizeof("\" -P out none;"));
	assert_int_equal(setkey_parse(t, strlen(t), &o, &s, &err), -EINVAL);
	assert_string_equal(err.msg,
	    "t.conf:1:39: security context longer than 4095 octets");
	free(t);
}

/* Without keyd's list (-n) key lengths are not checked. */
static void
test_no_algs(void **state)
{
	struct setkey_opts o;
	struct setkey_script *s;
	struct setkey_error err;

	(void)state;
	opts(&o);
	o.algs = NULL;
	assert_int_equal(setkey_parse("add 10.0.0.1 10.0.0.2 esp 1 -E 3des-cbc "
	    "0x00;", 45, &o, &s, &err), 0);
	assert_int_equal(s->nstmt, 1);
	setkey_script_free(s);
}

/* -k: no fwd twin; first_line and first_seq are honoured. */
static void
test_kernel_mode(void **state)
{
	const char *t = "\nspdadd 10.0.1.0/24 10.0.0.0/24 any -P in none;";
	struct setkey_opts o;
	struct setkey_script *s;
	struct setkey_error err;

	(void)state;
	opts(&o);
	assert_int_equal(setkey_parse(t, strlen(t), &o, &s, &err), 0);
	assert_int_equal(s->nstmt, 2);
	setkey_script_free(s);
	o.rfc_mode = false;
	o.first_line = 10;
	o.first_seq = 77;
	assert_int_equal(setkey_parse(t, strlen(t), &o, &s, &err), 0);
	assert_int_equal(s->nstmt, 1);
	assert_int_equal(s->stmt[0].line, 11);
	assert_int_equal(s->stmt[0].col, 1);
	assert_int_equal(s->stmt[0].msg[8], 77);
	setkey_script_free(s);
}

/* update takes the seq of the getspi for its SA (RFC 2367 §3.1.2). */
static void
test_update_seq(void **state)
{
	const char *t = "getspi 10.0.0.1 10.0.0.2 esp 0x5000;\n"
	    "getspi 10.0.0.1 10.0.0.3 esp 0x5000;\n"
	    "flush;\n"
	    "update 10.0.0.1 10.0.0.2 esp 0x5000 -E null -A hmac-sha256 "
	    "0x000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f;\n"
	    "update 10.0.0.1 10.0.0.2 esp 0x5001 -E null -A hmac-sha256 "
	    "0x000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f;\n";
	struct setkey_opts o;
	struct setkey_script *s;
	struct setkey_error err;

	(void)state;
	opts(&o);
	o.first_seq = 10;
	assert_int_equal(setkey_parse(t, strlen(t), &o, &s, &err), 0);
	assert_int_equal(s->nstmt, 5);
	assert_int_equal(s->stmt[0].msg[8], 10);
	assert_int_equal(s->stmt[1].msg[8], 11);
	assert_int_equal(s->stmt[2].msg[8], 12);
	assert_int_equal(s->stmt[3].msg[8], 10);	/* the first getspi */
	assert_int_equal(s->stmt[4].msg[8], 14);	/* no getspi: its own */
	setkey_script_free(s);
}

static void
test_complete_len(void **state)
{
	(void)state;
	assert_int_equal(setkey_complete_len("flush", 5), 0);
	assert_int_equal(setkey_complete_len("flush;", 6), 6);
	assert_int_equal(setkey_complete_len("flush; dump", 11), 6);
	assert_int_equal(setkey_complete_len("# a;\nflush", 10), 0);
	assert_int_equal(setkey_complete_len("add \"k;\" ;x", 11), 10);
	assert_int_equal(setkey_complete_len("add \"k;", 7), 0);
}

static void
test_deleteall(void **state)
{
	const char *t = "deleteall 10.0.0.1 10.0.0.2 esp;";
	struct setkey_opts o;
	struct setkey_script *s;
	struct setkey_error err;
	struct pfkey_msg m;
	enum pfkey_reject why;
	uint8_t buf[256];
	size_t len;

	(void)state;
	opts(&o);
	assert_int_equal(setkey_parse(t, strlen(t), &o, &s, &err), 0);
	assert_int_equal(s->stmt[0].kind, SETKEY_DELETEALL);
	assert_int_equal(setkey_deleteall_msg(&s->stmt[0], 3, 0x1234, PID, 9,
	    buf, sizeof(buf), &len), 0);
	assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), 0);
	assert_int_equal(m.hdr.type, PARAPET_SADB_DELETE);
	assert_int_equal(m.hdr.seq, 9);
	assert_int_equal(m.sa.spi, 0x1234);
	assert_true(setkey_deleteall_match(&s->stmt[0], &m));
	m.dst.sa.addr[3] = 3;
	assert_false(setkey_deleteall_match(&s->stmt[0], &m));
	m.dst.sa.addr[3] = 2;
	m.src.sa.port = 500;	/* ports do not matter */
	assert_true(setkey_deleteall_match(&s->stmt[0], &m));
	m.hdr.satype = PARAPET_SADB_SATYPE_AH;
	assert_false(setkey_deleteall_match(&s->stmt[0], &m));
	setkey_script_free(s);
}

/*
 * ChaCha20-Poly1305: the name maps to PARAPET_SADB_X_EALG_CHACHA20POLY1305
 * (Parapet's own number) with a 288-bit key, and back.
 */
static void
test_chacha(void **state)
{
#ifdef PARAPET_SADB_X_EALG_CHACHA20POLY1305
	const char *t = "add 10.0.0.1 10.0.0.2 esp 0x1000 -E chacha20-poly1305 "
	    "0x000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f20212223;";
	struct setkey_opts o;
	struct setkey_script *s;
	struct setkey_error err;
	struct pfkey_msg m;
	enum pfkey_reject why;

	(void)state;
	opts(&o);
	assert_int_equal(setkey_parse(t, strlen(t), &o, &s, &err), 0);
	assert_int_equal(pfkey_msg_parse(s->stmt[0].msg, s->stmt[0].len, &m,
	    &why), 0);
	assert_int_equal(m.sa.encrypt, PARAPET_SADB_X_EALG_CHACHA20POLY1305);
	assert_int_equal(m.key_encrypt.bits, 288);
	assert_int_equal(m.sa.auth, 0);
	assert_string_equal(setkey_ealg_name(m.sa.encrypt),
	    "chacha20-poly1305");
	setkey_script_free(s);
#else
	(void)state;
	skip();
#endif
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(setkey_ealg_name(20), "aes-gcm-16");
	assert_string_equal(setkey_ealg_name(11), "null");
	assert_string_equal(setkey_ealg_name(12), "aes-cbc");
	assert_string_equal(setkey_ealg_name(0), "none");
	assert_null(setkey_ealg_name(99));
	assert_string_equal(setkey_aalg_name(5), "hmac-sha256");
	assert_string_equal(setkey_aalg_name(7), "hmac-sha512");
	assert_string_equal(setkey_aalg_name(251), "null");
	assert_string_equal(setkey_calg_name(2), "deflate");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_long_inputs),
		cmocka_unit_test(test_no_algs),
		cmocka_unit_test(test_kernel_mode),
		cmocka_unit_test(test_update_seq),
		cmocka_unit_test(test_complete_len),
		cmocka_unit_test(test_deleteall),
		cmocka_unit_test(test_chacha),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
