/*
 * test_pfkey_api.c - libclient's PF_KEY API (libclient/pfkey.h) without
 * keyd: every request a send helper builds passes keyd's validator
 * (pfkey_msg_parse()) with the values asked for; the socket path over a
 * socketpair() (send, receive, MSG_TRUNC, invalid datagrams, seq
 * matching, end of file, raw extensions); the socket path environment.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pfkey.h"
#include "pfkey_build.h"
#include "policy.h"

#define T(x)		PARAPET_SADB_##x
#define BIT(e)		(UINT32_C(1) << (e))

static const uint8_t kauth[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
	30, 31, 32 };
static const uint8_t kenc[36] = { 0xe0, 0xe1, 0xe2, 0xe3 };

static struct sockaddr_in src4, dst4, oa4;
static struct sockaddr_in6 src6, dst6;

static void
init_addrs(void)
{
	memset(&src4, 0, sizeof(src4));
	src4.sin_family = AF_INET;
	src4.sin_port = htons(4500);
	inet_pton(AF_INET, "10.0.0.1", &src4.sin_addr);
	dst4 = src4;
	inet_pton(AF_INET, "10.0.0.2", &dst4.sin_addr);
	oa4 = src4;
	inet_pton(AF_INET, "192.168.1.1", &oa4.sin_addr);
	memset(&src6, 0, sizeof(src6));
	src6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "fe80::1", &src6.sin6_addr);
	src6.sin6_scope_id = 2;
	dst6 = src6;
	inet_pton(AF_INET6, "fe80::2", &dst6.sin6_addr);
}

static void
sa_params(struct pfkey_sa_params *p)
{
	init_addrs();
	memset(p, 0, sizeof(*p));
	p->satype = T(SATYPE_ESP);
	p->spi = 0x12345678;
	p->src = (const struct sockaddr *)&src4;
	p->dst = (const struct sockaddr *)&dst4;
	p->auth = T(X_AALG_SHA2_256HMAC);
	p->encrypt = T(X_EALG_AES_GCM_ICV16);
	p->key_auth = kauth;
	p->key_auth_len = sizeof(kauth);
	p->key_enc = kenc;
	p->key_enc_len = sizeof(kenc);
}

static uint8_t buf[PFKEY_MSG_MAX_BYTES];

/* Build type from p and parse it as keyd would. */
static void
build_parse_sa(uint8_t type, const struct pfkey_sa_params *p,
    struct pfkey_msg *m)
{
	enum pfkey_reject why;
	size_t len;

	assert_int_equal(pfkey_build_sa_request(type, p, 7, 99, buf,
	    sizeof(buf), &len), 0);
	if (pfkey_msg_parse(buf, len, m, &why) != 0)
		fail_msg("type %u refused: %s", type, pfkey_reject_str(why));
	assert_int_equal(m->hdr.type, type);
	assert_int_equal(m->hdr.seq, 7);
	assert_int_equal(m->hdr.pid, 99);
	assert_int_equal(m->hdr.satype, p->satype);
}

static void
test_sa_messages(void **state)
{
	struct pfkey_sa_params p;
	struct pfkey_msg m;

	(void)state;
	sa_params(&p);
	p.lft_hard.addtime = 3600;
	p.lft_soft.bytes = 1000000;
	p.mode = PARAPET_IPSEC_MODE_TUNNEL;
	p.reqid = 42;
	p.natt_type = 2;
	p.natt_sport = 4500;
	p.natt_dport = 4501;
	p.natt_oa = (const struct sockaddr *)&oa4;
	build_parse_sa(T(ADD), &p, &m);
	assert_int_equal(m.sa.spi, 0x12345678);
	assert_int_equal(m.sa.state, T(SASTATE_MATURE));
	assert_int_equal(m.sa.encrypt, T(X_EALG_AES_GCM_ICV16));
	assert_int_equal(m.key_auth.bits, 256);
	assert_memory_equal(m.key_auth.data, kauth, sizeof(kauth));
	assert_int_equal(m.key_encrypt.len_bytes, sizeof(kenc));
	assert_memory_equal(m.src.sa.addr, &src4.sin_addr, 4);
	assert_int_equal(m.src.sa.port, 4500);
	assert_int_equal(m.src.proto, 255);
	assert_int_equal(m.dst.prefixlen, 32);
	assert_int_equal(m.lft_hard.addtime, 3600);
	assert_int_equal(m.lft_soft.bytes, 1000000);
	assert_false(pfkey_msg_has(&m, T(EXT_LIFETIME_CURRENT)));
	assert_int_equal(m.sa2.mode, PARAPET_IPSEC_MODE_TUNNEL);
	assert_int_equal(m.sa2.reqid, 42);
	assert_int_equal(m.natt_type, 2);
	assert_int_equal(m.natt_dport, 4501);
	assert_memory_equal(m.natt_oa.sa.addr, &oa4.sin_addr, 4);
	build_parse_sa(T(UPDATE), &p, &m);

	/* No options: no SA2, lifetimes or NAT-T. */
	sa_params(&p);
	build_parse_sa(T(ADD), &p, &m);
	assert_int_equal(m.present, BIT(T(EXT_SA)) | BIT(T(EXT_ADDRESS_SRC)) |
	    BIT(T(EXT_ADDRESS_DST)) | BIT(T(EXT_KEY_AUTH)) |
	    BIT(T(EXT_KEY_ENCRYPT)));
	build_parse_sa(T(GET), &p, &m);
	assert_int_equal(m.present, BIT(T(EXT_SA)) | BIT(T(EXT_ADDRESS_SRC)) |
	    BIT(T(EXT_ADDRESS_DST)));
	build_parse_sa(T(DELETE), &p, &m);
	assert_int_equal(m.sa.spi, 0x12345678);

	/* GETSPI: no SA; a range when asked for. */
	build_parse_sa(T(GETSPI), &p, &m);
	assert_false(pfkey_msg_has(&m, T(EXT_SA)));
	assert_false(pfkey_msg_has(&m, T(EXT_SPIRANGE)));
	p.spi_min = 0x1000;
	p.spi_max = 0x2000;
	build_parse_sa(T(GETSPI), &p, &m);
	assert_int_equal(m.spirange.min, 0x1000);
	assert_int_equal(m.spirange.max, 0x2000);

	/* IPv6 with its scope. */
	p.src = (const struct sockaddr *)&src6;
	p.dst = (const struct sockaddr *)&dst6;
	build_parse_sa(T(GET), &p, &m);
	assert_int_equal(m.dst.sa.family, AF_INET6);
	assert_int_equal(m.dst.prefixlen, 128);
	assert_int_equal(m.dst.sa.scope_id, 2);
	assert_memory_equal(m.dst.sa.addr, &dst6.sin6_addr, 16);
}

static void
test_sa_bad_params(void **state)
{
	struct pfkey_sa_params p;
	struct sockaddr_un un;
	size_t len;

	(void)state;
	sa_params(&p);
	p.dst = (const struct sockaddr *)&dst6;		/* families differ */
	assert_int_equal(pfkey_build_sa_request(T(ADD), &p, 1, 1, buf,
	    sizeof(buf), &len), -EINVAL);
	sa_params(&p);
	p.dst = NULL;
	assert_int_equal(pfkey_build_sa_request(T(GET), &p, 1, 1, buf,
	    sizeof(buf), &len), -EINVAL);
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	p.dst = (const struct sockaddr *)&un;
	assert_int_equal(pfkey_build_sa_request(T(GET), &p, 1, 1, buf,
	    sizeof(buf), &len), -EINVAL);
	sa_params(&p);
	assert_int_equal(pfkey_build_sa_request(T(FLUSH), &p, 1, 1, buf,
	    sizeof(buf), &len), -EINVAL);
	assert_int_equal(pfkey_build_sa_request(T(ADD), &p, 1, 1, buf,
	    16, &len), -EMSGSIZE);
}

static void
test_hdr_messages(void **state)
{
	static const uint8_t types[] = { T(REGISTER), T(FLUSH), T(DUMP),
	    T(X_PROMISC), T(X_SPDDUMP), T(X_SPDFLUSH) };
	enum pfkey_reject why;
	struct pfkey_msg m;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(types); i++) {
		uint8_t satype = types[i] == T(X_PROMISC) ? 1 :
		    types[i] == T(REGISTER) ? T(SATYPE_ESP) : 0;

		assert_int_equal(pfkey_build_hdr_request(types[i], satype,
		    (uint32_t)i + 1, 5, buf, sizeof(buf), &len), 0);
		assert_int_equal(len, sizeof(struct pp_sadb_msg));
		assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), 0);
		assert_int_equal(m.hdr.type, types[i]);
		assert_int_equal(m.hdr.satype, satype);
		assert_int_equal(m.hdr.seq, i + 1);
	}
	assert_int_equal(pfkey_build_hdr_request(T(ADD), 0, 1, 1, buf,
	    sizeof(buf), &len), -EINVAL);
}

static char *
policy(const char *text, size_t *len)
{
	char *p = ipsec_set_policy(text, (int)strlen(text));

	assert_non_null(p);
	*len = (size_t)ipsec_get_policylen(p);
	return p;
}

static void
spd_params(struct pfkey_spd_params *p, const char *text, char **pol)
{
	init_addrs();
	memset(p, 0, sizeof(*p));
	p->src = (const struct sockaddr *)&src4;
	p->dst = (const struct sockaddr *)&dst4;
	p->prefs = 24;
	p->prefd = 32;
	p->proto = 6;
	*pol = policy(text, &p->policy_len);
	p->policy = *pol;
}

static void
test_spd_messages(void **state)
{
	static const uint8_t types[] = { T(X_SPDADD), T(X_SPDUPDATE),
	    T(X_SPDDELETE) };
	struct pfkey_spd_params p;
	enum pfkey_reject why;
	struct pfkey_msg m;
	size_t i, len;
	char *pol;

	(void)state;
	spd_params(&p, "out ipsec esp/tunnel/10.0.0.1-10.0.0.2/require", &pol);
	p.lft_hard.addtime = 60;
	for (i = 0; i < sizeof(types); i++) {
		assert_int_equal(pfkey_build_spd_request(types[i], &p, 3, 4,
		    buf, sizeof(buf), &len), 0);
		if (pfkey_msg_parse(buf, len, &m, &why) != 0)
			fail_msg("%u: %s", types[i], pfkey_reject_str(why));
		assert_int_equal(m.hdr.satype, 0);
		assert_int_equal(m.src.prefixlen, 24);
		assert_int_equal(m.dst.proto, 6);
		assert_int_equal(m.policy.dir, PARAPET_IPSEC_DIR_OUTBOUND);
		assert_int_equal(m.policy.nreqs, 1);
		assert_int_equal(m.policy.req[0].mode,
		    PARAPET_IPSEC_MODE_TUNNEL);
		assert_int_equal(pfkey_msg_has(&m, T(EXT_LIFETIME_HARD)),
		    types[i] != T(X_SPDDELETE));
	}
	free(pol);

	/* By id. */
	memset(&p, 0, sizeof(p));
	p.policy_id = 77;
	assert_int_equal(pfkey_build_spd_request(T(X_SPDGET), &p, 3, 4, buf,
	    sizeof(buf), &len), 0);
	assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), 0);
	assert_int_equal(m.policy.id, 77);
	assert_int_equal(pfkey_build_spd_request(T(X_SPDDELETE2), &p, 3, 4,
	    buf, sizeof(buf), &len), 0);
	assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), 0);
	assert_int_equal(m.hdr.type, T(X_SPDDELETE2));

	/* No policy, and a truncated one. */
	init_addrs();
	p.src = (const struct sockaddr *)&src4;
	p.dst = (const struct sockaddr *)&dst4;
	assert_int_equal(pfkey_build_spd_request(T(X_SPDADD), &p, 3, 4, buf,
	    sizeof(buf), &len), -EINVAL);
	spd_params(&p, "out ipsec esp/transport//require", &pol);
	p.policy_len -= 8;
	assert_int_equal(pfkey_build_spd_request(T(X_SPDADD), &p, 3, 4, buf,
	    sizeof(buf), &len), -EINVAL);
	free(pol);
	/* Well-formed but refused in the SPD: keyd is the judge of that. */
	spd_params(&p, "out bypass", &pol);
	assert_int_equal(pfkey_build_spd_request(T(X_SPDADD), &p, 3, 4, buf,
	    sizeof(buf), &len), 0);
	assert_int_equal(pfkey_msg_parse(buf, len, &m, &why), -EINVAL);
	assert_int_equal(why, PFKEY_REJECT_POLICY_TYPE_SPD);
	free(pol);
}

/* ---- Over a socketpair ---- */

static struct pfkey_client *cl;
static int peer = -1;

static int
pair_up(void **state)
{
	int sv[2];

	(void)state;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		return -1;
	peer = sv[1];
	return pfkey_open_fd(&cl, sv[0]);
}

static int
pair_down(void **state)
{
	(void)state;
	pfkey_close(cl);
	cl = NULL;
	if (peer >= 0)
		close(peer);
	peer = -1;
	return 0;
}

/* What the client sent, as keyd reads it. */
static void
peer_read(struct pfkey_msg *m)
{
	enum pfkey_reject why;
	ssize_t n = recv(peer, buf, sizeof(buf), 0);

	assert_true(n > 0);
	if (pfkey_msg_parse(buf, (size_t)n, m, &why) != 0)
		fail_msg("refused: %s", pfkey_reject_str(why));
}

static int64_t last_seq;

/*
 * A send helper's result: a seq above the previous one (the counter is
 * the process's), and the datagram the peer reads carries it.
 */
static void
sent(int64_t seq, uint8_t type, struct pfkey_msg *m)
{
	assert_true(seq > last_seq);
	last_seq = seq;
	peer_read(m);
	assert_int_equal(m->hdr.type, type);
	assert_int_equal(m->hdr.seq, seq);
	assert_int_equal(m->hdr.pid, pfkey_pid(cl));
}

static void
test_send(void **state)
{
	struct pfkey_sa_params p;
	struct pfkey_spd_params sp;
	struct pfkey_msg m;
	int64_t seq;
	char *pol;

	(void)state;
	sa_params(&p);
	sent(pfkey_send_add(cl, &p), T(ADD), &m);
	seq = pfkey_send_getspi(cl, &p);
	sent(seq, T(GETSPI), &m);
	p.seq = (uint32_t)seq;	/* UPDATE with its GETSPI's seq */
	assert_int_equal(pfkey_send_update(cl, &p), seq);
	peer_read(&m);
	assert_int_equal(m.hdr.type, T(UPDATE));
	assert_int_equal(m.hdr.seq, seq);
	p.seq = 0;
	sent(pfkey_send_get(cl, &p), T(GET), &m);
	sent(pfkey_send_delete(cl, &p), T(DELETE), &m);
	sent(pfkey_send_register(cl, 0), T(REGISTER), &m);
	assert_int_equal(m.hdr.satype, 0);
	sent(pfkey_send_flush(cl, T(SATYPE_AH)), T(FLUSH), &m);
	assert_int_equal(m.hdr.satype, T(SATYPE_AH));
	sent(pfkey_send_dump(cl, 0), T(DUMP), &m);
	sent(pfkey_send_promisc(cl, 5), T(X_PROMISC), &m);
	assert_int_equal(m.hdr.satype, 1);
	sent(pfkey_send_x_spddump(cl), T(X_SPDDUMP), &m);
	sent(pfkey_send_x_spdflush(cl), T(X_SPDFLUSH), &m);
	spd_params(&sp, "in ipsec esp/transport//require", &pol);
	sent(pfkey_send_x_spdadd(cl, &sp), T(X_SPDADD), &m);
	assert_int_equal(m.policy.dir, PARAPET_IPSEC_DIR_INBOUND);
	sent(pfkey_send_x_spdupdate(cl, &sp), T(X_SPDUPDATE), &m);
	sent(pfkey_send_x_spddelete(cl, &sp), T(X_SPDDELETE), &m);
	free(pol);
	sp.policy_id = 9;
	sent(pfkey_send_x_spdget(cl, &sp), T(X_SPDGET), &m);
	assert_int_equal(m.policy.id, 9);
	sent(pfkey_send_x_spddelete2(cl, &sp), T(X_SPDDELETE2), &m);

	/* A bad parameter sends nothing. */
	p.dst = NULL;
	assert_int_equal(pfkey_send_add(cl, &p), -EINVAL);
	sp.policy = NULL;
	assert_int_equal(pfkey_send_x_spdadd(cl, &sp), -EINVAL);
	assert_int_equal(recv(peer, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

/* keyd's side: a reply to the client. */
static void
peer_send(const struct pfkey_msg *m)
{
	uint8_t out[4096];
	size_t len;

	assert_int_equal(pfkey_build_msg(m, out, sizeof(out), &len), 0);
	assert_int_equal(send(peer, out, len, 0), (ssize_t)len);
}

static void
reply_view(struct pfkey_msg *m, uint8_t type, uint32_t seq, uint32_t pid,
    uint8_t err)
{
	struct pfkey_sa_params p;
	size_t len;
	enum pfkey_reject why;

	sa_params(&p);
	assert_int_equal(pfkey_build_sa_request(T(GET), &p, seq, pid, buf,
	    sizeof(buf), &len), 0);
	assert_int_equal(pfkey_msg_parse(buf, len, m, &why), 0);
	m->hdr.type = type;
	m->sa.state = T(SASTATE_MATURE);
	if (err != 0) {
		m->present = 0;
		m->hdr.msg_errno = err;
	}
}

static void
test_recv(void **state)
{
	struct pfkey_reply r;
	struct pfkey_ext_iter it;
	struct pfkey_ext e;
	struct pfkey_msg m;
	static const uint16_t want[] = { T(EXT_SA), T(EXT_ADDRESS_SRC),
	    T(EXT_ADDRESS_DST) };
	size_t i;
	int rc;

	(void)state;
	reply_view(&m, T(ADD), 5, pfkey_pid(cl), 0);
	peer_send(&m);
	assert_int_equal(pfkey_recv(cl, &r), 0);
	assert_int_equal(r.type, T(ADD));
	assert_int_equal(r.seq, 5);
	assert_int_equal(r.msg_errno, 0);
	assert_int_equal(r.satype, T(SATYPE_ESP));
	assert_int_equal(r.msg.sa.spi, 0x12345678);
	for (i = 0; i < nitems(want); i++) {
		rc = i == 0 ? pfkey_ext_first(&r, &it, &e) :
		    pfkey_ext_next(&it, &e);
		assert_int_equal(rc, 1);
		assert_int_equal(e.type, want[i]);
		assert_int_equal(e.len_bytes, i == 0 ? 16 : 24);
		assert_ptr_equal(e.data, r.raw + (i == 0 ? 16 : 8 + i * 24));
	}
	assert_int_equal(pfkey_ext_next(&it, &e), 0);
	assert_int_equal(pfkey_ext_next(&it, &e), 0);

	/* An error reply: errno, header only, no extensions. */
	reply_view(&m, T(GET), 6, pfkey_pid(cl), ESRCH);
	peer_send(&m);
	assert_int_equal(pfkey_recv(cl, &r), 0);
	assert_int_equal(r.msg_errno, ESRCH);
	assert_int_equal(pfkey_ext_first(&r, &it, &e), 0);

	/* recv_reply skips others' messages, garbage and old seqs. */
	reply_view(&m, T(ADD), 9, pfkey_pid(cl) + 1, 0);
	peer_send(&m);
	assert_int_equal(send(peer, "garbage!garbage!", 16, 0), 16);
	reply_view(&m, T(ADD), 8, pfkey_pid(cl), 0);
	peer_send(&m);
	reply_view(&m, T(DELETE), 9, pfkey_pid(cl), 0);
	peer_send(&m);
	assert_int_equal(pfkey_recv_reply(cl, 9, &r), 0);
	assert_int_equal(r.type, T(DELETE));
	assert_int_equal(r.pid, pfkey_pid(cl));
}

static void
test_recv_bad(void **state)
{
	struct pfkey_reply r;
	struct pfkey_ext_iter it;
	struct pfkey_ext e;
	struct pfkey_msg m;
	int sz = 1 << 20;
	uint8_t *big;

	(void)state;
	/* Invalid: not a PF_KEY message. */
	assert_int_equal(send(peer, "garbage!garbage!", 16, 0), 16);
	assert_int_equal(pfkey_recv(cl, &r), -EBADMSG);
	assert_null(r.raw);
	assert_int_equal(pfkey_ext_first(&r, &it, &e), -EBADMSG);
	/* Too long: MSG_TRUNC sees it, it is consumed. */
	assert_int_equal(setsockopt(peer, SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	assert_non_null(big = calloc(1, PFKEY_MSG_MAX_BYTES + 8));
	assert_int_equal(send(peer, big, PFKEY_MSG_MAX_BYTES + 8, 0),
	    PFKEY_MSG_MAX_BYTES + 8);
	free(big);
	assert_int_equal(pfkey_recv(cl, &r), -EMSGSIZE);
	/* The next one still arrives. */
	reply_view(&m, T(ADD), 1, pfkey_pid(cl), 0);
	peer_send(&m);
	assert_int_equal(pfkey_recv(cl, &r), 0);
	/* A broken extension framing, iterated by hand. */
	r.len_bytes = 20;	/* the SA extension cut short */
	assert_int_equal(pfkey_ext_first(&r, &it, &e), -EBADMSG);
	/* keyd gone. */
	close(peer);
	peer = -1;
	assert_int_equal(pfkey_recv(cl, &r), -ECONNRESET);
	assert_int_equal(pfkey_recv_reply(cl, 1, &r), -ECONNRESET);
}

/* ---- The socket path ---- */

static void
test_open_env(void **state)
{
	char dir[] = "/tmp/pfkey-api-XXXXXX", path[64];
	struct sockaddr_un sun;
	struct pfkey_client *c;
	int lfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pfkey.sock", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 4), 0);

	unsetenv("PFKEY_SOCKET");
	setenv("PARAPET_RUNDIR", dir, 1);
	assert_int_equal(pfkey_open(&c), 0);
	assert_true(pfkey_fd(c) >= 0);
	pfkey_close(c);
	/* PFKEY_SOCKET wins over PARAPET_RUNDIR. */
	setenv("PFKEY_SOCKET", "/nonexistent/pfkey.sock", 1);
	assert_int_equal(pfkey_open(&c), -ENOENT);
	assert_null(c);
	setenv("PFKEY_SOCKET", path, 1);
	assert_int_equal(pfkey_open(&c), 0);
	pfkey_close(c);
	unsetenv("PFKEY_SOCKET");
	setenv("PARAPET_RUNDIR", "/nonexistent", 1);
	assert_int_equal(pfkey_open(&c), -ENOENT);
	{
		char longp[200];

		memset(longp, 'a', sizeof(longp) - 1);
		longp[sizeof(longp) - 1] = '\0';
		assert_int_equal(pfkey_open_path(&c, longp), -ENAMETOOLONG);
		setenv("PARAPET_RUNDIR", longp, 1);
		assert_int_equal(pfkey_open(&c), -ENAMETOOLONG);
	}
	unsetenv("PARAPET_RUNDIR");
	pfkey_close(NULL);
	close(lfd);
	snprintf(path, sizeof(path), "%s/pfkey.sock", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sa_messages),
		cmocka_unit_test(test_sa_bad_params),
		cmocka_unit_test(test_hdr_messages),
		cmocka_unit_test(test_spd_messages),
		cmocka_unit_test_setup_teardown(test_send, pair_up, pair_down),
		cmocka_unit_test_setup_teardown(test_recv, pair_up, pair_down),
		cmocka_unit_test_setup_teardown(test_recv_bad, pair_up,
		    pair_down),
		cmocka_unit_test(test_open_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
