/*
 * setkey_dump.h - PF_KEY messages to the text setkey(8) prints: -D (SAs,
 * libipsec's pfkey_sadump()), -DP (policies, pfkey_spdump()), -l (short
 * lines), -x/-v (kdebug_sadb()-style message dumps) and the error texts
 * ("No SAD entries"). Pure: the caller passes the time, and the text goes
 * into a growable buffer.
 *
 * Input: parsed views (struct pfkey_msg) of what keyd sent, already
 * validated by pfkey_msg_parse_reply(); setkey_dump_debug() takes the raw
 * datagram and validates it itself. Times are printed in local time
 * (localtime_r), as setkey does.
 */
#ifndef PARAPET_SETKEY_DUMP_H
#define PARAPET_SETKEY_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "pfkey_msg.h"
#include "util.h"

/* A growable string; error is -ENOMEM once an append failed. */
struct setkey_out {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	int	 error;
};

void	setkey_out_printf(struct setkey_out *, const char *fmt, ...)
	    PRINTFLIKE(2, 3);
void	setkey_out_reset(struct setkey_out *);	/* empty, keep memory */
void	setkey_out_free(struct setkey_out *);

/* One SA (GET reply or DUMP reply); now: the current time. */
void	setkey_dump_sa(struct setkey_out *, const struct pfkey_msg *,
	    time_t now, bool withports);
/* One policy (X_SPDGET or X_SPDDUMP reply). */
void	setkey_dump_sp(struct setkey_out *, const struct pfkey_msg *,
	    bool withports);
/* setkey -l: the header line, and one short line per SA. */
void	setkey_dump_short_hdr(struct setkey_out *);
void	setkey_dump_short(struct setkey_out *, const struct pfkey_msg *,
	    time_t now);
/* setkey -x/-v: every field of a datagram, as kdebug_sadb() lists them. */
void	setkey_dump_debug(struct setkey_out *, const uint8_t *buf,
	    size_t len);
/* setkey -H: offset and hex bytes, 16 a line. */
void	setkey_dump_hex(struct setkey_out *, const uint8_t *buf, size_t len);

/*
 * The text setkey prints for an error reply: "No entry" (ENOENT to
 * DELETE, GET, X_SPDDELETE), "No SAD entries" / "No SPD entries" (ENOENT
 * to DUMP / X_SPDDUMP), else strerror(err). No final period.
 */
const char *setkey_errstr(uint8_t type, int err);

#endif
