/*
 * restart.c - the back-off policy of restart.h. Pure: no clock, no I/O.
 */
#include <errno.h>
#include <string.h>

#include "restart.h"

void
restart_policy_default(struct restart_policy *p)
{
	p->min_ms = RESTART_MIN_MS;
	p->max_ms = RESTART_MAX_MS;
	p->loop_crashes = RESTART_LOOP_CRASHES;
	p->loop_window_ms = RESTART_LOOP_WINDOW_MS;
	p->stable_ms = RESTART_STABLE_MS;
}

int
restart_policy_check(const struct restart_policy *p)
{
	if (p->min_ms == 0 || p->min_ms > p->max_ms)
		return -EINVAL;
	if (p->loop_crashes < 2 || p->loop_crashes > RESTART_HISTORY_MAX)
		return -EINVAL;
	if (p->loop_window_ms == 0 || p->stable_ms == 0)
		return -EINVAL;
	return 0;
}

void
restart_state_init(struct restart_state *s)
{
	memset(s, 0, sizeof(*s));
}

void
restart_stable(struct restart_state *s)
{
	restart_state_init(s);
}

/* Delay of crash number `streak` (1-based) of a streak. */
static uint64_t
backoff(const struct restart_policy *p, uint32_t streak)
{
	uint64_t d;

	if (streak <= 1)
		return 0;
	/* min * 2^(streak-2), without overflowing the shift. */
	if (streak - 2 >= 32)
		return p->max_ms;
	d = (uint64_t)p->min_ms << (streak - 2);
	return d < p->max_ms ? d : p->max_ms;
}

uint64_t
restart_on_crash(struct restart_state *s, const struct restart_policy *p,
    uint64_t now_ms, uint64_t ready_for_ms, bool *crashloop)
{
	uint32_t n = p->loop_crashes, oldest;

	if (n > RESTART_HISTORY_MAX)
		n = RESTART_HISTORY_MAX;
	if (n < 1)
		n = 1;
	if (ready_for_ms >= p->stable_ms)
		restart_stable(s);
	if (s->streak < UINT32_MAX)
		s->streak++;

	/* Remember the last n crash times in a ring. */
	if (s->head >= n)
		s->head = 0;
	s->hist[s->head] = now_ms;
	s->head = (s->head + 1) % n;
	if (s->nhist < n)
		s->nhist++;
	if (s->nhist == n) {
		/* The ring is full: head is the oldest of the last n. */
		oldest = s->head;
		if (now_ms - s->hist[oldest] <= p->loop_window_ms)
			s->crashloop = true;
	}
	*crashloop = s->crashloop;
	if (s->crashloop)
		return p->max_ms;
	return backoff(p, s->streak);
}
