/*
 * replay.c - the anti-replay window (RFC 4303 §3.4.3 and Appendix A, in
 * the ring-of-words style of RFC 6479) and the outbound sequence counter.
 * See replay.h for the API and the packet-path order.
 *
 * Input: seq_lo comes from a packet and is untrusted, but it is only ever
 * used as a number (compared, shifted, masked into the ring); every index
 * is masked by the ring size, which replay_win_init() or
 * replay_win_valid() vouched for.
 *
 * Stores to the window and the counter go through st(): one aligned
 * 64-bit atomic store with release order, so neither the compiler nor the
 * CPU moves an earlier store after it. A kill -9 stops a process between
 * two instructions; what it had stored stays stored. The order of the
 * stores is therefore all the crash safety needs (DESIGN §10.11).
 */
#include <errno.h>
#include <stdint.h>

#include "replay.h"

static const char *const verdict_names[REPLAY_VERDICT_COUNT] = {
	[REPLAY_NEW] = "new",
	[REPLAY_FRESH] = "fresh",
	[REPLAY_DUP] = "replay",
	[REPLAY_TOO_OLD] = "too_old",
	[REPLAY_BAD_SEQ] = "bad_seq",
	[REPLAY_WRAPPED] = "seq_wrapped",
};
_Static_assert(nitems(verdict_names) == REPLAY_VERDICT_COUNT, "names");

static inline uint64_t
ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void
st(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

const char *
replay_verdict_name(enum replay_verdict v)
{
	if ((unsigned)v >= REPLAY_VERDICT_COUNT)
		return "unknown";
	return verdict_names[v];
}

uint32_t
replay_window_round(uint32_t window)
{
	if (window > REPLAY_WINDOW_MAX)
		return UINT32_MAX;
	return (window + 31u) & ~31u;
}

/*
 * Ring words for a (rounded) window: a window of W numbers touches at most
 * (W + 62) / 64 + 1 absolute words; the ring is the next power of two, so
 * those words sit in distinct slots and the one that rotates in next is
 * never one the window still needs.
 */
static uint16_t
ring_words(uint32_t window)
{
	uint32_t span, n = 2;

	if (window == 0)
		return 0;
	span = (window + 62u) / 64u + 1u;
	while (n < span)
		n <<= 1;
	return (uint16_t)n;
}

size_t
replay_win_bytes(uint32_t window)
{
	uint32_t w = replay_window_round(window);

	if (w == UINT32_MAX)
		return 0;
	return sizeof(struct replay_win) + (size_t)ring_words(w) * 8u;
}

int
replay_win_init(struct replay_win *rw, size_t bytes, uint32_t window,
    unsigned flags)
{
	uint32_t w = replay_window_round(window);
	uint16_t i, n;

	if (w == UINT32_MAX || (flags & ~REPLAY_F_MASK) != 0)
		return -EINVAL;
	if (w == 0 && (flags & REPLAY_F_ESN) != 0)
		return -EINVAL;
	if (bytes < replay_win_bytes(w))
		return -EMSGSIZE;
	n = ring_words(w);
	rw->rw_window = w;
	rw->rw_nwords = n;
	/* Only ESN matters inbound; CYCLIC is an outbound flag. */
	rw->rw_flags = (uint16_t)(flags & REPLAY_F_ESN);
	for (i = 0; i < n; i++)
		st(&rw->rw_words[i], 0);
	st(&rw->rw_top, 0);
	return 0;
}

bool
replay_win_valid(const struct replay_win *rw, size_t bytes)
{
	uint32_t w;

	if (bytes < sizeof(*rw))
		return false;
	w = rw->rw_window;
	if (w > REPLAY_WINDOW_MAX || w % 32u != 0)
		return false;
	if ((rw->rw_flags & ~REPLAY_F_ESN) != 0)
		return false;
	if (w == 0 && (rw->rw_flags & REPLAY_F_ESN) != 0)
		return false;
	if (rw->rw_nwords != ring_words(w))
		return false;
	return bytes >= replay_win_bytes(w);
}

static inline uint64_t
word_bit(uint64_t s)
{
	return UINT64_C(1) << (s & 63u);
}

static inline uint64_t *
word_of(struct replay_win *rw, uint64_t s)
{
	return &rw->rw_words[(s >> 6) & (uint64_t)(rw->rw_nwords - 1u)];
}

static inline const uint64_t *
cword_of(const struct replay_win *rw, uint64_t s)
{
	return &rw->rw_words[(s >> 6) & (uint64_t)(rw->rw_nwords - 1u)];
}

/* The window rule for a 64-bit number s against T = top. */
static enum replay_verdict
judge(const struct replay_win *rw, uint64_t top, uint64_t s)
{
	if (rw->rw_window == 0)
		return s > top ? REPLAY_NEW : REPLAY_FRESH;
	if (s > top)
		return REPLAY_NEW;
	if (top - s >= rw->rw_window)
		return REPLAY_TOO_OLD;
	if ((ld(cword_of(rw, s)) & word_bit(s)) != 0)
		return REPLAY_DUP;
	return REPLAY_FRESH;
}

/*
 * RFC 4303 Appendix A2.3, the part that decides Seqh, transcribed: Tl, Th
 * are the halves of T, Bl = Tl - W + 1 (mod 2^32) the bottom of the
 * window. Case A (Tl >= W - 1): the window lies in one subspace; a Seql
 * below Bl belongs to the next one. Case B (Tl < W - 1): the window
 * straddles two subspaces; a Seql at or above Bl belongs to the previous
 * one. The window rule then runs on the 64-bit number. Where the RFC's
 * arithmetic wraps Seqh (Th + 1 past 2^32 - 1, Th - 1 below 0) no sender
 * can have sent the number: we drop it before any crypto.
 */
static enum replay_verdict
check_esn(const struct replay_win *rw, uint64_t top, uint32_t seql,
    uint64_t *seq64)
{
	uint32_t tl = (uint32_t)top, th = (uint32_t)(top >> 32);
	uint32_t w = rw->rw_window;
	uint32_t bl = tl - w + 1u;
	uint32_t sh;
	uint64_t s;

	if (w == 0) {			/* replay_win_valid() forbids it */
		*seq64 = seql;
		return REPLAY_BAD_SEQ;
	}
	if (tl >= w - 1u) {				/* case A */
		if (seql >= bl)
			sh = th;
		else if (th == UINT32_MAX) {
			*seq64 = seql;		/* Seqh = Th + 1 wraps to 0 */
			return REPLAY_WRAPPED;
		} else
			sh = th + 1u;
	} else {					/* case B */
		if (seql < bl)
			sh = th;
		else if (th == 0) {
			/* Seqh = Th - 1 wraps: before the first packet. */
			*seq64 = (uint64_t)UINT32_MAX << 32 | seql;
			return REPLAY_BAD_SEQ;
		} else
			sh = th - 1u;
	}
	s = (uint64_t)sh << 32 | seql;
	*seq64 = s;
	if (s == 0)		/* RFC 4303 §3.3.3: the first packet is 1 */
		return REPLAY_BAD_SEQ;
	return judge(rw, top, s);
}

enum replay_verdict
replay_check(const struct replay_win *rw, uint32_t seq_lo, uint64_t *seq64)
{
	uint64_t top = ld(&rw->rw_top);

	if ((rw->rw_flags & REPLAY_F_ESN) != 0)
		return check_esn(rw, top, seq_lo, seq64);
	*seq64 = seq_lo;
	/* Linux xfrm_replay_check_legacy(): window 0 checks nothing. */
	if (rw->rw_window != 0 && seq_lo == 0)
		return REPLAY_BAD_SEQ;
	return judge(rw, top, seq_lo);
}

/*
 * The stores of an advance, in their safe order, at most max of them;
 * returns how many were made and the verdict in *vp.
 *
 * In the window (FRESH): one store, the word with the bit set.
 * Right of it (NEW): first T, then the slots that rotate in, cleared,
 * the last one (the new T's) written with its bit already set. Storing
 * T first moves every number of the slots about to be cleared out of the
 * window before its bit goes, so no prefix of these stores re-opens a
 * number that was recorded; the worst a prefix leaves is a slot of stale
 * bits inside the new window, which rejects numbers never seen (safe).
 * Always inlined: in replay_advance() max is SIZE_MAX and every "max"
 * test folds away, so the crash-test hook costs the packet path nothing.
 */
static inline __attribute__((always_inline)) size_t
advance(struct replay_win *rw, uint64_t s, size_t max,
    enum replay_verdict *vp)
{
	uint64_t top = ld(&rw->rw_top);
	uint64_t wo, wn, k, i, mask;
	enum replay_verdict v;
	size_t n = 0;

	if (s == 0 || ((rw->rw_flags & REPLAY_F_ESN) == 0 && s > UINT32_MAX &&
	    rw->rw_window != 0))
		v = REPLAY_BAD_SEQ;
	else
		v = judge(rw, top, s);
	*vp = v;
	if (!replay_ok(v))
		return 0;
	if (rw->rw_window == 0) {
		if (v == REPLAY_NEW && max > n) {
			st(&rw->rw_top, s);
			n++;
		}
		return n;
	}
	if (v == REPLAY_FRESH) {
		if (max > n) {
			st(word_of(rw, s), ld(word_of(rw, s)) | word_bit(s));
			n++;
		}
		return n;
	}
	if (max == n)
		return n;
	st(&rw->rw_top, s);
	n++;
	wo = top >> 6;
	wn = s >> 6;
	mask = (uint64_t)rw->rw_nwords - 1u;
	if (wn == wo) {
		if (max > n) {
			st(word_of(rw, s), ld(word_of(rw, s)) | word_bit(s));
			n++;
		}
		return n;
	}
	/* Slots strictly between the old and the new word, at most N - 1. */
	k = wn - wo - 1u;
	if (k > mask)
		k = mask;
	for (i = wn - k; i < wn; i++) {
		if (max == n)
			return n;
		st(&rw->rw_words[i & mask], 0);
		n++;
	}
	if (max > n) {
		st(&rw->rw_words[wn & mask], word_bit(s));
		n++;
	}
	return n;
}

enum replay_verdict
replay_advance(struct replay_win *rw, uint64_t seq64)
{
	enum replay_verdict v;

	(void)advance(rw, seq64, SIZE_MAX, &v);
	return v;
}

size_t
replay_advance_partial(struct replay_win *rw, uint64_t seq64,
    size_t max_stores)
{
	enum replay_verdict v;

	return advance(rw, seq64, max_stores, &v);
}

static uint64_t
out_limit(unsigned flags)
{
	/* RFC 4303 §3.3.3: no cycling; KAME CYCSEQ lets 32 bits wrap while
	 * the 64-bit counter (the IV) goes on. */
	if ((flags & (REPLAY_F_ESN | REPLAY_F_CYCLIC)) != 0)
		return UINT64_MAX;
	return UINT32_MAX;
}

int
replay_out_next(uint64_t *last, unsigned flags, uint64_t *seq)
{
	uint64_t cur = ld(last);

	if (cur >= out_limit(flags))
		return -EOVERFLOW;
	/*
	 * Recorded before it is used: once this store has executed the number
	 * is spent, whatever happens next. The compiler barrier keeps the
	 * caller's later stores (the packet, the ring publication, itself a
	 * release store) after it.
	 */
	st(last, cur + 1u);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	*seq = cur + 1u;
	return 0;
}

uint64_t
replay_out_left(uint64_t last, unsigned flags)
{
	uint64_t lim = out_limit(flags);

	return last >= lim ? 0 : lim - last;
}
