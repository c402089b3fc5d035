/*
 * ipsec_tool.c - run ipsecd's transforms on one packet, for the scapy
 * interop scripts (tests/interop/ esp_scapy.py, ah_scapy.py).
 *
 * Usage: ipsec_tool encap|decap esp|ah [name=value ...] < in > out
 *   mode=transport|tunnel   enc=aes256gcm16|chacha20poly1305|null
 *   auth=hmac-sha256|hmac-sha512   key=HEX (encryption key + salt)
 *   authkey=HEX   spi=N   seq=N (64-bit, encap)   seqhi=N (decap)
 *   iv=N   esn=0|1   natt=SPORT:DPORT   tsrc=ADDR   tdst=ADDR
 *   dfbit=0|1|2   ttl=N   ecn=0|1   cleartos=0|1   offsetmask=N
 *   oasrc=ADDR   oadst=ADDR   pad=seq|zero
 *   backend=sodium|openssl   (that backend serves every algorithm it has;
 *   default: xform_init()'s choice). enc/auth: any xform_name(), e.g.
 *   aes128cbc, aes192ctr, aes256gmac, hmac-sha1, hmac-sha384, aes-xcbc.
 * stdin: one raw IP packet; stdout: the result. Exit 0: done; 3: dropped
 * silently (reason on stderr); 1: rejected or failed (reason on stderr);
 * 2: usage. Numbers take C syntax (0x...).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ah.h"
#include "esp.h"
#include "xform.h"

#define HEADROOM	256
#define CAP		(HEADROOM + 65536 + 256)

static uint8_t buf[CAP];

struct opts {
	struct xform_sa	 sa;
	enum xform_alg	 enc, auth;
	uint8_t		 key[64], authkey[128];
	size_t		 keylen, authkeylen;
	uint64_t	 seq, iv;
	uint32_t	 seqhi;
	bool		 have_backend;
	enum xform_backend backend;
};

static NORETURN void
usage(void)
{
	fprintf(stderr, "usage: ipsec_tool encap|decap esp|ah "
	    "[name=value ...] < packet > packet\n");
	exit(2);
}

static uint64_t
num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0')
		usage();
	return v;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	usage();
}

static size_t
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (s[0] != '\0') {
		if (n == max || s[1] == '\0')
			usage();
		out[n++] = (uint8_t)(hexval(s[0]) << 4 | hexval(s[1]));
		s += 2;
	}
	return n;
}

static void
addr(const char *s, struct xform_addr *a)
{
	if (inet_pton(AF_INET, s, a->a) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, s, a->a) == 1)
		a->family = 6;
	else
		usage();
}

static enum xform_alg
alg_by_name(const char *s)
{
	int a;

	for (a = 1; a < XFORM_ALG_COUNT; a++)
		if (strcmp(xform_name((enum xform_alg)a), s) == 0)
			return (enum xform_alg)a;
	fprintf(stderr, "ipsec_tool: unknown algorithm %s\n", s);
	exit(2);
}

static void
o_mode(struct opts *o, const char *v)
{
	o->sa.mode = strcmp(v, "tunnel") == 0 ? XFORM_MODE_TUNNEL :
	    XFORM_MODE_TRANSPORT;
}

static void
o_enc(struct opts *o, const char *v)
{
	o->enc = alg_by_name(v);
}

static void
o_auth(struct opts *o, const char *v)
{
	o->auth = alg_by_name(v);
}

static void
o_backend(struct opts *o, const char *v)
{
	if (xform_backend_by_name(v, strlen(v), &o->backend) != 0)
		usage();
	o->have_backend = true;
}

static void
o_key(struct opts *o, const char *v)
{
	o->keylen = unhex(v, o->key, sizeof(o->key));
}

static void
o_authkey(struct opts *o, const char *v)
{
	o->authkeylen = unhex(v, o->authkey, sizeof(o->authkey));
}

static void
o_spi(struct opts *o, const char *v)
{
	o->sa.spi = (uint32_t)num(v);
}

static void
o_seq(struct opts *o, const char *v)
{
	o->seq = num(v);
}

static void
o_seqhi(struct opts *o, const char *v)
{
	o->seqhi = (uint32_t)num(v);
}

static void
o_iv(struct opts *o, const char *v)
{
	o->iv = num(v);
}

static void
flag(struct opts *o, const char *v, uint16_t f)
{
	if (num(v) != 0)
		o->sa.flags |= f;
	else
		o->sa.flags &= (uint16_t)~f;
}

static void
o_esn(struct opts *o, const char *v)
{
	flag(o, v, XFORM_SA_ESN);
}

static void
o_ecn(struct opts *o, const char *v)
{
	flag(o, v, XFORM_SA_ECN);
}

static void
o_natt(struct opts *o, const char *v)
{
	const char *colon = strchr(v, ':');
	char sp[16];

	if (colon == NULL || (size_t)(colon - v) >= sizeof(sp))
		usage();
	memcpy(sp, v, (size_t)(colon - v));
	sp[colon - v] = '\0';
	o->sa.flags |= XFORM_SA_NATT;
	o->sa.natt_sport = (uint16_t)num(sp);
	o->sa.natt_dport = (uint16_t)num(colon + 1);
}

static void
o_tsrc(struct opts *o, const char *v)
{
	addr(v, &o->sa.tun_src);
}

static void
o_tdst(struct opts *o, const char *v)
{
	addr(v, &o->sa.tun_dst);
}

static void
o_oasrc(struct opts *o, const char *v)
{
	addr(v, &o->sa.natt_oa_src);
}

static void
o_oadst(struct opts *o, const char *v)
{
	addr(v, &o->sa.natt_oa_dst);
}

static void
o_dfbit(struct opts *o, const char *v)
{
	o->sa.dfbit = (uint8_t)num(v);
}

static void
o_ttl(struct opts *o, const char *v)
{
	o->sa.ttl = (uint8_t)num(v);
}

static void
o_cleartos(struct opts *o, const char *v)
{
	o->sa.ah_cleartos = (uint8_t)num(v);
}

static void
o_offsetmask(struct opts *o, const char *v)
{
	o->sa.ah_offsetmask = (uint16_t)num(v);
}

static void
o_pad(struct opts *o, const char *v)
{
	o->sa.pad = strcmp(v, "zero") == 0 ? XFORM_PAD_ZERO : XFORM_PAD_SEQ;
}

static const struct {
	const char	*name;
	void		(*set)(struct opts *, const char *);
} options[] = {
	{ "mode", o_mode }, { "enc", o_enc }, { "auth", o_auth },
	{ "key", o_key }, { "authkey", o_authkey }, { "spi", o_spi },
	{ "seq", o_seq }, { "seqhi", o_seqhi }, { "iv", o_iv },
	{ "esn", o_esn }, { "ecn", o_ecn }, { "natt", o_natt },
	{ "tsrc", o_tsrc }, { "tdst", o_tdst }, { "oasrc", o_oasrc },
	{ "oadst", o_oadst }, { "dfbit", o_dfbit }, { "ttl", o_ttl },
	{ "cleartos", o_cleartos }, { "offsetmask", o_offsetmask },
	{ "pad", o_pad }, { "backend", o_backend },
};

static void
parse_opts(struct opts *o, int argc, char **argv)
{
	int i;

	for (i = 3; i < argc; i++) {
		char *v = strchr(argv[i], '=');
		size_t k;

		if (v == NULL)
			usage();
		*v++ = '\0';
		for (k = 0; k < nitems(options); k++)
			if (strcmp(argv[i], options[k].name) == 0)
				break;
		if (k == nitems(options))
			usage();
		options[k].set(o, v);
	}
}

static int
run(struct opts *o, bool encap, bool esp, struct xform_pkt *pkt,
    enum xform_reject *why)
{
	int rc;

	if (encap) {
		rc = esp ? esp_encap(&o->sa, pkt, o->seq, o->iv) :
		    ah_encap(&o->sa, pkt, o->seq);
		if (rc != 0)
			fprintf(stderr, "ipsec_tool: encap: %s\n",
			    strerror(-rc));
	} else if (esp) {
		struct esp_in in;

		rc = esp_parse(pkt, &in, why);
		if (rc == 0)
			rc = esp_decap(&o->sa, pkt, &in, o->seqhi, why);
	} else {
		struct ah_in in;

		rc = ah_parse(pkt, &in, why);
		if (rc == 0)
			rc = ah_decap(&o->sa, pkt, &in, o->seqhi, why);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static struct opts o;
	struct xform_pkt pkt = { .buf = buf, .cap = CAP, .off = HEADROOM };
	struct xform_key *ek = NULL, *ak = NULL;
	enum xform_reject why = XFORM_REJECT_NONE;
	bool encap, esp;
	ssize_t n;
	int rc;

	if (argc < 3)
		usage();
	encap = strcmp(argv[1], "encap") == 0;
	if (!encap && strcmp(argv[1], "decap") != 0)
		usage();
	esp = strcmp(argv[2], "esp") == 0;
	if (!esp && strcmp(argv[2], "ah") != 0)
		usage();
	o.sa.proto = esp ? IPPROTO_NUM_ESP : IPPROTO_NUM_AH;
	o.sa.mode = XFORM_MODE_TRANSPORT;
	o.sa.ah_cleartos = 1;
	o.seq = o.iv = 1;
	parse_opts(&o, argc, argv);
	if (xform_init() != 0)
		return 1;
	if (o.have_backend)
		for (rc = 1; rc < XFORM_ALG_COUNT; rc++)
			if (xform_select_set((enum xform_alg)rc, o.backend) != 0)
				continue;	/* the other backend's row stays */
	if (o.enc != XFORM_ALG_NONE &&
	    xform_key_new(o.enc, o.key, o.keylen, &ek) != 0) {
		fprintf(stderr, "ipsec_tool: bad encryption key\n");
		return 1;
	}
	if (o.auth != XFORM_ALG_NONE &&
	    xform_key_new(o.auth, o.authkey, o.authkeylen, &ak) != 0) {
		fprintf(stderr, "ipsec_tool: bad authentication key\n");
		xform_key_free(ek);
		return 1;
	}
	o.sa.enc = ek;
	o.sa.auth = ak;
	pkt.len = 0;
	while ((n = read(0, buf + HEADROOM + pkt.len,
	    CAP - HEADROOM - pkt.len)) > 0)
		pkt.len += (size_t)n;
	rc = run(&o, encap, esp, &pkt, &why);
	xform_key_free(ek);
	xform_key_free(ak);
	if (rc == XFORM_DROP) {
		fprintf(stderr, "ipsec_tool: dropped: %s\n",
		    xform_reject_str(why));
		return 3;
	}
	if (rc != 0) {
		if (!encap)
			fprintf(stderr, "ipsec_tool: rejected: %s\n",
			    xform_reject_str(why));
		return 1;
	}
	if (write(1, buf + pkt.off, pkt.len) != (ssize_t)pkt.len)
		return 1;
	return 0;
}
