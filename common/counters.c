/*
 * counters.c - CountersReply builder shared by the servers, the supervisor
 * and the broker; see counters.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus_msg.h"
#include "counters.h"

struct ctr_name {
	char	s[BUS_COUNTER_NAME_MAX + 1];
};

struct counters {
	Parapet__Counter	 *c;
	Parapet__Counter	**cp;
	struct ctr_name		 *names;
	size_t			  n, cap;
	size_t			  dropped;
};

struct counters *
counters_new(void)
{
	return calloc(1, sizeof(struct counters));
}

void
counters_free(struct counters *cs)
{
	if (cs == NULL)
		return;
	free(cs->c);
	free(cs->cp);
	free(cs->names);
	free(cs);
}

/* All three arrays are replaced together, so a failure leaves the set as
 * it was (every pointer still into live storage). */
static int
grow(struct counters *cs)
{
	size_t cap = cs->cap ? cs->cap * 2 : 32;
	Parapet__Counter *c = calloc(cap, sizeof(*c));
	Parapet__Counter **cp = calloc(cap, sizeof(Parapet__Counter *));
	struct ctr_name *names = calloc(cap, sizeof(*names));
	size_t i;

	if (c == NULL || cp == NULL || names == NULL) {
		free(c);
		free(cp);
		free(names);
		return -1;
	}
	for (i = 0; i < cs->n; i++) {
		names[i] = cs->names[i];
		c[i] = cs->c[i];
		c[i].name = names[i].s;
		cp[i] = &c[i];
	}
	free(cs->c);
	free(cs->cp);
	free(cs->names);
	cs->c = c;
	cs->cp = cp;
	cs->names = names;
	cs->cap = cap;
	return 0;
}

void
counters_add(struct counters *cs, uint64_t value, const char *fmt, ...)
{
	va_list ap;
	char *name;
	int len;

	if (cs->n == cs->cap && grow(cs) != 0) {
		cs->dropped++;
		return;
	}
	name = cs->names[cs->n].s;
	va_start(ap, fmt);
	len = vsnprintf(name, sizeof(cs->names[0].s), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(cs->names[0].s) ||
	    !bus_counter_name_ok(name)) {
		cs->dropped++;
		return;
	}
	parapet__counter__init(&cs->c[cs->n]);
	cs->c[cs->n].name = name;
	cs->c[cs->n].value = value;
	cs->cp[cs->n] = &cs->c[cs->n];
	cs->n++;
}

static void
add_rejects(struct counters *cs, const char *prefix, const uint64_t *rej)
{
	int why;

	for (why = FRAME_OK + 1; why < FRAME_REJECT_MAX; why++)
		counters_add(cs, rej[why], "%s.rejected.%s", prefix,
		    frame_reject_str((enum frame_reject)why));
}

void
counters_add_client(struct counters *cs, const char *prefix,
    const struct bus_client_stats *st)
{
	const struct {
		const char	*name;
		uint64_t	 value;
	} rows[] = {
		{ "connects", st->connects },
		{ "disconnects", st->disconnects },
		{ "frames_in", st->frames_in },
		{ "frames_out", st->frames_out },
		{ "timeouts", st->timeouts },
		{ "unhandled", st->unhandled },
		{ "stray_replies", st->stray_replies },
	};
	size_t i;

	for (i = 0; i < nitems(rows); i++)
		counters_add(cs, rows[i].value, "%s.%s", prefix, rows[i].name);
	add_rejects(cs, prefix, st->rejected);
}

void
counters_add_broker(struct counters *cs, const char *prefix,
    const struct bus_broker_stats *st)
{
	const struct {
		const char	*name;
		uint64_t	 value;
	} rows[] = {
		{ "accepted", st->accepted },
		{ "closed", st->closed },
		{ "peers", st->peers },
		{ "frames_in", st->frames_in },
		{ "frames_out", st->frames_out },
		{ "no_route", st->no_route },
		{ "not_hello", st->not_hello },
		{ "replaced", st->replaced },
		{ "stuck", st->stuck },
		{ "too_big", st->too_big },
		{ "refused", st->refused },
		{ "reset", st->reset },
		{ "hello_timeouts", st->hello_timeouts },
	};
	size_t i;

	for (i = 0; i < nitems(rows); i++)
		counters_add(cs, rows[i].value, "%s.%s", prefix, rows[i].name);
	add_rejects(cs, prefix, st->rejected);
}

void
counters_reply(struct counters *cs, const char *name,
    Parapet__CountersReply *rep)
{
	parapet__counters_reply__init(rep);
	rep->name = deconst(name);
	rep->counters = cs->cp;
	rep->n_counters = cs->n;
}

size_t
counters_len(const struct counters *cs)
{
	return cs->n;
}
