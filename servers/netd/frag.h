/*
 * frag.h - IPv4 and IPv6 reassembly for inbound ESP (and ESP in UDP)
 * before ipsecd sees it. Pure: the clock is an argument; memory is
 * bounded in total bytes, datagrams and fragments per datagram.
 *
 * Rules (DESIGN §10.16): a datagram is (family, source, destination,
 * identification, and for IPv4 the protocol); it lives at most
 * timeout_ms from its first fragment (Linux ipfrag_time, 30 s); a
 * fragment that overlaps another drops the whole datagram, for IPv6 as
 * RFC 5722 requires and for IPv4 as Linux does since 4.19; an exact
 * duplicate drops only itself (Linux). Tiny first fragments are refused
 * by pkt_parse() already (RFC 1858, RFC 7112). When the memory bound is
 * reached new datagrams are refused, not old ones evicted (Linux).
 *
 * Input fragments come parsed (pkt_parse() said PKT_OK and info->frag);
 * their bytes are copied, the caller keeps its buffer.
 */
#ifndef PARAPET_NETD_FRAG_H
#define PARAPET_NETD_FRAG_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "util.h"

enum frag_result {
	FRAG_HELD = 0,		/* stored, datagram not complete */
	FRAG_DONE,		/* the datagram is in the output buffer */
	FRAG_R_DUP,		/* exact duplicate: this fragment dropped */
	FRAG_R_OVERLAP,		/* overlap: the datagram dropped */
	FRAG_R_LEN,		/* not the last, length not a multiple of 8 */
	FRAG_R_END,		/* past the known end, or two different ends */
	FRAG_R_MANY,		/* too many fragments: the datagram dropped */
	FRAG_R_MEM,		/* memory bound: refused */
	FRAG_R_BIG,		/* reassembled datagram would exceed 64 KiB */
	FRAG_R_OUT,		/* output buffer too small: datagram dropped */
	FRAG_R_TIMEOUT,		/* (counted by frag_expire) */
	FRAG_R_NOTFRAG,		/* info says it is no fragment */
	FRAG_R_COUNT
};

const char *frag_result_name(enum frag_result);

struct frag_limits {
	size_t		max_bytes;	/* fragment data held, in total */
	size_t		max_dgrams;	/* datagrams in reassembly */
	size_t		max_frags;	/* fragments per datagram */
	uint64_t	timeout_ms;
};
/* 4 MiB (Linux ipfrag_high_thresh), 1024, 64, 30 s. */
void	frag_limits_default(struct frag_limits *);

struct frag_stats {
	uint64_t	r[FRAG_R_COUNT];	/* per result */
	size_t		bytes;			/* held now */
	size_t		dgrams;			/* in reassembly now */
};

struct frag_table;

int	frag_create(struct frag_table **, const struct frag_limits *,
	    uint64_t hash_seed) MUST_CHECK;
void	frag_destroy(struct frag_table *);

/*
 * Add fragment buf (info->len bytes, parsed into info). On FRAG_DONE the
 * whole datagram, headers rebuilt (IPv4: length, offset and checksum;
 * IPv6: payload length, fragment header removed), is in out[0..*out_len).
 * out_cap: 65535 + 40 always suffices.
 */
enum frag_result frag_add(struct frag_table *, const uint8_t *buf,
	    const struct pkt_info *info, uint64_t now_ms, uint8_t *out,
	    size_t out_cap, size_t *out_len) MUST_CHECK;

/* Drop datagrams older than the timeout; returns how many. */
size_t	frag_expire(struct frag_table *, uint64_t now_ms);
/* The earliest expiry; UINT64_MAX when nothing is held. */
uint64_t frag_next_deadline(const struct frag_table *);
const struct frag_stats *frag_stats(const struct frag_table *);

#endif /* PARAPET_NETD_FRAG_H */
