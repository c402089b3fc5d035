/*
 * pstore.c - a crash-safe store of records in a supervisor-held memfd
 * (pstore.h). The layout:
 *
 *   offset 0      header, PSTORE_HDR_BYTES (one page): magic, version,
 *                 geometry, uuid, a SipHash of those fields; the
 *                 owner's notes (pstore_notes()) at PSTORE_NOTES_OFF
 *   PSTORE_HDR_BYTES + i * rec_bytes
 *                 record i: struct prec (state word, length, generation,
 *                 checksum), then the payload
 *
 * A record's state word is the only word whose value decides anything at
 * attach: FREE and WRITING records are free, VALID records must pass
 * their checksum, HOT records are kept as they are. A writer publishes a
 * record by storing VALID with release order after every other byte of
 * it, so a record seen VALID after a kill -9 is complete: the stores of a
 * killed process are not undone, only cut short.
 *
 * The checksum key is the store's uuid: a record copied from another
 * store does not pass.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "pstore.h"

#define PSTORE_MAGIC		0x45524f5453505050ull	/* "PPPSTORE" */
#define PSTORE_VERSION		1u
#define PSTORE_HDR_BYTES	((size_t)4096)
#define PSTORE_NOTES_OFF	((size_t)1024)
_Static_assert(PSTORE_NOTES_OFF + PSTORE_NOTES_BYTES <= PSTORE_HDR_BYTES,
    "notes in the header page");

enum prec_state {
	PREC_FREE = 0,
	PREC_WRITING = 1,
	PREC_VALID = 2,
	PREC_HOT = 3,
};

struct pstore_hdr {
	uint64_t	magic;
	uint32_t	version;
	uint32_t	rec_bytes;
	uint32_t	nrec;
	uint32_t	hdr_bytes;
	uint8_t		uuid[16];
	uint64_t	check;		/* SipHash of the fields above */
};
_Static_assert(sizeof(struct pstore_hdr) == 48, "pstore header");
_Static_assert(crypto_shorthash_KEYBYTES == 16, "siphash key");

struct prec {
	_Atomic uint32_t state;
	uint32_t	len;
	uint64_t	gen;
	uint64_t	sum;
	uint64_t	reserved;
};
_Static_assert(sizeof(struct prec) == 32, "pstore record header");
_Static_assert(PSTORE_REC_MIN > sizeof(struct prec), "record minimum");

struct pstore {
	uint8_t		*base;
	size_t		 size;
	uint32_t	 nrec;
	uint32_t	 rec_bytes;
	uint8_t		 key[16];
	uint32_t	*free;		/* stack of free indices, lowest on top */
	uint32_t	 nfree;
	uint32_t	 peak;
	uint64_t	 gen;
	uint64_t	 dropped_torn;
	uint64_t	 dropped_bad;
};

size_t
pstore_size(uint32_t nrec, uint32_t rec_bytes)
{
	if (nrec == 0 || nrec > PSTORE_RECORDS_MAX ||
	    rec_bytes < PSTORE_REC_MIN || rec_bytes > PSTORE_REC_MAX ||
	    rec_bytes % 8 != 0)
		return 0;
	return PSTORE_HDR_BYTES + (size_t)nrec * rec_bytes;
}

static uint64_t
hdr_check(const struct pstore_hdr *h)
{
	static const uint8_t zero[16];
	uint8_t out[8];
	uint64_t v;

	crypto_shorthash(out, (const unsigned char *)h,
	    offsetof(struct pstore_hdr, check), zero);
	memcpy(&v, out, sizeof(v));
	return v;
}

static struct prec *
rec_at(const struct pstore *ps, uint32_t i)
{
	return (struct prec *)(void *)(ps->base + PSTORE_HDR_BYTES +
	    (size_t)i * ps->rec_bytes);
}

static uint8_t *
rec_data(struct prec *r)
{
	return (uint8_t *)(r + 1);
}

static uint64_t
rec_sum(const struct pstore *ps, uint32_t len, uint64_t gen,
    const uint8_t *data)
{
	uint8_t out[8], k2[16];
	uint64_t v;

	/* libsodium's SipHash has no streaming form: hash the payload with
	 * a key that folds in the length and generation. */
	memcpy(k2, ps->key, sizeof(k2));
	v = gen ^ ((uint64_t)len << 32);
	for (size_t i = 0; i < 8; i++)
		k2[i] ^= (uint8_t)(v >> (8 * i));
	crypto_shorthash(out, data, len, k2);
	memcpy(&v, out, sizeof(v));
	return v;
}

int
pstore_format(int fd, uint32_t nrec, uint32_t rec_bytes)
{
	struct pstore_hdr h;
	struct stat st;
	size_t size = pstore_size(nrec, rec_bytes);
	void *base;

	if (size == 0 || fstat(fd, &st) != 0 || (uint64_t)st.st_size < size)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	h.magic = PSTORE_MAGIC;
	h.version = PSTORE_VERSION;
	h.rec_bytes = rec_bytes;
	h.nrec = nrec;
	h.hdr_bytes = (uint32_t)PSTORE_HDR_BYTES;
	randombytes_buf(h.uuid, sizeof(h.uuid));
	h.check = hdr_check(&h);
	/* Only the header page is written: the records are zero (FREE) in a
	 * fresh memfd, and stay unallocated until used. */
	base = mmap(NULL, PSTORE_HDR_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (base == MAP_FAILED)
		return -errno;
	memcpy(base, &h, sizeof(h));
	munmap(base, PSTORE_HDR_BYTES);
	return 0;
}

/* One record's state word at attach: live, or freed (and counted). */
static bool
rec_recover(struct pstore *ps, struct prec *r)
{
	uint32_t st = atomic_load_explicit(&r->state, memory_order_acquire);
	bool live = false;

	switch (st) {
	case PREC_VALID:
		if (r->len <= ps->rec_bytes - sizeof(struct prec) &&
		    r->sum == rec_sum(ps, r->len, r->gen, rec_data(r)))
			live = true;
		else
			ps->dropped_bad++;
		break;
	case PREC_HOT:
		live = r->len <= ps->rec_bytes - sizeof(struct prec);
		if (!live)
			ps->dropped_bad++;
		break;
	case PREC_WRITING:
		ps->dropped_torn++;
		break;
	case PREC_FREE:
		break;
	default:
		ps->dropped_bad++;
		break;
	}
	if (!live && st != PREC_FREE)
		atomic_store_explicit(&r->state, PREC_FREE,
		    memory_order_release);
	return live;
}

struct span {
	uint64_t	lo, hi;		/* [lo, hi): bytes with data */
};

/*
 * The data ranges of the store file past the header (SEEK_DATA /
 * SEEK_HOLE): a record whose state word lies in a hole reads as zero,
 * FREE, and is not read, since on tmpfs reading a hole through the
 * mapping allocates the page. Without hole support: one range, all.
 */
static int
data_spans(int fd, size_t size, struct span **out, size_t *n)
{
	struct span *v = NULL, *nv;
	size_t cap = 0, k = 0;
	off_t off = (off_t)PSTORE_HDR_BYTES, lo, hi;

	while ((size_t)off < size) {
		if ((lo = lseek(fd, off, SEEK_DATA)) < 0 && errno == ENXIO)
			break;			/* only holes from here */
		hi = lo < 0 ? (off_t)size : lseek(fd, lo, SEEK_HOLE);
		if (lo < 0 || hi < 0) {		/* no SEEK_DATA: all data */
			lo = off;
			hi = (off_t)size;
		}
		if (k == cap) {
			cap = cap != 0 ? 2 * cap : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[k].lo = (uint64_t)lo;
		v[k].hi = (uint64_t)hi;
		k++;
		off = hi;
	}
	*out = v;
	*n = k;
	return 0;
}

/* Rebuild the free stack and the generation from the state words. */
static int
recover(struct pstore *ps, int fd)
{
	struct span *sp;
	size_t nsp;
	uint32_t i;
	int error;

	ps->free = malloc((size_t)ps->nrec * sizeof(*ps->free));
	if (ps->free == NULL)
		return -ENOMEM;
	if ((error = data_spans(fd, ps->size, &sp, &nsp)) != 0)
		return error;
	ps->nfree = 0;
	/* Pushed highest first, so the lowest free index is on top. */
	for (i = ps->nrec; i-- > 0;) {
		struct prec *r = rec_at(ps, i);
		uint64_t off = (uint64_t)((uint8_t *)r - ps->base);

		while (nsp > 0 && sp[nsp - 1].lo > off)
			nsp--;			/* spans past this record */
		if (nsp > 0 && off < sp[nsp - 1].hi && rec_recover(ps, r)) {
			if (r->gen > ps->gen)
				ps->gen = r->gen;
			if (ps->peak < i + 1)
				ps->peak = i + 1;
		} else
			ps->free[ps->nfree++] = i;
	}
	free(sp);
	return 0;
}

int
pstore_attach(int fd, struct pstore **out)
{
	struct pstore_hdr h;
	struct pstore *ps;
	struct stat st;
	void *hdr;
	size_t size;
	int error;

	if (fstat(fd, &st) != 0)
		return -errno;
	if ((uint64_t)st.st_size < PSTORE_HDR_BYTES)
		return -EBADMSG;
	hdr = mmap(NULL, PSTORE_HDR_BYTES, PROT_READ, MAP_SHARED, fd, 0);
	if (hdr == MAP_FAILED)
		return -errno;
	memcpy(&h, hdr, sizeof(h));		/* one private copy */
	munmap(hdr, PSTORE_HDR_BYTES);
	size = pstore_size(h.nrec, h.rec_bytes);
	if (h.magic != PSTORE_MAGIC || h.version != PSTORE_VERSION ||
	    h.hdr_bytes != PSTORE_HDR_BYTES || h.check != hdr_check(&h) ||
	    size == 0 || (uint64_t)st.st_size != size)
		return -EBADMSG;
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return -ENOMEM;
	ps->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ps->base == MAP_FAILED) {
		error = -errno;
		free(ps);
		return error;
	}
	ps->size = size;
	ps->nrec = h.nrec;
	ps->rec_bytes = h.rec_bytes;
	memcpy(ps->key, h.uuid, sizeof(ps->key));
	if ((error = recover(ps, fd)) != 0) {
		pstore_detach(ps);
		return error;
	}
	*out = ps;
	return 0;
}

void
pstore_detach(struct pstore *ps)
{
	if (ps == NULL)
		return;
	if (ps->base != NULL && ps->base != MAP_FAILED)
		munmap(ps->base, ps->size);
	free(ps->free);
	free(ps);
}

void *
pstore_notes(struct pstore *ps)
{
	return ps->base + PSTORE_NOTES_OFF;
}

size_t
pstore_rec_max(const struct pstore *ps)
{
	return ps->rec_bytes - sizeof(struct prec);
}

static bool
live(const struct pstore *ps, uint32_t handle)
{
	uint32_t st;

	if (handle >= ps->nrec)
		return false;
	st = atomic_load_explicit(&rec_at(ps, handle)->state,
	    memory_order_relaxed);
	return st == PREC_VALID || st == PREC_HOT;
}

static void
release(struct pstore *ps, uint32_t i)
{
	atomic_store_explicit(&rec_at(ps, i)->state, PREC_FREE,
	    memory_order_release);
	/* Keep low indices on top: a freed low index goes on top, a high
	 * one too (the stack is not kept sorted; reuse stays local). */
	ps->free[ps->nfree++] = i;
}

int
pstore_put(struct pstore *ps, uint32_t *handle, const void *data,
    size_t len)
{
	struct prec *r;
	uint32_t i;

	if (len > pstore_rec_max(ps))
		return -EMSGSIZE;
	if (*handle != PSTORE_NONE && !live(ps, *handle))
		return -EINVAL;
	if (ps->nfree == 0)
		return -ENOSPC;
	i = ps->free[--ps->nfree];
	r = rec_at(ps, i);
	atomic_store_explicit(&r->state, PREC_WRITING, memory_order_relaxed);
	/* The WRITING mark must be visible before any payload byte. */
	atomic_thread_fence(memory_order_release);
	memcpy(rec_data(r), data, len);
	r->len = (uint32_t)len;
	r->gen = ++ps->gen;
	r->reserved = 0;
	r->sum = rec_sum(ps, r->len, r->gen, rec_data(r));
	atomic_store_explicit(&r->state, PREC_VALID, memory_order_release);
	if (ps->peak < i + 1)
		ps->peak = i + 1;
	if (*handle != PSTORE_NONE)
		release(ps, *handle);
	*handle = i;
	return 0;
}

void *
pstore_hot(struct pstore *ps, uint32_t handle, size_t *len)
{
	struct prec *r;

	if (!live(ps, handle))
		return NULL;
	r = rec_at(ps, handle);
	atomic_store_explicit(&r->state, PREC_HOT, memory_order_release);
	if (len != NULL)
		*len = r->len;
	return rec_data(r);
}

int
pstore_del(struct pstore *ps, uint32_t handle)
{
	if (!live(ps, handle))
		return -EINVAL;
	release(ps, handle);
	return 0;
}

void
pstore_clear(struct pstore *ps)
{
	uint32_t i;

	ps->nfree = 0;
	for (i = ps->nrec; i-- > 0;) {
		if (i < ps->peak) {
			struct prec *r = rec_at(ps, i);

			if (atomic_load_explicit(&r->state,
			    memory_order_relaxed) != PREC_FREE)
				atomic_store_explicit(&r->state, PREC_FREE,
				    memory_order_release);
		}
		ps->free[ps->nfree++] = i;
	}
}

struct scan_ent {
	uint64_t	gen;
	uint32_t	idx;
};

static int
scan_cmp(const void *a, const void *b)
{
	const struct scan_ent *x = a, *y = b;

	return x->gen < y->gen ? -1 : x->gen > y->gen;
}

int
pstore_scan(struct pstore *ps, pstore_scan_fn fn, void *arg)
{
	struct scan_ent *v;
	size_t n = 0, k;
	uint32_t i;
	int error = 0;

	if (ps->peak == 0)
		return 0;
	if ((v = malloc((size_t)ps->peak * sizeof(*v))) == NULL)
		return -ENOMEM;
	for (i = 0; i < ps->peak; i++)
		if (live(ps, i)) {
			v[n].gen = rec_at(ps, i)->gen;
			v[n].idx = i;
			n++;
		}
	qsort(v, n, sizeof(*v), scan_cmp);
	for (k = 0; k < n && error == 0; k++) {
		struct prec *r = rec_at(ps, v[k].idx);

		/* fn may have deleted an older duplicate: skip the dead. */
		if (!live(ps, v[k].idx))
			continue;
		error = fn(arg, v[k].idx, rec_data(r), r->len);
	}
	free(v);
	return error;
}

void
pstore_stats(const struct pstore *ps, struct pstore_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->nrec = ps->nrec;
	st->live = ps->nrec - ps->nfree;
	st->peak = ps->peak;
	st->dropped_torn = ps->dropped_torn;
	st->dropped_bad = ps->dropped_bad;
	st->gen = ps->gen;
}
