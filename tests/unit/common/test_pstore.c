/*
 * test_pstore.c - the crash-safe record store (common/pstore.h).
 *
 * Rows: geometry bounds; put, replace, delete, clear; -EMSGSIZE, -ENOSPC
 * (the old record kept), -EINVAL for dead handles; scan in generation
 * order with a duplicate left by a writer killed between its two steps;
 * attach drops half-written and corrupted records and counts them; a
 * record copied from another store fails its checksum; hot records keep
 * in-place changes across attach.
 *
 * test_kill: a child writes records in a loop (each put acknowledged on a
 * pipe) and is killed with SIGKILL at a random moment, ten times on the
 * same memfd; after each kill the store is attached again and must hold,
 * for every key, a self-consistent record at least as new as the last
 * acknowledged one, and nothing else.
 *
 * Environment: PARAPET_SEED (printed).
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pstore.h"
#include "prng.h"

#define HDR	4096u

static uint64_t seed;

static int
store_fd(uint32_t nrec, uint32_t rec_bytes)
{
	size_t size = pstore_size(nrec, rec_bytes);
	int fd;

	assert_true(size > 0);
	fd = memfd_create("test-pstore", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	assert_int_equal(pstore_format(fd, nrec, rec_bytes), 0);
	return fd;
}

static struct pstore *
attach(int fd)
{
	struct pstore *ps = NULL;

	assert_int_equal(pstore_attach(fd, &ps), 0);
	return ps;
}

/* The raw bytes of record i, through a mapping of our own. */
static uint8_t *
raw_map(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

static void
test_geometry(void **state)
{
	int fd;
	struct pstore *ps;

	(void)state;
	assert_int_equal(pstore_size(0, 128), 0);
	assert_int_equal(pstore_size(1, PSTORE_REC_MIN - 8), 0);
	assert_int_equal(pstore_size(1, 130), 0);		/* not 8-aligned */
	assert_int_equal(pstore_size(1, PSTORE_REC_MAX + 8), 0);
	assert_int_equal(pstore_size(PSTORE_RECORDS_MAX + 1, 64), 0);
	assert_int_equal(pstore_size(4, 128), HDR + 4 * 128);
	/* A file shorter than the geometry is refused by format... */
	fd = memfd_create("short", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fd, 4096), 0);
	assert_int_equal(pstore_format(fd, 4, 128), -EINVAL);
	/* ...and a file of the wrong size by attach. */
	assert_int_equal(ftruncate(fd, HDR + 4 * 128), 0);
	assert_int_equal(pstore_format(fd, 4, 128), 0);
	assert_int_equal(ftruncate(fd, HDR + 5 * 128), 0);
	assert_int_equal(pstore_attach(fd, &ps), -EBADMSG);
	close(fd);
	/* Not a store at all. */
	fd = memfd_create("zero", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fd, HDR + 4 * 128), 0);
	assert_int_equal(pstore_attach(fd, &ps), -EBADMSG);
	close(fd);
}

struct seen {
	uint32_t	handles[64];
	char		data[64][32];
	size_t		n;
	bool		dedup;
};

static int
collect(void *arg, uint32_t handle, const void *data, size_t len)
{
	struct seen *s = arg;

	assert_true(s->n < 64 && len < 32);
	s->handles[s->n] = handle;
	memcpy(s->data[s->n], data, len);
	s->data[s->n][len] = '\0';
	s->n++;
	return 0;
}

static void
test_ops(void **state)
{
	int fd = store_fd(4, 64);
	struct pstore *ps = attach(fd);
	struct pstore_stats st;
	struct seen seen = { .n = 0 };
	uint32_t a = PSTORE_NONE, b = PSTORE_NONE, c = PSTORE_NONE,
	    d = PSTORE_NONE, e = PSTORE_NONE, old;
	uint8_t big[64] = { 0 };

	(void)state;
	assert_int_equal(pstore_rec_max(ps), 64 - 32);
	assert_int_equal(pstore_put(ps, &a, big, 33), -EMSGSIZE);
	assert_int_equal(pstore_put(ps, &a, "a1", 2), 0);
	assert_int_equal(a, 0);				/* lowest first */
	assert_int_equal(pstore_put(ps, &b, "b1", 2), 0);
	assert_int_equal(pstore_put(ps, &c, "c1", 2), 0);
	old = a;
	assert_int_equal(pstore_put(ps, &a, "a2", 2), 0);	/* replace */
	assert_int_not_equal(a, old);
	assert_int_equal(pstore_del(ps, old), -EINVAL);	/* already freed */
	assert_int_equal(pstore_put(ps, &d, "d1", 2), 0);
	assert_int_equal(d, old);			/* the freed slot */
	/* Full: a fifth key gets -ENOSPC, a replace too (copy-on-write needs
	 * a free record), and keeps its old record. */
	assert_int_equal(pstore_put(ps, &e, "e1", 2), -ENOSPC);
	assert_int_equal(e, PSTORE_NONE);
	old = b;
	assert_int_equal(pstore_put(ps, &b, "b2", 2), -ENOSPC);
	assert_int_equal(b, old);
	assert_int_equal(pstore_del(ps, d), 0);
	assert_int_equal(pstore_del(ps, c), 0);
	assert_int_equal(pstore_del(ps, c), -EINVAL);
	assert_int_equal(pstore_del(ps, 99), -EINVAL);
	e = 77;
	assert_int_equal(pstore_put(ps, &e, "x", 1), -EINVAL);
	e = d;
	assert_int_equal(pstore_put(ps, &e, "x", 1), -EINVAL);
	pstore_stats(ps, &st);
	assert_int_equal(st.live, 2);
	assert_int_equal(st.nrec, 4);
	assert_int_equal(st.gen, 5);
	pstore_detach(ps);

	/* After attach: b1 (gen 2) then a2 (gen 4), in that order. */
	ps = attach(fd);
	assert_int_equal(pstore_scan(ps, collect, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.data[0], "b1");
	assert_string_equal(seen.data[1], "a2");
	pstore_stats(ps, &st);
	assert_int_equal(st.live, 2);
	assert_int_equal(st.gen, 4);
	pstore_clear(ps);
	pstore_stats(ps, &st);
	assert_int_equal(st.live, 0);
	seen.n = 0;
	assert_int_equal(pstore_scan(ps, collect, &seen), 0);
	assert_int_equal(seen.n, 0);
	pstore_detach(ps);
	close(fd);
}

/* A writer killed between writing a replacement and freeing the old
 * record leaves both; the scan shows the old one first. A writer killed
 * mid-write leaves a WRITING record: freed at attach, counted. A flipped
 * payload byte fails the checksum: freed, counted. */
static void
test_recovery(void **state)
{
	size_t size = pstore_size(8, 64);
	int fd = store_fd(8, 64);
	struct pstore *ps = attach(fd);
	struct pstore_stats st;
	struct seen seen = { .n = 0 };
	uint32_t a = PSTORE_NONE, b = PSTORE_NONE, c = PSTORE_NONE, a2;
	uint8_t *raw = raw_map(fd, size);
	uint32_t st_word;

	(void)state;
	assert_int_equal(pstore_put(ps, &a, "old", 3), 0);
	assert_int_equal(pstore_put(ps, &b, "torn", 4), 0);
	assert_int_equal(pstore_put(ps, &c, "flip", 4), 0);
	/* Duplicate: copy a's record to a free slot as a newer one by
	 * writing it through the API under a fresh handle. */
	a2 = PSTORE_NONE;
	assert_int_equal(pstore_put(ps, &a2, "new", 3), 0);
	pstore_detach(ps);
	/* b: state WRITING (1); c: a payload byte flipped. */
	st_word = 1;
	memcpy(raw + HDR + (size_t)b * 64, &st_word, 4);
	raw[HDR + (size_t)c * 64 + 32] ^= 1;

	ps = attach(fd);
	pstore_stats(ps, &st);
	assert_int_equal(st.dropped_torn, 1);
	assert_int_equal(st.dropped_bad, 1);
	assert_int_equal(st.live, 2);
	assert_int_equal(pstore_scan(ps, collect, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.data[0], "old");
	assert_string_equal(seen.data[1], "new");
	/* The caller keeps the newer and deletes the older. */
	assert_int_equal(pstore_del(ps, seen.handles[0]), 0);
	/* New records reuse the freed slots, lowest first. */
	c = PSTORE_NONE;
	assert_int_equal(pstore_put(ps, &c, "c", 1), 0);
	assert_int_equal(c, 0);
	pstore_detach(ps);

	/* The same bytes under another store's uuid fail the checksum. */
	{
		int fd2 = store_fd(8, 64);
		uint8_t *raw2 = raw_map(fd2, size);

		memcpy(raw2 + HDR, raw + HDR, size - HDR);
		ps = attach(fd2);
		pstore_stats(ps, &st);
		assert_int_equal(st.live, 0);
		assert_int_equal(st.dropped_bad, 2);
		pstore_detach(ps);
		munmap(raw2, size);
		close(fd2);
	}
	munmap(raw, size);
	close(fd);
}

/* Hot records: changed in place, kept as they are across attach. */
static void
test_hot(void **state)
{
	int fd = store_fd(4, 64);
	struct pstore *ps = attach(fd);
	uint32_t h = PSTORE_NONE;
	uint64_t v = 1, *p;
	size_t len = 0;
	struct seen seen = { .n = 0 };

	(void)state;
	assert_null(pstore_hot(ps, 3, &len));
	assert_int_equal(pstore_put(ps, &h, &v, sizeof(v)), 0);
	p = pstore_hot(ps, h, &len);
	assert_non_null(p);
	assert_int_equal(len, sizeof(v));
	*p = 12345;
	pstore_detach(ps);
	ps = attach(fd);
	p = pstore_hot(ps, h, &len);
	assert_non_null(p);
	assert_int_equal(*p, 12345);
	assert_int_equal(pstore_scan(ps, collect, &seen), 0);
	assert_int_equal(seen.n, 1);
	pstore_detach(ps);
	close(fd);
}

/* ---- kill -9 of a writer ---- */

#define KEYS		16
#define KILL_ROUNDS	10

struct rec {
	uint32_t	key;
	uint32_t	pad;
	uint64_t	version;
	uint64_t	fill[3];	/* derived from key and version */
};

static uint64_t
fill_of(uint32_t key, uint64_t version, int i)
{
	return (version * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)key << 40) ^
	    (uint64_t)i;
}

struct kill_scan {
	struct pstore	*ps;
	uint32_t	handle[KEYS];
	uint64_t	version[KEYS];
};

static int
kill_collect(void *arg, uint32_t handle, const void *data, size_t len)
{
	struct kill_scan *ks = arg;
	struct rec r;
	int i;

	if (len != sizeof(r))
		fail_msg("record of %zu bytes", len);
	memcpy(&r, data, sizeof(r));
	if (r.key >= KEYS)
		fail_msg("key %u", r.key);
	for (i = 0; i < 3; i++)
		if (r.fill[i] != fill_of(r.key, r.version, i))
			fail_msg("torn record key %u version %" PRIu64
			    " (seed %" PRIu64 ")", r.key, r.version, seed);
	/* Generation order: a later record of a key is newer. */
	if (ks->handle[r.key] != PSTORE_NONE) {
		if (r.version <= ks->version[r.key])
			fail_msg("older version after newer");
		assert_int_equal(pstore_del(ks->ps, ks->handle[r.key]), 0);
	}
	ks->handle[r.key] = handle;
	ks->version[r.key] = r.version;
	return 0;
}

/* The child: for ever, bump a random key's version and write it, then
 * acknowledge (key, version) on the pipe. */
static void
writer(int fd, int ackfd, uint64_t s, const uint32_t *handles,
    const uint64_t *versions)
{
	struct pstore *ps = NULL;
	uint32_t h[KEYS];
	uint64_t ver[KEYS];

	if (pstore_attach(fd, &ps) != 0)
		_exit(2);
	memcpy(h, handles, sizeof(h));
	memcpy(ver, versions, sizeof(ver));
	for (;;) {
		struct rec r;
		uint64_t ack[2];
		uint32_t k = (uint32_t)prng_below(&s, KEYS);
		int i;

		memset(&r, 0, sizeof(r));
		r.key = k;
		r.version = ++ver[k];
		for (i = 0; i < 3; i++)
			r.fill[i] = fill_of(k, r.version, i);
		if ((i = pstore_put(ps, &h[k], &r, sizeof(r))) != 0)
			_exit(10 - i);
		ack[0] = k;
		ack[1] = r.version;
		if (write(ackfd, ack, sizeof(ack)) != (ssize_t)sizeof(ack))
			_exit(4);
	}
}

static void
test_kill(void **state)
{
	int fd = store_fd(64, 128);
	uint64_t acked[KEYS] = { 0 }, s = seed;
	uint32_t handles[KEYS];
	uint64_t versions[KEYS] = { 0 };
	int round;

	(void)state;
	for (int k = 0; k < KEYS; k++)
		handles[k] = PSTORE_NONE;
	for (round = 0; round < KILL_ROUNDS; round++) {
		int pfd[2];
		pid_t pid;
		uint64_t ack[2];
		struct pstore *ps;
		struct kill_scan ks;
		int status;

		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(pfd[0]);
			writer(fd, pfd[1], s + (uint64_t)round, handles,
			    versions);
		}
		close(pfd[1]);
		usleep((useconds_t)(1000 + prng_below(&s, 20000)));
		kill(pid, SIGKILL);
		while (read(pfd[0], ack, sizeof(ack)) == (ssize_t)sizeof(ack))
			if (ack[1] > acked[ack[0]])
				acked[ack[0]] = ack[1];
		close(pfd[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status))
			fail_msg("writer exited %d", WEXITSTATUS(status));

		ps = attach(fd);
		ks.ps = ps;
		for (int k = 0; k < KEYS; k++)
			ks.handle[k] = PSTORE_NONE;
		memset(ks.version, 0, sizeof(ks.version));
		assert_int_equal(pstore_scan(ps, kill_collect, &ks), 0);
		for (int k = 0; k < KEYS; k++) {
			if (acked[k] > 0 && ks.handle[k] == PSTORE_NONE)
				fail_msg("key %d lost (acked %" PRIu64
				    ", seed %" PRIu64 ")", k, acked[k], seed);
			if (ks.version[k] < acked[k])
				fail_msg("key %d: version %" PRIu64
				    " < acked %" PRIu64 " (seed %" PRIu64 ")",
				    k, ks.version[k], acked[k], seed);
			handles[k] = ks.handle[k];
			versions[k] = ks.version[k];
		}
		pstore_detach(ps);
	}
	close(fd);
}

/*
 * The owner's notes: zero when formatted, what the last attach wrote on
 * the next attach, outside every record (records and notes do not touch),
 * and the header still valid after notes were written.
 */
static void
test_notes(void **state)
{
	struct pstore *ps;
	uint8_t *n, buf[PSTORE_NOTES_BYTES];
	uint32_t h = PSTORE_NONE;
	size_t i;
	int fd = store_fd(4, 128);

	(void)state;
	ps = attach(fd);
	n = pstore_notes(ps);
	memset(buf, 0, sizeof(buf));
	assert_memory_equal(n, buf, sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	memcpy(n, buf, sizeof(buf));
	assert_int_equal(pstore_put(ps, &h, "record", 6), 0);
	pstore_detach(ps);		/* as a kill -9 would leave it */
	ps = attach(fd);
	assert_memory_equal(pstore_notes(ps), buf, sizeof(buf));
	assert_true((uint8_t *)pstore_notes(ps) + PSTORE_NOTES_BYTES <=
	    (uint8_t *)pstore_hot(ps, h, &i));
	assert_memory_equal(pstore_hot(ps, h, &i), "record", 6);
	pstore_detach(ps);
	close(fd);
}

/*
 * The store is sparse and attach keeps it so: recovery finds the
 * records in the file's data ranges (SEEK_DATA / SEEK_HOLE) instead of
 * reading every record's state word, which on tmpfs would allocate every
 * page of the store (512 MB for keyd's shipped million records) and
 * make every restart walk them. A written record is still found.
 */
static void
test_sparse_attach(void **state)
{
	const uint32_t nrec = 65536, rb = 512;
	struct pstore *ps;
	struct stat st;
	uint32_t h = PSTORE_NONE, far = PSTORE_NONE;
	size_t len;
	int fd = store_fd(nrec, rb), i;

	(void)state;
	ps = attach(fd);
	/* One record near the start, one far in, as churn leaves them. */
	assert_int_equal(pstore_put(ps, &h, "near", 4), 0);
	for (i = 0; i < 40000; i++) {
		uint32_t t = PSTORE_NONE;

		assert_int_equal(pstore_put(ps, &t, "x", 1), 0);
		if (i == 39999)
			far = t;
	}
	pstore_detach(ps);
	ps = attach(fd);
	for (i = 0; i < 40000; i++)
		if ((uint32_t)i + 1 != far && (uint32_t)i + 1 != h)
			assert_int_equal(pstore_del(ps, (uint32_t)i + 1), 0);
	pstore_detach(ps);
	/* Punch the freed middle out again, as a fresh store would be. */
	assert_int_equal(fallocate(fd, FALLOC_FL_PUNCH_HOLE |
	    FALLOC_FL_KEEP_SIZE, (off_t)(HDR + 64 * rb),
	    (off_t)(39000 - 64) * rb), 0);
	for (i = 0; i < 3; i++) {
		ps = attach(fd);
		assert_non_null(pstore_hot(ps, h, &len));
		assert_non_null(pstore_hot(ps, far, &len));
		pstore_detach(ps);
	}
	assert_int_equal(fstat(fd, &st), 0);
	/* Far below the 32 MiB of the whole store. */
	assert_true((uint64_t)st.st_blocks * 512 < 4u << 20);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_ops),
		cmocka_unit_test(test_recovery),
		cmocka_unit_test(test_hot),
		cmocka_unit_test(test_kill),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_sparse_attach),
	};

	seed = prng_seed_env();
	printf("# PARAPET_SEED=%" PRIu64 "\n", seed);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
