/*
 * ipsecd_drop.c - drop reasons to counters and outcomes (ipsecd_drop.h).
 * The counter names are the transforms' own reason names
 * (xform_reject_str), so a reason added to xform.h gets its counter
 * without a change here.
 */
#include <errno.h>
#include <stdio.h>

#include "ipsecd_drop.h"

enum ipsecd_drop
ipsecd_drop_of(enum xform_reject why)
{
	if (why <= XFORM_REJECT_NONE || why >= XFORM_REJECT_COUNT)
		return IPSECD_DROP_UNKNOWN;
	return (enum ipsecd_drop)why;
}

/* The reasons that are not "malformed" (a table: one row each). */
static const struct {
	enum xform_reject	why;
	enum pkt_result		r;
} result_rows[] = {
	{ XFORM_REJECT_ESP_AUTH, PKT_R_AUTH },
	{ XFORM_REJECT_AH_AUTH, PKT_R_AUTH },
	{ XFORM_REJECT_NATT_KEEPALIVE, PKT_R_KEEPALIVE },
	{ XFORM_REJECT_ESP_DUMMY, PKT_R_DUMMY },
	{ XFORM_REJECT_SA, PKT_R_SA_UNUSABLE },
};

enum pkt_result
ipsecd_drop_result(enum xform_reject why)
{
	size_t i;

	for (i = 0; i < nitems(result_rows); i++)
		if (result_rows[i].why == why)
			return result_rows[i].r;
	return PKT_R_MALFORMED;
}

int
ipsecd_drop_name(enum ipsecd_drop i, char *buf, size_t len)
{
	const char *what;
	int n;

	if (i <= IPSECD_DROP_NONE || i >= IPSECD_DROP_COUNT)
		return -EINVAL;
	if (i == IPSECD_DROP_ENCAP)
		what = "encap";
	else if (i == IPSECD_DROP_UNKNOWN)
		what = "unknown";
	else
		what = xform_reject_str((enum xform_reject)i);
	n = snprintf(buf, len, "drop.%s", what);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
