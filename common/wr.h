/*
 * wr.h - a bounds-checked write cursor into a caller-owned buffer.
 *
 * Each call writes all of its bytes and returns 0, or writes nothing and
 * returns -EMSGSIZE. The cursor never allocates.
 */
#ifndef PARAPET_WR_H
#define PARAPET_WR_H

#include <stddef.h>
#include <stdint.h>

#include "rd.h"	/* RD_HOST_LE */
#include "util.h"

struct wr {
	uint8_t	*p;
	size_t	 left;
	size_t	 used;
};

static inline void
wr_init(struct wr *w, void *buf, size_t len)
{
	w->p = buf;
	w->left = len;
	w->used = 0;
}

int	wr_u8(struct wr *, uint8_t) MUST_CHECK;
int	wr_be16(struct wr *, uint16_t) MUST_CHECK;
int	wr_be32(struct wr *, uint32_t) MUST_CHECK;
int	wr_be64(struct wr *, uint64_t) MUST_CHECK;
int	wr_le16(struct wr *, uint16_t) MUST_CHECK;
int	wr_le32(struct wr *, uint32_t) MUST_CHECK;
int	wr_le64(struct wr *, uint64_t) MUST_CHECK;
int	wr_bytes(struct wr *, const void *, size_t) MUST_CHECK;
int	wr_zero(struct wr *, size_t) MUST_CHECK;

/* Host byte order (see rd.h for RD_HOST_LE and why). */

static inline MUST_CHECK int
wr_h16(struct wr *w, uint16_t v)
{
	return RD_HOST_LE ? wr_le16(w, v) : wr_be16(w, v);
}

static inline MUST_CHECK int
wr_h32(struct wr *w, uint32_t v)
{
	return RD_HOST_LE ? wr_le32(w, v) : wr_be32(w, v);
}

static inline MUST_CHECK int
wr_h64(struct wr *w, uint64_t v)
{
	return RD_HOST_LE ? wr_le64(w, v) : wr_be64(w, v);
}

/* Big-endian stores at a known-good place (no cursor: the caller has
 * checked the room). */
static inline void
wr_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
wr_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
