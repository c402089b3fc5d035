/*
 * pfkey_wire.h - host-order cursor helpers shared by the PF_KEY parser and
 * builder (private to keyd_core).
 *
 * PF_KEY is a host interface: lengths, types and most numbers travel in
 * the byte order of the host, while SPIs, ports and addresses travel in
 * network order. These wrappers pick the little- or big-endian cursor
 * call for the host once, at compile time, so that the parser never casts
 * the datagram to a struct to get native loads.
 */
#ifndef PARAPET_PFKEY_WIRE_H
#define PARAPET_PFKEY_WIRE_H

#include <stdint.h>

#include "rd.h"
#include "wr.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PFKEY_HOST_LE	1
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define PFKEY_HOST_LE	0
#else
#error "pfkey_wire.h: unknown host byte order"
#endif

static inline MUST_CHECK int
rd_h16(struct rd *r, uint16_t *v)
{
	return PFKEY_HOST_LE ? rd_le16(r, v) : rd_be16(r, v);
}

static inline MUST_CHECK int
rd_h32(struct rd *r, uint32_t *v)
{
	return PFKEY_HOST_LE ? rd_le32(r, v) : rd_be32(r, v);
}

static inline MUST_CHECK int
rd_h64(struct rd *r, uint64_t *v)
{
	return PFKEY_HOST_LE ? rd_le64(r, v) : rd_be64(r, v);
}

static inline MUST_CHECK int
wr_h16(struct wr *w, uint16_t v)
{
	return PFKEY_HOST_LE ? wr_le16(w, v) : wr_be16(w, v);
}

static inline MUST_CHECK int
wr_h32(struct wr *w, uint32_t v)
{
	return PFKEY_HOST_LE ? wr_le32(w, v) : wr_be32(w, v);
}

static inline MUST_CHECK int
wr_h64(struct wr *w, uint64_t v)
{
	return PFKEY_HOST_LE ? wr_le64(w, v) : wr_be64(w, v);
}

/* Octets of the sockaddr for a family; 0 for any other family. */
size_t	pfkey_sockaddr_len(uint16_t family);

#endif
