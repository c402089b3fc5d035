/*
 * rd.c - bounds-checked read cursor; see rd.h.
 */
#include <errno.h>
#include <string.h>

#include "rd.h"

const uint8_t *
rd_peek(const struct rd *r, size_t n)
{
	return r->left >= n ? r->p : NULL;
}

int
rd_bytes(struct rd *r, void *dst, size_t n)
{
	if (r->left < n)
		return -EBADMSG;
	if (n != 0)
		memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

int
rd_skip(struct rd *r, size_t n)
{
	if (r->left < n)
		return -EBADMSG;
	r->p += n;
	r->left -= n;
	return 0;
}

int
rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	if (r->left < n)
		return -EBADMSG;
	sub->p = r->p;
	sub->left = n;
	r->p += n;
	r->left -= n;
	return 0;
}

int
rd_u8(struct rd *r, uint8_t *v)
{
	return rd_bytes(r, v, 1);
}

/* Assemble n bytes into an integer, big- or little-endian. */
static int
rd_uint(struct rd *r, size_t n, bool big, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (r->left < n)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		uint64_t b = r->p[big ? i : n - 1 - i];

		x = (x << 8) | b;
	}
	r->p += n;
	r->left -= n;
	*v = x;
	return 0;
}

#define RD_INT(name, type, n, big)					\
	int								\
	name(struct rd *r, type *v)					\
	{								\
		uint64_t x;						\
		int error;						\
									\
		if ((error = rd_uint(r, n, big, &x)) != 0)		\
			return error;					\
		*v = (type)x;						\
		return 0;						\
	}

RD_INT(rd_be16, uint16_t, 2, true)
RD_INT(rd_be32, uint32_t, 4, true)
RD_INT(rd_be64, uint64_t, 8, true)
RD_INT(rd_le16, uint16_t, 2, false)
RD_INT(rd_le32, uint32_t, 4, false)
RD_INT(rd_le64, uint64_t, 8, false)
