/*
 * pkt_ring.c - the netd <-> ipsecd packet protocol on the rings: result
 * codes and the metadata block at the start of a slot (pkt_ring.h).
 *
 * Untrusted input: the metadata block, written by the peer process into
 * shared memory. It is copied once into a local buffer and parsed with a
 * cursor; every field is then checked against the rules of its direction.
 * Pure: no I/O, no state.
 */
#include <errno.h>
#include <string.h>

#include "pkt_ring.h"
#include "rd.h"
#include "wr.h"

static const char *const result_names[PKT_R_COUNT] = {
	[PKT_R_OK] = "ok",
	[PKT_R_NO_SA] = "no_sa",
	[PKT_R_UNKNOWN_SPI] = "unknown_spi",
	[PKT_R_REPLAY] = "replay",
	[PKT_R_AUTH] = "auth",
	[PKT_R_MALFORMED] = "malformed",
	[PKT_R_DUMMY] = "dummy",
	[PKT_R_KEEPALIVE] = "keepalive",
	[PKT_R_TOO_BIG] = "too_big",
	[PKT_R_POLICY] = "policy",
	[PKT_R_SEQ_EXHAUSTED] = "seq_exhausted",
	[PKT_R_NO_ROOM] = "no_room",
	[PKT_R_BAD_META] = "bad_meta",
	[PKT_R_SA_UNUSABLE] = "sa_unusable",
	[PKT_R_INTERNAL] = "internal",
	[PKT_R_RING_RANGE] = "ring_range",
	[PKT_R_RECOVERED] = "recovered",
	[PKT_R_UNKNOWN] = "unknown",
};
_Static_assert(nitems(result_names) == PKT_R_COUNT, "result_names");

static const char *const reject_names[PKT_MR_COUNT_] = {
	[PKT_MR_OK] = "ok",
	[PKT_MR_SHORT] = "short",
	[PKT_MR_MAGIC] = "magic",
	[PKT_MR_VERSION] = "version",
	[PKT_MR_OP] = "op",
	[PKT_MR_COUNT] = "count",
	[PKT_MR_DFBIT] = "dfbit",
	[PKT_MR_FLAG] = "flag",
	[PKT_MR_RESERVED] = "reserved",
	[PKT_MR_PROTO] = "proto",
	[PKT_MR_MODE] = "mode",
	[PKT_MR_LEVEL] = "level",
	[PKT_MR_FAMILY] = "family",
	[PKT_MR_ADDR] = "addr",
	[PKT_MR_TUNNEL_ADDR] = "tunnel_addr",
	[PKT_MR_SPI] = "spi",
	[PKT_MR_GEN] = "gen",
	[PKT_MR_POLICY] = "policy",
	[PKT_MR_UNUSED] = "unused",
};
_Static_assert(nitems(reject_names) == PKT_MR_COUNT_, "reject_names");

int16_t
pkt_result_to_ring(enum pkt_result r)
{
	if (r == PKT_R_OK)
		return 0;
	if ((unsigned)r >= PKT_R_COUNT)
		r = PKT_R_UNKNOWN;
	return (int16_t)-(PKT_RESULT_BASE + (int)r);
}

enum pkt_result
pkt_result_from_ring(int16_t result)
{
	int v = -(int)result;

	if (result == 0)
		return PKT_R_OK;
	if (result == -EBADMSG)
		return PKT_R_RING_RANGE;
	if (result == -ECONNABORTED)
		return PKT_R_RECOVERED;
	if (v > PKT_RESULT_BASE && v < PKT_RESULT_BASE + (int)PKT_R_COUNT)
		return (enum pkt_result)(v - PKT_RESULT_BASE);
	return PKT_R_UNKNOWN;
}

const char *
pkt_result_str(enum pkt_result r)
{
	if ((unsigned)r >= PKT_R_COUNT)
		return "unknown";
	return result_names[r];
}

const char *
pkt_meta_reject_str(enum pkt_meta_reject r)
{
	if ((unsigned)r >= PKT_MR_COUNT_)
		return "unknown";
	return reject_names[r];
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static enum pkt_meta_reject
addr_check(const struct pkt_addr *a)
{
	switch (a->family) {
	case 0:
		return all_zero(a->a, sizeof(a->a)) ? PKT_MR_OK : PKT_MR_ADDR;
	case 4:
		return all_zero(a->a + 4, sizeof(a->a) - 4) ? PKT_MR_OK :
		    PKT_MR_ADDR;
	case 6:
		return PKT_MR_OK;
	default:
		return PKT_MR_FAMILY;
	}
}

static bool
entry_zero(const struct pkt_entry *e)
{
	return e->proto == 0 && e->mode == 0 && e->level == 0 &&
	    e->reqid == 0 && e->policy_id == 0 && e->spi == 0 &&
	    e->gen == 0 && e->src.family == 0 && e->dst.family == 0 &&
	    all_zero(e->src.a, sizeof(e->src.a)) &&
	    all_zero(e->dst.a, sizeof(e->dst.a));
}

static enum pkt_meta_reject
entry_check(const struct pkt_entry *e, enum pkt_meta_dir dir)
{
	enum pkt_meta_reject r;

	if (e->proto != PKT_PROTO_ESP && e->proto != PKT_PROTO_AH)
		return PKT_MR_PROTO;
	if (e->mode != PKT_MODE_TRANSPORT && e->mode != PKT_MODE_TUNNEL)
		return PKT_MR_MODE;
	if (dir == PKT_META_WORK ? (e->level < PKT_LEVEL_USE ||
	    e->level > PKT_LEVEL_UNIQUE) : e->level != PKT_LEVEL_NONE)
		return PKT_MR_LEVEL;
	if (e->src.family != e->dst.family)
		return PKT_MR_FAMILY;
	if ((r = addr_check(&e->src)) != PKT_MR_OK ||
	    (r = addr_check(&e->dst)) != PKT_MR_OK)
		return r;
	if (e->mode == PKT_MODE_TUNNEL && e->dst.family == 0)
		return PKT_MR_TUNNEL_ADDR;
	if (dir == PKT_META_WORK ? e->spi != 0 : e->spi == 0)
		return PKT_MR_SPI;
	if (dir == PKT_META_WORK ? e->gen != 0 : e->gen == 0)
		return PKT_MR_GEN;
	if (dir == PKT_META_DONE && e->policy_id != 0)
		return PKT_MR_POLICY;
	return PKT_MR_OK;
}

enum pkt_meta_reject
pkt_meta_check(const struct pkt_meta *m, enum pkt_meta_dir dir)
{
	enum pkt_meta_reject r;
	unsigned i, lo, hi;

	if (m->op != PKT_OP_PROTECT && m->op != PKT_OP_UNPROTECT)
		return PKT_MR_OP;
	if (m->op == PKT_OP_PROTECT) {
		if (dir == PKT_META_DONE)
			return PKT_MR_OP;	/* no PROTECT results */
		lo = 1;
		hi = PKT_META_ENTRIES;
	} else if (dir == PKT_META_WORK) {
		lo = hi = 0;
	} else {
		lo = 1;
		hi = PKT_META_ENTRIES;
	}
	if (m->n < lo || m->n > hi)
		return PKT_MR_COUNT;
	if (m->dfbit > 2)
		return PKT_MR_DFBIT;
	if (m->ecn > 1 || m->ah_cleartos > 1)
		return PKT_MR_FLAG;
	for (i = 0; i < PKT_META_ENTRIES; i++) {
		if (i >= m->n) {
			if (!entry_zero(&m->e[i]))
				return PKT_MR_UNUSED;
			continue;
		}
		if ((r = entry_check(&m->e[i], dir)) != PKT_MR_OK)
			return r;
	}
	return PKT_MR_OK;
}

static int
entry_read(struct rd *r, struct pkt_entry *e)
{
	uint8_t sfam;

	if (rd_u8(r, &e->proto) != 0 || rd_u8(r, &e->mode) != 0 ||
	    rd_u8(r, &e->level) != 0 || rd_u8(r, &sfam) != 0 ||
	    rd_le32(r, &e->reqid) != 0 || rd_le32(r, &e->policy_id) != 0 ||
	    rd_le32(r, &e->spi) != 0 || rd_le64(r, &e->gen) != 0 ||
	    rd_bytes(r, e->src.a, sizeof(e->src.a)) != 0 ||
	    rd_bytes(r, e->dst.a, sizeof(e->dst.a)) != 0)
		return -EBADMSG;
	e->src.family = e->dst.family = sfam;
	return 0;
}

int
pkt_meta_decode(const uint8_t *slot, size_t off, uint8_t op,
    enum pkt_meta_dir dir, struct pkt_meta *out, enum pkt_meta_reject *why)
{
	uint8_t raw[PKT_META_BYTES], rsv1;
	uint16_t magic, rsv2;
	uint8_t version;
	struct rd r;
	unsigned i;

	memset(out, 0, sizeof(*out));
	if (off < PKT_META_BYTES) {
		*why = PKT_MR_SHORT;
		return -EBADMSG;
	}
	/* The one read of shared memory; everything below uses the copy. */
	memcpy(raw, slot, sizeof(raw));
	rd_init(&r, raw, sizeof(raw));
	if (rd_le16(&r, &magic) != 0 || rd_u8(&r, &version) != 0 ||
	    rd_u8(&r, &out->op) != 0 || rd_u8(&r, &out->n) != 0 ||
	    rd_u8(&r, &out->dfbit) != 0 || rd_u8(&r, &out->ecn) != 0 ||
	    rd_u8(&r, &out->ttl) != 0 || rd_u8(&r, &out->ah_cleartos) != 0 ||
	    rd_u8(&r, &rsv1) != 0 || rd_le16(&r, &out->ah_offsetmask) != 0 ||
	    rd_le16(&r, &out->mtu) != 0 || rd_le16(&r, &rsv2) != 0) {
		*why = PKT_MR_SHORT;
		return -EBADMSG;
	}
	for (i = 0; i < PKT_META_ENTRIES; i++)
		if (entry_read(&r, &out->e[i]) != 0) {
			*why = PKT_MR_SHORT;
			return -EBADMSG;
		}
	if (magic != PKT_META_MAGIC)
		*why = PKT_MR_MAGIC;
	else if (version != PKT_META_VERSION)
		*why = PKT_MR_VERSION;
	else if (out->op != op)
		*why = PKT_MR_OP;
	else if (rsv1 != 0 || rsv2 != 0)
		*why = PKT_MR_RESERVED;
	else
		*why = pkt_meta_check(out, dir);
	return *why == PKT_MR_OK ? 0 : -EBADMSG;
}

static int
entry_write(struct wr *w, const struct pkt_entry *e)
{
	if (wr_u8(w, e->proto) != 0 || wr_u8(w, e->mode) != 0 ||
	    wr_u8(w, e->level) != 0 || wr_u8(w, e->dst.family) != 0 ||
	    wr_le32(w, e->reqid) != 0 || wr_le32(w, e->policy_id) != 0 ||
	    wr_le32(w, e->spi) != 0 || wr_le64(w, e->gen) != 0 ||
	    wr_bytes(w, e->src.a, sizeof(e->src.a)) != 0 ||
	    wr_bytes(w, e->dst.a, sizeof(e->dst.a)) != 0)
		return -EMSGSIZE;
	return 0;
}

int
pkt_meta_encode(const struct pkt_meta *m, enum pkt_meta_dir dir,
    uint8_t *slot, size_t off, enum pkt_meta_reject *why)
{
	static const struct pkt_entry zero;
	uint8_t raw[PKT_META_BYTES];
	struct wr w;
	unsigned i;

	if (off < PKT_META_BYTES) {
		*why = PKT_MR_SHORT;
		return -EMSGSIZE;
	}
	if ((*why = pkt_meta_check(m, dir)) != PKT_MR_OK)
		return -EINVAL;
	wr_init(&w, raw, sizeof(raw));
	if (wr_le16(&w, PKT_META_MAGIC) != 0 ||
	    wr_u8(&w, PKT_META_VERSION) != 0 || wr_u8(&w, m->op) != 0 ||
	    wr_u8(&w, m->n) != 0 || wr_u8(&w, m->dfbit) != 0 ||
	    wr_u8(&w, m->ecn) != 0 || wr_u8(&w, m->ttl) != 0 ||
	    wr_u8(&w, m->ah_cleartos) != 0 || wr_u8(&w, 0) != 0 ||
	    wr_le16(&w, m->ah_offsetmask) != 0 || wr_le16(&w, m->mtu) != 0 ||
	    wr_le16(&w, 0) != 0)
		return -EMSGSIZE;
	for (i = 0; i < PKT_META_ENTRIES; i++)
		if (entry_write(&w, i < m->n ? &m->e[i] : &zero) != 0)
			return -EMSGSIZE;
	memcpy(slot, raw, sizeof(raw));
	return 0;
}
