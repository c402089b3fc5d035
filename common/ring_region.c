/*
 * ring_region.c - the region half of the ring module (DESIGN §2; design
 * and the recovery argument in docs/DESIGN.md §10.4): geometry and layout,
 * the header the supervisor writes once and every attach checks, creating
 * the memfd and doorbells, attaching a side and recovering the slots its
 * predecessor held. The data path (slots, send, receive, waiting) is in
 * ring.c.
 *
 * Untrusted: the whole region, which the peer can write at any time. The
 * header is copied out once and parsed with a cursor; indices are checked
 * against the ring size before use; slot bytes are never interpreted here.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "rd.h"
#include "ring.h"
#include "wr.h"
#include "ring_impl.h"


/*
 * The rings live in memory shared by two processes: their atomics must be
 * lock-free (an address-based lock table is per process) and exactly as
 * wide as the plain type, or the layout asserts in ring.h mean nothing.
 */
_Static_assert(ATOMIC_CHAR_LOCK_FREE == 2, "lock-free byte atomics");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "lock-free 32-bit atomics");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "lock-free 64-bit atomics");
_Static_assert(sizeof(_Atomic uint8_t) == 1, "owner word size");
_Static_assert(sizeof(_Atomic uint32_t) == 4, "index size");
_Static_assert(sizeof(_Atomic uint64_t) == 8, "descriptor word size");
/* hdr_parse() reads the fields in order: the struct must have no holes. */
_Static_assert(sizeof(struct ring_hdr) ==
    4 * sizeof(uint32_t) + sizeof(struct ring_geom) + 8 * sizeof(uint64_t) +
    RING_UUID_LEN + RING_NAME_MAX + 1 +
    sizeof(((struct ring_hdr *)0)->rh_reserved),
    "ring_hdr has padding");
_Static_assert(sizeof(struct ring_geom) == 16, "ring_geom size");

static size_t
align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* ---- geometry and layout (pure) ---- */

int
ring_geom_check(const struct ring_geom *g)
{
	if (g == NULL)
		return -EINVAL;
	if (g->nslots == 0 || g->nslots > RING_NSLOTS_MAX ||
	    (g->nslots & (g->nslots - 1)) != 0)
		return -EINVAL;
	if (g->slot_bytes < RING_SLOT_BYTES_MIN ||
	    g->slot_bytes > RING_SLOT_BYTES_MAX ||
	    g->slot_bytes % CACHELINE != 0)
		return -EINVAL;
	/* At least one byte of packet room between headroom and tailroom. */
	if ((uint64_t)g->headroom + g->tailroom >= g->slot_bytes)
		return -EINVAL;
	if ((uint64_t)g->nslots * g->slot_bytes > RING_POOL_BYTES_MAX)
		return -EINVAL;
	return 0;
}

int
ring_layout_compute(const struct ring_geom *g, struct ring_layout *l)
{
	size_t ring_bytes;
	int error;

	if ((error = ring_geom_check(g)) != 0)
		return error;
	/*
	 * Every descriptor in a ring names a distinct slot, so a ring never
	 * holds more than nslots and a side that sends slots it holds never
	 * finds it full. Twice that: with the whole pool in flight a ring of
	 * nslots entries looks full to its producer whenever the other ring
	 * is empty, and the producer would re-read the consumer's index (a
	 * cache-line transfer) on every send; with 2 * nslots its cached copy
	 * stays good for nslots items (bench_ring, batch 1: 3.3 -> 7.1 M/s).
	 */
	l->entries = g->nslots * 2;
	ring_bytes = (size_t)l->entries * sizeof(struct ring_sdesc);
	l->work_off = align_up(sizeof(struct ring_hdr), CACHELINE);
	l->done_off = l->work_off + sizeof(struct ring_ctl);
	l->owner_off = l->done_off + sizeof(struct ring_ctl);
	l->work_desc_off = align_up(l->owner_off + g->nslots, CACHELINE);
	l->done_desc_off = align_up(l->work_desc_off + ring_bytes, CACHELINE);
	l->pool_off = align_up(l->done_desc_off + ring_bytes, RING_PAGE);
	l->total_bytes = align_up(l->pool_off +
	    (size_t)g->nslots * g->slot_bytes, RING_PAGE);
	return 0;
}

/* ---- the header: written once by the supervisor, checked on attach ---- */

uint64_t
ring_hdr_check(const uint8_t raw[sizeof(struct ring_hdr)])
{
	const size_t at = offsetof(struct ring_hdr, rh_check);
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a 64 offset basis */
	size_t i;

	for (i = 0; i < sizeof(struct ring_hdr); i++) {
		h ^= i >= at && i < at + 8 ? 0 : raw[i];
		h *= 0x100000001b3ull;		/* FNV prime */
	}
	return h;
}

static int
hdr_encode(uint8_t *raw, size_t len, const struct ring_geom *g,
    const struct ring_layout *l, const char *name,
    const uint8_t uuid[RING_UUID_LEN])
{
	uint8_t namebuf[RING_NAME_MAX + 1] = { 0 };
	struct wr w;
	int error = 0;

	if (strlen(name) >= sizeof(namebuf))
		return -EINVAL;
	memcpy(namebuf, name, strlen(name) + 1);
	wr_init(&w, raw, len);
	error |= wr_le32(&w, RING_MAGIC);
	error |= wr_le32(&w, RING_VERSION);
	error |= wr_le32(&w, (uint32_t)sizeof(struct ring_hdr));
	error |= wr_le32(&w, l->entries);
	error |= wr_le32(&w, g->nslots);
	error |= wr_le32(&w, g->slot_bytes);
	error |= wr_le32(&w, g->headroom);
	error |= wr_le32(&w, g->tailroom);
	error |= wr_le64(&w, l->total_bytes);
	error |= wr_le64(&w, l->owner_off);
	error |= wr_le64(&w, l->work_off);
	error |= wr_le64(&w, l->done_off);
	error |= wr_le64(&w, l->work_desc_off);
	error |= wr_le64(&w, l->done_desc_off);
	error |= wr_le64(&w, l->pool_off);
	error |= wr_bytes(&w, uuid, RING_UUID_LEN);
	error |= wr_bytes(&w, namebuf, sizeof(namebuf));
	/* rh_check is computed last; rh_reserved stays zero. */
	error |= wr_zero(&w, len - w.used);
	if (error != 0)
		return -EMSGSIZE;
	wr_init(&w, raw + offsetof(struct ring_hdr, rh_check), 8);
	return wr_le64(&w, ring_hdr_check(raw)) != 0 ? -EMSGSIZE : 0;
}

/* Parse a private copy of the header bytes, field by field, in order. */
static int
hdr_parse(const uint8_t *raw, size_t len, struct ring_hdr *h)
{
	struct rd r;
	int error = 0;

	rd_init(&r, raw, len);
	error |= rd_le32(&r, &h->rh_magic);
	error |= rd_le32(&r, &h->rh_version);
	error |= rd_le32(&r, &h->rh_hdr_bytes);
	error |= rd_le32(&r, &h->rh_entries);
	error |= rd_le32(&r, &h->rh_geom.nslots);
	error |= rd_le32(&r, &h->rh_geom.slot_bytes);
	error |= rd_le32(&r, &h->rh_geom.headroom);
	error |= rd_le32(&r, &h->rh_geom.tailroom);
	error |= rd_le64(&r, &h->rh_total_bytes);
	error |= rd_le64(&r, &h->rh_owner_off);
	error |= rd_le64(&r, &h->rh_work_off);
	error |= rd_le64(&r, &h->rh_done_off);
	error |= rd_le64(&r, &h->rh_work_desc_off);
	error |= rd_le64(&r, &h->rh_done_desc_off);
	error |= rd_le64(&r, &h->rh_pool_off);
	error |= rd_bytes(&r, h->rh_uuid, sizeof(h->rh_uuid));
	error |= rd_bytes(&r, h->rh_name, sizeof(h->rh_name));
	error |= rd_le64(&r, &h->rh_check);
	error |= rd_bytes(&r, h->rh_reserved, sizeof(h->rh_reserved));
	if (error != 0 || !rd_empty(&r))
		return -EPROTO;
	return 0;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static int
refuse(int error, const char *why)
{
	log_warnx("ring: attach refused: %s", why);
	return error;
}

/* Format: is this an intact version-1 ring header? (-EPROTO) */
static int
hdr_check_format(const struct ring_hdr *h, const uint8_t *raw)
{
	if (h->rh_magic != RING_MAGIC)
		return refuse(-EPROTO, "bad magic");
	if (h->rh_version != RING_VERSION)
		return refuse(-EPROTO, "unsupported version");
	if (h->rh_check != ring_hdr_check(raw))
		return refuse(-EPROTO, "header checksum");
	if (h->rh_hdr_bytes != sizeof(struct ring_hdr))
		return refuse(-EPROTO, "bad header size");
	if (memchr(h->rh_name, '\0', sizeof(h->rh_name)) == NULL)
		return refuse(-EPROTO, "name not terminated");
	if (!all_zero(h->rh_reserved, sizeof(h->rh_reserved)))
		return refuse(-EPROTO, "reserved bytes set");
	return 0;
}

/* Geometry: does every figure follow from the geometry? (-EINVAL) */
static int
hdr_check_layout(const struct ring_hdr *h, uint64_t file_bytes,
    struct ring_layout *l)
{
	if (ring_layout_compute(&h->rh_geom, l) != 0)
		return refuse(-EINVAL, "bad geometry");
	if (h->rh_entries != l->entries)
		return refuse(-EINVAL, "ring entries do not match geometry");
	if (h->rh_owner_off != l->owner_off || h->rh_work_off != l->work_off ||
	    h->rh_done_off != l->done_off ||
	    h->rh_work_desc_off != l->work_desc_off ||
	    h->rh_done_desc_off != l->done_desc_off ||
	    h->rh_pool_off != l->pool_off)
		return refuse(-EINVAL, "offsets do not match geometry");
	if (h->rh_total_bytes != l->total_bytes)
		return refuse(-EINVAL, "total size does not match geometry");
	if (file_bytes != l->total_bytes)
		return refuse(-EINVAL, "total size does not match the file");
	return 0;
}

/* ---- supervisor ---- */

int
ring_region_create(const struct ring_geom *g, const char *name,
    const uint8_t uuid[RING_UUID_LEN], int *memfd)
{
	uint8_t raw[sizeof(struct ring_hdr)] = { 0 };
	struct ring_layout l;
	char fdname[64];
	uint8_t *base;
	size_t i;
	int error, fd;

	if (name == NULL || uuid == NULL || memfd == NULL ||
	    strlen(name) > RING_NAME_MAX)
		return -EINVAL;
	if ((error = ring_layout_compute(g, &l)) != 0)
		return error;
	if ((error = hdr_encode(raw, sizeof(raw), g, &l, name, uuid)) != 0)
		return error;
	snprintf(fdname, sizeof(fdname), "parapet-ring:%s", name);
	if ((fd = memfd_create(fdname, MFD_ALLOW_SEALING | MFD_CLOEXEC)) < 0)
		return -errno;
	if (ftruncate(fd, (off_t)l.total_bytes) != 0) {
		error = -errno;
		goto fail;
	}
	base = mmap(NULL, l.total_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (base == MAP_FAILED) {
		error = -errno;
		goto fail;
	}
	/* A fresh file is zero: indices 0, rings empty, no one asleep. */
	memcpy(base, raw, sizeof(raw));
	for (i = 0; i < g->nslots; i++)
		base[l.owner_off + i] = RING_OWNER_A;	/* A owns the pool */
	munmap(base, l.total_bytes);
	/* Sealed size: no peer can shrink the file under a mapping (SIGBUS). */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) !=
	    0) {
		error = -errno;
		goto fail;
	}
	*memfd = fd;
	return 0;
fail:
	close(fd);
	return error;
}

int
ring_doorbells_create(int efd[2])
{
	int error;

	if ((efd[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return -errno;
	if ((efd[1] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		error = -errno;
		close(efd[0]);
		efd[0] = -1;
		return error;
	}
	return 0;
}

/* ---- attach ---- */

/* fstat, seals, mmap and header checks; fills r->base/size/geom/lay. */
static int
map_region(struct ring_region *r, int memfd)
{
	uint8_t raw[sizeof(struct ring_hdr)];
	struct ring_hdr h;
	struct stat st;
	int error, seals;

	if (fstat(memfd, &st) != 0)
		return -errno;
	if (st.st_size < (off_t)sizeof(raw))
		return refuse(-EPROTO, "file shorter than a header");
	if ((uint64_t)st.st_size > SIZE_MAX)
		return refuse(-EINVAL, "file too large");
	if ((seals = fcntl(memfd, F_GET_SEALS)) < 0)
		return refuse(-EINVAL, "not a sealable memfd");
	if ((seals & (F_SEAL_SHRINK | F_SEAL_GROW)) !=
	    (F_SEAL_SHRINK | F_SEAL_GROW))
		return refuse(-EINVAL, "size not sealed");
	r->size = (size_t)st.st_size;
	r->base = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_POPULATE, memfd, 0);
	if (r->base == MAP_FAILED) {
		r->base = NULL;
		return -errno;
	}
	/*
	 * Copy the header out once; everything below looks at the copy. The
	 * fence keeps the compiler from re-reading shared memory in its place.
	 */
	memcpy(raw, r->base, sizeof(raw));
	atomic_signal_fence(memory_order_seq_cst);
	if ((error = hdr_parse(raw, sizeof(raw), &h)) != 0 ||
	    (error = hdr_check_format(&h, raw)) != 0 ||
	    (error = hdr_check_layout(&h, (uint64_t)st.st_size, &r->lay)) !=
		0) {
		munmap(r->base, r->size);
		r->base = NULL;
		return error;
	}
	r->geom = h.rh_geom;
	r->mask = r->lay.entries - 1;
	memcpy(r->uuid, h.rh_uuid, sizeof(r->uuid));
	return 0;
}

/* Point the views at the region; `in` is what we consume. */
static void
wire(struct ring_region *r)
{
	struct ring_ctl *work, *done;
	struct ring_sdesc *work_desc, *done_desc;

	work = (struct ring_ctl *)(void *)(r->base + r->lay.work_off);
	done = (struct ring_ctl *)(void *)(r->base + r->lay.done_off);
	work_desc = (struct ring_sdesc *)(void *)(r->base +
	    r->lay.work_desc_off);
	done_desc = (struct ring_sdesc *)(void *)(r->base +
	    r->lay.done_desc_off);
	r->owner = (_Atomic uint8_t *)(void *)(r->base + r->lay.owner_off);
	r->pool = r->base + r->lay.pool_off;
	if (r->side == RING_SIDE_A) {
		r->me = RING_OWNER_A;
		r->out = work;
		r->out_desc = work_desc;
		r->in = done;
		r->in_desc = done_desc;
	} else {
		r->me = RING_OWNER_B;
		r->out = done;
		r->out_desc = done_desc;
		r->in = work;
		r->in_desc = work_desc;
	}
}

/*
 * Recovery, step 1: mark every slot named by a descriptor that is still in
 * ring `c`. Both indices are loaded with acquire before any owner word is
 * read (docs/DESIGN.md §10.4, "Recovery"); of the two, only the live peer's
 * moves, and the entries between them are not rewritten while we look.
 */
static int
mark_ring(struct ring_region *r, struct ring_ctl *c, struct ring_sdesc *sd,
    uint8_t *member)
{
	uint32_t cons, prod, i, slot;

	cons = atomic_load_explicit(&c->rc_cons, memory_order_acquire);
	prod = atomic_load_explicit(&c->rc_prod, memory_order_acquire);
	if (prod - cons > r->lay.entries)
		return refuse(-EPROTO, "ring indices corrupted");
	for (i = cons; i != prod; i++) {
		slot = (uint32_t)atomic_load_explicit(&sd[i & r->mask].rs_w0,
		    memory_order_relaxed);
		if (slot < r->geom.nslots)
			member[slot] = 1;
	}
	return 0;
}

/*
 * Recovery, step 2: the rule for one slot that is in no ring, as a table
 * row: (side, owner word) -> our state. A slot in a ring is SLOT_PEER for
 * both sides (it will be received again).
 */
static enum slot_state
classify(enum ring_side side, uint8_t owner, bool *bad)
{
	*bad = owner != RING_OWNER_A && owner != RING_OWNER_B;
	if (side == RING_SIDE_A)
		/* Ours (free or held by the dead A); a broken word too. */
		return owner == RING_OWNER_B ? SLOT_PEER : SLOT_FREE;
	/* B: held by the dead B -> returned as aborted; else not ours. */
	return owner == RING_OWNER_B ? SLOT_HELD : SLOT_PEER;
}

/* Side B: send every reclaimed (held) slot back to A, result aborted. */
static int
return_reclaimed(struct ring_region *r)
{
	struct ring_desc d[RECOVER_BATCH];
	uint32_t s;
	unsigned n = 0;
	int error;

	for (s = 0; s < r->geom.nslots; s++) {
		if (r->state[s] != SLOT_HELD)
			continue;
		d[n] = (struct ring_desc){ .slot = s, .result = -ECONNABORTED,
		    .flags = RING_F_RECOVERED };
		if (++n < RECOVER_BATCH)
			continue;
		if ((error = ring_send(r, d, n)) != 0)
			return error;
		n = 0;
	}
	return n != 0 ? ring_send(r, d, n) : 0;
}

static int
recover(struct ring_region *r)
{
	uint8_t *member, owner;
	uint32_t s, n = r->geom.nslots;
	bool bad;
	int error;

	if ((member = calloc(n, 1)) == NULL)
		return -ENOMEM;
	if ((error = mark_ring(r, r->out, r->out_desc, member)) != 0 ||
	    (error = mark_ring(r, r->in, r->in_desc, member)) != 0)
		goto out;
	for (s = 0; s < n; s++) {
		if (member[s]) {
			r->state[s] = SLOT_PEER;
			continue;
		}
		owner = atomic_load_explicit(&r->owner[s],
		    memory_order_relaxed);
		r->state[s] = (uint8_t)classify(r->side, owner, &bad);
		r->stats.bad_owner += bad;
		if (bad && r->side == RING_SIDE_A)
			atomic_store_explicit(&r->owner[s], RING_OWNER_A,
			    memory_order_relaxed);
		if (r->state[s] == SLOT_HELD)
			r->nheld++;
	}
	/* Side A: the free list, lowest slot on top. */
	for (s = n; s-- > 0;)
		if (r->state[s] == SLOT_FREE)
			r->freelist[r->nfree++] = s;
	r->stats.reclaimed = r->side == RING_SIDE_A ? r->nfree : r->nheld;
	if (r->side == RING_SIDE_B)
		error = return_reclaimed(r);
out:
	free(member);
	return error;
}

/* Our indices from the region (only we move them), peer caches primed. */
static void
load_indices(struct ring_region *r)
{
	r->out_prod = atomic_load_explicit(&r->out->rc_prod,
	    memory_order_relaxed);
	r->out_cons = atomic_load_explicit(&r->out->rc_cons,
	    memory_order_acquire);
	r->in_cons = atomic_load_explicit(&r->in->rc_cons,
	    memory_order_relaxed);
	r->in_prod = r->in_cons;
	/* A sleep our predecessor announced is not ours. */
	atomic_store_explicit(&r->in->rc_sleeping, 0, memory_order_relaxed);
}

static int
alloc_private(struct ring_region *r, const int efd[2])
{
	r->efd_in = r->efd_out = -1;
	/* map_region() accepted the geometry, so nslots >= 1. */
	/* NOLINTNEXTLINE(clang-analyzer-optin.portability.UnixAPI) */
	if ((r->state = calloc(r->geom.nslots, 1)) == NULL)
		return -ENOMEM;
	if (r->side == RING_SIDE_A &&
	    (r->freelist = calloc(r->geom.nslots, sizeof(uint32_t))) == NULL)
		return -ENOMEM;
	r->efd_in = fcntl(efd[r->side == RING_SIDE_A ? 1 : 0], F_DUPFD_CLOEXEC,
	    0);
	if (r->efd_in < 0)
		return -errno;
	r->efd_out = fcntl(efd[r->side == RING_SIDE_A ? 0 : 1],
	    F_DUPFD_CLOEXEC, 0);
	if (r->efd_out < 0)
		return -errno;
	return 0;
}

int
ring_region_attach(struct ring_region **rp, int memfd, enum ring_side side,
    const int efd[2])
{
	struct ring_region *r;
	int error;

	*rp = NULL;
	if ((side != RING_SIDE_A && side != RING_SIDE_B) || efd == NULL)
		return -EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	r->side = side;
	r->efd_in = r->efd_out = -1;
	if ((error = map_region(r, memfd)) != 0)
		goto fail;
	if ((error = alloc_private(r, efd)) != 0)
		goto fail;
	wire(r);
	load_indices(r);
	if ((error = recover(r)) != 0)
		goto fail;
	/*
	 * A predecessor that died between publishing and ringing left the
	 * peer asleep over work: ring if the peer announced sleep (at worst
	 * one spurious wake-up).
	 */
	ring_bell(r);
	log_debug("ring: attached as side %c: %u slots, %u reclaimed",
	    r->me, r->geom.nslots, r->stats.reclaimed);
	*rp = r;
	return 0;
fail:
	ring_region_detach(r);
	return error;
}

/* Slots stay where they are: a re-attach of this side recovers them. */
void
ring_region_detach(struct ring_region *r)
{
	if (r == NULL)
		return;
	if (r->efd_out >= 0)
		close(r->efd_out);
	if (r->efd_in >= 0)
		close(r->efd_in);
	free(r->freelist);
	free(r->state);
	if (r->base != NULL)
		munmap(r->base, r->size);
	free(r);
}

const uint8_t *
ring_region_uuid(const struct ring_region *r)
{
	return r->uuid;
}

size_t
ring_region_size(const struct ring_region *r)
{
	return r->size;
}

const void *
ring_region_pool(const struct ring_region *r, size_t *len)
{
	*len = (size_t)r->geom.nslots * r->geom.slot_bytes;
	return r->pool;
}

const struct ring_geom *
ring_region_geom(const struct ring_region *r)
{
	return &r->geom;
}

enum ring_side
ring_region_side(const struct ring_region *r)
{
	return r->side;
}

const struct ring_stats *
ring_region_stats(const struct ring_region *r)
{
	return &r->stats;
}

void
ring_slot_counts(const struct ring_region *r, struct ring_slot_counts *c)
{
	c->free = r->nfree;
	c->held = r->nheld;
	c->peer = r->geom.nslots - r->nfree - r->nheld;
}
