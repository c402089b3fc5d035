/*
 * ipsecd_drop.h - every drop has a reason and a counter: the precise
 * reasons ipsecd drops a packet for (the transforms' enum xform_reject,
 * plus the shell's own), their counter names ("drop.esp_pad") and the
 * outcome netd sees on the done ring for each (enum pkt_result).
 *
 * pkt.<result> counts outcomes (what netd is told); drop.<reason> counts
 * why, one finer level down: pkt.malformed is the sum of the drop.*
 * counters whose result is malformed. Pure: no I/O, no state.
 */
#ifndef PARAPET_IPSECD_DROP_H
#define PARAPET_IPSECD_DROP_H

#include <stddef.h>

#include "pkt_ring.h"
#include "xform.h"

/*
 * Drop counter slots: index r (1 .. XFORM_REJECT_COUNT - 1) is transform
 * reason r; then the shell's reasons. Slot 0 (XFORM_REJECT_NONE) is
 * never counted.
 */
enum ipsecd_drop {
	IPSECD_DROP_NONE = XFORM_REJECT_NONE,
	IPSECD_DROP_ENCAP = XFORM_REJECT_COUNT,	/* encap refused it */
	IPSECD_DROP_UNKNOWN,		/* a reason unknown to this build */
	IPSECD_DROP_COUNT
};

/* The counter slot of a transform rejection (never NONE). */
enum ipsecd_drop ipsecd_drop_of(enum xform_reject why);
/* What netd is told for a transform rejection. */
enum pkt_result ipsecd_drop_result(enum xform_reject why);
/*
 * The counter name of slot i ("drop.esp_auth") into buf; -EINVAL for
 * slot 0 or out of range, -ENOSPC when buf is too small.
 */
int	ipsecd_drop_name(enum ipsecd_drop i, char *buf, size_t len)
	    MUST_CHECK;

#endif
