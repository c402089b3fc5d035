/*
 * ring.c - shared-memory packet rings between netd and ipsecd (DESIGN §2);
 * the API is in ring.h, the design and the recovery argument in
 * docs/DESIGN.md §10.4.
 *
 * This half (the data path) moves descriptors over the two SPSC rings,
 * keeps each slot's owner word current, and rings and drains the eventfd
 * doorbells; ring_region.c formats, attaches and recovers. It leaves to
 * others what packets and descriptor ops mean (the netd/ipsecd protocol),
 * creating and passing the descriptors (the supervisor) and the event loop
 * (the shells). It never reads a clock.
 *
 * Untrusted: the whole region, which the peer can write at any time. The
 * header is copied out once and parsed with a cursor; each descriptor word
 * is loaded once and the copy validated; indices are checked against the
 * ring size before use; slot bytes are never interpreted here.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "ring.h"
#include "ring_impl.h"

/* ---- slots ---- */

int
ring_slot_alloc(struct ring_region *r, uint32_t *slot)
{
	if (r->side != RING_SIDE_A)
		return -EINVAL;
	if (r->nfree == 0)
		return -ENOBUFS;
	*slot = r->freelist[--r->nfree];
	r->state[*slot] = SLOT_HELD;
	r->nheld++;
	return 0;
}

unsigned
ring_slot_alloc_n(struct ring_region *r, uint32_t *slots, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (ring_slot_alloc(r, &slots[i]) != 0)
			break;
	return i;
}

int
ring_slot_free(struct ring_region *r, uint32_t slot)
{
	if (r->side != RING_SIDE_A || slot >= r->geom.nslots ||
	    r->state[slot] != SLOT_HELD)
		return -EINVAL;
	r->state[slot] = SLOT_FREE;
	r->nheld--;
	r->freelist[r->nfree++] = slot;
	return 0;
}

uint8_t *
ring_slot(const struct ring_region *r, uint32_t slot)
{
	if (slot >= r->geom.nslots)
		return NULL;
	return r->pool + (size_t)slot * r->geom.slot_bytes;
}

static bool
desc_fits(const struct ring_region *r, const struct ring_desc *d)
{
	return d->slot < r->geom.nslots &&
	    (uint32_t)d->off + d->len <= r->geom.slot_bytes;
}

uint8_t *
ring_desc_data(const struct ring_region *r, const struct ring_desc *d)
{
	if (!desc_fits(r, d))
		return NULL;
	return r->pool + (size_t)d->slot * r->geom.slot_bytes + d->off;
}

/* ---- descriptors in shared memory ---- */

static inline void
desc_store(struct ring_sdesc *s, const struct ring_desc *d)
{
	uint64_t w0, w1;

	w0 = (uint64_t)d->slot | (uint64_t)d->off << 32 |
	    (uint64_t)d->len << 48;
	w1 = (uint64_t)d->op | (uint64_t)d->flags << 8 |
	    (uint64_t)(uint16_t)d->result << 16 | (uint64_t)d->hint << 32;
	atomic_store_explicit(&s->rs_w0, w0, memory_order_relaxed);
	atomic_store_explicit(&s->rs_w1, w1, memory_order_relaxed);
}

/* Each shared word is loaded exactly once; d is the copy we validate. */
static inline void
desc_load(struct ring_sdesc *s, struct ring_desc *d)
{
	uint64_t w0, w1;

	w0 = atomic_load_explicit(&s->rs_w0, memory_order_relaxed);
	w1 = atomic_load_explicit(&s->rs_w1, memory_order_relaxed);
	d->slot = (uint32_t)w0;
	d->off = (uint16_t)(w0 >> 32);
	d->len = (uint16_t)(w0 >> 48);
	d->op = (uint8_t)w1;
	d->flags = (uint8_t)(w1 >> 8);
	d->result = (int16_t)(uint16_t)(w1 >> 16);
	d->hint = (uint32_t)(w1 >> 32);
}

/* ---- sending ---- */

/* Room for n more on our outbound ring; refresh the peer's index if short. */
static int
out_room(struct ring_region *r, unsigned n)
{
	uint32_t cons;

	if (r->lay.entries - (r->out_prod - r->out_cons) >= n)
		return 0;
	/* Acquire: the consumer's reads of those entries happened before. */
	cons = atomic_load_explicit(&r->out->rc_cons, memory_order_acquire);
	if (r->out_prod - cons > r->lay.entries)
		return -EPROTO;
	r->out_cons = cons;
	return r->lay.entries - (r->out_prod - cons) >= n ? 0 : -ENOBUFS;
}

/* Check all n and move them held -> peer; on any failure undo, -EINVAL. */
static int
claim_batch(struct ring_region *r, const struct ring_desc *d, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (!desc_fits(r, &d[i]) || r->state[d[i].slot] != SLOT_HELD)
			break;
		r->state[d[i].slot] = SLOT_PEER;
	}
	if (i == n)
		return 0;
	while (i-- > 0)
		r->state[d[i].slot] = SLOT_HELD;
	return -EINVAL;
}

/*
 * Doorbell, producer half. Together with ring_sleep_prepare() this is
 * Dekker's pattern: we store rc_prod, fence, load rc_sleeping; the consumer
 * stores rc_sleeping, fences, loads rc_prod. The two seq_cst fences are
 * totally ordered, so at least one side sees the other's store: either the
 * consumer sees our descriptors and does not sleep, or we see its flag and
 * ring. The exchange makes the ring once per announced sleep.
 */
void
ring_bell(struct ring_region *r)
{
	uint64_t one = 1;

	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&r->out->rc_sleeping, memory_order_relaxed) ==
	    0)
		return;
	if (atomic_exchange_explicit(&r->out->rc_sleeping, 0,
		memory_order_relaxed) == 0)
		return;
	/* Failure means a counter near 2^64: the peer is awake anyway. */
	if (write(r->efd_out, &one, sizeof(one)) == (ssize_t)sizeof(one))
		r->stats.bells++;
}

int
ring_send(struct ring_region *r, const struct ring_desc *d, unsigned n)
{
	unsigned i;
	int error;

	if (n == 0)
		return 0;
	if (n > r->lay.entries)
		return -EINVAL;
	if ((error = out_room(r, n)) != 0)
		return error;
	if ((error = claim_batch(r, d, n)) != 0)
		return error;
	/*
	 * The owner words of these slots already name us (set when we
	 * received or were given them) and we do not touch them again: after
	 * the release below they belong to the ring, then to the peer.
	 */
	for (i = 0; i < n; i++)
		desc_store(&r->out_desc[(r->out_prod + i) & r->mask], &d[i]);
	r->out_prod += n;
	atomic_store_explicit(&r->out->rc_prod, r->out_prod,
	    memory_order_release);
	r->nheld -= n;
	r->stats.sent += n;
	ring_bell(r);
	return 0;
}

/* ---- receiving ---- */

/* Inbound entries available, refreshing the peer's index if < want. */
static int
in_avail(struct ring_region *r, unsigned want, uint32_t *avail)
{
	uint32_t prod, n = r->in_prod - r->in_cons;

	if (n >= want) {
		*avail = n;
		return 0;
	}
	/* Acquire: pairs with the producer's release; entries are written. */
	prod = atomic_load_explicit(&r->in->rc_prod, memory_order_acquire);
	if (prod - r->in_cons > r->lay.entries)
		return -EPROTO;
	r->in_prod = prod;
	*avail = prod - r->in_cons;
	return 0;
}

/* Validate our copy of one inbound descriptor and claim its slot. */
static bool
accept(struct ring_region *r, struct ring_desc *d)
{
	if (d->slot >= r->geom.nslots) {
		r->stats.bad_slot++;
		log_rl_warnx(&r->rl, "ring: dropped descriptor: slot %u of %u",
		    d->slot, r->geom.nslots);
		return false;
	}
	if (r->state[d->slot] != SLOT_PEER) {
		r->stats.not_ours++;
		log_rl_warnx(&r->rl, "ring: dropped descriptor: slot %u "
		    "was not in flight to us", d->slot);
		return false;
	}
	/*
	 * Recovery rule: the owner word names us before ring_recv() releases
	 * the entry (the release store of rc_cons orders this store).
	 */
	atomic_store_explicit(&r->owner[d->slot], r->me, memory_order_relaxed);
	r->state[d->slot] = SLOT_HELD;
	r->nheld++;
	if ((uint32_t)d->off + d->len > r->geom.slot_bytes) {
		r->stats.bad_range++;
		log_rl_warnx(&r->rl, "ring: descriptor for slot %u overruns "
		    "it (%u + %u)", d->slot, d->off, d->len);
		d->off = 0;
		d->len = 0;
		d->result = -EBADMSG;
	}
	return true;
}

int
ring_recv(struct ring_region *r, struct ring_desc *d, unsigned max)
{
	struct ring_desc tmp;
	uint32_t avail, i, n;
	unsigned k = 0;
	int error;

	if (max > INT_MAX)
		max = INT_MAX;
	if (max == 0)
		return 0;
	if ((error = in_avail(r, max, &avail)) != 0)
		return error;
	n = avail < max ? avail : max;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		desc_load(&r->in_desc[(r->in_cons + i) & r->mask], &tmp);
		if (accept(r, &tmp))
			d[k++] = tmp;
	}
	r->in_cons += n;
	atomic_store_explicit(&r->in->rc_cons, r->in_cons,
	    memory_order_release);
	r->stats.received += k;
	return (int)k;
}

unsigned
ring_peek(struct ring_region *r, struct ring_desc *d, unsigned max)
{
	uint32_t avail, i, n;

	if (max == 0 || in_avail(r, max, &avail) != 0)
		return 0;
	n = avail < max ? avail : max;
	for (i = 0; i < n; i++)
		desc_load(&r->in_desc[(r->in_cons + i) & r->mask], &d[i]);
	return n;
}

unsigned
ring_pending(struct ring_region *r)
{
	uint32_t avail;

	if (in_avail(r, UINT_MAX, &avail) != 0)
		return 0;
	return avail;
}

/* ---- waiting ---- */

int
ring_wake_fd(const struct ring_region *r)
{
	return r->efd_in;
}

static bool
in_nonempty(struct ring_region *r)
{
	return r->in_prod != r->in_cons ||
	    atomic_load_explicit(&r->in->rc_prod, memory_order_relaxed) !=
	    r->in_cons;
}

bool
ring_spin(struct ring_region *r, uint32_t iters)
{
	uint32_t i;

	for (i = 0; !in_nonempty(r); i++) {
		if (i >= iters)
			return false;
		cpu_relax();
	}
	return true;
}

/* Doorbell, consumer half; see ring_bell() for the argument. */
bool
ring_sleep_prepare(struct ring_region *r)
{
	atomic_store_explicit(&r->in->rc_sleeping, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (in_nonempty(r)) {
		atomic_store_explicit(&r->in->rc_sleeping, 0,
		    memory_order_relaxed);
		return false;
	}
	r->stats.sleeps++;
	return true;
}

void
ring_sleep_finish(struct ring_region *r)
{
	uint64_t v;

	atomic_store_explicit(&r->in->rc_sleeping, 0, memory_order_relaxed);
	/* Non-blocking: EAGAIN just means no one rang. */
	if (read(r->efd_in, &v, sizeof(v)) < 0)
		return;
}

int
ring_wait(struct ring_region *r, uint32_t spin_iters, int timeout_ms)
{
	struct pollfd pfd = { .fd = r->efd_in, .events = POLLIN };
	int n;

	for (;;) {
		if (ring_spin(r, spin_iters) || !ring_sleep_prepare(r))
			return 0;
		n = poll(&pfd, 1, timeout_ms);
		ring_sleep_finish(r);
		if (n == 0)
			return in_nonempty(r) ? 0 : -ETIMEDOUT;
		if (n < 0 && errno != EINTR)
			return -errno;
		/* Rung, or a stale count from a withdrawn sleep: look again. */
	}
}
