/*
 * test_keyd_pfkey.c - keyd's PF_KEY endpoint end to end: the real keyd
 * binary (PARAPET_BINDIR/keyd, no supervisor, no broker: its bus client
 * keeps retrying), clients over RUNDIR/pfkey.sock.
 *
 *   test process ---- pfkey.sock (SOCK_SEQPACKET) ---- keyd
 *     client A, B, P (promiscuous), R (registered), D (slow DUMP reader)
 *
 * Covered: ADD/GET with keys and seq/pid echo; EEXIST; GETSPI → UPDATE →
 * MATURE; DELETE → ESRCH; FLUSH; REGISTER lists; ADD broadcast without
 * keys; promiscuous copies; malformed datagrams (no reply for a bad
 * header, errno for the rest) with keyd still serving; DUMP of 5000 SAs
 * through a slow reader, seq down to 0; soft and hard EXPIRE; a refused
 * unprivileged peer. One keyd for the whole run, in its own temporary
 * directory, killed and removed at the end.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

#include "pfkey_build.h"
#include "pfkey_msg.h"
#include "prng.h"
#include "seqpacket.h"

#define T(x)		PARAPET_SADB_##x
#define BIT(e)		(UINT32_C(1) << (e))
#define ESP		T(SATYPE_ESP)
#define NDUMP		5000

static char dir[64];
static char sock_path[96];
static pid_t keyd_pid = -1;

static const uint8_t key_a[32] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3,
	0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
	0xc0 };

static int
try_connect(void)
{
	return test_seqpacket_connect(sock_path);
}

static int
cl_open(void)
{
	int fd = try_connect();

	assert_true(fd >= 0);
	return fd;
}

#define recv_raw	test_recv_wait

static uint8_t rbuf[PFKEY_MSG_MAX_BYTES];

/* Receive and parse a message from keyd; fails the test on none. */
static void
cl_recv(int fd, struct pfkey_msg *m)
{
	enum pfkey_reject why;
	ssize_t n = recv_raw(fd, rbuf, sizeof(rbuf), 3000);

	assert_true(n > 0);
	if (pfkey_msg_parse_reply(rbuf, (size_t)n, m, &why) != 0) {
		fprintf(stderr, "reply refused: %s\n", pfkey_reject_str(why));
		fail();
	}
}

/* Receive until a message of type arrives (others are skipped). */
static void
cl_recv_type(int fd, uint8_t type, struct pfkey_msg *m)
{
	uint64_t end = test_now_ms() + 5000;

	do {
		cl_recv(fd, m);
		if (m->hdr.type == type)
			return;
	} while (test_now_ms() < end);
	fail();
}

static void
cl_send(int fd, const struct pfkey_msg *m)
{
	uint8_t buf[4096];
	size_t len;

	assert_int_equal(pfkey_build_msg(m, buf, sizeof(buf), &len), 0);
	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
}

static void
hdr(struct pfkey_msg *m, uint8_t type, uint8_t satype, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = PARAPET_PF_KEY_V2;
	m->hdr.type = type;
	m->hdr.satype = satype;
	m->hdr.seq = seq;
	m->hdr.pid = (uint32_t)getpid();
}

static void
addr4(struct pfkey_address *a, const char *ip)
{
	memset(a, 0, sizeof(*a));
	a->proto = 255;
	a->prefixlen = 32;
	a->sa.family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, a->sa.addr), 1);
}

/* An ESP SA message (ADD, UPDATE, GET, DELETE) 10.0.0.1 -> 10.0.0.2. */
static void
sa_msg(struct pfkey_msg *m, uint8_t type, uint32_t spi, uint32_t seq)
{
	hdr(m, type, ESP, seq);
	m->present = BIT(T(EXT_SA)) | BIT(T(EXT_ADDRESS_SRC)) |
	    BIT(T(EXT_ADDRESS_DST));
	m->sa.spi = spi;
	addr4(&m->src, "10.0.0.1");
	addr4(&m->dst, "10.0.0.2");
	if (type != T(ADD) && type != T(UPDATE))
		return;
	m->sa.state = T(SASTATE_MATURE);
	m->sa.auth = T(X_AALG_SHA2_256HMAC);
	m->sa.encrypt = T(EALG_NULL);
	m->present |= BIT(T(EXT_KEY_AUTH)) | BIT(T(EXT_KEY_ENCRYPT));
	m->key_auth.bits = 256;
	m->key_auth.data = key_a;
	m->key_auth.len_bytes = sizeof(key_a);
}

/* Send m on fd, expect a reply of m's type with errno err. */
static void
request(int fd, const struct pfkey_msg *m, int err, struct pfkey_msg *rep)
{
	cl_send(fd, m);
	cl_recv_type(fd, m->hdr.type, rep);
	assert_int_equal(rep->hdr.msg_errno, err);
	assert_int_equal(rep->hdr.seq, m->hdr.seq);
	assert_int_equal(rep->hdr.pid, m->hdr.pid);
}

/* Read until 200 ms of silence; how many messages of type came. */
static int
drain_count(int fd, uint8_t type)
{
	uint8_t buf[4096];
	ssize_t n;
	int count = 0;

	while ((n = recv_raw(fd, buf, sizeof(buf), 200)) > 0)
		if (n >= 16 && buf[1] == type)
			count++;
	return count;
}

static void
add_sa(int fd, uint32_t spi)
{
	struct pfkey_msg m, r;

	sa_msg(&m, T(ADD), spi, spi);
	request(fd, &m, 0, &r);
}

static void
flush_all(int fd)
{
	struct pfkey_msg m, r;

	hdr(&m, T(FLUSH), T(SATYPE_UNSPEC), 99);
	request(fd, &m, 0, &r);
}

/* ---- keyd ---- */

static int
start_keyd(void **state)
{
	const char *bindir = getenv("PARAPET_BINDIR");
	char bin[512], bus[128], logf[128];
	uint64_t end;
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/keyd-e2e-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(bin, sizeof(bin), "%s/keyd", bindir != NULL ? bindir : ".");
	snprintf(bus, sizeof(bus), "%s/bus.sock", dir);
	snprintf(logf, sizeof(logf), "%s/keyd.log", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/pfkey.sock", dir);
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
		if ((fd = try_connect()) >= 0) {
			close(fd);
			return 0;
		}
		usleep(10000);
	}
	fprintf(stderr, "keyd did not listen on %s\n", sock_path);
	return -1;
}

static int
stop_keyd(void **state)
{
	char path[160];
	uint64_t end;
	int status = -1, got = 0;

	(void)state;
	if (keyd_pid > 0) {
		kill(keyd_pid, SIGTERM);
		end = test_now_ms() + 5000;
		while (test_now_ms() < end &&
		    (got = waitpid(keyd_pid, &status, WNOHANG)) == 0)
			usleep(10000);
		if (got == 0) {
			kill(keyd_pid, SIGKILL);
			waitpid(keyd_pid, &status, 0);
			fprintf(stderr, "keyd did not stop on SIGTERM\n");
		}
	}
	snprintf(path, sizeof(path), "%s/keyd.log", dir);
	if (got == 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		FILE *f = fopen(path, "r");
		char line[512];

		fprintf(stderr, "keyd exit status %d; its log:\n", status);
		while (f != NULL && fgets(line, sizeof(line), f) != NULL)
			fputs(line, stderr);
		if (f != NULL)
			fclose(f);
	}
	unlink(path);
	unlink(sock_path);
	rmdir(dir);
	/* A keyd that crashed or leaked fails the run. */
	return got > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 :
	    -1;
}

/* ---- tests ---- */

static void
test_add_get(void **state)
{
	struct pfkey_msg m, r;
	int fd = cl_open();

	(void)state;
	flush_all(fd);
	sa_msg(&m, T(ADD), 0x1001, 11);
	request(fd, &m, 0, &r);
	assert_int_equal(r.sa.spi, 0x1001);
	assert_false(pfkey_msg_has(&r, T(EXT_KEY_AUTH)));	/* stripped */

	sa_msg(&m, T(GET), 0x1001, 12);
	request(fd, &m, 0, &r);
	assert_int_equal(r.hdr.satype, ESP);
	assert_int_equal(r.sa.spi, 0x1001);
	assert_int_equal(r.sa.state, T(SASTATE_MATURE));
	assert_int_equal(r.sa.auth, T(X_AALG_SHA2_256HMAC));
	assert_int_equal(r.sa.encrypt, T(EALG_NULL));
	assert_true(pfkey_msg_has(&r, T(EXT_KEY_AUTH)));
	assert_int_equal(r.key_auth.len_bytes, sizeof(key_a));
	assert_memory_equal(r.key_auth.data, key_a, sizeof(key_a));
	assert_memory_equal(r.dst.sa.addr, m.dst.sa.addr, 4);

	/* Duplicate ADD. */
	sa_msg(&m, T(ADD), 0x1001, 13);
	request(fd, &m, EEXIST, &r);
	close(fd);
}

static void
test_getspi_update(void **state)
{
	struct pfkey_msg m, r;
	uint32_t spi;
	int fd = cl_open();

	(void)state;
	hdr(&m, T(GETSPI), ESP, 21);
	m.present = BIT(T(EXT_ADDRESS_SRC)) | BIT(T(EXT_ADDRESS_DST)) |
	    BIT(T(EXT_SPIRANGE));
	addr4(&m.src, "10.0.0.1");
	addr4(&m.dst, "10.0.0.2");
	m.spirange.min = 0x2000;
	m.spirange.max = 0x20ff;
	request(fd, &m, 0, &r);
	assert_true(pfkey_msg_has(&r, T(EXT_SA)));
	spi = r.sa.spi;
	assert_true(spi >= 0x2000 && spi <= 0x20ff);
	assert_int_equal(r.sa.state, T(SASTATE_LARVAL));

	sa_msg(&m, T(UPDATE), spi, 21);
	request(fd, &m, 0, &r);
	sa_msg(&m, T(GET), spi, 22);
	request(fd, &m, 0, &r);
	assert_int_equal(r.sa.state, T(SASTATE_MATURE));
	assert_int_equal(r.sa.spi, spi);

	/* UPDATE of an SA that does not exist. */
	sa_msg(&m, T(UPDATE), 0x7777, 23);
	request(fd, &m, ESRCH, &r);
	close(fd);
}

static void
test_delete_flush(void **state)
{
	struct pfkey_msg m, r;
	int fd = cl_open();

	(void)state;
	add_sa(fd, 0x3001);
	sa_msg(&m, T(DELETE), 0x3001, 31);
	request(fd, &m, 0, &r);
	assert_int_equal(r.sa.spi, 0x3001);
	sa_msg(&m, T(GET), 0x3001, 32);
	request(fd, &m, ESRCH, &r);
	sa_msg(&m, T(DELETE), 0x3001, 33);
	request(fd, &m, ESRCH, &r);

	add_sa(fd, 0x3002);
	add_sa(fd, 0x3003);
	flush_all(fd);
	sa_msg(&m, T(GET), 0x3002, 34);
	request(fd, &m, ESRCH, &r);
	/* An empty DUMP: ENOENT, as Linux. */
	hdr(&m, T(DUMP), ESP, 35);
	request(fd, &m, ENOENT, &r);
	close(fd);
}

static void
test_register(void **state)
{
	struct pfkey_msg m, r;
	struct pfkey_alg a;
	bool sha256 = false, sha512 = false, null = false;
	size_t i;
	int fd = cl_open();

	(void)state;
	hdr(&m, T(REGISTER), ESP, 41);
	request(fd, &m, 0, &r);
	assert_true(pfkey_msg_has(&r, T(EXT_SUPPORTED_AUTH)));
	assert_true(pfkey_msg_has(&r, T(EXT_SUPPORTED_ENCRYPT)));
	for (i = 0; i < r.supp_auth.nalgs; i++) {
		pfkey_supported_alg(&r.supp_auth, i, &a);
		if (a.id == T(X_AALG_SHA2_256HMAC))
			sha256 = a.minbits == 256 && a.maxbits == 256;
		if (a.id == T(X_AALG_SHA2_512HMAC))
			sha512 = a.minbits == 512 && a.maxbits == 512;
	}
	for (i = 0; i < r.supp_encrypt.nalgs; i++) {
		pfkey_supported_alg(&r.supp_encrypt, i, &a);
		if (a.id == T(EALG_NULL))
			null = true;
#ifdef PARAPET_CRYPTO_OPENSSL
		/* RFC 8221 with OpenSSL (DESIGN §10.23). */
		if (a.id == T(X_EALG_AES_GCM_ICV16) ||
		    a.id == T(X_EALG_AESCTR))
			assert_true(a.minbits == 160 && a.maxbits == 288);
		if (a.id == T(X_EALG_CHACHA20POLY1305))
			assert_true(a.minbits == 288 && a.maxbits == 288);
		if (a.id == T(X_EALG_AESCBC))
			assert_true(a.minbits == 128 && a.maxbits == 256);
#else
		if (a.id == T(X_EALG_AES_GCM_ICV16) ||
		    a.id == T(X_EALG_CHACHA20POLY1305))
			assert_true(a.minbits == 288 && a.maxbits == 288);
		assert_true(a.id == T(EALG_NULL) ||
		    a.id == T(X_EALG_AES_GCM_ICV16) ||
		    a.id == T(X_EALG_CHACHA20POLY1305));
#endif
	}
	assert_true(sha256 && sha512 && null);
#ifdef PARAPET_CRYPTO_OPENSSL
	/* SHA-1, SHA-256, SHA-384, SHA-512, AES-XCBC; 6 ciphers. */
	assert_int_equal(r.supp_auth.nalgs, 5);
	assert_int_equal(r.supp_encrypt.nalgs, 6);
#else
	assert_int_equal(r.supp_auth.nalgs, 2);
#endif
	/* Twice for one SA type: EEXIST (Linux). */
	hdr(&m, T(REGISTER), ESP, 42);
	request(fd, &m, EEXIST, &r);
	close(fd);
}

static void
test_broadcast_promisc(void **state)
{
	struct pfkey_msg m, r;
	uint8_t buf[4096];
	ssize_t n;
	int a = cl_open(), b = cl_open(), p = cl_open();

	(void)state;
	hdr(&m, T(X_PROMISC), 1, 51);
	request(p, &m, 0, &r);
	/* A promiscuous sender gets its own reply twice (Linux). */
	cl_recv_type(p, T(X_PROMISC), &r);
	/* The promisc echo went to everyone (Linux). */
	cl_recv_type(a, T(X_PROMISC), &r);
	cl_recv_type(b, T(X_PROMISC), &r);

	add_sa(a, 0x5001);
	/* b sees the ADD without keys. */
	cl_recv_type(b, T(ADD), &r);
	assert_int_equal(r.sa.spi, 0x5001);
	assert_false(pfkey_msg_has(&r, T(EXT_KEY_AUTH)));
	/*
	 * p sees the request (raw, keys included), then the broadcast twice:
	 * once as a promiscuous socket, once as one of all (Linux).
	 */
	assert_int_equal(drain_count(p, T(ADD)), 3);

	/* GET: only the sender (and p) hear of it. */
	sa_msg(&m, T(GET), 0x5001, 52);
	request(a, &m, 0, &r);
	assert_true(recv_raw(b, buf, sizeof(buf), 200) < 0);
	assert_int_equal(drain_count(p, T(GET)), 2);	/* request, reply */
	(void)n;
	close(a);
	close(b);
	close(p);
}

static void
test_malformed(void **state)
{
	struct pfkey_msg m, r;
	uint8_t buf[512];
	size_t len;
	int fd = cl_open();

	(void)state;
	sa_msg(&m, T(GET), 0x6001, 61);
	assert_int_equal(pfkey_build_msg(&m, buf, sizeof(buf), &len), 0);

	/* Bad version: no usable header, no reply (a kernel fails send). */
	buf[0] = 3;
	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
	assert_true(recv_raw(fd, rbuf, sizeof(rbuf), 200) < 0);
	buf[0] = PARAPET_PF_KEY_V2;
	/* Datagram shorter than sadb_msg_len says: no reply either. */
	assert_int_equal(send(fd, buf, len - 8, 0), (ssize_t)(len - 8));
	assert_true(recv_raw(fd, rbuf, sizeof(rbuf), 200) < 0);
	/* Over 64 KiB. */
	{
		static uint8_t big[PFKEY_MSG_MAX_BYTES + 64];

		memcpy(big, buf, len);
		assert_int_equal(send(fd, big, sizeof(big), 0),
		    (ssize_t)sizeof(big));
		assert_true(recv_raw(fd, rbuf, sizeof(rbuf), 200) < 0);
	}

	/* Unknown extension type: EINVAL, seq echoed. */
	sa_msg(&m, T(GET), 0x6001, 62);
	assert_int_equal(pfkey_build_msg(&m, buf, sizeof(buf), &len), 0);
	{
		/* Append an 8-octet extension of type 200. */
		uint16_t words = (uint16_t)((len + 8) / 8), elen = 1, et = 200;

		memset(buf + len, 0, 8);
		memcpy(buf + len, &elen, 2);
		memcpy(buf + len + 2, &et, 2);
		memcpy(buf + 4, &words, 2);
		len += 8;
	}
	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
	cl_recv(fd, &r);
	assert_int_equal(r.hdr.msg_errno, EINVAL);
	assert_int_equal(r.hdr.seq, 62);

	/* SPI 0: EINVAL. */
	sa_msg(&m, T(GET), 0, 63);
	m.sa.spi = 0;
	assert_int_equal(pfkey_build_msg(&m, buf, sizeof(buf), &len), 0);
	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
	cl_recv(fd, &r);
	assert_int_equal(r.hdr.msg_errno, EINVAL);
	assert_int_equal(r.hdr.seq, 63);

	/* An algorithm keyd does not offer: ENOSYS; a short key: EINVAL. */
	sa_msg(&m, T(ADD), 0x6002, 64);
	m.sa.auth = T(AALG_MD5HMAC);
	m.key_auth.bits = 128;
	m.key_auth.len_bytes = 16;
	request(fd, &m, ENOSYS, &r);
	sa_msg(&m, T(ADD), 0x6002, 65);
	m.key_auth.bits = 128;
	m.key_auth.len_bytes = 16;
	request(fd, &m, EINVAL, &r);

	/* Still serving. */
	sa_msg(&m, T(GET), 0x6001, 66);
	request(fd, &m, ESRCH, &r);
	close(fd);
}

static void
test_dump_slow_reader(void **state)
{
	static uint8_t seen[NDUMP];
	struct pfkey_msg m, r;
	uint32_t i, expect_seq;
	int fd = cl_open(), d, small = 4096;
	uint64_t t0;

	(void)state;
	flush_all(fd);
	for (i = 0; i < NDUMP; i++)
		add_sa(fd, 0x10000 + i);
	/* Opened after the ADDs, so their broadcasts are not in the way. */
	d = cl_open();
	assert_int_equal(setsockopt(d, SOL_SOCKET, SO_RCVBUF, &small,
	    sizeof(small)), 0);
	hdr(&m, T(DUMP), ESP, 71);
	cl_send(d, &m);
	/* Let keyd run into a full socket before reading anything. */
	usleep(300000);
	t0 = test_now_ms();
	memset(seen, 0, sizeof(seen));
	expect_seq = NDUMP - 1;
	for (i = 0; i < NDUMP; i++) {
		uint32_t spi;

		cl_recv(d, &r);
		assert_int_equal(r.hdr.type, T(DUMP));
		assert_int_equal(r.hdr.msg_errno, 0);
		assert_int_equal(r.hdr.pid, m.hdr.pid);
		assert_int_equal(r.hdr.seq, expect_seq);
		spi = r.sa.spi;
		assert_true(spi >= 0x10000 && spi < 0x10000 + NDUMP);
		assert_false(seen[spi - 0x10000]);
		seen[spi - 0x10000] = 1;
		assert_true(pfkey_msg_has(&r, T(EXT_KEY_AUTH)));
		if (expect_seq > 0)
			expect_seq--;
		if (i % 500 == 0)
			usleep(20000);	/* slow reader */
	}
	assert_true(recv_raw(d, rbuf, sizeof(rbuf), 100) < 0);
	fprintf(stderr, "dump of %d SAs read in %llu ms\n", NDUMP,
	    (unsigned long long)(test_now_ms() - t0));
	flush_all(fd);
	close(d);
	close(fd);
}

static void
test_expire(void **state)
{
	struct pfkey_msg m, r;
	uint64_t t0;
	int reg = cl_open(), fd = cl_open();

	(void)state;
	hdr(&m, T(REGISTER), ESP, 81);
	request(reg, &m, 0, &r);
	sa_msg(&m, T(ADD), 0x8001, 82);
	m.present |= BIT(T(EXT_LIFETIME_SOFT)) | BIT(T(EXT_LIFETIME_HARD));
	m.lft_soft.addtime = 1;
	m.lft_hard.addtime = 2;
	t0 = test_now_ms();
	request(fd, &m, 0, &r);

	cl_recv_type(reg, T(EXPIRE), &r);
	assert_int_equal(r.sa.spi, 0x8001);
	assert_true(pfkey_msg_has(&r, T(EXT_LIFETIME_SOFT)));
	assert_false(pfkey_msg_has(&r, T(EXT_LIFETIME_HARD)));
	assert_true(pfkey_msg_has(&r, T(EXT_LIFETIME_CURRENT)));
	assert_true(test_now_ms() - t0 >= 900);
	cl_recv_type(reg, T(EXPIRE), &r);
	assert_int_equal(r.sa.spi, 0x8001);
	assert_true(pfkey_msg_has(&r, T(EXT_LIFETIME_HARD)));
	assert_false(pfkey_msg_has(&r, T(EXT_LIFETIME_SOFT)));
	assert_true(test_now_ms() - t0 >= 1900);
	/* Hard: gone. The unregistered client heard of neither. */
	sa_msg(&m, T(GET), 0x8001, 83);
	request(fd, &m, ESRCH, &r);
	close(reg);
	close(fd);
}

static void
test_refused(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0)
		skip();		/* needs a second uid */
	/* Let anyone reach the socket; SO_PEERCRED must still refuse. */
	assert_int_equal(chmod(sock_path, 0666), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	if ((pid = fork()) == 0) {
		uint8_t b[64];
		int fd;

		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(3);
		if ((fd = try_connect()) < 0)
			_exit(4);
		/* keyd closes at once: EOF (or a reset) before any reply. */
		_exit(recv_raw(fd, b, sizeof(b), 3000) <= 0 ? 0 : 5);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(chmod(sock_path, 0660), 0);
	assert_int_equal(chmod(dir, 0700), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_get),
		cmocka_unit_test(test_getspi_update),
		cmocka_unit_test(test_delete_flush),
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_broadcast_promisc),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_dump_slow_reader),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_refused),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, start_keyd, stop_keyd);
}
