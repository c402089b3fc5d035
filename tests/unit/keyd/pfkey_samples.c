/*
 * pfkey_samples.c - one valid datagram per message type and direction,
 * plus the forms widespread clients send (ipsec-tools setkey and racoon,
 * strongSwan); see pfkey_samples.h. Addresses are from the documentation
 * ranges (RFC 5737, RFC 3849); keys are fixed patterns.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "pfkey_build.h"
#include "pfkey_samples.h"

#define T(x)	PARAPET_SADB_##x
#define PID	4242

static const uint8_t ip4_a[4] = { 192, 0, 2, 1 };
static const uint8_t ip4_b[4] = { 198, 51, 100, 2 };
static const uint8_t ip4_c[4] = { 203, 0, 113, 7 };
static const uint8_t ip6_a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t ip6_b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 2 };

static const uint8_t key20[20] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
	0x13, 0x14 };
static const uint8_t key32[32] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
	0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1,
	0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc,
	0xbd, 0xbe, 0xbf };
static const uint8_t key16[16] = { 0x5a, 0x5a, 0x5a, 0x5a, 0x11, 0x22, 0x33,
	0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc };

static struct pfkey_address
addr4(const uint8_t *ip, uint8_t plen, uint16_t port, uint8_t proto)
{
	struct pfkey_address a;

	memset(&a, 0, sizeof(a));
	a.proto = proto;
	a.prefixlen = plen;
	a.sa.family = AF_INET;
	a.sa.port = port;
	memcpy(a.sa.addr, ip, 4);
	return a;
}

static struct pfkey_address
addr6(const uint8_t *ip, uint8_t plen, uint16_t port, uint8_t proto)
{
	struct pfkey_address a;

	memset(&a, 0, sizeof(a));
	a.proto = proto;
	a.prefixlen = plen;
	a.sa.family = AF_INET6;
	a.sa.port = port;
	memcpy(a.sa.addr, ip, 16);
	return a;
}

static void
begin(struct pfkey_build *b, uint8_t *buf, size_t cap, uint8_t type,
    uint8_t satype, uint32_t seq)
{
	struct pfkey_hdr h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.satype = satype;
	h.seq = seq;
	h.pid = PID;
	pfkey_build_begin(b, buf, cap, &h);
}

static void
sd4(struct pfkey_build *b)
{
	struct pfkey_address s = addr4(ip4_a, 32, 0, PARAPET_IPSEC_ULPROTO_ANY);
	struct pfkey_address d = addr4(ip4_b, 32, 0, PARAPET_IPSEC_ULPROTO_ANY);

	pfkey_build_address(b, T(EXT_ADDRESS_SRC), &s);
	pfkey_build_address(b, T(EXT_ADDRESS_DST), &d);
}

static void
sd6(struct pfkey_build *b)
{
	struct pfkey_address s = addr6(ip6_a, 128, 0, PARAPET_IPSEC_ULPROTO_ANY);
	struct pfkey_address d = addr6(ip6_b, 128, 0, PARAPET_IPSEC_ULPROTO_ANY);

	pfkey_build_address(b, T(EXT_ADDRESS_SRC), &s);
	pfkey_build_address(b, T(EXT_ADDRESS_DST), &d);
}

static void
sa(struct pfkey_build *b, uint32_t spi, uint8_t state, uint8_t auth,
    uint8_t enc, uint32_t flags)
{
	struct pfkey_sa s = { spi, 32, state, auth, enc, flags };

	pfkey_build_sa(b, &s);
}

static void
sa2(struct pfkey_build *b, uint8_t mode, uint32_t reqid)
{
	struct pfkey_sa2 s = { mode, 0, reqid };

	pfkey_build_sa2(b, &s);
}

static void
key(struct pfkey_build *b, uint16_t type, const uint8_t *k, size_t n)
{
	struct pfkey_key kk = { (uint16_t)(8 * n), k, n };

	pfkey_build_key(b, type, &kk);
}

static void
lft(struct pfkey_build *b, uint16_t type, uint64_t bytes, uint64_t add)
{
	struct pfkey_lifetime l = { 0, bytes, add, 0 };

	pfkey_build_lifetime(b, type, &l);
}

static void
natt(struct pfkey_build *b, bool oa)
{
	struct pfkey_address o = addr4(ip4_c, 32, 0, PARAPET_IPSEC_ULPROTO_ANY);

	pfkey_build_natt_type(b, PARAPET_UDP_ENCAP_ESPINUDP);
	pfkey_build_natt_port(b, T(X_EXT_NAT_T_SPORT), 4500);
	pfkey_build_natt_port(b, T(X_EXT_NAT_T_DPORT), 4500);
	if (oa)
		pfkey_build_address(b, T(X_EXT_NAT_T_OA), &o);
}

static struct pfkey_ipsecreq
req(uint16_t proto, uint8_t mode, uint8_t level, uint32_t reqid)
{
	struct pfkey_ipsecreq q;

	memset(&q, 0, sizeof(q));
	q.proto = proto;
	q.mode = mode;
	q.level = level;
	q.reqid = reqid;
	return q;
}

static struct pfkey_policy
policy(uint16_t type, uint8_t dir, uint32_t id)
{
	struct pfkey_policy p;

	memset(&p, 0, sizeof(p));
	p.type = type;
	p.dir = dir;
	p.id = id;
	p.priority = 0x80000000U;
	return p;
}

/* A tunnel-mode ESP request between the two IPv4 gateways. */
static struct pfkey_ipsecreq
req_tunnel4(void)
{
	struct pfkey_ipsecreq q = req(IPPROTO_ESP, PARAPET_IPSEC_MODE_TUNNEL,
	    PARAPET_IPSEC_LEVEL_UNIQUE, 7);
	struct pfkey_address s = addr4(ip4_a, 32, 0, 0);
	struct pfkey_address d = addr4(ip4_b, 32, 0, 0);

	q.has_addrs = true;
	q.src = s.sa;
	q.dst = d.sa;
	return q;
}

static void
spd_sd4(struct pfkey_build *b)
{
	struct pfkey_address s = addr4(ip4_a, 24, 0, PARAPET_IPSEC_ULPROTO_ANY);
	struct pfkey_address d = addr4(ip4_b, 24, 0, PARAPET_IPSEC_ULPROTO_ANY);

	s.sa.addr[3] = 0;
	d.sa.addr[3] = 0;
	pfkey_build_address(b, T(EXT_ADDRESS_SRC), &s);
	pfkey_build_address(b, T(EXT_ADDRESS_DST), &d);
}

static void
spd_sd6(struct pfkey_build *b)
{
	struct pfkey_address s = addr6(ip6_a, 64, 500, IPPROTO_UDP);
	struct pfkey_address d = addr6(ip6_b, 64, 500, IPPROTO_UDP);

	pfkey_build_address(b, T(EXT_ADDRESS_SRC), &s);
	pfkey_build_address(b, T(EXT_ADDRESS_DST), &d);
}

static const struct pfkey_comb combs[3] = {
	{ PARAPET_SADB_X_AALG_SHA2_256HMAC, PARAPET_SADB_X_EALG_AESCBC, 0,
	    256, 256, 128, 256, 0, 0, 0, 0, 0, 28800, 0, 0 },
	{ PARAPET_SADB_AALG_SHA1HMAC, PARAPET_SADB_X_EALG_AESCBC, 0,
	    160, 160, 128, 128, 0, 0, 0, 0, 2880, 3600, 0, 0 },
	{ PARAPET_SADB_AALG_NONE, PARAPET_SADB_X_EALG_AES_GCM_ICV16, 0,
	    0, 0, 160, 288, 0, 0, 0, 0, 0, 3600, 0, 0 },
};

/* ---- Client to keyd. ---- */

/* racoon/strongSwan GETSPI: SA2, addresses and an SPI range. */
static int
req_getspi_esp_v4(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_spirange r = { 0x100, 0x0fffffff };
	struct pfkey_build b;

	begin(&b, buf, cap, T(GETSPI), T(SATYPE_ESP), 1);
	sa2(&b, PARAPET_IPSEC_MODE_TUNNEL, 7);
	sd4(&b);
	pfkey_build_spirange(&b, &r);
	return pfkey_build_end(&b, len);
}

/* racoon leaves the SPI range out (Linux picks one). */
static int
req_getspi_nospirange_v6(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(GETSPI), T(SATYPE_AH), 2);
	sa2(&b, PARAPET_IPSEC_MODE_TRANSPORT, 0);
	sd6(&b);
	return pfkey_build_end(&b, len);
}

/* racoon UPDATE of a larval SA, behind NAT. */
static int
req_update_esp_natt_v4(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(UPDATE), T(SATYPE_ESP), 1);
	sa(&b, 0x12345678, T(SASTATE_MATURE), T(X_AALG_SHA2_256HMAC),
	    T(X_EALG_AESCBC), 0);
	lft(&b, T(EXT_LIFETIME_HARD), 0, 3600);
	lft(&b, T(EXT_LIFETIME_SOFT), 0, 2880);
	sd4(&b);
	key(&b, T(EXT_KEY_AUTH), key32, sizeof(key32));
	key(&b, T(EXT_KEY_ENCRYPT), key16, sizeof(key16));
	sa2(&b, PARAPET_IPSEC_MODE_TUNNEL, 7);
	natt(&b, true);
	return pfkey_build_end(&b, len);
}

/*
 * setkey "add ... esp 0x1000 -m any -E aes-cbc ... -A hmac-sha1 ...":
 * sadb_sa_state 0 (LARVAL), the default KAME flag CYCSEQ, SA2 mode ANY
 * with reserved fields and sequence left as stack junk.
 */
static int
req_add_esp_setkey_v4(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;
	size_t off;
	int error;

	begin(&b, buf, cap, T(ADD), T(SATYPE_ESP), 3);
	key(&b, T(EXT_KEY_ENCRYPT), key16, sizeof(key16));
	key(&b, T(EXT_KEY_AUTH), key20, sizeof(key20));
	lft(&b, T(EXT_LIFETIME_HARD), 0, 600);
	sa(&b, 0x1000, T(SASTATE_LARVAL), T(AALG_SHA1HMAC), T(X_EALG_AESCBC),
	    PARAPET_SADB_X_EXT_CYCSEQ);
	sa2(&b, PARAPET_IPSEC_MODE_ANY, 0);
	sd4(&b);
	if ((error = pfkey_build_end(&b, len)) != 0)
		return error;
	off = pfkey_sample_ext_off(buf, *len, T(X_EXT_SA2));
	buf[off + 5] = 0xa5;			/* reserved1 */
	pfkey_sample_put16(buf, off + 6, 0xdead);	/* reserved2 */
	pfkey_sample_put32(buf, off + 8, 0xfeedf00d);	/* sequence */
	return 0;
}

/* AH over IPv6 with a hard lifetime only (setkey -lh). */
static int
req_add_ah_v6(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(ADD), T(SATYPE_AH), 4);
	sa(&b, 0x2000, T(SASTATE_MATURE), T(X_AALG_SHA2_256HMAC), 0, 0);
	lft(&b, T(EXT_LIFETIME_HARD), 1 << 30, 0);
	sd6(&b);
	key(&b, T(EXT_KEY_AUTH), key32, sizeof(key32));
	return pfkey_build_end(&b, len);
}

/* IPCOMP: the CPI in the SPI field, the algorithm in sadb_sa_encrypt. */
static int
req_add_ipcomp_v4(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(ADD), T(X_SATYPE_IPCOMP), 5);
	sa(&b, 0x4001, T(SASTATE_MATURE), 0, T(X_CALG_DEFLATE),
	    PARAPET_SADB_X_EXT_RAWCPI);
	sd4(&b);
	return pfkey_build_end(&b, len);
}

/* ESP-NULL with authentication: an empty encryption key (setkey -E null). */
static int
req_add_esp_null_v4(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(ADD), T(SATYPE_ESP), 6);
	sa(&b, 0x3000, T(SASTATE_MATURE), T(AALG_SHA1HMAC), T(EALG_NULL), 0);
	sd4(&b);
	key(&b, T(EXT_KEY_AUTH), key20, sizeof(key20));
	key(&b, T(EXT_KEY_ENCRYPT), NULL, 0);
	return pfkey_build_end(&b, len);
}

/* Every extension an ADD may carry. */
static int
req_add_esp_full_v4(uint8_t *buf, size_t cap, size_t *len)
{
	static const uint8_t fqdn[16] = "gw.example.org";
	static const uint8_t ufqdn[16] = "ike@example.org";
	static const uint8_t bitmap[16] = { 1, 0, 0, 0, 0, 0, 0, 0, 3 };
	static const uint8_t kmp[8] = { 'r', 'a', 'c', 'o', 'o', 'n', 0, 1 };
	static const uint8_t label[13] = "system_u:obj";
	struct pfkey_address p = addr4(ip4_c, 24, 0, IPPROTO_TCP);
	struct pfkey_ident is = { T(IDENTTYPE_FQDN), 0, fqdn, sizeof(fqdn) };
	struct pfkey_ident id = { T(IDENTTYPE_USERFQDN), 9, ufqdn,
	    sizeof(ufqdn) };
	struct pfkey_sens s = { 1, 2, 1, 3, 1, bitmap, bitmap + 8 };
	struct pfkey_kmprivate k = { kmp, sizeof(kmp) };
	struct pfkey_sec_ctx c = { 1, 1, sizeof(label), label };
	struct pfkey_build b;

	begin(&b, buf, cap, T(ADD), T(SATYPE_ESP), 7);
	sa(&b, 0xc0ffee, T(SASTATE_MATURE), T(AALG_NONE),
	    T(X_EALG_AES_GCM_ICV16), PARAPET_SADB_SAFLAGS_NOECN);
	lft(&b, T(EXT_LIFETIME_HARD), 1000000, 3600);
	lft(&b, T(EXT_LIFETIME_SOFT), 800000, 2880);
	sd4(&b);
	pfkey_build_address(&b, T(EXT_ADDRESS_PROXY), &p);
	key(&b, T(EXT_KEY_ENCRYPT), key20, sizeof(key20));
	pfkey_build_ident(&b, T(EXT_IDENTITY_SRC), &is);
	pfkey_build_ident(&b, T(EXT_IDENTITY_DST), &id);
	pfkey_build_sens(&b, &s);
	pfkey_build_kmprivate(&b, &k);
	sa2(&b, PARAPET_IPSEC_MODE_BEET, 0x3fff);
	natt(&b, false);
	pfkey_build_sec_ctx(&b, &c);
	return pfkey_build_end(&b, len);
}

/* setkey "delete": SA (and SA2) plus both addresses. */
static int
req_delete_esp_v4(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(DELETE), T(SATYPE_ESP), 8);
	sa(&b, 0x1000, 0, 0, 0, PARAPET_SADB_X_EXT_CYCSEQ);
	sa2(&b, PARAPET_IPSEC_MODE_ANY, 0);
	sd4(&b);
	return pfkey_build_end(&b, len);
}

/* strongSwan-style GET: no SA2, wildcard source. */
static int
req_get_ah_v6(uint8_t *buf, size_t cap, size_t *len)
{
	static const uint8_t any6[16];
	struct pfkey_address s = addr6(any6, 0, 0, 0);
	struct pfkey_address d = addr6(ip6_b, 128, 0, 0);
	struct pfkey_build b;

	begin(&b, buf, cap, T(GET), T(SATYPE_AH), 9);
	sa(&b, 0x2000, 0, 0, 0, 0);
	pfkey_build_address(&b, T(EXT_ADDRESS_SRC), &s);
	pfkey_build_address(&b, T(EXT_ADDRESS_DST), &d);
	return pfkey_build_end(&b, len);
}

/* A key manager refusing an ACQUIRE: header only, errno set. */
static int
req_acquire_negative(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_hdr h = { 0, T(ACQUIRE), ENOENT, T(SATYPE_ESP), 0, 17,
	    PID };
	struct pfkey_build b;

	pfkey_build_begin(&b, buf, cap, &h);
	return pfkey_build_end(&b, len);
}

/* RFC 2367 §3.1.6: an application asking for an SA. */
static int
req_acquire_ask_v4(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(ACQUIRE), T(SATYPE_ESP), 10);
	sd4(&b);
	pfkey_build_prop(&b, 32, combs, 2);
	return pfkey_build_end(&b, len);
}

/* racoon and setkey register with SA type 0 meaning "all". */
static int
req_register_unspec(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(REGISTER), T(SATYPE_UNSPEC), 11);
	return pfkey_build_end(&b, len);
}

static int
req_register_esp(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(REGISTER), T(SATYPE_ESP), 12);
	return pfkey_build_end(&b, len);
}

static int
req_flush_all(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(FLUSH), T(SATYPE_UNSPEC), 13);
	return pfkey_build_end(&b, len);
}

static int
req_dump_esp(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(DUMP), T(SATYPE_ESP), 14);
	return pfkey_build_end(&b, len);
}

/* Linux SADB_X_EXT_FILTER: dump only SAs between two prefixes. */
static int
req_dump_filter_v4(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_filter f;
	struct pfkey_build b;

	memset(&f, 0, sizeof(f));
	memcpy(f.saddr, ip4_a, 4);
	memcpy(f.daddr, ip4_b, 4);
	f.family = AF_INET;
	f.splen = 24;
	f.dplen = 32;
	begin(&b, buf, cap, T(DUMP), T(SATYPE_UNSPEC), 15);
	pfkey_build_filter(&b, &f);
	return pfkey_build_end(&b, len);
}

static int
req_promisc_on(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(X_PROMISC), 1, 16);
	return pfkey_build_end(&b, len);
}

/* setkey "spdadd 192.0.2.0/24 198.51.100.0/24 any -P out ipsec
 * esp/tunnel/192.0.2.1-198.51.100.2/unique:7;" with -lh. */
static int
req_spdadd_tunnel_v4(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_policy p = policy(PARAPET_IPSEC_POLICY_IPSEC,
	    PARAPET_IPSEC_DIR_OUTBOUND, 0);
	struct pfkey_build b;

	p.req[0] = req_tunnel4();
	p.nreqs = 1;
	begin(&b, buf, cap, T(X_SPDADD), T(SATYPE_UNSPEC), 20);
	spd_sd4(&b);
	pfkey_build_policy(&b, &p);
	lft(&b, T(EXT_LIFETIME_HARD), 0, 86400);
	return pfkey_build_end(&b, len);
}

/*
 * Transport mode, ESP then AH, as libipsec lays the requests out: their
 * reserved fields are whatever realloc() returned.
 */
static int
req_spdadd_transport_v6(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_policy p = policy(PARAPET_IPSEC_POLICY_IPSEC,
	    PARAPET_IPSEC_DIR_INBOUND, 0);
	struct pfkey_build b;
	size_t off;
	int error;

	p.req[0] = req(IPPROTO_ESP, PARAPET_IPSEC_MODE_TRANSPORT,
	    PARAPET_IPSEC_LEVEL_REQUIRE, 0);
	p.req[1] = req(IPPROTO_AH, PARAPET_IPSEC_MODE_TRANSPORT,
	    PARAPET_IPSEC_LEVEL_USE, 0);
	p.nreqs = 2;
	begin(&b, buf, cap, T(X_SPDADD), T(SATYPE_UNSPEC), 21);
	spd_sd6(&b);
	pfkey_build_policy(&b, &p);
	if ((error = pfkey_build_end(&b, len)) != 0)
		return error;
	off = pfkey_sample_ext_off(buf, *len, T(X_EXT_POLICY));
	pfkey_sample_put16(buf, off + 16 + 6, 0x4141);	/* reserved1 */
	pfkey_sample_put32(buf, off + 16 + 12, 0x42424242); /* reserved2 */
	pfkey_sample_put32(buf, off + 32 + 12, 0xffffffff);
	return 0;
}

static int
req_spdupdate_discard_v4(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_policy p = policy(PARAPET_IPSEC_POLICY_DISCARD,
	    PARAPET_IPSEC_DIR_FWD, 0);
	struct pfkey_build b;

	begin(&b, buf, cap, T(X_SPDUPDATE), T(SATYPE_UNSPEC), 22);
	spd_sd4(&b);
	pfkey_build_policy(&b, &p);
	return pfkey_build_end(&b, len);
}

static int
req_spdsetidx_none_v6(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_policy p = policy(PARAPET_IPSEC_POLICY_NONE,
	    PARAPET_IPSEC_DIR_OUTBOUND, 0);
	struct pfkey_build b;

	begin(&b, buf, cap, T(X_SPDSETIDX), T(SATYPE_UNSPEC), 23);
	spd_sd6(&b);
	pfkey_build_policy(&b, &p);
	return pfkey_build_end(&b, len);
}

static int
req_spddelete_v4(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_policy p = policy(PARAPET_IPSEC_POLICY_IPSEC,
	    PARAPET_IPSEC_DIR_OUTBOUND, 0);
	struct pfkey_build b;

	begin(&b, buf, cap, T(X_SPDDELETE), T(SATYPE_UNSPEC), 24);
	spd_sd4(&b);
	pfkey_build_policy(&b, &p);
	return pfkey_build_end(&b, len);
}

static int
req_spdget(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_policy p = policy(0, 0, 0x11a);
	struct pfkey_build b;

	begin(&b, buf, cap, T(X_SPDGET), T(SATYPE_UNSPEC), 25);
	pfkey_build_policy(&b, &p);
	return pfkey_build_end(&b, len);
}

static int
req_spddelete2(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_policy p = policy(0, 0, 0x122);
	struct pfkey_build b;

	begin(&b, buf, cap, T(X_SPDDELETE2), T(SATYPE_UNSPEC), 26);
	pfkey_build_policy(&b, &p);
	return pfkey_build_end(&b, len);
}

static int
req_spddump(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(X_SPDDUMP), T(SATYPE_UNSPEC), 27);
	return pfkey_build_end(&b, len);
}

static int
req_spdflush(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(X_SPDFLUSH), T(SATYPE_UNSPEC), 28);
	return pfkey_build_end(&b, len);
}

/* ---- keyd to client. ---- */

static int
rep_getspi_v4(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(GETSPI), T(SATYPE_ESP), 1);
	sa(&b, 0xc1a55e5, T(SASTATE_LARVAL), 0, 0, 0);
	sd4(&b);
	return pfkey_build_end(&b, len);
}

/* An ADD or UPDATE notification as Linux writes it (no keys). */
static int
sa_report(uint8_t *buf, size_t cap, size_t *len, uint8_t type, bool keys)
{
	struct pfkey_lifetime cur = { 12, 3456, 1700000000, 1700000100 };
	struct pfkey_build b;

	begin(&b, buf, cap, type, T(SATYPE_ESP), 30);
	sa(&b, 0x12345678, T(SASTATE_MATURE), T(X_AALG_SHA2_256HMAC),
	    T(X_EALG_AESCBC), 0);
	lft(&b, T(EXT_LIFETIME_HARD), 0, 3600);
	lft(&b, T(EXT_LIFETIME_SOFT), 0, 2880);
	pfkey_build_lifetime(&b, T(EXT_LIFETIME_CURRENT), &cur);
	sd4(&b);
	if (keys) {
		key(&b, T(EXT_KEY_AUTH), key32, sizeof(key32));
		key(&b, T(EXT_KEY_ENCRYPT), key16, sizeof(key16));
	}
	sa2(&b, PARAPET_IPSEC_MODE_TUNNEL, 7);
	natt(&b, false);
	return pfkey_build_end(&b, len);
}

static int
rep_add_v4(uint8_t *buf, size_t cap, size_t *len)
{
	return sa_report(buf, cap, len, T(ADD), false);
}

static int
rep_update_v4(uint8_t *buf, size_t cap, size_t *len)
{
	return sa_report(buf, cap, len, T(UPDATE), false);
}

static int
rep_delete_v4(uint8_t *buf, size_t cap, size_t *len)
{
	return sa_report(buf, cap, len, T(DELETE), false);
}

static int
rep_get_v4(uint8_t *buf, size_t cap, size_t *len)
{
	return sa_report(buf, cap, len, T(GET), true);
}

static int
rep_dump_v4(uint8_t *buf, size_t cap, size_t *len)
{
	return sa_report(buf, cap, len, T(DUMP), true);
}

/* ACQUIRE as Linux lays it out: addresses, policy (its id), proposal. */
static int
rep_acquire_v4(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_policy p = policy(PARAPET_IPSEC_POLICY_IPSEC,
	    PARAPET_IPSEC_DIR_OUTBOUND, 0x119);
	struct pfkey_build b;

	begin(&b, buf, cap, T(ACQUIRE), T(SATYPE_ESP), 0x80000001U);
	sd4(&b);
	pfkey_build_policy(&b, &p);
	pfkey_build_prop(&b, 32, combs, 3);
	return pfkey_build_end(&b, len);
}

/* REGISTER reply: what ipsecd can do, with key sizes. */
static int
rep_register_esp(uint8_t *buf, size_t cap, size_t *len)
{
	static const struct pfkey_alg auth[4] = {
		{ PARAPET_SADB_AALG_SHA1HMAC, 0, 160, 160 },
		{ PARAPET_SADB_X_AALG_SHA2_256HMAC, 0, 256, 256 },
		{ PARAPET_SADB_X_AALG_SHA2_384HMAC, 0, 384, 384 },
		{ PARAPET_SADB_X_AALG_SHA2_512HMAC, 0, 512, 512 },
	};
	static const struct pfkey_alg enc[3] = {
		{ PARAPET_SADB_EALG_NULL, 0, 0, 0 },
		{ PARAPET_SADB_X_EALG_AESCBC, 8, 128, 256 },
		{ PARAPET_SADB_X_EALG_AES_GCM_ICV16, 8, 160, 288 },
	};
	struct pfkey_build b;

	begin(&b, buf, cap, T(REGISTER), T(SATYPE_ESP), 12);
	pfkey_build_supported(&b, T(EXT_SUPPORTED_AUTH), auth, 4);
	pfkey_build_supported(&b, T(EXT_SUPPORTED_ENCRYPT), enc, 3);
	return pfkey_build_end(&b, len);
}

static int
expire(uint8_t *buf, size_t cap, size_t *len, bool hard)
{
	struct pfkey_lifetime cur = { 0, 99, 1700000000, 0 };
	struct pfkey_build b;

	begin(&b, buf, cap, T(EXPIRE), T(SATYPE_ESP), 0);
	sa(&b, 0x12345678, hard ? T(SASTATE_DEAD) : T(SASTATE_DYING),
	    T(X_AALG_SHA2_256HMAC), T(X_EALG_AESCBC), 0);
	pfkey_build_lifetime(&b, T(EXT_LIFETIME_CURRENT), &cur);
	lft(&b, hard ? T(EXT_LIFETIME_HARD) : T(EXT_LIFETIME_SOFT), 0,
	    hard ? 3600 : 2880);
	sd6(&b);
	sa2(&b, PARAPET_IPSEC_MODE_TRANSPORT, 0);
	return pfkey_build_end(&b, len);
}

static int
rep_expire_soft_v6(uint8_t *buf, size_t cap, size_t *len)
{
	return expire(buf, cap, len, false);
}

static int
rep_expire_hard_v6(uint8_t *buf, size_t cap, size_t *len)
{
	return expire(buf, cap, len, true);
}

static int
rep_flush(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(FLUSH), T(SATYPE_UNSPEC), 13);
	return pfkey_build_end(&b, len);
}

static int
rep_promisc(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(X_PROMISC), 1, 16);
	return pfkey_build_end(&b, len);
}

/* An error reply: the request's header with errno set. */
static int
rep_error_add(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_hdr h = { 2, T(ADD), 0, T(SATYPE_ESP), 0, 3, PID };

	return pfkey_build_error(&h, EEXIST, buf, cap, len);
}

static int
spd_report(uint8_t *buf, size_t cap, size_t *len, uint8_t type)
{
	struct pfkey_policy p = policy(PARAPET_IPSEC_POLICY_IPSEC,
	    PARAPET_IPSEC_DIR_OUTBOUND, 0x119);
	struct pfkey_lifetime cur = { 0, 0, 1700000000, 1700000050 };
	struct pfkey_build b;

	p.req[0] = req_tunnel4();
	p.nreqs = 1;
	begin(&b, buf, cap, type, T(SATYPE_UNSPEC), 40);
	spd_sd4(&b);
	lft(&b, T(EXT_LIFETIME_HARD), 0, 0);
	lft(&b, T(EXT_LIFETIME_SOFT), 0, 0);
	pfkey_build_lifetime(&b, T(EXT_LIFETIME_CURRENT), &cur);
	pfkey_build_policy(&b, &p);
	return pfkey_build_end(&b, len);
}

static int
rep_spdadd_v4(uint8_t *buf, size_t cap, size_t *len)
{
	return spd_report(buf, cap, len, T(X_SPDADD));
}

static int
rep_spdupdate_v4(uint8_t *buf, size_t cap, size_t *len)
{
	return spd_report(buf, cap, len, T(X_SPDUPDATE));
}

static int
rep_spddelete_v4(uint8_t *buf, size_t cap, size_t *len)
{
	return spd_report(buf, cap, len, T(X_SPDDELETE));
}

static int
rep_spdget_v4(uint8_t *buf, size_t cap, size_t *len)
{
	return spd_report(buf, cap, len, T(X_SPDGET));
}

static int
rep_spddump_v4(uint8_t *buf, size_t cap, size_t *len)
{
	return spd_report(buf, cap, len, T(X_SPDDUMP));
}

static int
rep_spdsetidx_v4(uint8_t *buf, size_t cap, size_t *len)
{
	return spd_report(buf, cap, len, T(X_SPDSETIDX));
}

static int
rep_spddelete2_v4(uint8_t *buf, size_t cap, size_t *len)
{
	return spd_report(buf, cap, len, T(X_SPDDELETE2));
}

static int
rep_spdexpire_v4(uint8_t *buf, size_t cap, size_t *len)
{
	return spd_report(buf, cap, len, T(X_SPDEXPIRE));
}

/* KAME SPDACQUIRE: the policy alone. */
static int
rep_spdacquire(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_policy p = policy(PARAPET_IPSEC_POLICY_IPSEC,
	    PARAPET_IPSEC_DIR_OUTBOUND, 0x119);
	struct pfkey_build b;

	begin(&b, buf, cap, T(X_SPDACQUIRE), T(SATYPE_UNSPEC), 41);
	pfkey_build_policy(&b, &p);
	return pfkey_build_end(&b, len);
}

static int
rep_spdflush(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(X_SPDFLUSH), T(SATYPE_UNSPEC), 28);
	return pfkey_build_end(&b, len);
}

/* Linux pfkey_send_new_mapping(): the peer's NAT mapping changed. */
static int
rep_nat_t_new_mapping_v4(uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	begin(&b, buf, cap, T(X_NAT_T_NEW_MAPPING), T(SATYPE_ESP), 42);
	sa(&b, 0x12345678, 0, 0, 0, 0);
	sd4(&b);
	pfkey_build_natt_port(&b, T(X_EXT_NAT_T_SPORT), 4500);
	pfkey_build_natt_port(&b, T(X_EXT_NAT_T_DPORT), 1024);
	return pfkey_build_end(&b, len);
}

#define REQ(f)		{ #f, false, false, f }
#define REQ_QUIRK(f)	{ #f, false, true, f }
#define REP(f)		{ #f, true, false, f }

const struct pfkey_sample pfkey_samples[] = {
	REQ(req_getspi_esp_v4),
	REQ(req_getspi_nospirange_v6),
	REQ(req_update_esp_natt_v4),
	REQ_QUIRK(req_add_esp_setkey_v4),
	REQ(req_add_ah_v6),
	REQ(req_add_ipcomp_v4),
	REQ(req_add_esp_null_v4),
	REQ(req_add_esp_full_v4),
	REQ(req_delete_esp_v4),
	REQ(req_get_ah_v6),
	REQ(req_acquire_negative),
	REQ(req_acquire_ask_v4),
	REQ(req_register_unspec),
	REQ(req_register_esp),
	REQ(req_flush_all),
	REQ(req_dump_esp),
	REQ(req_dump_filter_v4),
	REQ(req_promisc_on),
	REQ(req_spdadd_tunnel_v4),
	REQ_QUIRK(req_spdadd_transport_v6),
	REQ(req_spdupdate_discard_v4),
	REQ(req_spdsetidx_none_v6),
	REQ(req_spddelete_v4),
	REQ(req_spdget),
	REQ(req_spddelete2),
	REQ(req_spddump),
	REQ(req_spdflush),
	REP(rep_getspi_v4),
	REP(rep_add_v4),
	REP(rep_update_v4),
	REP(rep_delete_v4),
	REP(rep_get_v4),
	REP(rep_dump_v4),
	REP(rep_acquire_v4),
	REP(rep_register_esp),
	REP(rep_expire_soft_v6),
	REP(rep_expire_hard_v6),
	REP(rep_flush),
	REP(rep_promisc),
	REP(rep_error_add),
	REP(rep_spdadd_v4),
	REP(rep_spdupdate_v4),
	REP(rep_spddelete_v4),
	REP(rep_spdget_v4),
	REP(rep_spddump_v4),
	REP(rep_spdsetidx_v4),
	REP(rep_spddelete2_v4),
	REP(rep_spdexpire_v4),
	REP(rep_spdacquire),
	REP(rep_spdflush),
	REP(rep_nat_t_new_mapping_v4),
};
const size_t pfkey_nsamples = sizeof(pfkey_samples) / sizeof(pfkey_samples[0]);

const struct pfkey_sample *
pfkey_sample_find(const char *name)
{
	size_t i;

	for (i = 0; i < pfkey_nsamples; i++)
		if (strcmp(pfkey_samples[i].name, name) == 0)
			return &pfkey_samples[i];
	return NULL;
}

uint16_t
pfkey_sample_get16(const uint8_t *buf, size_t off)
{
	uint16_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

void
pfkey_sample_put16(uint8_t *buf, size_t off, uint16_t v)
{
	memcpy(buf + off, &v, sizeof(v));
}

void
pfkey_sample_put32(uint8_t *buf, size_t off, uint32_t v)
{
	memcpy(buf + off, &v, sizeof(v));
}

/* Offset of the first extension of a type; 0 when absent. */
size_t
pfkey_sample_ext_off(const uint8_t *buf, size_t len, uint16_t type)
{
	size_t off = sizeof(struct pp_sadb_msg);

	while (off + 4 <= len) {
		size_t elen = 8 * (size_t)pfkey_sample_get16(buf, off);

		if (pfkey_sample_get16(buf, off + 2) == type)
			return off;
		if (elen == 0)
			break;
		off += elen;
	}
	return 0;
}
