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

/*
 * Host byte order, for host interfaces such as PF_KEY (whose lengths and
 * numbers travel in the host's order): the little- or big-endian call is
 * chosen at compile time, so no parser casts a buffer to get native loads.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define RD_HOST_LE	1
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define RD_HOST_LE	0
#else
#error "rd.h: unknown host byte order"
#endif

static inline MUST_CHECK int
rd_h16(struct rd *r, uint16_t *v)
{
	return RD_HOST_LE ? rd_le16(r, v) : rd_be16(r, v);
}

static inline MUST_CHECK int
rd_h32(struct rd *r, uint32_t *v)
{
	return RD_HOST_LE ? rd_le32(r, v) : rd_be32(r, v);
}

static inline MUST_CHECK int
rd_h64(struct rd *r, uint64_t *v)
{
	return RD_HOST_LE ? rd_le64(r, v) : rd_be64(r, v);
}

#endif
