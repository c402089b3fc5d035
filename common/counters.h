/*
 * counters.h - building a CountersReply: a growable list of named 64-bit
 * counters, plus the standard sets every bus peer and the broker export.
 *
 * Names are checked with bus_counter_name_ok(); a name that fails is
 * skipped (and counted in the set's `dropped`), never sent. No I/O.
 */
#ifndef PARAPET_COUNTERS_H
#define PARAPET_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "bus.pb-c.h"
#include "util.h"

struct counters;

/* NULL on allocation failure. */
struct counters *counters_new(void);
void	counters_free(struct counters *);

/* Append one counter; the name is printf-formatted. Allocation failure
 * or a bad name drops the counter (the set stays usable). */
void	counters_add(struct counters *, uint64_t value, const char *fmt, ...)
	    PRINTFLIKE(3, 4);
/* "<prefix>.connects", ... and "<prefix>.rejected.<reason>". */
void	counters_add_client(struct counters *, const char *prefix,
	    const struct bus_client_stats *);
void	counters_add_broker(struct counters *, const char *prefix,
	    const struct bus_broker_stats *);

/* Fill *rep to point into the set (valid until counters_free). */
void	counters_reply(struct counters *, const char *name,
	    Parapet__CountersReply *rep);
size_t	counters_len(const struct counters *);

#endif
