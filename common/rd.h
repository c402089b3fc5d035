/*
 * rd.h - a bounds-checked read cursor over untrusted bytes.
 *
 * Every call either consumes exactly what it returns and returns 0, or
 * consumes nothing and returns -EBADMSG. A parser is a run of checked reads
 * with one error exit; each length-prefixed region is parsed inside its own
 * sub-cursor carved with rd_sub().
 */
#ifndef PARAPET_RD_H
#define PARAPET_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct rd {
	const uint8_t	*p;
	size_t		 left;
};

static inline void
rd_init(struct rd *r, const void *buf, size_t len)
{
	r->p = buf;
	r->left = len;
}

static inline bool
rd_empty(const struct rd *r)
{
	return r->left == 0;
}

int	rd_u8(struct rd *, uint8_t *) MUST_CHECK;
int	rd_be16(struct rd *, uint16_t *) MUST_CHECK;
int	rd_be32(struct rd *, uint32_t *) MUST_CHECK;
int	rd_be64(struct rd *, uint64_t *) MUST_CHECK;
int	rd_le16(struct rd *, uint16_t *) MUST_CHECK;
int	rd_le32(struct rd *, uint32_t *) MUST_CHECK;
int	rd_le64(struct rd *, uint64_t *) MUST_CHECK;
int	rd_bytes(struct rd *, void *dst, size_t n) MUST_CHECK;
int	rd_skip(struct rd *, size_t n) MUST_CHECK;
/* Carve the next n bytes into *sub (borrowed view into the same buffer). */
int	rd_sub(struct rd *, size_t n, struct rd *sub) MUST_CHECK;
/* Look at the next n bytes without consuming them; NULL if too few. */
const uint8_t *rd_peek(const struct rd *, size_t n);

#endif
