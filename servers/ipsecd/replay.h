/*
 * replay.h - ESP/AH sequence numbers: the inbound anti-replay window and
 * the outbound sequence (and AEAD IV) counter.
 *
 * Inbound: a sliding window of W packets (RFC 4303 §3.4.3) kept as a ring
 * of 64-bit words in the style of RFC 6479: advancing the window clears
 * only the words that rotate in, the bitmap is never shifted. 32-bit and
 * extended (64-bit, ESN) sequence numbers; for ESN the high half is
 * inferred from the low half and the window exactly as RFC 4303 Appendix
 * A2.3 does it (cases A and B).
 *
 * The order on the packet path (STYLE.md §5):
 *
 *	v = replay_check(w, seq_lo, &seq64);	pure: no state change
 *	if (!replay_ok(v)) drop (counter per verdict)
 *	authenticate and decrypt with seq64 (ESN: its high half is in the ICV)
 *	v = replay_advance(w, seq64);		re-checks, then records seq64
 *	if (!replay_ok(v)) drop (a duplicate raced it inside one batch)
 *
 * Crash safety: a struct replay_win and the outbound counter live in
 * shared memory that outlives ipsecd (sa_state.h). Every store here is a
 * single aligned 64-bit store, in an order such that a kill -9 between any
 * two of them errs only towards safety: a window may then reject a few
 * numbers it has never seen, it never accepts one it has accepted, and an
 * outbound number is recorded as used before the caller sees it. The
 * argument is in docs (DESIGN §10.11, "Crash safety").
 *
 * Pure: no I/O, no clock, no globals; the caller owns the memory.
 */
#ifndef PARAPET_IPSECD_REPLAY_H
#define PARAPET_IPSECD_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/*
 * Window sizes, in packets. A size that is not a multiple of 32 is rounded
 * up to the next one (Linux keeps its ESN bitmap in whole 32-bit words,
 * bmp_len = DIV_ROUND_UP(replay_window, 32); we make the window that size
 * too, so what the bitmap holds is what the rule checks). 0 turns the
 * check off, as KAME and Linux do for a replay size of 0 (not with ESN:
 * the high half cannot be inferred without a window).
 */
#define REPLAY_WINDOW_MAX	8192u
#define REPLAY_WORDS_MAX	256u	/* ring words for REPLAY_WINDOW_MAX */

#define REPLAY_F_ESN		0x0001u	/* 64-bit sequence numbers */
#define REPLAY_F_CYCLIC		0x0002u	/* outbound: wrap 32-bit (KAME CYCSEQ) */
#define REPLAY_F_MASK		0x0003u

/*
 * The inbound window, as laid out in shared memory (no pointers; every
 * field at a fixed offset, checked below). rw_top is T, the highest
 * number ever recorded (0: none yet). Word i of the ring holds the bits of
 * the numbers n with (n >> 6) & (rw_nwords - 1) == i, bit n & 63.
 *
 *      ring (N = 4 words)      absolute word  n >> 6
 *   +------+------+------+------+
 *   |  w0  |  w1  |  w2  |  w3  |    W = 128, T = 200: the window
 *   +------+------+------+------+    73..200 is words 1..3 = slots 1..3.
 *   Advancing T to 300 (word 4, slot 0): store T, then clear slot 0 and
 *   set bit 300 & 63 in it. The window 173..300 is slots 2, 3, 0; slot 1
 *   still holds old bits, out of the window, cleared when it rotates in.
 *
 * rw_nwords is the smallest power of two >= W/64 + 1 (at least 2), so the
 * W numbers of a window always sit in distinct slots.
 */
struct replay_win {
	uint64_t	rw_top;		/* T; written first on an advance */
	uint32_t	rw_window;	/* W, packets (0, or 32..8192 by 32) */
	uint16_t	rw_nwords;	/* N: power of two, 0 when W is 0 */
	uint16_t	rw_flags;	/* REPLAY_F_ESN */
	uint64_t	rw_words[];	/* N words */
};
_Static_assert(sizeof(struct replay_win) == 16, "replay_win header");
_Static_assert(offsetof(struct replay_win, rw_top) == 0, "rw_top");
_Static_assert(offsetof(struct replay_win, rw_window) == 8, "rw_window");
_Static_assert(offsetof(struct replay_win, rw_nwords) == 12, "rw_nwords");
_Static_assert(offsetof(struct replay_win, rw_flags) == 14, "rw_flags");
_Static_assert(offsetof(struct replay_win, rw_words) == 16, "rw_words");

/* What replay_check() and replay_advance() decide. */
enum replay_verdict {
	REPLAY_NEW = 0,		/* right of the window: accept, T moves */
	REPLAY_FRESH,		/* inside the window, not seen: accept */
	REPLAY_DUP,		/* inside the window, seen: drop */
	REPLAY_TOO_OLD,		/* left of the window (32-bit only): drop */
	REPLAY_BAD_SEQ,		/* a number no sender uses: 0, or (ESN) one
				 * before the SA's first packet: drop */
	REPLAY_WRAPPED,		/* ESN: past 2^64 - 1, a sender never cycles */
	REPLAY_VERDICT_COUNT
};

static inline bool
replay_ok(enum replay_verdict v)
{
	return v == REPLAY_NEW || v == REPLAY_FRESH;
}

/* Short name of a verdict for counters and logs. */
const char *replay_verdict_name(enum replay_verdict);

/*
 * W rounded up to a multiple of 32; 0 stays 0. UINT32_MAX when above
 * REPLAY_WINDOW_MAX.
 */
uint32_t replay_window_round(uint32_t window);
/* Bytes of a struct replay_win for that window (header included); 0 when
 * the window is above REPLAY_WINDOW_MAX. */
size_t	replay_win_bytes(uint32_t window);
/*
 * Lay out an empty window (T = 0, no number seen) in bytes of memory.
 * window is rounded (replay_window_round). -EINVAL: window too large,
 * ESN with window 0, unknown flags; -EMSGSIZE: bytes too small.
 */
int	replay_win_init(struct replay_win *, size_t bytes, uint32_t window,
	    unsigned flags) MUST_CHECK;
/*
 * Is a window read back from shared memory self-consistent (window,
 * ring size, flags and length agree)? For recovery; no bits are judged.
 */
bool	replay_win_valid(const struct replay_win *, size_t bytes);

/*
 * Inbound step 1, pure. Infer the 64-bit number of seq_lo (ESN: RFC 4303
 * A2.3; else seq_lo itself) into *seq64 and judge it. *seq64 is set for
 * every verdict (for REPLAY_WRAPPED: its low 64 bits), so a caller can
 * log it; only REPLAY_NEW and REPLAY_FRESH may go on to authentication,
 * with the high half of *seq64 as ESN's seq_hi.
 */
enum replay_verdict replay_check(const struct replay_win *, uint32_t seq_lo,
	    uint64_t *seq64);
/*
 * Inbound step 3, after the packet authenticated: judge seq64 again
 * against the current window (another packet of the same batch may have
 * taken it) and, when still acceptable, record it. Returns REPLAY_NEW or
 * REPLAY_FRESH when recorded, else the verdict that drops the packet.
 * seq64 must be what replay_check() inferred (ESN: advance does not
 * infer again; it applies the window rule to the 64-bit number).
 */
enum replay_verdict replay_advance(struct replay_win *, uint64_t seq64)
	    MUST_CHECK;
/*
 * For crash tests only: replay_advance() that performs at most max_stores
 * of its stores to shared memory and then stops, as a kill -9 would stop
 * it. Returns how many stores it made; with max_stores = SIZE_MAX it is
 * replay_advance() (which returns the verdict instead).
 */
size_t	replay_advance_partial(struct replay_win *, uint64_t seq64,
	    size_t max_stores);

/*
 * Outbound: take the next sequence number. *last (in shared memory) is
 * the last number handed out, 0 for none. The new value is stored in
 * *last before it is returned, so a kill -9 can lose numbers but never
 * hand one out twice: the 64-bit value doubles as the AEAD IV.
 *
 * Without REPLAY_F_ESN the wire carries the low 32 bits and the counter
 * stops after 2^32 - 1 (-EOVERFLOW: the SA must be rekeyed; RFC 4303
 * §3.3.3), unless REPLAY_F_CYCLIC (KAME SADB_X_EXT_CYCSEQ) lets the wire
 * number wrap; the 64-bit counter (the IV) goes on counting. With ESN it
 * stops after 2^64 - 1.
 */
int	replay_out_next(uint64_t *last, unsigned flags, uint64_t *seq)
	    MUST_CHECK;
/* Numbers replay_out_next() can still hand out (saturating). */
uint64_t replay_out_left(uint64_t last, unsigned flags);

#endif
