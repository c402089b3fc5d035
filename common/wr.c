/*
 * wr.c - bounds-checked write cursor; see wr.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "wr.h"

int
wr_bytes(struct wr *w, const void *src, size_t n)
{
	if (w->left < n)
		return -EMSGSIZE;
	if (n != 0)
		memcpy(w->p, src, n);
	w->p += n;
	w->left -= n;
	w->used += n;
	return 0;
}

int
wr_zero(struct wr *w, size_t n)
{
	if (w->left < n)
		return -EMSGSIZE;
	memset(w->p, 0, n);
	w->p += n;
	w->left -= n;
	w->used += n;
	return 0;
}

static int
wr_uint(struct wr *w, uint64_t v, size_t n, bool big)
{
	uint8_t b[8];
	size_t i;

	for (i = 0; i < n; i++) {
		size_t shift = 8 * (big ? n - 1 - i : i);

		b[i] = (uint8_t)(v >> shift);
	}
	return wr_bytes(w, b, n);
}

int
wr_u8(struct wr *w, uint8_t v)
{
	return wr_bytes(w, &v, 1);
}

int
wr_be16(struct wr *w, uint16_t v)
{
	return wr_uint(w, v, 2, true);
}

int
wr_be32(struct wr *w, uint32_t v)
{
	return wr_uint(w, v, 4, true);
}

int
wr_be64(struct wr *w, uint64_t v)
{
	return wr_uint(w, v, 8, true);
}

int
wr_le16(struct wr *w, uint16_t v)
{
	return wr_uint(w, v, 2, false);
}

int
wr_le32(struct wr *w, uint32_t v)
{
	return wr_uint(w, v, 4, false);
}

int
wr_le64(struct wr *w, uint64_t v)
{
	return wr_uint(w, v, 8, false);
}
