/*
 * restart.h - the restart back-off policy of one server.
 *
 * Pure: time is passed in (milliseconds on any monotonic clock), nothing
 * is read or written outside the structs. The shell asks what to do when a
 * server dies and arms a timer with the answer.
 *
 * A crash after a stable run (ready for at least stable_ms) is a first
 * crash: it restarts at once. Each further crash waits twice as long as the
 * one before, from min_ms up to max_ms:
 *
 *   crash in the streak   1    2       3         4         ...  n
 *   delay                 0    min     2*min     4*min     ...  min(max,
 *                                                               min*2^(n-2))
 *
 * loop_crashes crashes within loop_window_ms make a crash loop: the delay
 * is the cap from then on, and the loop is reported until a stable run
 * clears it.
 */
#ifndef PARAPET_SUP_RESTART_H
#define PARAPET_SUP_RESTART_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define RESTART_HISTORY_MAX	16	/* bound on loop_crashes */

struct restart_policy {
	uint32_t	min_ms;		/* delay of the second crash */
	uint32_t	max_ms;		/* cap, >= min_ms */
	uint32_t	loop_crashes;	/* 2..RESTART_HISTORY_MAX */
	uint32_t	loop_window_ms;
	uint32_t	stable_ms;	/* ready this long resets the streak */
};

#define RESTART_MIN_MS		100
#define RESTART_MAX_MS		10000
#define RESTART_LOOP_CRASHES	5
#define RESTART_LOOP_WINDOW_MS	30000
#define RESTART_STABLE_MS	10000

struct restart_state {
	uint32_t	streak;		/* crashes since the last stable run */
	bool		crashloop;
	uint64_t	hist[RESTART_HISTORY_MAX];	/* recent crash times */
	uint32_t	nhist;		/* valid entries, <= loop_crashes */
	uint32_t	head;		/* next slot to write */
};

/* The defaults above. */
void	restart_policy_default(struct restart_policy *);
/* 0, or -EINVAL if the policy is unusable (min > max, loop_crashes out of
 * range, ...). */
int	restart_policy_check(const struct restart_policy *) MUST_CHECK;

void	restart_state_init(struct restart_state *);

/*
 * A crash at now_ms of a server that had been ready for ready_for_ms (0 if
 * it never became ready). Returns the delay before the next start in ms;
 * *crashloop tells whether the server is (now) in a crash loop.
 */
uint64_t restart_on_crash(struct restart_state *,
	    const struct restart_policy *, uint64_t now_ms,
	    uint64_t ready_for_ms, bool *crashloop);

/* The server has been ready for stable_ms: forget the streak and loop. */
void	restart_stable(struct restart_state *);

#endif
