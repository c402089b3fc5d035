/*
 * svc_table.c - the service table and its state machine (svc_table.h).
 *
 * Pure: time comes in as now_ms; the table decides, the shell acts. All
 * inputs come from our own configuration and from the shell (pids, exit
 * statuses), never from a peer directly: the shell matches a ReadyEvent to
 * a server by the broker-stamped name and the pid it spawned.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "svc_table.h"

static const char *const state_names[] = {
	[SVC_STOPPED] = "stopped",
	[SVC_STARTING] = "starting",
	[SVC_READY] = "ready",
	[SVC_BACKOFF] = "backoff",
	[SVC_CRASHLOOP] = "crashloop",
	[SVC_STOPPING] = "stopping",
};
_Static_assert(nitems(state_names) == SVC_STOPPING + 1, "state_names");

const char *
svc_state_name(enum svc_state s)
{
	if ((size_t)s >= nitems(state_names) || state_names[s] == NULL)
		return "?";
	return state_names[s];
}

static void
set_state(struct svc_table *t, struct svc *s, enum svc_state st)
{
	if (s->state == st)
		return;
	s->state = st;
	if (t->notify != NULL)
		t->notify(t, s, t->arg);
}

/* Kahn's algorithm, taking servers in configuration order among those
 * whose dependencies are placed, so the order is stable and readable. */
static int
topo_order(struct svc_table *t)
{
	const struct config *cfg = t->cfg;
	bool placed[CONFIG_SERVERS_MAX] = { false };
	size_t n = 0, i, k;
	bool progress = true;

	while (n < t->n && progress) {
		progress = false;
		for (i = 0; i < t->n; i++) {
			const struct config_server *sv = &cfg->servers[i];

			if (placed[i])
				continue;
			for (k = 0; k < sv->ndeps; k++)
				if (!placed[sv->deps[k]])
					break;
			if (k < sv->ndeps)
				continue;
			placed[i] = true;
			t->order[n++] = (uint8_t)i;
			progress = true;
			break;	/* restart from the top: config order */
		}
	}
	return n == t->n ? 0 : -ELOOP;
}

int
svc_table_init(struct svc_table *t, const struct config *cfg,
    svc_notify_fn *notify, void *arg)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	t->n = cfg->nservers;
	t->notify = notify;
	t->arg = arg;
	for (i = 0; i < t->n; i++) {
		struct svc *s = &t->svc[i];

		s->def = &cfg->servers[i];
		s->idx = i;
		s->state = SVC_STOPPED;
		restart_state_init(&s->rs);
	}
	return topo_order(t);
}

static bool
deps_ready(const struct svc_table *t, const struct svc *s)
{
	size_t k;

	/* Dependants wait for their dependencies' first ready only: later
	 * crashes of a dependency do not hold anyone back (servers
	 * resynchronise with each other, DESIGN §8). */
	for (k = 0; k < s->def->ndeps; k++)
		if (!t->svc[s->def->deps[k]].ever_ready)
			return false;
	return true;
}

static void
begin_start(struct svc_table *t, struct svc *s, uint64_t now_ms)
{
	if (s->starts > 0)
		s->restarts++;
	s->starts++;
	s->pid = 0;
	s->started_ms = now_ms;
	s->timed_out = false;
	s->kill_sent = false;
	set_state(t, s, SVC_STARTING);
}

static bool
push(struct svc_action *acts, size_t max, size_t *n, enum svc_act act,
    size_t idx)
{
	if (*n >= max)
		return false;
	acts[*n].act = act;
	acts[*n].idx = idx;
	(*n)++;
	return true;
}

static size_t
poll_running(struct svc_table *t, uint64_t now_ms, struct svc_action *acts,
    size_t max)
{
	size_t n = 0, k;

	for (k = 0; k < t->n; k++) {
		struct svc *s = &t->svc[t->order[k]];

		switch (s->state) {
		case SVC_STOPPED:
			if (s->starts == 0 && deps_ready(t, s) &&
			    push(acts, max, &n, SVC_ACT_START, s->idx))
				begin_start(t, s, now_ms);
			break;
		case SVC_BACKOFF:
		case SVC_CRASHLOOP:
			if (now_ms >= s->next_start_ms &&
			    push(acts, max, &n, SVC_ACT_START, s->idx))
				begin_start(t, s, now_ms);
			break;
		case SVC_STARTING:
			if (s->pid != 0 && !s->kill_sent &&
			    now_ms - s->started_ms >=
			    s->def->ready_timeout_ms &&
			    push(acts, max, &n, SVC_ACT_KILL, s->idx)) {
				s->timed_out = true;
				s->kill_sent = true;
			}
			break;
		case SVC_READY:
			if (s->rs.streak > 0 && now_ms - s->ready_ms >=
			    s->def->restart.stable_ms)
				restart_stable(&s->rs);
			break;
		case SVC_STOPPING:
			break;
		}
	}
	return n;
}

/* One server at a time, last started first. */
static size_t
poll_stopping(struct svc_table *t, uint64_t now_ms, struct svc_action *acts,
    size_t max)
{
	size_t n = 0, k;

	for (k = t->n; k-- > 0;) {
		struct svc *s = &t->svc[t->order[k]];

		switch (s->state) {
		case SVC_STARTING:
		case SVC_READY:
			if (s->pid == 0)
				return n;	/* being spawned: wait */
			if (push(acts, max, &n, SVC_ACT_TERM, s->idx)) {
				s->stop_deadline_ms = now_ms +
				    t->cfg->stop_grace_ms;
				s->kill_sent = false;
				set_state(t, s, SVC_STOPPING);
			}
			return n;
		case SVC_STOPPING:
			if (!s->kill_sent && now_ms >= s->stop_deadline_ms &&
			    push(acts, max, &n, SVC_ACT_KILL, s->idx))
				s->kill_sent = true;
			return n;
		default:
			break;
		}
	}
	return n;
}

size_t
svc_table_poll(struct svc_table *t, uint64_t now_ms, struct svc_action *acts,
    size_t max)
{
	if (t->shutdown)
		return poll_stopping(t, now_ms, acts, max);
	return poll_running(t, now_ms, acts, max);
}

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t
svc_table_next_deadline(const struct svc_table *t)
{
	uint64_t d = UINT64_MAX;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct svc *s = &t->svc[i];

		switch (s->state) {
		case SVC_BACKOFF:
		case SVC_CRASHLOOP:
			if (!t->shutdown)
				d = min64(d, s->next_start_ms);
			break;
		case SVC_STARTING:
			if (s->pid != 0 && !s->kill_sent && !t->shutdown)
				d = min64(d, s->started_ms +
				    s->def->ready_timeout_ms);
			break;
		case SVC_READY:
			if (s->rs.streak > 0 && !t->shutdown)
				d = min64(d, s->ready_ms +
				    s->def->restart.stable_ms);
			break;
		case SVC_STOPPING:
			if (!s->kill_sent)
				d = min64(d, s->stop_deadline_ms);
			break;
		case SVC_STOPPED:
			break;
		}
	}
	return d;
}

void
svc_table_started(struct svc_table *t, size_t idx, int pid, uint64_t now_ms)
{
	struct svc *s = &t->svc[idx];

	(void)t;
	s->pid = pid;
	s->started_ms = now_ms;
}

/* A crash (or a failed start): schedule the next start. */
static void
crashed(struct svc_table *t, struct svc *s, uint64_t now_ms)
{
	uint64_t ready_for, delay;
	bool loop;

	ready_for = s->state == SVC_READY ? now_ms - s->ready_ms : 0;
	delay = restart_on_crash(&s->rs, &s->def->restart, now_ms, ready_for,
	    &loop);
	s->next_start_ms = now_ms + delay;
	set_state(t, s, loop ? SVC_CRASHLOOP : SVC_BACKOFF);
}

void
svc_table_spawn_failed(struct svc_table *t, size_t idx, int error,
    uint64_t now_ms)
{
	struct svc *s = &t->svc[idx];

	snprintf(s->last_exit, sizeof(s->last_exit), "spawn failed: %s",
	    strerror(-error));
	s->pid = 0;
	if (t->shutdown) {
		set_state(t, s, SVC_STOPPED);
		return;
	}
	crashed(t, s, now_ms);
}

bool
svc_table_ready(struct svc_table *t, size_t idx, int pid, uint64_t now_ms)
{
	struct svc *s = &t->svc[idx];

	if (s->state != SVC_STARTING || pid == 0 || s->pid != pid ||
	    s->kill_sent)
		return false;
	s->ready_ms = now_ms;
	s->ever_ready = true;
	set_state(t, s, SVC_READY);
	return true;
}

void
svc_table_exited(struct svc_table *t, size_t idx, int status,
    int term_signal, uint64_t now_ms)
{
	struct svc *s = &t->svc[idx];

	if (s->timed_out)
		snprintf(s->last_exit, sizeof(s->last_exit),
		    "not ready within %u ms", s->def->ready_timeout_ms);
	else if (term_signal != 0)
		snprintf(s->last_exit, sizeof(s->last_exit),
		    "killed by signal %d", term_signal);
	else
		snprintf(s->last_exit, sizeof(s->last_exit), "exit %d",
		    status);
	s->pid = 0;
	s->kill_sent = false;
	s->timed_out = false;
	if (t->shutdown || s->state == SVC_STOPPING) {
		set_state(t, s, SVC_STOPPED);
		return;
	}
	crashed(t, s, now_ms);
}

void
svc_table_shutdown(struct svc_table *t, uint64_t now_ms)
{
	size_t i;

	(void)now_ms;
	t->shutdown = true;
	for (i = 0; i < t->n; i++) {
		struct svc *s = &t->svc[i];

		if (s->state == SVC_BACKOFF || s->state == SVC_CRASHLOOP)
			set_state(t, s, SVC_STOPPED);
	}
}

bool
svc_table_done(const struct svc_table *t)
{
	size_t i;

	if (!t->shutdown)
		return false;
	for (i = 0; i < t->n; i++)
		if (t->svc[i].state != SVC_STOPPED)
			return false;
	return true;
}

int
svc_table_find(const struct svc_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->svc[i].def->name, name) == 0)
			return (int)i;
	return -1;
}

int
svc_table_find_pid(const struct svc_table *t, int pid)
{
	size_t i;

	if (pid <= 0)
		return -1;
	for (i = 0; i < t->n; i++)
		if (t->svc[i].pid == pid)
			return (int)i;
	return -1;
}

size_t
svc_table_regions(const struct svc_table *t, size_t idx,
    struct svc_region *out, size_t max)
{
	const struct config *cfg = t->cfg;
	size_t r, n = 0;
	unsigned side;

	for (r = 0; r < cfg->nregions; r++)
		for (side = 0; side < 2; side++)
			if (cfg->regions[r].side[side] == idx && n < max) {
				out[n].region = r;
				out[n].side = side;
				n++;
			}
	return n;
}
