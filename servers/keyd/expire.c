/*
 * expire.c - SA states and lifetimes: the transition table, the deadline
 * heap, usage reports and expiry (sadb.h). Pure: the time is an argument
 * and outcomes go to the caller's emit callback.
 *
 * One heap entry per SA holds its earliest deadline: the larval timeout,
 * or the soonest of the hard add/use times and (while MATURE) the soft
 * ones. Byte and allocation limits are checked when usage is reported;
 * they need no deadline.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sadb_impl.h"

/* --- States ------------------------------------------------------------ */

#define X	(-1)
static const int8_t state_next[SA_STATE_COUNT][SA_OP_COUNT] = {
	/*		    UPDATE	  USE		SOFT	  HARD */
	/*		    LARVAL_TIMEOUT DELETE */
	[SA_STATE_LARVAL] = { SA_STATE_MATURE, X, X, X,
			      SA_STATE_DEAD, SA_STATE_DEAD },
	[SA_STATE_MATURE] = { SA_STATE_MATURE, SA_STATE_MATURE,
			      SA_STATE_DYING, SA_STATE_DEAD,
			      X, SA_STATE_DEAD },
	[SA_STATE_DYING] = { SA_STATE_DYING, SA_STATE_DYING, X, SA_STATE_DEAD,
			      X, SA_STATE_DEAD },
	[SA_STATE_DEAD] = { X, X, X, X, X, X },
};
#undef X
_Static_assert(nitems(state_next) == SA_STATE_COUNT, "state_next");
_Static_assert(nitems(state_next[0]) == SA_OP_COUNT, "state_next ops");

int
sadb_state_next(enum sa_state s, enum sa_op op)
{
	if ((unsigned)s >= SA_STATE_COUNT || (unsigned)op >= SA_OP_COUNT)
		return -EINVAL;
	return state_next[s][op] < 0 ? -EINVAL : state_next[s][op];
}

/* --- The deadline heap -------------------------------------------------- */

static void
heap_place(struct sadb *db, uint32_t i, struct heap_ent e)
{
	db->heap[i] = e;
	e.sa->heap_idx = i;
}

static void
heap_up(struct sadb *db, uint32_t i)
{
	struct heap_ent e = db->heap[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (db->heap[parent].when_ms <= e.when_ms)
			break;
		heap_place(db, i, db->heap[parent]);
		i = parent;
	}
	heap_place(db, i, e);
}

static void
heap_down(struct sadb *db, uint32_t i)
{
	struct heap_ent e = db->heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= db->heap_n)
			break;
		if (c + 1 < db->heap_n &&
		    db->heap[c + 1].when_ms < db->heap[c].when_ms)
			c++;
		if (e.when_ms <= db->heap[c].when_ms)
			break;
		heap_place(db, i, db->heap[c]);
		i = c;
	}
	heap_place(db, i, e);
}

void
sadb_heap_remove(struct sadb *db, struct sadb_sa *sa)
{
	uint32_t i = sa->heap_idx;
	struct sadb_sa *moved;

	if (i == NO_HEAP)
		return;
	sa->heap_idx = NO_HEAP;
	if (--db->heap_n == i)
		return;
	moved = db->heap[db->heap_n].sa;
	heap_place(db, i, db->heap[db->heap_n]);
	heap_up(db, i);
	heap_down(db, moved->heap_idx);
}

/* The heap has room for every SA: sized on insertion into the SADB. */
int
sadb_heap_reserve(struct sadb *db, size_t n)
{
	struct heap_ent *v;
	size_t cap;

	if (n <= db->heap_cap)
		return 0;
	if (n > UINT32_MAX - 1)
		return -ENOBUFS;
	cap = db->heap_cap != 0 ? (size_t)db->heap_cap * 2 : 64;
	if (cap > UINT32_MAX - 1)
		cap = UINT32_MAX - 1;
	v = realloc(db->heap, cap * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	db->heap = v;
	db->heap_cap = (uint32_t)cap;
	return 0;
}

static void
heap_set(struct sadb *db, struct sadb_sa *sa, uint64_t when_ms)
{
	struct heap_ent e = { when_ms, sa };

	if (when_ms == UINT64_MAX) {
		sadb_heap_remove(db, sa);
		return;
	}
	if (sa->heap_idx == NO_HEAP) {
		heap_place(db, db->heap_n++, e);
		heap_up(db, db->heap_n - 1);
		return;
	}
	db->heap[sa->heap_idx].when_ms = when_ms;
	heap_up(db, sa->heap_idx);
	heap_down(db, sa->heap_idx);
}

/* t + secs seconds, saturating; 0 seconds means "no limit". */
static uint64_t
after_s(uint64_t t_ms, uint64_t secs)
{
	if (secs == 0)
		return UINT64_MAX;
	if (secs > (UINT64_MAX - t_ms) / 1000)
		return UINT64_MAX - 1;
	return t_ms + secs * 1000;
}

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static bool
has(const struct sadb_sa *sa, unsigned int ext)
{
	return (sa->present & BIT(ext)) != 0;
}

/* Hard time deadline, and the soft one while it still matters. */
static uint64_t
hard_deadline(const struct sadb_sa *sa, enum sa_trigger *why)
{
	uint64_t a = UINT64_MAX, u = UINT64_MAX;

	if (has(sa, PARAPET_SADB_EXT_LIFETIME_HARD)) {
		a = after_s(sa->add_ms, sa->hard.addtime);
		if (sa->used)
			u = after_s(sa->use_ms, sa->hard.usetime);
	}
	*why = a <= u ? SA_TRIGGER_ADDTIME : SA_TRIGGER_USETIME;
	return min64(a, u);
}

static uint64_t
soft_deadline(const struct sadb_sa *sa, enum sa_trigger *why)
{
	uint64_t a = UINT64_MAX, u = UINT64_MAX;

	if (sa->sa.state == SA_STATE_MATURE &&
	    has(sa, PARAPET_SADB_EXT_LIFETIME_SOFT)) {
		a = after_s(sa->add_ms, sa->soft.addtime);
		if (sa->used)
			u = after_s(sa->use_ms, sa->soft.usetime);
	}
	*why = a <= u ? SA_TRIGGER_ADDTIME : SA_TRIGGER_USETIME;
	return min64(a, u);
}

static uint64_t
larval_deadline(const struct sadb *db, const struct sadb_sa *sa)
{
	return sa->add_ms > UINT64_MAX - 1 - db->lim.larval_timeout_ms ?
	    UINT64_MAX - 1 : sa->add_ms + db->lim.larval_timeout_ms;
}

void
sadb_reschedule(struct sadb *db, struct sadb_sa *sa)
{
	enum sa_trigger why;

	if (sa->sa.state == SA_STATE_LARVAL)
		heap_set(db, sa, larval_deadline(db, sa));
	else
		heap_set(db, sa, min64(hard_deadline(sa, &why),
		    soft_deadline(sa, &why)));
}

/* --- Lifetimes ---------------------------------------------------------- */

static void
emit_event(sadb_emit_fn *emit, void *arg, enum sa_event_kind kind,
    enum sa_trigger trigger, const struct sadb_sa *sa)
{
	struct sa_event ev = { kind, trigger, sa };

	if (emit != NULL)
		emit(&ev, arg);
}

/* Hard: DEAD, tell, free. */
static void
fire_hard(struct sadb *db, struct sadb_sa *sa, enum sa_trigger why,
    sadb_emit_fn *emit, void *arg)
{
	sa->sa.state = SA_STATE_DEAD;
	emit_event(emit, arg, SA_EVENT_HARD, why, sa);
	sadb_sa_destroy(db, sa);
}

static void
fire_soft(struct sadb *db, struct sadb_sa *sa, enum sa_trigger why,
    sadb_emit_fn *emit, void *arg)
{
	sa->sa.state = SA_STATE_DYING;
	sadb_reschedule(db, sa);
	sadb_persist_changed(db, sa);
	emit_event(emit, arg, SA_EVENT_SOFT, why, sa);
}

int
sadb_use(struct sadb *db, struct sadb_sa *sa, uint64_t bytes,
    uint32_t allocations, uint64_t now_ms, sadb_emit_fn *emit, void *arg,
    enum sa_state *state_out)
{
	bool hard_lft = has(sa, PARAPET_SADB_EXT_LIFETIME_HARD);
	bool soft_lft = has(sa, PARAPET_SADB_EXT_LIFETIME_SOFT);
	int next;

	*state_out = (enum sa_state)sa->sa.state;
	if ((next = sadb_state_next((enum sa_state)sa->sa.state,
	    SA_OP_USE)) < 0)
		return next;
	sa->cur_bytes = bytes > UINT64_MAX - sa->cur_bytes ? UINT64_MAX :
	    sa->cur_bytes + bytes;
	sa->cur_allocs = allocations > UINT32_MAX - sa->cur_allocs ?
	    UINT32_MAX : sa->cur_allocs + allocations;
	if (!sa->used && (bytes != 0 || allocations != 0)) {
		sa->used = true;
		sa->use_ms = now_ms;
		sadb_reschedule(db, sa);
	}
	/* Linux xfrm_state_check_expire(): limit <= current fires. */
	if (hard_lft && sa->hard.bytes != 0 && sa->cur_bytes >= sa->hard.bytes) {
		fire_hard(db, sa, SA_TRIGGER_BYTES, emit, arg);
		*state_out = SA_STATE_DEAD;
		return 0;
	}
	if (hard_lft && sa->hard.allocations != 0 &&
	    sa->cur_allocs >= sa->hard.allocations) {
		fire_hard(db, sa, SA_TRIGGER_ALLOCATIONS, emit, arg);
		*state_out = SA_STATE_DEAD;
		return 0;
	}
	if (soft_lft && sa->sa.state == SA_STATE_MATURE) {
		if (sa->soft.bytes != 0 && sa->cur_bytes >= sa->soft.bytes)
			fire_soft(db, sa, SA_TRIGGER_BYTES, emit, arg);
		else if (sa->soft.allocations != 0 &&
		    sa->cur_allocs >= sa->soft.allocations)
			fire_soft(db, sa, SA_TRIGGER_ALLOCATIONS, emit, arg);
	}
	*state_out = (enum sa_state)sa->sa.state;
	sadb_persist_changed(db, sa);
	return 0;
}

uint64_t
sadb_next_deadline(const struct sadb *db)
{
	return db->heap_n == 0 ? UINT64_MAX : db->heap[0].when_ms;
}

size_t
sadb_expire(struct sadb *db, uint64_t now_ms, sadb_emit_fn *emit, void *arg)
{
	enum sa_trigger why;
	struct sadb_sa *sa;
	size_t n = 0;

	while (db->heap_n != 0 && db->heap[0].when_ms <= now_ms) {
		sa = db->heap[0].sa;
		if (sa->sa.state == SA_STATE_LARVAL) {
			fire_hard(db, sa, SA_TRIGGER_LARVAL, emit, arg);
		} else if (hard_deadline(sa, &why) <= now_ms) {
			fire_hard(db, sa, why, emit, arg);
		} else if (soft_deadline(sa, &why) <= now_ms) {
			fire_soft(db, sa, why, emit, arg);
		} else {
			/* Cannot happen: the heap holds the minimum. */
			sadb_reschedule(db, sa);
			continue;
		}
		n++;
	}
	return n;
}
