/*
 * test_preload_pfkey.c - libparapet_pfkey.so end to end: this program is
 * written as for a kernel PF_KEY socket (<linux/pfkeyv2.h>,
 * socket(PF_KEY, SOCK_RAW, PF_KEY_V2)) and ctest runs it with
 * LD_PRELOAD=libparapet_pfkey.so against a keyd it starts itself (its
 * own temporary directory; keyd is started without the preload).
 *
 *   this process (preloaded) --- pfkey.sock --- keyd
 *
 * Covered: REGISTER and ADD answered by a recv(MSG_DONTWAIT) right after
 * send(); GET read libipsec-style (MSG_PEEK of the header, then the
 * whole); a refused header fails send() with its errno; DUMP of 3000
 * SAs through a 4 KiB receive buffer read with non-blocking recv(),
 * read(), poll(0) and select(0) without one empty read before seq 0;
 * fork (the child uses the inherited socket, then the parent); two
 * sockets seeing each other's broadcasts at once; close, reopen, dup,
 * dup2, F_DUPFD, close_range; recvfrom/recvmsg/getsockname addresses,
 * writev/readv and SO_TYPE; socket()'s flags and errors, epoll; four
 * threads with a socket each; and that a plain connection (no
 * sync HELLO) never sees a MARK.
 */
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/pfkeyv2.h>

#include <cmocka.h>

#include "prng.h"
#include "seqpacket.h"

#define NDUMP		3000
#define SPI_BASE	0x10000
#define BUFSZ		65536

static char dir[64];
static char sock_path[96];
static pid_t keyd_pid = -1;
static uint32_t seq_ctr = 1;

/* ---- messages, built as any PF_KEY program does ---- */

struct msg {
	uint8_t	b[1024];
	size_t	len;
};

static struct sadb_msg *
hdr(struct msg *m, uint8_t type, uint8_t satype, uint32_t seq)
{
	struct sadb_msg *h = (struct sadb_msg *)m->b;

	memset(m, 0, sizeof(*m));
	h->sadb_msg_version = PF_KEY_V2;
	h->sadb_msg_type = type;
	h->sadb_msg_satype = satype;
	h->sadb_msg_seq = seq;
	h->sadb_msg_pid = (uint32_t)getpid();
	m->len = sizeof(*h);
	h->sadb_msg_len = (uint16_t)(m->len / 8);
	return h;
}

static void *
ext(struct msg *m, size_t len)
{
	void *p = m->b + m->len;

	m->len += len;
	((struct sadb_msg *)m->b)->sadb_msg_len = (uint16_t)(m->len / 8);
	return p;
}

static void
addr(struct msg *m, uint16_t type, const char *ip)
{
	struct sadb_address *a = ext(m, sizeof(*a) + 16);
	struct sockaddr_in sin;

	a->sadb_address_len = (sizeof(*a) + 16) / 8;
	a->sadb_address_exttype = type;
	a->sadb_address_proto = 255;	/* IPSEC_ULPROTO_ANY */
	a->sadb_address_prefixlen = 32;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin.sin_addr);
	memcpy(a + 1, &sin, sizeof(sin));
}

static void
sa_ext(struct msg *m, uint32_t spi, bool algs)
{
	struct sadb_sa *sa = ext(m, sizeof(*sa));

	sa->sadb_sa_len = sizeof(*sa) / 8;
	sa->sadb_sa_exttype = SADB_EXT_SA;
	sa->sadb_sa_spi = htonl(spi);
	if (algs) {
		sa->sadb_sa_state = SADB_SASTATE_MATURE;
		sa->sadb_sa_auth = SADB_X_AALG_SHA2_256HMAC;
		sa->sadb_sa_encrypt = SADB_EALG_NULL;
	}
}

static void
build_add(struct msg *m, uint32_t spi, uint32_t seq)
{
	struct sadb_key *k;

	hdr(m, SADB_ADD, SADB_SATYPE_ESP, seq);
	sa_ext(m, spi, true);
	addr(m, SADB_EXT_ADDRESS_SRC, "10.9.0.1");
	addr(m, SADB_EXT_ADDRESS_DST, "10.9.0.2");
	k = ext(m, sizeof(*k) + 32);
	k->sadb_key_len = (sizeof(*k) + 32) / 8;
	k->sadb_key_exttype = SADB_EXT_KEY_AUTH;
	k->sadb_key_bits = 256;
	memset(k + 1, 0x5a, 32);
	/* ESP needs an encryption key, empty for the null algorithm. */
	k = ext(m, sizeof(*k));
	k->sadb_key_len = sizeof(*k) / 8;
	k->sadb_key_exttype = SADB_EXT_KEY_ENCRYPT;
}

static void
build_get(struct msg *m, uint32_t spi, uint32_t seq)
{
	hdr(m, SADB_GET, SADB_SATYPE_ESP, seq);
	sa_ext(m, spi, false);
	addr(m, SADB_EXT_ADDRESS_SRC, "10.9.0.1");
	addr(m, SADB_EXT_ADDRESS_DST, "10.9.0.2");
}

/* ---- socket helpers ---- */

static int
pf_open(void)
{
	int fd = socket(PF_KEY, SOCK_RAW, PF_KEY_V2);

	assert_true(fd >= 0);
	return fd;
}

static void
xsend(int fd, const struct msg *m)
{
	assert_int_equal(send(fd, m->b, m->len, 0), (ssize_t)m->len);
}

/* A datagram that is there now (MSG_DONTWAIT), never a sync MARK. */
static ssize_t
recv_now(int fd, uint8_t *buf)
{
	ssize_t n = recv(fd, buf, BUFSZ, MSG_DONTWAIT);

	if (n < 0)
		fail_msg("recv(MSG_DONTWAIT): %s", strerror(errno));
	assert_true(n >= (ssize_t)sizeof(struct sadb_msg));
	assert_int_equal(buf[0], PF_KEY_V2);
	return n;
}

/* The reply to (type, seq) from fd, read at once, skipping broadcasts. */
static struct sadb_msg *
reply_now(int fd, uint8_t *buf, uint8_t type, uint32_t seq)
{
	struct sadb_msg *h = (struct sadb_msg *)buf;
	int i;

	for (i = 0; i < 100; i++) {
		recv_now(fd, buf);
		if (h->sadb_msg_type == type && h->sadb_msg_seq == seq &&
		    h->sadb_msg_pid == (uint32_t)getpid())
			return h;
	}
	fail_msg("no reply to type %u seq %u", type, seq);
	return NULL;
}

static void
drain(int fd)
{
	uint8_t buf[BUFSZ];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		continue;
}

static void
add_sa(int fd, uint32_t spi)
{
	static uint8_t buf[BUFSZ];
	struct sadb_msg *h;
	struct msg m;
	uint32_t seq = seq_ctr++;

	build_add(&m, spi, seq);
	xsend(fd, &m);
	h = reply_now(fd, buf, SADB_ADD, seq);
	assert_int_equal(h->sadb_msg_errno, 0);
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* ---- keyd ---- */

static int
plain_connect(void)
{
	return test_seqpacket_connect(sock_path);
}

static int
start_keyd(void **state)
{
	const char *bindir = getenv("PARAPET_BINDIR");
	char bin[512], bus[128], logf[128];
	uint64_t end;
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/preload-e2e-XXXXXX");
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
		unsetenv("LD_PRELOAD");		/* keyd runs as it is */
		execl(bin, "keyd", "-s", bus, (char *)NULL);
		_exit(127);
	}
	setenv("PARAPET_PFKEY_SOCKET", sock_path, 1);
	end = test_now_ms() + 10000;
	while (test_now_ms() < end) {
		if ((fd = plain_connect()) >= 0) {
			close(fd);
			return 0;
		}
		usleep(10000);
	}
	fprintf(stderr, "keyd did not listen on %s\n", sock_path);
	return -1;
}

/* nftw() callback of stop_keyd(): children first (FTW_DEPTH). */
static int
remove_one(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
stop_keyd(void **state)
{
	char path[160];
	int status = -1;

	(void)state;
	if (keyd_pid > 0) {
		kill(keyd_pid, SIGTERM);
		waitpid(keyd_pid, &status, 0);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char line[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/keyd.log", dir);
		fprintf(stderr, "keyd exit status %d; its log:\n", status);
		if ((f = fopen(path, "r")) != NULL) {
			while (fgets(line, sizeof(line), f) != NULL)
				fputs(line, stderr);
			fclose(f);
		}
	}
	/* rm -rf, without a shell. */
	if (nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Every test starts from an empty SADB. */
static int
flush_all(void **state)
{
	static uint8_t buf[BUFSZ];
	struct msg m;
	uint32_t seq = seq_ctr++;
	int fd;

	(void)state;
	fd = pf_open();
	hdr(&m, SADB_FLUSH, SADB_SATYPE_UNSPEC, seq);
	xsend(fd, &m);
	reply_now(fd, buf, SADB_FLUSH, seq);
	close(fd);
	return 0;
}

/* ---- tests ---- */

static void
test_register_dontwait(void **state)
{
	static uint8_t buf[BUFSZ];
	struct sadb_msg *h;
	struct sadb_ext *e;
	struct msg m;
	uint32_t seq = seq_ctr++;
	int fd;

	(void)state;
	fd = pf_open();
	hdr(&m, SADB_REGISTER, SADB_SATYPE_ESP, seq);
	xsend(fd, &m);
	h = reply_now(fd, buf, SADB_REGISTER, seq);
	assert_int_equal(h->sadb_msg_errno, 0);
	assert_int_equal(h->sadb_msg_satype, SADB_SATYPE_ESP);
	/* The supported lists follow the header. */
	assert_true(h->sadb_msg_len > sizeof(*h) / 8);
	e = (struct sadb_ext *)(h + 1);
	assert_true(e->sadb_ext_type == SADB_EXT_SUPPORTED_AUTH ||
	    e->sadb_ext_type == SADB_EXT_SUPPORTED_ENCRYPT);
	/* Nothing else is owed. */
	assert_int_equal(recv(fd, buf, BUFSZ, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	close(fd);
}

static void
test_add_nonblocking(void **state)
{
	static uint8_t buf[BUFSZ];
	struct sadb_msg *h, peek;
	struct msg m;
	uint32_t seq;
	ssize_t n;
	int fd, fl;

	(void)state;
	fd = pf_open();
	fl = fcntl(fd, F_GETFL);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
	seq = seq_ctr++;
	build_add(&m, SPI_BASE + 1, seq);
	xsend(fd, &m);
	/* read(2) on a non-blocking socket, right after send(). */
	n = read(fd, buf, BUFSZ);
	assert_true(n >= (ssize_t)sizeof(*h));
	h = (struct sadb_msg *)buf;
	assert_int_equal(h->sadb_msg_type, SADB_ADD);
	assert_int_equal(h->sadb_msg_seq, seq);
	assert_int_equal(h->sadb_msg_errno, 0);

	/* libipsec's pfkey_recv(): peek at the header, then read it all. */
	seq = seq_ctr++;
	build_get(&m, SPI_BASE + 1, seq);
	assert_int_equal(write(fd, m.b, m.len), (ssize_t)m.len);
	n = recv(fd, &peek, sizeof(peek), MSG_PEEK);
	assert_int_equal(n, (ssize_t)sizeof(peek));
	assert_int_equal(peek.sadb_msg_type, SADB_GET);
	n = recv(fd, buf, (size_t)peek.sadb_msg_len * 8, 0);
	assert_int_equal(n, (ssize_t)peek.sadb_msg_len * 8);
	assert_int_equal(h->sadb_msg_seq, seq);
	assert_int_equal(h->sadb_msg_errno, 0);

	/* An error reply is there at once too. */
	seq = seq_ctr++;
	build_get(&m, SPI_BASE + 2, seq);
	xsend(fd, &m);
	h = reply_now(fd, buf, SADB_GET, seq);
	assert_int_equal(h->sadb_msg_errno, ESRCH);
	close(fd);
}

static void
test_header_errors(void **state)
{
	struct msg m;
	int fd;

	(void)state;
	fd = pf_open();
	/* A kernel fails send() for a bad header: so does keyd here. */
	hdr(&m, SADB_REGISTER, SADB_SATYPE_ESP, seq_ctr++);
	m.b[0] = 3;				/* version */
	assert_int_equal(send(fd, m.b, m.len, 0), -1);
	assert_int_equal(errno, EINVAL);
	hdr(&m, SADB_REGISTER, SADB_SATYPE_ESP, seq_ctr++);
	((struct sadb_msg *)m.b)->sadb_msg_len = 3;	/* 24 != 16 */
	assert_int_equal(sendto(fd, m.b, m.len, 0, NULL, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* And the socket goes on working. */
	hdr(&m, SADB_REGISTER, SADB_SATYPE_AH, seq_ctr);
	xsend(fd, &m);
	close(fd);
}

/*
 * With a dump under way and unread, a GET: its reply comes among the
 * dump's, and send() must not wait for a reader it blocks. Its seq.
 */
static uint32_t
get_during_dump(int fd)
{
	struct msg m;
	uint32_t seq;
	uint64_t t0;

	usleep(200000);		/* keyd's socket fills */
	seq = seq_ctr++;
	build_get(&m, SPI_BASE + 5, seq);
	t0 = test_now_ms();
	xsend(fd, &m);
	/* Not the 5 s timeout: send() saw the dump going on. */
	assert_true(test_now_ms() - t0 < 2500);
	return seq;
}

/* read_dump()'s ways to take the next reply (got: replies so far). */
static ssize_t
next_recv(int fd, uint8_t *buf, unsigned int got)
{
	(void)got;
	return recv(fd, buf, BUFSZ, MSG_DONTWAIT);
}

static ssize_t
next_read(int fd, uint8_t *buf, unsigned int got)
{
	(void)got;
	return read(fd, buf, BUFSZ);
}

static ssize_t
next_poll(int fd, uint8_t *buf, unsigned int got)
{
	struct pollfd pf;

	pf.fd = fd;
	pf.events = POLLIN;
	pf.revents = 0;
	if (poll(&pf, 1, 0) != 1)
		fail_msg("poll(0) empty after %u replies", got);
	return recv(fd, buf, BUFSZ, MSG_DONTWAIT);
}

static ssize_t
next_select(int fd, uint8_t *buf, unsigned int got)
{
	struct timeval tv;
	fd_set rd;

	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	if (select(fd + 1, &rd, NULL, NULL, &tv) != 1)
		fail_msg("select(0) empty after %u", got);
	return recv(fd, buf, BUFSZ, MSG_DONTWAIT);
}

static ssize_t (*const dump_readers[])(int, uint8_t *, unsigned int) = {
	next_recv,	/* 0 */
	next_read,	/* 1 */
	next_poll,	/* 2 */
	next_select,	/* 3 */
};

/* The SPI of the SA extension in the n-octet message buf (0: none). */
static uint32_t
msg_spi(const uint8_t *buf, size_t n)
{
	const struct sadb_ext *e;
	uint32_t spi = 0;
	size_t off;

	for (off = sizeof(struct sadb_msg); off + sizeof(*e) <= n;
	    off += (size_t)e->sadb_ext_len * 8) {
		e = (const struct sadb_ext *)(buf + off);
		if (e->sadb_ext_len == 0)
			break;
		if (e->sadb_ext_type == SADB_EXT_SA)
			spi = ntohl(((const struct sadb_sa *)e)->sadb_sa_spi);
	}
	return spi;
}

/*
 * Read a dump of NDUMP SAs with `how`: 0 recv, 1 read, 2 poll, 3 select;
 * first, with the dump under way and unread, send a GET (its reply comes
 * among the dump's; send() must not wait for a reader it blocks).
 */
static void
read_dump(int fd, uint32_t seq, int how)
{
	static uint8_t buf[BUFSZ];
	static uint8_t seen[NDUMP];
	struct sadb_msg *h = (struct sadb_msg *)buf;
	unsigned int got = 0;
	uint32_t spi, getseq = 0;
	bool got_get = false;
	ssize_t n;

	memset(seen, 0, sizeof(seen));
	for (;;) {
		if (got == 0 && getseq == 0)
			getseq = get_during_dump(fd);
		n = dump_readers[how](fd, buf, got);
		if (n < 0)
			fail_msg("empty read after %u of %d dump replies: %s",
			    got, NDUMP, strerror(errno));
		assert_int_equal(buf[0], PF_KEY_V2);
		if (h->sadb_msg_type == SADB_GET && getseq != 0 &&
		    h->sadb_msg_seq == getseq) {
			assert_int_equal(h->sadb_msg_errno, 0);
			got_get = true;
			continue;
		}
		if (h->sadb_msg_type != SADB_DUMP)
			continue;	/* a broadcast */
		assert_int_equal(h->sadb_msg_errno, 0);
		assert_int_equal(h->sadb_msg_pid, (uint32_t)getpid());
		spi = msg_spi(buf, (size_t)n);
		assert_true(spi >= SPI_BASE && spi < SPI_BASE + NDUMP);
		assert_int_equal(seen[spi - SPI_BASE], 0);
		seen[spi - SPI_BASE] = 1;
		got++;
		if (h->sadb_msg_seq == 0)
			break;
		assert_int_equal(h->sadb_msg_seq, NDUMP - got);
	}
	assert_int_equal(got, NDUMP);
	(void)seq;
	/* The GET's reply was among the dump's, or comes now. */
	if (!got_get) {
		assert_true(recv(fd, buf, BUFSZ, MSG_DONTWAIT) > 0);
		assert_int_equal(h->sadb_msg_type, SADB_GET);
		assert_int_equal(h->sadb_msg_seq, getseq);
	}
	/* The dump is over: now an empty read is right. */
	assert_int_equal(recv(fd, buf, BUFSZ, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

static void
test_dump_3000(void **state)
{
	struct msg m;
	uint32_t i, seq;
	int fd, rcv = 4096, how;

	(void)state;
	fd = pf_open();
	for (i = 0; i < NDUMP; i++)
		add_sa(fd, SPI_BASE + i);
	/* A small receive buffer: keyd's flow control paces the dump. */
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv,
	    sizeof(rcv)), 0);
	for (how = 0; how < 4; how++) {
		seq = seq_ctr++;
		hdr(&m, SADB_DUMP, SADB_SATYPE_ESP, seq);
		xsend(fd, &m);
		read_dump(fd, seq, how);
	}
	close(fd);
}

static void
test_fork(void **state)
{
	static uint8_t buf[BUFSZ];
	struct sadb_msg *h;
	struct msg m;
	uint32_t seq;
	pid_t pid;
	int fd, status;

	(void)state;
	fd = pf_open();
	add_sa(fd, SPI_BASE + 7);
	if ((pid = fork()) == 0) {
		/* The child: a GET on the inherited socket, read at once. */
		ssize_t n;

		build_get(&m, SPI_BASE + 7, 4242);
		if (send(fd, m.b, m.len, 0) != (ssize_t)m.len)
			_exit(2);
		n = recv(fd, buf, BUFSZ, MSG_DONTWAIT);
		h = (struct sadb_msg *)buf;
		if (n < (ssize_t)sizeof(*h) || h->sadb_msg_type != SADB_GET ||
		    h->sadb_msg_seq != 4242 || h->sadb_msg_errno != 0)
			_exit(3);
		build_add(&m, SPI_BASE + 8, 4243);
		if (send(fd, m.b, m.len, 0) != (ssize_t)m.len)
			_exit(4);
		n = recv(fd, buf, BUFSZ, MSG_DONTWAIT);
		if (n < (ssize_t)sizeof(*h) || h->sadb_msg_type != SADB_ADD ||
		    h->sadb_msg_seq != 4243 || h->sadb_msg_errno != 0)
			_exit(5);
		close(fd);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The parent goes on with the same socket. */
	seq = seq_ctr++;
	build_get(&m, SPI_BASE + 8, seq);
	xsend(fd, &m);
	h = reply_now(fd, buf, SADB_GET, seq);
	assert_int_equal(h->sadb_msg_errno, 0);
	close(fd);
}

static void
test_two_sockets(void **state)
{
	static uint8_t buf[BUFSZ];
	struct sadb_msg *h = (struct sadb_msg *)buf;
	struct sadb_sa *sa;
	struct msg m;
	uint32_t seq;
	int a, b;

	(void)state;
	a = pf_open();
	b = pf_open();
	seq = seq_ctr++;
	build_add(&m, SPI_BASE + 20, seq);
	xsend(a, &m);
	reply_now(a, buf, SADB_ADD, seq);
	/* The broadcast to b went before a's reply: it is there too. */
	recv_now(b, buf);
	assert_int_equal(h->sadb_msg_type, SADB_ADD);
	assert_int_equal(h->sadb_msg_seq, seq);
	assert_int_equal(h->sadb_msg_pid, (uint32_t)getpid());
	sa = (struct sadb_sa *)(h + 1);
	assert_int_equal(sa->sadb_sa_exttype, SADB_EXT_SA);
	assert_int_equal(ntohl(sa->sadb_sa_spi), SPI_BASE + 20);
	/* And the other way round. */
	seq = seq_ctr++;
	build_add(&m, SPI_BASE + 21, seq);
	xsend(b, &m);
	reply_now(b, buf, SADB_ADD, seq);
	recv_now(a, buf);
	assert_int_equal(h->sadb_msg_seq, seq);
	drain(a);
	drain(b);
	close(a);
	close(b);
}

static void
test_close_reopen_dup(void **state)
{
	static uint8_t buf[BUFSZ];
	struct msg m;
	uint32_t seq;
	int before, fd, d, d2, d3, i;

	(void)state;
	before = count_fds();
	for (i = 0; i < 20; i++) {
		fd = pf_open();
		seq = seq_ctr++;
		hdr(&m, SADB_X_PROMISC, 0, seq);
		xsend(fd, &m);
		reply_now(fd, buf, SADB_X_PROMISC, seq);
		close(fd);
	}
	/* Each socket's hidden side channel went with it. */
	assert_int_equal(count_fds(), before);

	fd = pf_open();
	d = dup(fd);
	assert_true(d >= 0);
	close(fd);
	add_sa(d, SPI_BASE + 30);		/* the dup keeps the timing */
	d2 = dup2(d, 40);
	assert_int_equal(d2, 40);
	close(d);
	add_sa(d2, SPI_BASE + 31);
	d3 = fcntl(d2, F_DUPFD_CLOEXEC, 50);
	assert_true(d3 >= 50);
	close(d2);
	add_sa(d3, SPI_BASE + 32);
	close(d3);
	assert_int_equal(count_fds(), before);

	/* close_range() (closefrom()'s way): the table forgets it too. */
	fd = pf_open();
	add_sa(fd, SPI_BASE + 33);
	assert_int_equal(close_range((unsigned int)fd, (unsigned int)fd, 0),
	    0);
	assert_int_equal(count_fds(), before);
	fd = pf_open();
	add_sa(fd, SPI_BASE + 34);
	close(fd);
	assert_int_equal(count_fds(), before);
}

static void
test_addresses_options(void **state)
{
	static uint8_t buf[BUFSZ];
	struct sockaddr_storage ss;
	struct msghdr mh;
	struct iovec iov;
	struct msg m;
	socklen_t len;
	int fd, v;

	(void)state;
	fd = pf_open();
	len = sizeof(v);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len), 0);
	assert_int_equal(v, SOCK_RAW);
	len = sizeof(v);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len), 0);
	assert_int_equal(v, PF_KEY_V2);
	v = 65536;
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v,
	    sizeof(v)), 0);
	len = sizeof(v);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len), 0);
	assert_true(v >= 65536);

	/* sendto() with a PF_KEY address, recvfrom() fills one in. */
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = PF_KEY;
	hdr(&m, SADB_X_PROMISC, 0, seq_ctr++);
	assert_int_equal(sendto(fd, m.b, m.len, 0, (struct sockaddr *)&ss,
	    sizeof(struct sockaddr)), (ssize_t)m.len);
	memset(&ss, 0xee, sizeof(ss));
	len = sizeof(ss);
	assert_true(recvfrom(fd, buf, BUFSZ, MSG_DONTWAIT,
	    (struct sockaddr *)&ss, &len) > 0);
	assert_int_equal(ss.ss_family, PF_KEY);
	assert_int_equal(len, sizeof(sa_family_t));

	/* sendmsg()/recvmsg(). */
	hdr(&m, SADB_X_PROMISC, 0, seq_ctr++);
	iov.iov_base = m.b;
	iov.iov_len = m.len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	assert_int_equal(sendmsg(fd, &mh, 0), (ssize_t)m.len);
	iov.iov_base = buf;
	iov.iov_len = BUFSZ;
	mh.msg_name = &ss;
	mh.msg_namelen = sizeof(ss);
	assert_true(recvmsg(fd, &mh, MSG_DONTWAIT) > 0);
	assert_int_equal(ss.ss_family, PF_KEY);
	assert_int_equal(mh.msg_namelen, sizeof(sa_family_t));

	/* writev()/readv(), and the socket's own addresses. */
	hdr(&m, SADB_X_PROMISC, 0, seq_ctr++);
	iov.iov_base = m.b;
	iov.iov_len = m.len;
	assert_int_equal(writev(fd, &iov, 1), (ssize_t)m.len);
	assert_true(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
	iov.iov_base = buf;
	iov.iov_len = BUFSZ;
	assert_true(readv(fd, &iov, 1) > 0);
	len = sizeof(ss);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	assert_int_equal(ss.ss_family, PF_KEY);
	len = sizeof(ss);
	assert_int_equal(getpeername(fd, (struct sockaddr *)&ss, &len), 0);
	assert_int_equal(ss.ss_family, PF_KEY);
	close(fd);
}

/* A thread of test_threads(): its SPIs and seqs from base on, its result. */
struct adder {
	pthread_t	 t;
	uint32_t	 base;
	int		 errs;		/* 0: every ADD answered at once */
};

/* One thread: n ADDs on its own socket, each reply read at once. */
static void *
thread_adds(void *arg)
{
	struct adder *a = arg;
	uint32_t base = a->base, i, seq;
	struct sadb_msg *h;
	uint8_t *buf;
	struct msg m;
	ssize_t n;
	int fd, errs = 0;

	if ((buf = malloc(BUFSZ)) == NULL ||
	    (fd = socket(PF_KEY, SOCK_RAW, PF_KEY_V2)) < 0) {
		free(buf);
		a->errs = 1;
		return NULL;
	}
	h = (struct sadb_msg *)buf;
	for (i = 0; i < 300 && errs == 0; i++) {
		seq = base + i;
		build_add(&m, base + i, seq);
		if (send(fd, m.b, m.len, 0) != (ssize_t)m.len)
			errs++;
		/* Others' broadcasts may come first; the reply is there. */
		do
			n = recv(fd, buf, BUFSZ, MSG_DONTWAIT);
		while (n > 0 && (h->sadb_msg_type != SADB_ADD ||
		    h->sadb_msg_seq != seq ||
		    h->sadb_msg_pid != (uint32_t)getpid()));
		if (n <= 0 || h->sadb_msg_errno != 0)
			errs++;
	}
	close(fd);
	free(buf);
	a->errs = errs;
	return NULL;
}

static void
test_threads(void **state)
{
	struct adder ad[4];
	int i, before = count_fds();

	(void)state;
	for (i = 0; i < 4; i++) {
		ad[i].base = SPI_BASE + 0x1000 * (uint32_t)(i + 1);
		ad[i].errs = -1;
		assert_int_equal(pthread_create(&ad[i].t, NULL, thread_adds,
		    &ad[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(ad[i].t, NULL), 0);
		assert_int_equal(ad[i].errs, 0);
	}
	assert_int_equal(count_fds(), before);
}

static void
test_socket_forms(void **state)
{
	static uint8_t buf[BUFSZ];
	struct epoll_event ev;
	struct msg m;
	uint32_t seq;
	int fd, ep;

	(void)state;
	errno = 0;
	assert_int_equal(socket(PF_KEY, SOCK_DGRAM, PF_KEY_V2), -1);
	assert_int_equal(errno, ESOCKTNOSUPPORT);
	assert_int_equal(socket(PF_KEY, SOCK_RAW, 1), -1);
	assert_int_equal(errno, EPROTONOSUPPORT);
	fd = socket(PF_KEY, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    PF_KEY_V2);
	assert_true(fd >= 0);
	assert_true((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	assert_true((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	/* epoll sees the reply at once (nothing of ours in between). */
	ep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= 0);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	assert_int_equal(epoll_wait(ep, &ev, 1, 0), 0);
	seq = seq_ctr++;
	hdr(&m, SADB_REGISTER, SADB_SATYPE_ESP, seq);
	xsend(fd, &m);
	assert_int_equal(epoll_wait(ep, &ev, 1, 0), 1);
	reply_now(fd, buf, SADB_REGISTER, seq);
	close(ep);
	close(fd);
	/* No keyd there: connect(2)'s errno. */
	setenv("PARAPET_PFKEY_SOCKET", "/nonexistent/pfkey.sock", 1);
	assert_int_equal(socket(PF_KEY, SOCK_RAW, PF_KEY_V2), -1);
	assert_int_equal(errno, ENOENT);
	setenv("PARAPET_PFKEY_SOCKET", sock_path, 1);
}

/* A connection that never says HELLO gets no MARK, ever. */
static void
test_plain_no_marks(void **state)
{
	static uint8_t buf[BUFSZ];
	struct sadb_msg *h = (struct sadb_msg *)buf;
	struct pollfd pf;
	unsigned int adds = 0, regs = 0, dumps = 0;
	bool last0 = false;
	struct msg m;
	ssize_t r;
	int fd, s;

	(void)state;
	fd = plain_connect();
	assert_true(fd >= 0);
	pf.fd = fd;
	pf.events = POLLIN;
	hdr(&m, SADB_REGISTER, SADB_SATYPE_ESP, 77);
	assert_int_equal(send(fd, m.b, m.len, 0), (ssize_t)m.len);
	assert_int_equal(poll(&pf, 1, 5000), 1);
	assert_true(recv(fd, buf, BUFSZ, 0) > 0);
	assert_int_equal(h->sadb_msg_type, SADB_REGISTER);
	s = pf_open();				/* a sync neighbour */
	add_sa(s, SPI_BASE + 40);		/* broadcasts to fd too */
	add_sa(s, SPI_BASE + 41);
	hdr(&m, SADB_DUMP, SADB_SATYPE_ESP, 78);
	assert_int_equal(send(fd, m.b, m.len, 0), (ssize_t)m.len);
	hdr(&m, SADB_X_PROMISC, 0, 79);
	m.b[0] = 3;				/* refused: no reply */
	assert_int_equal(send(fd, m.b, m.len, 0), (ssize_t)m.len);
	hdr(&m, SADB_REGISTER, SADB_SATYPE_AH, 80);
	assert_int_equal(send(fd, m.b, m.len, 0), (ssize_t)m.len);
	add_sa(s, SPI_BASE + 42);
	for (;;) {
		if (poll(&pf, 1, 500) != 1)
			break;
		r = recv(fd, buf, BUFSZ, 0);
		assert_true(r >= (ssize_t)sizeof(*h));
		assert_int_equal(buf[0], PF_KEY_V2);	/* never 0xff */
		if (h->sadb_msg_type == SADB_ADD)
			adds++;
		else if (h->sadb_msg_type == SADB_REGISTER)
			regs++;
		else if (h->sadb_msg_type == SADB_DUMP) {
			dumps++;
			last0 = h->sadb_msg_seq == 0;
		} else
			fail_msg("plain connection: type %u", h->sadb_msg_type);
	}
	/* ADD 40, 41, 42; the dump (42 may be in it); REGISTER AH. */
	assert_int_equal(adds, 3);
	assert_int_equal(regs, 1);
	assert_true(dumps == 2 || dumps == 3);
	assert_true(last0);
	close(fd);
	close(s);
}

int
main(void)
{
	const char *preload;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_register_dontwait, flush_all),
		cmocka_unit_test_setup(test_add_nonblocking, flush_all),
		cmocka_unit_test_setup(test_header_errors, flush_all),
		cmocka_unit_test_setup(test_dump_3000, flush_all),
		cmocka_unit_test_setup(test_fork, flush_all),
		cmocka_unit_test_setup(test_two_sockets, flush_all),
		cmocka_unit_test_setup(test_close_reopen_dup, flush_all),
		cmocka_unit_test_setup(test_addresses_options, flush_all),
		cmocka_unit_test_setup(test_socket_forms, flush_all),
		cmocka_unit_test_setup(test_threads, flush_all),
		cmocka_unit_test_setup(test_plain_no_marks, flush_all),
	};

	preload = getenv("LD_PRELOAD");
	if (preload == NULL || strstr(preload, "parapet_pfkey") == NULL) {
		fprintf(stderr, "run me with LD_PRELOAD=libparapet_pfkey.so\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, start_keyd, stop_keyd);
}
