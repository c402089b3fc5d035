/*
 * test_pfkey_api.c - libclient's PF_KEY API (libclient/pfkey.h) against
 * the real keyd binary (PARAPET_BINDIR/keyd, alone: no supervisor, no
 * policyd), which the test starts in a temporary directory and stops.
 *
 *   test process ---- RUNDIR/pfkey.sock ---- keyd
 *     A (requests), P (promiscuous), D (DUMP with SO_RCVBUF 4096)
 *
 * Covered through the API only: REGISTER, GETSPI + UPDATE, ADD, GET,
 * DELETE, FLUSH, X_PROMISC seeing another socket's messages, a DUMP of
 * 100 000 SAs (added pipelined, 64 in flight) through a 4 KiB receive
 * buffer arriving complete with seq counting down to 0, and the SPD
 * messages: answered by policyd when keyd relays them, else (keyd alone:
 * EAGAIN, or EOPNOTSUPP from a keyd without the relay) only their errno
 * replies are checked. PFKEY_API_TEST_SOCKET=PATH runs the test against
 * a keyd someone else started (by hand: parapetd's, with policyd).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pfkey.h"
#include "policy.h"
#include "prng.h"

#define T(x)		PARAPET_SADB_##x
#define ESP		T(SATYPE_ESP)
#define NDUMP		100000
#define INFLIGHT	64
#define SPI_BASE	0x100000u

static char dir[64];
static char sock_path[96];
static pid_t keyd_pid = -1;

static const uint8_t kauth[32] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3,
	0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
	0xc0 };

static struct sockaddr_in src4, dst4;

/* A client through pfkey_open() ($PFKEY_SOCKET), with a receive timeout. */
static struct pfkey_client *
cl_open(void)
{
	struct timeval tv = { 10, 0 };
	struct pfkey_client *c;

	assert_int_equal(pfkey_open(&c), 0);
	assert_int_equal(setsockopt(pfkey_fd(c), SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	return c;
}

/* An ESP SA 10.0.0.1 -> 10.0.0.2: HMAC-SHA-256, NULL encryption. */
static void
sa_params(struct pfkey_sa_params *p, uint32_t spi)
{
	static const uint8_t none[1];

	memset(p, 0, sizeof(*p));
	p->satype = ESP;
	p->spi = spi;
	p->src = (const struct sockaddr *)&src4;
	p->dst = (const struct sockaddr *)&dst4;
	p->auth = T(X_AALG_SHA2_256HMAC);
	p->encrypt = T(EALG_NULL);
	p->key_auth = kauth;
	p->key_auth_len = sizeof(kauth);
	p->key_enc = none;	/* ESP needs the extension, empty for NULL */
	p->key_enc_len = 0;
	p->mode = PARAPET_IPSEC_MODE_TRANSPORT;
	p->reqid = 7;
}

/* Wait for the reply to seq; its errno must be err. */
static void
reply(struct pfkey_client *c, int64_t seq, uint8_t type, int err,
    struct pfkey_reply *r)
{
	assert_true(seq > 0);
	assert_int_equal(pfkey_recv_reply(c, (uint32_t)seq, r), 0);
	assert_int_equal(r->type, type);
	assert_int_equal(r->msg_errno, err);
	assert_int_equal(r->pid, pfkey_pid(c));
}

static void
test_register(void **state)
{
	struct pfkey_client *c = cl_open();
	struct pfkey_reply r;
	struct pfkey_alg alg;
	size_t i;
	int found = 0;

	(void)state;
	reply(c, pfkey_send_register(c, ESP), T(REGISTER), 0, &r);
	assert_int_equal(r.satype, ESP);
	assert_true(pfkey_msg_has(&r.msg, T(EXT_SUPPORTED_AUTH)));
	assert_true(pfkey_msg_has(&r.msg, T(EXT_SUPPORTED_ENCRYPT)));
	for (i = 0; i < r.msg.supp_auth.nalgs; i++) {
		pfkey_supported_alg(&r.msg.supp_auth, i, &alg);
		if (alg.id == T(X_AALG_SHA2_256HMAC) && alg.minbits == 256)
			found = 1;
	}
	assert_true(found);
	/* A second REGISTER of one type: EEXIST (Linux). */
	reply(c, pfkey_send_register(c, ESP), T(REGISTER), EEXIST, &r);
	pfkey_close(c);
}

static void
test_getspi_update(void **state)
{
	struct pfkey_client *c = cl_open();
	struct pfkey_sa_params p;
	struct pfkey_reply r;
	int64_t seq;
	uint32_t spi;

	(void)state;
	sa_params(&p, 0);
	p.spi_min = 0x5000;
	p.spi_max = 0x5fff;
	seq = pfkey_send_getspi(c, &p);
	reply(c, seq, T(GETSPI), 0, &r);
	assert_true(pfkey_msg_has(&r.msg, T(EXT_SA)));
	assert_true(pfkey_msg_has(&r.msg, T(EXT_ADDRESS_DST)));
	spi = r.msg.sa.spi;
	assert_true(spi >= 0x5000 && spi <= 0x5fff);
	assert_int_equal(r.msg.sa.state, T(SASTATE_LARVAL));

	sa_params(&p, spi);
	p.seq = (uint32_t)seq;		/* RFC 2367 §3.1.2 */
	reply(c, pfkey_send_update(c, &p), T(UPDATE), 0, &r);
	assert_int_equal(r.seq, (uint32_t)seq);
	p.seq = 0;
	reply(c, pfkey_send_get(c, &p), T(GET), 0, &r);
	assert_int_equal(r.msg.sa.spi, spi);
	assert_int_equal(r.msg.sa.state, T(SASTATE_MATURE));
	assert_int_equal(r.msg.sa2.reqid, 7);
	reply(c, pfkey_send_delete(c, &p), T(DELETE), 0, &r);
	pfkey_close(c);
}

static void
test_add_get_delete_flush(void **state)
{
	struct pfkey_client *c = cl_open();
	struct pfkey_sa_params p;
	struct pfkey_reply r;
	struct pfkey_ext_iter it;
	struct pfkey_ext e;
	int rc, nkeys = 0;

	(void)state;
	sa_params(&p, 0x1001);
	p.lft_hard.addtime = 3600;
	p.lft_soft.addtime = 3000;
	reply(c, pfkey_send_add(c, &p), T(ADD), 0, &r);
	/* The broadcast carries no keys. */
	assert_false(pfkey_msg_has(&r.msg, T(EXT_KEY_AUTH)));
	reply(c, pfkey_send_add(c, &p), T(ADD), EEXIST, &r);

	reply(c, pfkey_send_get(c, &p), T(GET), 0, &r);
	assert_int_equal(r.msg.sa.spi, 0x1001);
	assert_int_equal(r.msg.sa.auth, T(X_AALG_SHA2_256HMAC));
	assert_int_equal(r.msg.key_auth.len_bytes, sizeof(kauth));
	assert_memory_equal(r.msg.key_auth.data, kauth, sizeof(kauth));
	assert_int_equal(r.msg.lft_hard.addtime, 3600);
	assert_int_equal(r.msg.lft_soft.addtime, 3000);
	/* The same, as raw extensions. */
	for (rc = pfkey_ext_first(&r, &it, &e); rc == 1;
	    rc = pfkey_ext_next(&it, &e))
		if (e.type == T(EXT_KEY_AUTH)) {
			assert_int_equal(e.len_bytes, 8 + sizeof(kauth));
			assert_memory_equal(e.data + 8, kauth, sizeof(kauth));
			nkeys++;
		}
	assert_int_equal(rc, 0);
	assert_int_equal(nkeys, 1);

	reply(c, pfkey_send_delete(c, &p), T(DELETE), 0, &r);
	reply(c, pfkey_send_get(c, &p), T(GET), ESRCH, &r);
	reply(c, pfkey_send_delete(c, &p), T(DELETE), ESRCH, &r);

	reply(c, pfkey_send_add(c, &p), T(ADD), 0, &r);
	reply(c, pfkey_send_flush(c, ESP), T(FLUSH), 0, &r);
	reply(c, pfkey_send_get(c, &p), T(GET), ESRCH, &r);
	reply(c, pfkey_send_dump(c, ESP), T(DUMP), ENOENT, &r);
	pfkey_close(c);
}

/* Receive on c until a message of type with seq arrives. */
static void
see(struct pfkey_client *c, uint8_t type, uint32_t seq)
{
	struct pfkey_reply r;
	uint64_t end = test_now_ms() + 5000;

	while (test_now_ms() < end) {
		assert_int_equal(pfkey_recv(c, &r), 0);
		if (r.type == type && r.seq == seq)
			return;
	}
	fail_msg("type %u seq %u not seen", type, seq);
}

static void
test_promisc(void **state)
{
	struct pfkey_client *a = cl_open(), *pr = cl_open();
	struct pfkey_sa_params p;
	struct pfkey_reply r;
	int64_t seq;

	(void)state;
	reply(pr, pfkey_send_promisc(pr, 1), T(X_PROMISC), 0, &r);
	sa_params(&p, 0x2002);
	seq = pfkey_send_add(a, &p);
	reply(a, seq, T(ADD), 0, &r);
	/* P sees A's request (a copy, keys and all) and the broadcast. */
	see(pr, T(ADD), (uint32_t)seq);
	seq = pfkey_send_get(a, &p);
	reply(a, seq, T(GET), 0, &r);
	see(pr, T(GET), (uint32_t)seq);
	reply(pr, pfkey_send_promisc(pr, 0), T(X_PROMISC), 0, &r);
	reply(a, pfkey_send_flush(a, 0), T(FLUSH), 0, &r);
	pfkey_close(pr);
	pfkey_close(a);
}

/* Add n SAs with at most INFLIGHT requests unanswered. */
static void
add_many(struct pfkey_client *c, uint32_t n)
{
	struct pfkey_sa_params p;
	struct pfkey_reply r;
	uint32_t sent = 0, done = 0;

	while (done < n) {
		while (sent < n && sent - done < INFLIGHT) {
			sa_params(&p, SPI_BASE + sent);
			assert_true(pfkey_send_add(c, &p) > 0);
			sent++;
		}
		assert_int_equal(pfkey_recv(c, &r), 0);
		if (r.type != T(ADD) || r.pid != pfkey_pid(c))
			continue;
		assert_int_equal(r.msg_errno, 0);
		done++;
	}
}

static void
test_dump_100k(void **state)
{
	struct pfkey_client *a = cl_open(), *d = cl_open();
	struct pfkey_reply r;
	uint8_t *seen;
	uint32_t got = 0, spi;
	uint64_t t0 = test_now_ms(), t1;
	int sz = 4096;
	int64_t seq;

	(void)state;
	reply(a, pfkey_send_flush(a, 0), T(FLUSH), 0, &r);
	add_many(a, NDUMP);
	t1 = test_now_ms();
	assert_int_equal(setsockopt(pfkey_fd(d), SOL_SOCKET, SO_RCVBUF, &sz,
	    sizeof(sz)), 0);
	/* d saw the ADD broadcasts (up to keyd's queue limit): drain them. */
	pfkey_close(d);
	d = cl_open();
	assert_int_equal(setsockopt(pfkey_fd(d), SOL_SOCKET, SO_RCVBUF, &sz,
	    sizeof(sz)), 0);
	assert_non_null(seen = calloc(NDUMP, 1));
	seq = pfkey_send_dump(d, ESP);
	assert_true(seq > 0);
	while (got < NDUMP) {
		assert_int_equal(pfkey_recv(d, &r), 0);
		if (r.type != T(DUMP) || r.pid != pfkey_pid(d))
			continue;
		assert_int_equal(r.msg_errno, 0);
		/* The dump's seq counts down to 0. */
		assert_int_equal(r.seq, NDUMP - 1 - got);
		spi = r.msg.sa.spi;
		assert_true(spi >= SPI_BASE && spi < SPI_BASE + NDUMP);
		assert_int_equal(seen[spi - SPI_BASE], 0);
		seen[spi - SPI_BASE] = 1;
		got++;
	}
	free(seen);
	fprintf(stderr, "# %d ADDs in %llu ms, DUMP in %llu ms\n", NDUMP,
	    (unsigned long long)(t1 - t0),
	    (unsigned long long)(test_now_ms() - t1));
	pfkey_close(d);
	/* a got every ADD broadcast; a fresh socket for the flush. */
	pfkey_close(a);
	a = cl_open();
	{
		struct pfkey_reply fr;

		reply(a, pfkey_send_flush(a, 0), T(FLUSH), 0, &fr);
	}
	pfkey_close(a);
}

static void
spd_params(struct pfkey_spd_params *p, char **pol)
{
	static const char text[] = "out ipsec esp/transport//require";

	memset(p, 0, sizeof(*p));
	p->src = (const struct sockaddr *)&src4;
	p->dst = (const struct sockaddr *)&dst4;
	p->prefs = 32;
	p->prefd = 32;
	p->proto = PARAPET_IPSEC_ULPROTO_ANY;
	assert_non_null(*pol = ipsec_set_policy(text, (int)strlen(text)));
	p->policy = *pol;
	p->policy_len = (size_t)ipsec_get_policylen(*pol);
}

/* keyd alone: every SPD message gets its errno back, seq and pid echoed. */
static void
spd_without_policyd(struct pfkey_client *c, int err)
{
	struct pfkey_spd_params p;
	struct pfkey_reply r;
	char *pol;

	fprintf(stderr, "# no policyd (X_SPDDUMP: %s): SPD replies only\n",
	    strerror(err));
	spd_params(&p, &pol);
	reply(c, pfkey_send_x_spdadd(c, &p), T(X_SPDADD), err, &r);
	reply(c, pfkey_send_x_spdupdate(c, &p), T(X_SPDUPDATE), err, &r);
	reply(c, pfkey_send_x_spddelete(c, &p), T(X_SPDDELETE), err, &r);
	p.policy_id = 1;
	reply(c, pfkey_send_x_spdget(c, &p), T(X_SPDGET), err, &r);
	reply(c, pfkey_send_x_spddelete2(c, &p), T(X_SPDDELETE2), err, &r);
	reply(c, pfkey_send_x_spdflush(c), T(X_SPDFLUSH), err, &r);
	free(pol);
}

/* keyd relays to policyd: the SPD round trip. */
static void
spd_with_policyd(struct pfkey_client *c)
{
	struct pfkey_spd_params p;
	struct pfkey_reply r;
	uint32_t id;
	char *pol;

	spd_params(&p, &pol);
	reply(c, pfkey_send_x_spdadd(c, &p), T(X_SPDADD), 0, &r);
	id = r.msg.policy.id;
	reply(c, pfkey_send_x_spdupdate(c, &p), T(X_SPDUPDATE), 0, &r);
	p.policy_id = id;
	reply(c, pfkey_send_x_spdget(c, &p), T(X_SPDGET), 0, &r);
	assert_int_equal(r.msg.policy.dir, PARAPET_IPSEC_DIR_OUTBOUND);
	reply(c, pfkey_send_x_spddelete2(c, &p), T(X_SPDDELETE2), 0, &r);
	reply(c, pfkey_send_x_spdget(c, &p), T(X_SPDGET), ENOENT, &r);
	reply(c, pfkey_send_x_spdadd(c, &p), T(X_SPDADD), 0, &r);
	reply(c, pfkey_send_x_spddelete(c, &p), T(X_SPDDELETE), 0, &r);
	reply(c, pfkey_send_x_spdflush(c), T(X_SPDFLUSH), 0, &r);
	free(pol);
}

static void
test_spd(void **state)
{
	struct pfkey_client *c = cl_open();
	struct pfkey_reply r;
	int64_t seq;

	(void)state;
	seq = pfkey_send_x_spddump(c);
	assert_true(seq > 0);
	assert_int_equal(pfkey_recv_reply(c, (uint32_t)seq, &r), 0);
	assert_int_equal(r.type, T(X_SPDDUMP));
	if (r.msg_errno == EOPNOTSUPP || r.msg_errno == EAGAIN)
		spd_without_policyd(c, r.msg_errno);
	else
		spd_with_policyd(c);
	pfkey_close(c);
}

/* ---- keyd ---- */

static int
try_connect(void)
{
	struct pfkey_client *c;

	if (pfkey_open_path(&c, sock_path) != 0)
		return -1;
	pfkey_close(c);
	return 0;
}

static int
start_keyd(void **state)
{
	const char *bindir = getenv("PARAPET_BINDIR");
	const char *ext = getenv("PFKEY_API_TEST_SOCKET");
	char bin[512], bus[128], logf[128];
	uint64_t end;

	(void)state;
	memset(&src4, 0, sizeof(src4));
	src4.sin_family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", &src4.sin_addr);
	dst4 = src4;
	inet_pton(AF_INET, "10.0.0.2", &dst4.sin_addr);
	/*
	 * By hand: a keyd someone else runs (say under parapetd, with
	 * policyd behind it, for the SPD round trip). Its SADB and SPD are
	 * flushed.
	 */
	if (ext != NULL && ext[0] != '\0') {
		setenv("PFKEY_SOCKET", ext, 1);
		return 0;
	}
	snprintf(dir, sizeof(dir), "/tmp/pfkey-api-e2e-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(bin, sizeof(bin), "%s/keyd", bindir != NULL ? bindir : ".");
	snprintf(bus, sizeof(bus), "%s/bus.sock", dir);
	snprintf(logf, sizeof(logf), "%s/keyd.log", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/pfkey.sock", dir);
	/* The API finds keyd through the environment. */
	setenv("PFKEY_SOCKET", sock_path, 1);
	if ((keyd_pid = fork()) < 0)
		return -1;
	if (keyd_pid == 0) {
		int lfd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (lfd >= 0) {
			dup2(lfd, 2);
			close(lfd);
		}
		execl(bin, "keyd", "-s", bus, (char *)NULL);
		_exit(127);
	}
	end = test_now_ms() + 10000;
	while (test_now_ms() < end) {
		if (try_connect() == 0)
			return 0;
		usleep(10000);
	}
	fprintf(stderr, "keyd did not listen on %s\n", sock_path);
	return -1;
}

static void
show_log(int status)
{
	char path[160], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/keyd.log", dir);
	fprintf(stderr, "keyd exit status %d; its log:\n", status);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, stderr);
	fclose(f);
}

static int
stop_keyd(void **state)
{
	char path[160];
	uint64_t end;
	int status = -1, got = 0, rc = 0;

	(void)state;
	if (dir[0] == '\0')		/* an external keyd */
		return 0;
	if (keyd_pid > 0) {
		kill(keyd_pid, SIGTERM);
		end = test_now_ms() + 5000;
		while (test_now_ms() < end &&
		    (got = waitpid(keyd_pid, &status, WNOHANG)) == 0)
			usleep(10000);
		if (got == 0) {
			kill(keyd_pid, SIGKILL);
			waitpid(keyd_pid, &status, 0);
		}
		if (got == 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			show_log(status);
			rc = -1;
		}
	}
	snprintf(path, sizeof(path), "%s/keyd.log", dir);
	unlink(path);
	unlink(sock_path);
	snprintf(path, sizeof(path), "%s/bus.sock", dir);
	unlink(path);
	rmdir(dir);
	return rc;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_getspi_update),
		cmocka_unit_test(test_add_get_delete_flush),
		cmocka_unit_test(test_promisc),
		cmocka_unit_test(test_dump_100k),
		cmocka_unit_test(test_spd),
	};

	signal(SIGPIPE, SIG_IGN);
	if (geteuid() != 0) {
		/* keyd admits uid 0 (or its -g group) only. */
		fprintf(stderr, "SKIP: needs uid 0\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, start_keyd, stop_keyd);
}
