/*
 * test_ring.c - common/ring in one process: geometry and layout, attach of
 * damaged regions, send/receive across wrap-around and in batches,
 * descriptor validation, the doorbell handshake, and the recovery rules
 * (one table row per ownership state).
 *
 * The tests play a buggy or dead peer by mapping the memfd themselves and
 * writing the shared layout that ring.h documents.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ring.h"

static const uint8_t test_uuid[RING_UUID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8,
	9, 10, 11, 12, 13, 14, 15, 16 };

/* A raw view of a region, as a peer sees it. */
struct raw {
	uint8_t		*base;
	size_t		 size;
	struct ring_layout lay;
	struct ring_ctl	*work, *done;
	struct ring_sdesc *wd, *dd;
	uint8_t		*owner;
};

static void
raw_map(struct raw *w, int fd, const struct ring_geom *g)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	w->size = (size_t)st.st_size;
	w->base = mmap(NULL, w->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
	assert_true(w->base != MAP_FAILED);
	assert_int_equal(ring_layout_compute(g, &w->lay), 0);
	w->work = (struct ring_ctl *)(void *)(w->base + w->lay.work_off);
	w->done = (struct ring_ctl *)(void *)(w->base + w->lay.done_off);
	w->wd = (struct ring_sdesc *)(void *)(w->base + w->lay.work_desc_off);
	w->dd = (struct ring_sdesc *)(void *)(w->base + w->lay.done_desc_off);
	w->owner = w->base + w->lay.owner_off;
}

static void
raw_unmap(struct raw *w)
{
	munmap(w->base, w->size);
}

/* The documented descriptor encoding (ring.h, struct ring_sdesc). */
static void
raw_desc(struct ring_sdesc *s, uint32_t slot, uint16_t off, uint16_t len,
    uint32_t hint)
{
	atomic_store(&s->rs_w0, (uint64_t)slot | (uint64_t)off << 32 |
	    (uint64_t)len << 48);
	atomic_store(&s->rs_w1, (uint64_t)hint << 32);
}

static uint32_t
raw_slot(struct ring_sdesc *s)
{
	return (uint32_t)atomic_load(&s->rs_w0);
}

static int16_t
raw_result(struct ring_sdesc *s)
{
	return (int16_t)(uint16_t)(atomic_load(&s->rs_w1) >> 16);
}

static int
region(const struct ring_geom *g)
{
	int fd;

	assert_int_equal(ring_region_create(g, "test", test_uuid, &fd), 0);
	return fd;
}

struct pair {
	int			 fd;
	int			 efd[2];
	struct ring_region	*a, *b;
};

static void
pair_open(struct pair *p, const struct ring_geom *g)
{
	p->fd = region(g);
	assert_int_equal(ring_doorbells_create(p->efd), 0);
	assert_int_equal(ring_region_attach(&p->a, p->fd, RING_SIDE_A,
	    p->efd), 0);
	assert_int_equal(ring_region_attach(&p->b, p->fd, RING_SIDE_B,
	    p->efd), 0);
}

static void
pair_close(struct pair *p)
{
	ring_region_detach(p->a);
	ring_region_detach(p->b);
	close(p->efd[0]);
	close(p->efd[1]);
	close(p->fd);
}

/* ---- geometry ---- */

static const struct {
	const char	*name;
	struct ring_geom g;
	int		 expect;
} geom_rows[] = {
	{ "default", RING_GEOM_DEFAULT, 0 },
	{ "one slot", { 1, 64, 0, 0 }, 0 },
	{ "largest", { RING_NSLOTS_MAX, 16384, 128, 64 }, 0 },
	{ "nslots 0", { 0, 2048, 128, 64 }, -EINVAL },
	{ "nslots not 2^n", { 1000, 2048, 128, 64 }, -EINVAL },
	{ "nslots too many", { 2 * RING_NSLOTS_MAX, 64, 0, 0 }, -EINVAL },
	{ "slot_bytes 0", { 1024, 0, 0, 0 }, -EINVAL },
	{ "slot_bytes < 64", { 1024, 32, 0, 0 }, -EINVAL },
	{ "slot_bytes % 64", { 1024, 2000, 128, 64 }, -EINVAL },
	{ "slot_bytes too big", { 16, 2 * RING_SLOT_BYTES_MAX, 0, 0 },
	    -EINVAL },
	{ "headroom fills slot", { 1024, 2048, 2048, 0 }, -EINVAL },
	{ "tailroom fills slot", { 1024, 2048, 0, 2048 }, -EINVAL },
	{ "no packet room", { 1024, 2048, 1024, 1024 }, -EINVAL },
	{ "head+tail overflow", { 1024, 2048, UINT32_MAX, 2 }, -EINVAL },
	{ "pool too big", { RING_NSLOTS_MAX, RING_SLOT_BYTES_MAX, 0, 0 },
	    -EINVAL },
};

static void
test_geom_table(void **state)
{
	struct ring_layout l;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(geom_rows); i++) {
		if (ring_geom_check(&geom_rows[i].g) != geom_rows[i].expect)
			fail_msg("row \"%s\": got %d, want %d",
			    geom_rows[i].name, ring_geom_check(&geom_rows[i].g),
			    geom_rows[i].expect);
		assert_int_equal(ring_layout_compute(&geom_rows[i].g, &l),
		    geom_rows[i].expect);
	}
	assert_int_equal(ring_geom_check(NULL), -EINVAL);
}

static void
test_layout(void **state)
{
	struct ring_geom g = RING_GEOM_DEFAULT;
	struct ring_region *a;
	struct ring_layout l;
	struct stat st;
	size_t pool_len;
	int fd, efd[2];

	(void)state;
	assert_int_equal(ring_layout_compute(&g, &l), 0);
	/* The figure in ring.h. */
	assert_int_equal(l.work_off, 192);
	assert_int_equal(l.done_off, 384);
	assert_int_equal(l.owner_off, 576);
	assert_int_equal(l.entries, 2048);
	assert_int_equal(l.work_desc_off % 64, 0);
	assert_true(l.work_desc_off >= l.owner_off + g.nslots);
	assert_int_equal(l.done_desc_off, l.work_desc_off + (size_t)2048 * 16);
	assert_int_equal(l.pool_off % 4096, 0);
	assert_int_equal(l.total_bytes, l.pool_off + (size_t)1024 * 2048);

	fd = region(&g);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((size_t)st.st_size, l.total_bytes);
	assert_int_equal(ring_doorbells_create(efd), 0);
	assert_int_equal(ring_region_attach(&a, fd, RING_SIDE_A, efd), 0);
	assert_int_equal(ring_region_size(a), l.total_bytes);
	assert_memory_equal(ring_region_uuid(a), test_uuid, RING_UUID_LEN);
	assert_memory_equal(ring_region_geom(a), &g, sizeof(g));
	assert_int_equal(ring_region_side(a), RING_SIDE_A);
	assert_non_null(ring_region_pool(a, &pool_len));
	assert_int_equal(pool_len, 1024 * 2048);
	assert_ptr_equal(ring_slot(a, 0), ring_region_pool(a, &pool_len));
	assert_ptr_equal(ring_slot(a, 1), ring_slot(a, 0) + 2048);
	assert_null(ring_slot(a, 1024));
	assert_int_equal(ring_wake_fd(a) >= 0, 1);
	ring_region_detach(a);
	close(efd[0]);
	close(efd[1]);
	close(fd);
}

static void
test_create_args(void **state)
{
	struct ring_geom g = RING_GEOM_DEFAULT, bad = { 3, 2048, 0, 0 };
	char longname[RING_NAME_MAX + 2];
	int fd;

	(void)state;
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(ring_region_create(&bad, "x", test_uuid, &fd),
	    -EINVAL);
	assert_int_equal(ring_region_create(&g, longname, test_uuid, &fd),
	    -EINVAL);
	assert_int_equal(ring_region_create(&g, NULL, test_uuid, &fd),
	    -EINVAL);
	assert_int_equal(ring_region_create(&g, "x", NULL, &fd), -EINVAL);
	longname[RING_NAME_MAX] = '\0';		/* exactly the maximum */
	assert_int_equal(ring_region_create(&g, longname, test_uuid, &fd), 0);
	close(fd);
}

/* ---- attach refuses damaged regions ---- */

static const struct ring_geom small_geom = { 8, 256, 32, 16 };

/* A fresh memfd holding `len` bytes of src (zero-extended), sealed or not. */
static int
copy_region(const uint8_t *src, size_t len, size_t file_len, bool seal)
{
	uint8_t *dst;
	int fd;

	fd = memfd_create("copy", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)file_len), 0);
	if (file_len != 0) {
		dst = mmap(NULL, file_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
		assert_true(dst != MAP_FAILED);
		memcpy(dst, src, len < file_len ? len : file_len);
		munmap(dst, file_len);
	}
	if (seal)
		assert_int_equal(fcntl(fd, F_ADD_SEALS,
		    F_SEAL_SHRINK | F_SEAL_GROW), 0);
	return fd;
}

enum damage {
	RAW32,		/* write v (32 bits) at off, checksum left stale */
	PUT32,		/* write v (32 bits) at off */
	PUT64,		/* write v (64 bits) at off */
	FILL,		/* write v bytes of 'x' at off */
	GROW,		/* file v bytes longer than the region */
	CUT,		/* file v bytes shorter than the region */
	TRUNC,		/* file exactly v bytes long */
	UNSEAL,		/* size not sealed */
	RANDOM,		/* noise of the right size */
	INDICES,	/* prod - cons beyond the ring: off 0 work, 1 done */
};

#define HDR(field)	offsetof(struct ring_hdr, field)

static const struct {
	const char	*name;
	size_t		 off;
	uint64_t	 v;
	enum damage	 how;
	int		 expect;
} attach_rows[] = {
	{ "bad magic", HDR(rh_magic), 0x12345678, PUT32, -EPROTO },
	{ "version 2", HDR(rh_version), 2, PUT32, -EPROTO },
	{ "version 0", HDR(rh_version), 0, PUT32, -EPROTO },
	{ "header size", HDR(rh_hdr_bytes), 128, PUT32, -EPROTO },
	{ "name unterminated", HDR(rh_name), RING_NAME_MAX + 1, FILL,
	    -EPROTO },
	{ "reserved set", HDR(rh_reserved), 1, PUT32, -EPROTO },
	{ "nslots not 2^n", HDR(rh_geom.nslots), 7, PUT32, -EINVAL },
	{ "nslots differs", HDR(rh_geom.nslots), 16, PUT32, -EINVAL },
	{ "slot_bytes % 64", HDR(rh_geom.slot_bytes), 200, PUT32, -EINVAL },
	/* Same layout, other geometry: only the checksum can tell. */
	{ "slot_bytes differs", HDR(rh_geom.slot_bytes), 128, RAW32,
	    -EPROTO },
	{ "headroom differs", HDR(rh_geom.headroom), 64, RAW32, -EPROTO },
	{ "uuid changed", HDR(rh_uuid), 7, RAW32, -EPROTO },
	{ "checksum", HDR(rh_check), 7, RAW32, -EPROTO },
	{ "headroom too big", HDR(rh_geom.headroom), 256, PUT32, -EINVAL },
	{ "tailroom too big", HDR(rh_geom.tailroom), 240, PUT32, -EINVAL },
	{ "entries = nslots", HDR(rh_entries), 8, PUT32, -EINVAL },
	{ "total_bytes", HDR(rh_total_bytes), 12288, PUT64, -EINVAL },
	{ "owner_off", HDR(rh_owner_off), 640, PUT64, -EINVAL },
	{ "work_off", HDR(rh_work_off), 0, PUT64, -EINVAL },
	{ "done_off", HDR(rh_done_off), 192, PUT64, -EINVAL },
	{ "work_desc_off", HDR(rh_work_desc_off), 1 << 20, PUT64, -EINVAL },
	{ "done_desc_off", HDR(rh_done_desc_off), 704, PUT64, -EINVAL },
	{ "pool_off", HDR(rh_pool_off), 0, PUT64, -EINVAL },
	{ "file longer than region", 0, 4096, GROW, -EINVAL },
	{ "file shorter than region", 0, 4096, CUT, -EINVAL },
	{ "file shorter than header", 0, 100, TRUNC, -EPROTO },
	{ "empty file", 0, 0, TRUNC, -EPROTO },
	{ "size not sealed", 0, 0, UNSEAL, -EINVAL },
	{ "random bytes", 0, 0, RANDOM, -EPROTO },
	{ "work ring indices", 0, 0, INDICES, -EPROTO },
	{ "done ring indices", 1, 0, INDICES, -EPROTO },
};

static int
damaged_copy(size_t row, const uint8_t *img, size_t len)
{
	uint32_t v32 = (uint32_t)attach_rows[row].v;
	uint64_t v64 = attach_rows[row].v;
	size_t off = attach_rows[row].off, file_len = len, i;
	struct ring_layout l;
	uint8_t *buf;
	int fd;

	buf = malloc(len);
	assert_non_null(buf);
	memcpy(buf, img, len);
	assert_int_equal(ring_layout_compute(&small_geom, &l), 0);
	switch (attach_rows[row].how) {
	case RAW32:
	case PUT32:
		memcpy(buf + off, &v32, 4);
		break;
	case PUT64:
		memcpy(buf + off, &v64, 8);
		break;
	case FILL:
		memset(buf + off, 'x', (size_t)v64);
		break;
	case GROW:
		file_len = len + (size_t)v64;
		break;
	case CUT:
		file_len = len - (size_t)v64;
		break;
	case TRUNC:
		file_len = (size_t)v64;
		break;
	case RANDOM:
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)(i * 2654435761u >> 13);
		break;
	case INDICES:
		/* rc_prod = entries + 1 with rc_cons = 0. */
		v32 = l.entries + 1;
		memcpy(buf + (off == 0 ? l.work_off : l.done_off), &v32, 4);
		break;
	case UNSEAL:
		break;
	}
	/* A consistent header, so that the check under test is reached. */
	if (attach_rows[row].how == PUT32 || attach_rows[row].how == PUT64 ||
	    attach_rows[row].how == FILL) {
		v64 = ring_hdr_check(buf);
		memcpy(buf + offsetof(struct ring_hdr, rh_check), &v64, 8);
	}
	fd = copy_region(buf, len, file_len, attach_rows[row].how != UNSEAL);
	free(buf);
	return fd;
}

static void
test_attach_refused(void **state)
{
	struct ring_region *r;
	struct raw w;
	size_t row;
	int fd, dfd, efd[2], error, side;

	(void)state;
	fd = region(&small_geom);
	raw_map(&w, fd, &small_geom);
	assert_int_equal(ring_doorbells_create(efd), 0);
	/* The undamaged copy attaches: the rows below test one thing each. */
	dfd = copy_region(w.base, w.size, w.size, true);
	assert_int_equal(ring_region_attach(&r, dfd, RING_SIDE_A, efd), 0);
	ring_region_detach(r);
	close(dfd);
	for (row = 0; row < nitems(attach_rows); row++) {
		for (side = RING_SIDE_A; side <= RING_SIDE_B; side++) {
			dfd = damaged_copy(row, w.base, w.size);
			error = ring_region_attach(&r, dfd,
			    (enum ring_side)side, efd);
			if (error != attach_rows[row].expect)
				fail_msg("row \"%s\" side %d: got %d, want %d",
				    attach_rows[row].name, side, error,
				    attach_rows[row].expect);
			assert_null(r);
			close(dfd);
		}
	}
	/* Arguments. */
	assert_int_equal(ring_region_attach(&r, fd, (enum ring_side)2, efd),
	    -EINVAL);
	assert_int_equal(ring_region_attach(&r, fd, RING_SIDE_A, NULL),
	    -EINVAL);
	assert_int_equal(ring_region_attach(&r, fd, RING_SIDE_A,
	    (const int[2]){ -1, -1 }), -EBADF);
	assert_int_equal(ring_region_attach(&r, -1, RING_SIDE_A, efd), -EBADF);
	raw_unmap(&w);
	close(efd[0]);
	close(efd[1]);
	close(fd);
}

/* ---- data path ---- */

static void
fill(struct ring_region *r, uint32_t slot, uint32_t seq, struct ring_desc *d)
{
	const struct ring_geom *g = ring_region_geom(r);

	*d = (struct ring_desc){ .slot = slot, .off = (uint16_t)g->headroom,
	    .len = 8, .op = 1, .hint = seq };
	memcpy(ring_desc_data(r, d), &seq, 4);
	memcpy(ring_desc_data(r, d) + 4, &slot, 4);
}

static void
check(struct ring_region *r, const struct ring_desc *d, uint32_t seq)
{
	uint32_t v[2];

	assert_int_equal(d->hint, seq);
	assert_int_equal(d->result, 0);
	assert_int_equal(d->len, 8);
	memcpy(v, ring_desc_data(r, d), 8);
	assert_int_equal(v[0], seq);
	assert_int_equal(v[1], d->slot);
}

/* A sends n, B receives them in chunks of up to `chunk` and sends back,
 * A receives and frees. seq advances by n. */
static void
round_trip(struct pair *p, unsigned n, unsigned chunk, uint32_t *seq)
{
	struct ring_desc d[64], e[64];
	uint32_t slots[64];
	unsigned i, got;
	int k;

	assert_true(n <= 64);
	assert_int_equal(ring_slot_alloc_n(p->a, slots, n), n);
	for (i = 0; i < n; i++)
		fill(p->a, slots[i], *seq + i, &d[i]);
	assert_int_equal(ring_send(p->a, d, n), 0);
	assert_int_equal(ring_pending(p->b), n);
	assert_int_equal(ring_peek(p->b, e, 64), n);
	assert_int_equal(e[0].hint, *seq);
	for (got = 0; got < n; got += (unsigned)k) {
		k = ring_recv(p->b, e, chunk);
		assert_true(k > 0);
		for (i = 0; i < (unsigned)k; i++)
			check(p->b, &e[i], *seq + got + i);
		assert_int_equal(ring_send(p->b, e, (unsigned)k), 0);
	}
	assert_int_equal(ring_recv(p->b, e, 64), 0);
	k = ring_recv(p->a, e, 64);
	assert_int_equal(k, n);
	for (i = 0; i < n; i++) {
		check(p->a, &e[i], *seq + i);
		assert_int_equal(ring_slot_free(p->a, e[i].slot), 0);
	}
	*seq += n;
}

static void
test_batches(void **state)
{
	struct ring_geom g = { 64, 128, 16, 16 };
	struct ring_slot_counts c;
	struct pair p;
	uint32_t seq = 0;
	unsigned n;

	(void)state;
	pair_open(&p, &g);
	for (n = 1; n <= 64; n++) {
		round_trip(&p, n, 64, &seq);
		round_trip(&p, n, n / 3 + 1, &seq);
	}
	ring_slot_counts(p.a, &c);
	assert_int_equal(c.free, 64);
	assert_int_equal(c.held + c.peer, 0);
	ring_slot_counts(p.b, &c);
	assert_int_equal(c.held, 0);
	assert_int_equal(ring_region_stats(p.a)->sent, seq);
	assert_int_equal(ring_region_stats(p.b)->received, seq);
	pair_close(&p);
}

/* Indices start just below 2^32: the free-running counters wrap too. */
static void
test_wrap(void **state)
{
	struct ring_geom g = { 8, 64, 0, 0 };
	const uint32_t start = UINT32_MAX - 37;
	struct pair p;
	struct raw w;
	uint32_t seq = 0;
	unsigned i;

	(void)state;
	p.fd = region(&g);
	raw_map(&w, p.fd, &g);
	atomic_store(&w.work->rc_prod, start);
	atomic_store(&w.work->rc_cons, start);
	atomic_store(&w.done->rc_prod, start + 3);
	atomic_store(&w.done->rc_cons, start + 3);
	assert_int_equal(ring_doorbells_create(p.efd), 0);
	assert_int_equal(ring_region_attach(&p.a, p.fd, RING_SIDE_A, p.efd),
	    0);
	assert_int_equal(ring_region_attach(&p.b, p.fd, RING_SIDE_B, p.efd),
	    0);
	for (i = 0; i < 500; i++)
		round_trip(&p, i % 8 + 1, i % 3 + 1, &seq);
	/* Both counters went past zero. */
	assert_true(atomic_load(&w.work->rc_prod) < start);
	assert_int_equal(atomic_load(&w.work->rc_prod), start + seq);
	assert_int_equal(atomic_load(&w.done->rc_cons), start + 3 + seq);
	raw_unmap(&w);
	pair_close(&p);
}

static void
test_send_checks(void **state)
{
	struct ring_geom g = { 8, 256, 32, 16 };
	struct ring_desc d[17] = { 0 };
	struct ring_slot_counts c;
	uint32_t s[3], x;
	struct pair p;

	(void)state;
	pair_open(&p, &g);
	assert_int_equal(ring_send(p.a, d, 0), 0);
	assert_int_equal(ring_slot_alloc_n(p.a, s, 3), 3);
	fill(p.a, s[0], 0, &d[0]);
	fill(p.a, s[1], 1, &d[1]);
	fill(p.a, s[2], 2, &d[2]);
	/* Not held: a free slot, a slot out of range. */
	d[2].slot = 7;
	assert_int_equal(ring_send(p.a, d, 3), -EINVAL);
	d[2].slot = 8;
	assert_int_equal(ring_send(p.a, d, 3), -EINVAL);
	/* Duplicate in one batch. */
	d[2].slot = s[0];
	assert_int_equal(ring_send(p.a, d, 3), -EINVAL);
	/* Overrun: off + len past the slot. */
	d[2].slot = s[2];
	d[2].off = 200;
	d[2].len = 57;
	assert_int_equal(ring_send(p.a, d, 3), -EINVAL);
	assert_null(ring_desc_data(p.a, &d[2]));
	d[2].len = 56;		/* exactly to the end */
	/* More than the ring holds. */
	assert_int_equal(ring_send(p.a, d, 2 * 8 + 1), -EINVAL);
	/* Nothing was sent by the failures, and all three are still held. */
	assert_int_equal(ring_pending(p.b), 0);
	ring_slot_counts(p.a, &c);
	assert_int_equal(c.held, 3);
	assert_int_equal(ring_send(p.a, d, 3), 0);
	/* Sent slots are no longer ours to send or free. */
	assert_int_equal(ring_send(p.a, d, 1), -EINVAL);
	assert_int_equal(ring_slot_free(p.a, s[0]), -EINVAL);
	/* Side B cannot allocate or free; side A cannot free what it lacks. */
	assert_int_equal(ring_slot_alloc(p.b, &x), -EINVAL);
	assert_int_equal(ring_slot_free(p.b, 0), -EINVAL);
	assert_int_equal(ring_slot_free(p.a, 99), -EINVAL);
	/* B may not send what it has not received. */
	assert_int_equal(ring_send(p.b, d, 1), -EINVAL);
	assert_int_equal(ring_recv(p.b, d, 0), 0);
	assert_int_equal(ring_recv(p.b, d, 3), 3);
	assert_int_equal(ring_send(p.b, d, 3), 0);
	assert_int_equal(ring_recv(p.a, d, 3), 3);
	/* Exhaustion. */
	assert_int_equal(ring_slot_alloc_n(p.a, s, 3), 3);
	assert_int_equal(ring_slot_alloc_n(p.a, s, 3), 2);
	assert_int_equal(ring_slot_alloc(p.a, &x), -ENOBUFS);
	pair_close(&p);
}

/* A peer writes bad descriptors straight into B's inbound ring. */
static void
test_recv_checks(void **state)
{
	struct ring_geom g = { 8, 256, 32, 16 };
	struct ring_desc d[8];
	const struct ring_stats *st;
	struct pair p;
	struct raw w;

	(void)state;
	pair_open(&p, &g);
	raw_map(&w, p.fd, &g);
	st = ring_region_stats(p.b);
	raw_desc(&w.wd[0], 8, 0, 0, 100);	/* slot out of range */
	raw_desc(&w.wd[1], UINT32_MAX, 0, 0, 101);
	raw_desc(&w.wd[2], 3, 32, 300, 102);	/* overruns the slot */
	raw_desc(&w.wd[3], 3, 0, 0, 103);	/* 3 again: now B's */
	raw_desc(&w.wd[4], 4, 255, 1, 104);	/* exactly fits */
	raw_desc(&w.wd[5], 5, 65535, 65535, 105);
	atomic_store(&w.work->rc_prod, 6);
	assert_int_equal(ring_recv(p.b, d, 8), 3);
	assert_int_equal(st->bad_slot, 2);
	assert_int_equal(st->not_ours, 1);
	assert_int_equal(st->bad_range, 2);
	assert_int_equal(d[0].slot, 3);
	assert_int_equal(d[0].result, -EBADMSG);
	assert_int_equal(d[0].len, 0);
	assert_int_equal(d[0].hint, 102);
	assert_int_equal(d[1].slot, 4);
	assert_int_equal(d[1].result, 0);
	assert_int_equal(d[1].off, 255);
	assert_int_equal(d[2].slot, 5);
	assert_int_equal(d[2].result, -EBADMSG);
	assert_int_equal(w.owner[3], RING_OWNER_B);
	assert_int_equal(w.owner[4], RING_OWNER_B);
	assert_int_equal(w.owner[0], RING_OWNER_A);
	/* Everything was consumed. */
	assert_int_equal(atomic_load(&w.work->rc_cons), 6);
	assert_int_equal(ring_send(p.b, d, 3), 0);
	/* A drops returns of slots it never sent. */
	assert_int_equal(ring_recv(p.a, d, 8), 0);
	assert_int_equal(ring_region_stats(p.a)->not_ours, 3);
	raw_unmap(&w);
	pair_close(&p);
}

/* Indices a peer corrupted: refused with -EPROTO, nothing consumed. */
static void
test_index_checks(void **state)
{
	struct ring_geom g = { 8, 256, 32, 16 };
	struct ring_desc d[32];
	struct pair p;
	struct raw w;
	uint32_t s[8];
	unsigned i;

	(void)state;
	pair_open(&p, &g);
	raw_map(&w, p.fd, &g);
	assert_int_equal(ring_slot_alloc_n(p.a, s, 8), 8);
	for (i = 0; i < 8; i++)
		fill(p.a, s[i], i, &d[i]);
	assert_int_equal(ring_send(p.a, d, 8), 0);
	/* B: a producer index more than a ring ahead. */
	atomic_store(&w.work->rc_prod, w.lay.entries + 1);
	assert_int_equal(ring_recv(p.b, d, 8), -EPROTO);
	assert_int_equal(ring_pending(p.b), 0);
	assert_int_equal(ring_peek(p.b, d, 8), 0);
	assert_int_equal(atomic_load(&w.work->rc_cons), 0);
	atomic_store(&w.work->rc_prod, 8);
	/* A: more than its cached room, so it looks at rc_cons. */
	atomic_store(&w.work->rc_cons, 100);
	assert_int_equal(ring_send(p.a, d, w.lay.entries - 7), -EPROTO);
	atomic_store(&w.work->rc_cons, 0);
	assert_int_equal(ring_send(p.a, d, w.lay.entries - 7), -ENOBUFS);
	assert_int_equal(ring_send(p.a, d, w.lay.entries + 1), -EINVAL);
	/* And the honest state still works. */
	assert_int_equal(ring_recv(p.b, d, 8), 8);
	raw_unmap(&w);
	pair_close(&p);
}

/* ---- doorbells ---- */

static bool
readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

static void
send_one(struct pair *p, uint32_t seq)
{
	struct ring_desc d;
	uint32_t s;

	assert_int_equal(ring_slot_alloc(p->a, &s), 0);
	fill(p->a, s, seq, &d);
	assert_int_equal(ring_send(p->a, &d, 1), 0);
}

static void
test_doorbell(void **state)
{
	struct ring_geom g = { 8, 256, 32, 16 };
	struct ring_desc d[8], e[8];
	struct pair p;
	int fa, fb;

	(void)state;
	pair_open(&p, &g);
	fa = ring_wake_fd(p.a);
	fb = ring_wake_fd(p.b);
	assert_int_not_equal(fa, fb);
	/* Awake consumer: no bell, no system call. */
	send_one(&p, 0);
	assert_false(readable(fb));
	assert_int_equal(ring_region_stats(p.a)->bells, 0);
	/* Work waiting: the announcement is withdrawn at once. */
	assert_false(ring_sleep_prepare(p.b));
	assert_true(ring_spin(p.b, 0));
	assert_int_equal(ring_wait(p.b, 0, 0), 0);
	assert_int_equal(ring_recv(p.b, d, 8), 1);
	assert_false(ring_spin(p.b, 100));
	assert_int_equal(ring_wait(p.b, 10, 1), -ETIMEDOUT);	/* sleep 1 */
	/* Armed: the first send rings once, the second does not. */
	assert_true(ring_sleep_prepare(p.b));			/* sleep 2 */
	assert_false(readable(fb));
	send_one(&p, 1);
	assert_true(readable(fb));
	send_one(&p, 2);
	assert_int_equal(ring_region_stats(p.a)->bells, 1);
	ring_sleep_finish(p.b);
	assert_false(readable(fb));
	assert_int_equal(ring_recv(p.b, d + 1, 8), 2);
	/* B's sends ring A only when A sleeps. */
	assert_int_equal(ring_send(p.b, d, 1), 0);
	assert_false(readable(fa));
	assert_int_equal(ring_recv(p.a, e, 8), 1);
	assert_true(ring_sleep_prepare(p.a));
	assert_int_equal(ring_send(p.b, d + 1, 2), 0);
	assert_true(readable(fa));
	assert_int_equal(ring_region_stats(p.b)->bells, 1);
	/* Work is there: ring_wait returns without a system call, so the
	 * count stays until the next sleep drains it... */
	assert_int_equal(ring_wait(p.a, 0, -1), 0);
	assert_int_equal(ring_recv(p.a, e, 8), 2);
	assert_true(readable(fa));
	/* ...as a spurious wake-up, after which A sleeps again. */
	assert_int_equal(ring_wait(p.a, 0, 5), -ETIMEDOUT);
	assert_false(readable(fa));
	assert_int_equal(ring_region_stats(p.a)->sleeps, 3);
	assert_int_equal(ring_region_stats(p.b)->sleeps, 2);
	pair_close(&p);
}

/* A producer died between publishing and ringing: its successor rings. */
static void
test_doorbell_attach(void **state)
{
	struct ring_geom g = { 8, 256, 32, 16 };
	struct ring_desc d;
	struct pair p;
	struct raw w;
	uint32_t s;

	(void)state;
	pair_open(&p, &g);
	raw_map(&w, p.fd, &g);
	assert_true(ring_sleep_prepare(p.b));
	/* The dying A: descriptor written, rc_prod released, no bell. */
	assert_int_equal(ring_slot_alloc(p.a, &s), 0);
	raw_desc(&w.wd[0], s, 32, 8, 7);
	atomic_store(&w.work->rc_prod, 1);
	ring_region_detach(p.a);
	assert_false(readable(ring_wake_fd(p.b)));
	assert_int_equal(ring_region_attach(&p.a, p.fd, RING_SIDE_A, p.efd),
	    0);
	assert_true(readable(ring_wake_fd(p.b)));
	assert_int_equal(ring_wait(p.b, 0, 0), 0);
	assert_int_equal(ring_recv(p.b, &d, 1), 1);
	assert_int_equal(d.hint, 7);
	raw_unmap(&w);
	pair_close(&p);
}

/* ---- recovery: one row per ownership state ----
 *
 * Slot 3 is put in the stated place with the stated owner word; the other
 * slots are free (owner A, in no ring). Then `side` attaches and we look
 * where slot 3 went.
 */
enum where { NOWHERE, IN_WORK, IN_DONE };
enum outcome {
	FREE_A,		/* A: back on A's free list */
	PEER_A,		/* A: in flight (in a ring or held by B) */
	RETURNED_B,	/* B: sent back to A with -ECONNABORTED */
	KEPT_B,		/* B: left alone */
};

static const struct {
	const char	*name;
	enum ring_side	 side;
	enum where	 where;
	enum outcome	 expect;
	uint8_t		 owner;
	bool		 bad_owner;
} recovery_rows[] = {
	{ "A: A's, no ring (free or held)", RING_SIDE_A,
	    NOWHERE, FREE_A, 'A', false },
	{ "A: B's, no ring (B holds it)", RING_SIDE_A,
	    NOWHERE, PEER_A, 'B', false },
	{ "A: broken owner, no ring", RING_SIDE_A,
	    NOWHERE, FREE_A, 0, true },
	{ "A: A's, in work (sent)", RING_SIDE_A,
	    IN_WORK, PEER_A, 'A', false },
	{ "A: B's, in work (B died in recv)", RING_SIDE_A,
	    IN_WORK, PEER_A, 'B', false },
	{ "A: B's, in done (returned)", RING_SIDE_A,
	    IN_DONE, PEER_A, 'B', false },
	{ "A: A's, in done (A died in recv)", RING_SIDE_A,
	    IN_DONE, PEER_A, 'A', false },
	{ "B: B's, no ring (dead B held it)", RING_SIDE_B,
	    NOWHERE, RETURNED_B, 'B', false },
	{ "B: A's, no ring", RING_SIDE_B,
	    NOWHERE, KEPT_B, 'A', false },
	{ "B: broken owner, no ring", RING_SIDE_B,
	    NOWHERE, KEPT_B, 0x7f, true },
	{ "B: A's, in work (sent)", RING_SIDE_B,
	    IN_WORK, KEPT_B, 'A', false },
	{ "B: B's, in work (B died in recv)", RING_SIDE_B,
	    IN_WORK, KEPT_B, 'B', false },
	{ "B: B's, in done (returned)", RING_SIDE_B,
	    IN_DONE, KEPT_B, 'B', false },
	{ "B: A's, in done (A died in recv)", RING_SIDE_B,
	    IN_DONE, KEPT_B, 'A', false },
};

/* Is `slot` among A's free slots? Allocates them all, then frees them. */
static bool
a_has_free(struct ring_region *a, uint32_t slot, uint32_t *nfree)
{
	uint32_t s[8];
	bool found = false;
	unsigned i, n;

	n = ring_slot_alloc_n(a, s, 8);
	for (i = 0; i < n; i++) {
		found |= s[i] == slot;
		assert_int_equal(ring_slot_free(a, s[i]), 0);
	}
	*nfree = n;
	return found;
}

static void
recovery_check(size_t row, struct raw *w, struct ring_region *r)
{
	const struct ring_stats *st = ring_region_stats(r);
	uint32_t nfree, done_prod = atomic_load(&w->done->rc_prod);
	enum outcome got;

	if (recovery_rows[row].side == RING_SIDE_A) {
		got = a_has_free(r, 3, &nfree) ? FREE_A : PEER_A;
		assert_int_equal(nfree, got == FREE_A ? 8 : 7);
	} else {
		got = KEPT_B;
		if (recovery_rows[row].where != IN_DONE && done_prod == 1) {
			got = RETURNED_B;
			assert_int_equal(raw_slot(&w->dd[0]), 3);
			assert_int_equal(raw_result(&w->dd[0]), -ECONNABORTED);
		}
		assert_int_equal(done_prod,
		    recovery_rows[row].where == IN_DONE || got == RETURNED_B);
		/* Kept but in the work ring: B receives it next. */
		if (recovery_rows[row].where == IN_WORK) {
			struct ring_desc d;

			assert_int_equal(ring_recv(r, &d, 1), 1);
			assert_int_equal(d.slot, 3);
		}
	}
	if (got != recovery_rows[row].expect)
		fail_msg("row \"%s\": got outcome %d, want %d",
		    recovery_rows[row].name, got, recovery_rows[row].expect);
	assert_int_equal(st->bad_owner, recovery_rows[row].bad_owner);
	if (recovery_rows[row].bad_owner &&
	    recovery_rows[row].side == RING_SIDE_A)
		assert_int_equal(w->owner[3], RING_OWNER_A);
}

static void
test_recovery_table(void **state)
{
	struct ring_region *r;
	struct raw w;
	size_t row;
	int fd, efd[2];

	(void)state;
	assert_int_equal(ring_doorbells_create(efd), 0);
	for (row = 0; row < nitems(recovery_rows); row++) {
		fd = region(&small_geom);
		raw_map(&w, fd, &small_geom);
		w.owner[3] = recovery_rows[row].owner;
		if (recovery_rows[row].where == IN_WORK) {
			raw_desc(&w.wd[0], 3, 32, 10, 0);
			atomic_store(&w.work->rc_prod, 1);
		} else if (recovery_rows[row].where == IN_DONE) {
			raw_desc(&w.dd[0], 3, 32, 10, 0);
			atomic_store(&w.done->rc_prod, 1);
		}
		assert_int_equal(ring_region_attach(&r, fd,
		    recovery_rows[row].side, efd), 0);
		recovery_check(row, &w, r);
		ring_region_detach(r);
		raw_unmap(&w);
		close(fd);
	}
	close(efd[0]);
	close(efd[1]);
}

/* B dies twice holding the same slots: they come back once, not twice. */
static void
test_recovery_once(void **state)
{
	struct ring_geom g = { 8, 256, 32, 16 };
	struct ring_slot_counts c;
	struct ring_desc d[8];
	struct pair p;
	uint32_t s[8];
	int i, k;

	(void)state;
	pair_open(&p, &g);
	assert_int_equal(ring_slot_alloc_n(p.a, s, 5), 5);
	for (i = 0; i < 5; i++)
		fill(p.a, s[i], (uint32_t)i, &d[i]);
	assert_int_equal(ring_send(p.a, d, 5), 0);
	assert_int_equal(ring_recv(p.b, d, 3), 3);	/* B holds 3 */
	ring_region_detach(p.b);			/* B dies */
	assert_int_equal(ring_region_attach(&p.b, p.fd, RING_SIDE_B, p.efd),
	    0);
	assert_int_equal(ring_region_stats(p.b)->reclaimed, 3);
	ring_region_detach(p.b);			/* and again */
	assert_int_equal(ring_region_attach(&p.b, p.fd, RING_SIDE_B, p.efd),
	    0);
	assert_int_equal(ring_region_stats(p.b)->reclaimed, 0);
	/* A dies too, while the aborted returns sit in the done ring. */
	ring_region_detach(p.a);
	assert_int_equal(ring_region_attach(&p.a, p.fd, RING_SIDE_A, p.efd),
	    0);
	ring_slot_counts(p.a, &c);
	assert_int_equal(c.free, 3);
	assert_int_equal(c.peer, 5);
	k = ring_recv(p.a, d, 8);
	assert_int_equal(k, 3);
	for (i = 0; i < k; i++) {
		assert_int_equal(d[i].result, -ECONNABORTED);
		assert_int_equal(d[i].flags, RING_F_RECOVERED);
		assert_int_equal(ring_slot_free(p.a, d[i].slot), 0);
	}
	/* The two still in the work ring go round normally. */
	assert_int_equal(ring_recv(p.b, d, 8), 2);
	assert_int_equal(ring_send(p.b, d, 2), 0);
	assert_int_equal(ring_recv(p.a, d, 8), 2);
	assert_int_equal(ring_slot_free(p.a, d[0].slot), 0);
	assert_int_equal(ring_slot_free(p.a, d[1].slot), 0);
	ring_slot_counts(p.a, &c);
	assert_int_equal(c.free, 8);
	pair_close(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geom_table),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_attach_refused),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_send_checks),
		cmocka_unit_test(test_recv_checks),
		cmocka_unit_test(test_index_checks),
		cmocka_unit_test(test_doorbell),
		cmocka_unit_test(test_doorbell_attach),
		cmocka_unit_test(test_recovery_table),
		cmocka_unit_test(test_recovery_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
