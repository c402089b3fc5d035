/*
 * frag.c - bounded IPv4/IPv6 reassembly (see frag.h). Datagrams sit in a
 * hash table (key: family, addresses, id, IPv4 protocol) and on an age
 * list (oldest first: one timeout for all, so age order is deadline
 * order); each keeps its fragments sorted by offset, each a copy.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "frag.h"

static const char *const result_names[FRAG_R_COUNT] = {
	[FRAG_HELD] = "held",
	[FRAG_DONE] = "done",
	[FRAG_R_DUP] = "dup",
	[FRAG_R_OVERLAP] = "overlap",
	[FRAG_R_LEN] = "len",
	[FRAG_R_END] = "end",
	[FRAG_R_MANY] = "many",
	[FRAG_R_MEM] = "mem",
	[FRAG_R_BIG] = "big",
	[FRAG_R_OUT] = "out",
	[FRAG_R_TIMEOUT] = "timeout",
	[FRAG_R_NOTFRAG] = "notfrag",
};
_Static_assert(nitems(result_names) == FRAG_R_COUNT, "result_names");

const char *
frag_result_name(enum frag_result r)
{
	return (unsigned)r < FRAG_R_COUNT ? result_names[r] : "unknown";
}

void
frag_limits_default(struct frag_limits *l)
{
	l->max_bytes = 4u << 20;
	l->max_dgrams = 1024;
	l->max_frags = 64;
	l->timeout_ms = 30000;
}

struct fragment {
	struct fragment	*next;
	uint32_t	 off, len;
	uint8_t		 data[];
};

#define HDR_MAX	(40 + 65535)	/* IPv6 unfragmentable part at most */

struct dgram {
	struct dgram	*hnext;
	struct dgram	*lnext, *lprev;
	size_t		 b;		/* its bucket */
	uint16_t	 family;
	uint8_t		 proto;
	uint32_t	 id;
	uint8_t		 src[16], dst[16];
	uint64_t	 deadline_ms;
	bool		 have_last;
	uint32_t	 end;		/* with have_last */
	uint32_t	 nfrags;
	size_t		 bytes;
	struct fragment	*frags;		/* sorted by offset */
	uint8_t		*hdr;		/* from the first fragment */
	uint32_t	 hdr_len;
	uint32_t	 nh_off;	/* IPv6 */
	uint8_t		 next;		/* IPv6: after the fragment header */
};

/* A hash chain; a struct so the table allocates structs, not pointers. */
struct bucket {
	struct dgram	*head;
};

struct frag_table {
	struct frag_limits	 lim;
	uint64_t		 seed;
	struct bucket		*bucket;
	size_t			 nbuckets;	/* power of two */
	struct dgram		*oldest, *newest;
	struct frag_stats	 st;
};

int
frag_create(struct frag_table **tp, const struct frag_limits *lim,
    uint64_t seed)
{
	struct frag_table *t;
	size_t n = 16;

	if (lim->max_dgrams == 0 || lim->max_frags == 0)
		return -EINVAL;
	while (n < lim->max_dgrams && n < (1u << 20))
		n <<= 1;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	if ((t->bucket = calloc(n, sizeof(*t->bucket))) == NULL) {
		free(t);
		return -ENOMEM;
	}
	t->nbuckets = n;
	t->lim = *lim;
	t->seed = seed;
	*tp = t;
	return 0;
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static size_t
hash(const struct frag_table *t, const struct pkt_info *pi)
{
	uint64_t h = 0xcbf29ce484222325ull ^ t->seed;
	/* IPv4 keys on the protocol; IPv6 does not, and its fragments may
	 * disagree on it (the first one walks the chain past the
	 * fragment header, later ones cannot). */
	uint8_t k[4] = { (uint8_t)pi->family,
	    pi->family == AF_INET ? pi->proto : 0, 0, 0 };

	h = fnv(h, k, sizeof(k));
	h = fnv(h, &pi->frag_id, sizeof(pi->frag_id));
	h = fnv(h, pi->src, sizeof(pi->src));
	h = fnv(h, pi->dst, sizeof(pi->dst));
	return (size_t)(h ^ (h >> 29)) & (t->nbuckets - 1);
}

static bool
same(const struct dgram *d, const struct pkt_info *pi)
{
	/* RFC 8200 §4.5: source, destination and id; IPv4 adds the
	 * protocol (RFC 791). */
	return d->family == pi->family && d->id == pi->frag_id &&
	    (pi->family == AF_INET6 || d->proto == pi->proto) &&
	    memcmp(d->src, pi->src, 16) == 0 &&
	    memcmp(d->dst, pi->dst, 16) == 0;
}

static void
drop(struct frag_table *t, struct dgram *d)
{
	struct dgram **pp;
	struct fragment *f, *fn;

	for (pp = &t->bucket[d->b].head; *pp != d; pp = &(*pp)->hnext)
		;
	*pp = d->hnext;
	for (f = d->frags; f != NULL; f = fn) {
		fn = f->next;
		free(f);
	}
	t->st.bytes -= d->bytes;
	t->st.dgrams--;
	if (d->lprev != NULL)
		d->lprev->lnext = d->lnext;
	else
		t->oldest = d->lnext;
	if (d->lnext != NULL)
		d->lnext->lprev = d->lprev;
	else
		t->newest = d->lprev;
	free(d->hdr);
	free(d);
}

void
frag_destroy(struct frag_table *t)
{
	if (t == NULL)
		return;
	while (t->oldest != NULL)
		drop(t, t->oldest);
	free(t->bucket);
	free(t);
}

size_t
frag_expire(struct frag_table *t, uint64_t now_ms)
{
	size_t k = 0;

	while (t->oldest != NULL && t->oldest->deadline_ms <= now_ms) {
		drop(t, t->oldest);
		t->st.r[FRAG_R_TIMEOUT]++;
		k++;
	}
	return k;
}

uint64_t
frag_next_deadline(const struct frag_table *t)
{
	return t->oldest != NULL ? t->oldest->deadline_ms : UINT64_MAX;
}

const struct frag_stats *
frag_stats(const struct frag_table *t)
{
	return &t->st;
}

static struct dgram *
find_or_new(struct frag_table *t, const struct pkt_info *pi, uint64_t now_ms)
{
	size_t b = hash(t, pi);
	struct dgram *d;

	for (d = t->bucket[b].head; d != NULL; d = d->hnext)
		if (same(d, pi))
			return d;
	if (t->st.dgrams >= t->lim.max_dgrams)
		return NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->b = b;
	d->family = pi->family;
	d->proto = pi->proto;
	d->id = pi->frag_id;
	memcpy(d->src, pi->src, 16);
	memcpy(d->dst, pi->dst, 16);
	d->deadline_ms = now_ms + t->lim.timeout_ms;
	d->hnext = t->bucket[b].head;
	t->bucket[b].head = d;
	d->lprev = t->newest;
	if (t->newest != NULL)
		t->newest->lnext = d;
	else
		t->oldest = d;
	t->newest = d;
	t->st.dgrams++;
	return d;
}

static enum frag_result
count(struct frag_table *t, enum frag_result r)
{
	t->st.r[r]++;
	return r;
}

/* Drop the datagram and count why. */
static enum frag_result
fail(struct frag_table *t, struct dgram *d, enum frag_result r)
{
	drop(t, d);
	return count(t, r);
}

static bool
complete(const struct dgram *d)
{
	const struct fragment *f;
	uint32_t pos = 0;

	if (!d->have_last || d->hdr == NULL)
		return false;
	for (f = d->frags; f != NULL; f = f->next) {
		if (f->off != pos)
			return false;
		pos += f->len;
	}
	return pos == d->end;
}

/* Write the datagram out; the caller drops it. */
static enum frag_result
build(const struct dgram *d, uint8_t *out, size_t cap, size_t *outlen)
{
	const struct fragment *f;
	size_t n = (size_t)d->hdr_len + d->end, at;
	uint32_t sum;
	uint16_t v;

	if (n > cap)
		return FRAG_R_OUT;
	memcpy(out, d->hdr, d->hdr_len);
	at = d->hdr_len;
	for (f = d->frags; f != NULL; f = f->next) {
		memcpy(out + at, f->data, f->len);
		at += f->len;
	}
	if (d->family == AF_INET) {
		out[2] = (uint8_t)(n >> 8);
		out[3] = (uint8_t)n;
		out[6] &= 0x40;		/* keep DF; no MF, offset 0 */
		out[7] = 0;
		out[10] = out[11] = 0;
		sum = pkt_csum_add(0, out, d->hdr_len);
		v = (uint16_t)~pkt_csum_fold(sum);
		out[10] = (uint8_t)(v >> 8);
		out[11] = (uint8_t)v;
	} else {
		v = (uint16_t)(n - 40);
		out[4] = (uint8_t)(v >> 8);
		out[5] = (uint8_t)v;
		out[d->nh_off] = d->next;
	}
	*outlen = n;
	return FRAG_DONE;
}

/* The end: one last fragment, nothing beyond it. */
static bool
end_ok(const struct dgram *d, bool last, uint32_t end)
{
	const struct fragment *f;

	if (!last)
		return !d->have_last || end <= d->end;
	if (d->have_last && d->end != end)
		return false;
	for (f = d->frags; f != NULL; f = f->next)
		if (f->off + f->len > end)
			return false;
	return true;
}

/*
 * Overlaps (RFC 5722): FRAG_R_OVERLAP; an exact duplicate, which drops
 * only itself: FRAG_R_DUP; neither: FRAG_HELD.
 */
static enum frag_result
overlap(const struct dgram *d, uint32_t off, uint32_t len)
{
	const struct fragment *f;
	uint32_t end = off + len;

	for (f = d->frags; f != NULL; f = f->next) {
		if (f->off == off && f->len == len)
			return FRAG_R_DUP;
		if (off < f->off + f->len && f->off < end)
			return FRAG_R_OVERLAP;
	}
	return FRAG_HELD;
}

/* Would hdr_len bytes of header and end bytes of data exceed 64 KiB? */
static bool
too_big(uint32_t hdr_len, uint32_t end, uint16_t family)
{
	return (size_t)hdr_len + end > 65535 +
	    (family == AF_INET6 ? 40u : 0u);
}

/* The unfragmentable part comes from the first fragment. */
static enum frag_result
take_hdr(struct dgram *d, const uint8_t *buf, const struct pkt_info *pi,
    uint32_t end)
{
	uint32_t hl = pi->family == AF_INET ? pi->l4_off : pi->frag_hdr_off;

	if (too_big(hl, d->have_last ? d->end : end, pi->family))
		return FRAG_R_BIG;
	if ((d->hdr = malloc(hl)) == NULL)
		return FRAG_R_MEM;
	memcpy(d->hdr, buf, hl);
	d->hdr_len = hl;
	if (pi->family == AF_INET6) {
		d->nh_off = pi->frag_nh_off;
		d->next = buf[pi->frag_hdr_off];
	}
	return FRAG_HELD;
}

/* Copy the fragment's data into d, in offset order. */
static enum frag_result
store(struct frag_table *t, struct dgram *d, const uint8_t *buf,
    const struct pkt_info *pi, uint32_t off, uint32_t len)
{
	struct fragment *f, **pp;

	for (pp = &d->frags; *pp != NULL && (*pp)->off < off;
	    pp = &(*pp)->next)
		;
	if ((f = malloc(sizeof(*f) + len)) == NULL)
		return FRAG_R_MEM;
	f->off = off;
	f->len = len;
	memcpy(f->data, buf + pi->frag_data_off, len);
	f->next = *pp;
	*pp = f;
	d->nfrags++;
	d->bytes += len;
	t->st.bytes += len;
	if (!pi->frag_more) {
		d->have_last = true;
		d->end = off + len;
	}
	return FRAG_HELD;
}

enum frag_result
frag_add(struct frag_table *t, const uint8_t *buf, const struct pkt_info *pi,
    uint64_t now_ms, uint8_t *out, size_t cap, size_t *outlen)
{
	struct dgram *d;
	uint32_t off, len, end;
	enum frag_result r;

	if (!pi->frag || pi->frag_data_off > pi->len)
		return count(t, FRAG_R_NOTFRAG);
	off = pi->frag_off;
	len = pi->len - pi->frag_data_off;
	end = off + len;
	if (pi->frag_more && (len == 0 || (len & 7) != 0))
		return count(t, FRAG_R_LEN);
	if (t->st.bytes + len > t->lim.max_bytes)
		return count(t, FRAG_R_MEM);
	if ((d = find_or_new(t, pi, now_ms)) == NULL)
		return count(t, FRAG_R_MEM);

	if (!end_ok(d, !pi->frag_more, end))
		return fail(t, d, FRAG_R_END);
	if ((r = overlap(d, off, len)) == FRAG_R_DUP)
		return count(t, r);
	if (r != FRAG_HELD)
		return fail(t, d, r);
	if (d->nfrags + 1 > t->lim.max_frags)
		return fail(t, d, FRAG_R_MANY);
	if (off == 0 && (r = take_hdr(d, buf, pi, end)) != FRAG_HELD)
		return fail(t, d, r);
	if (d->hdr != NULL && too_big(d->hdr_len, end, d->family))
		return fail(t, d, FRAG_R_BIG);
	if ((r = store(t, d, buf, pi, off, len)) != FRAG_HELD)
		return fail(t, d, r);
	if (!complete(d))
		return count(t, FRAG_HELD);
	r = build(d, out, cap, outlen);
	drop(t, d);
	return count(t, r);
}
