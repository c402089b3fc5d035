/*
 * pkt_ring.h - the packet protocol between netd (ring side A) and ipsecd
 * (side B) on the work and done rings of a region (common/ring.h): what
 * a descriptor's op, result and hint mean, and the metadata block that
 * travels at the start of the slot, in the headroom before the packet.
 *
 *  work (A -> B)   desc.op = PKT_OP_PROTECT | PKT_OP_UNPROTECT
 *                  desc.hint = netd's cookie (echoed back)
 *                  slot[0 .. PKT_META_BYTES) = metadata written by netd
 *                  slot[off .. off + len) = the IP packet
 *  done (B -> A)   desc.op unchanged, desc.result = pkt_result_to_ring()
 *                  desc.off/len = the packet after the transform
 *                  desc.hint = the cookie, except PKT_R_TOO_BIG: the MTU
 *                  for the inner packet (link MTU minus the overhead)
 *                  UNPROTECT, PKT_R_OK: slot[0 .. PKT_META_BYTES) = the
 *                  SAs that removed the protection (outermost first)
 *
 * The metadata block (PKT_META_BYTES = 128, little-endian, read and
 * written only with the rd/wr cursors, never cast to a struct):
 *
 *   0  magic u16 "PM"   2 version u8   3 op u8 (= desc.op)
 *   4  n u8: PROTECT requests 1..2 (applied in order: the first is
 *      innermost, as KAME applies "esp/... ah/..."); UNPROTECT work 0,
 *      UNPROTECT done: layers removed 1..2
 *   5  dfbit u8 0 clear, 1 set, 2 copy   6 ecn u8 0/1   7 ttl u8 (0: 64)
 *   8  ah_cleartos u8 0/1   9 reserved u8 (0)
 *  10  ah_offsetmask u16   12 mtu u16 (0: no limit)   14 reserved u16 (0)
 *  16  entry[0], 56 bytes   72 entry[1], 56 bytes (all zero when unused)
 *
 *  entry:  0 proto u8 (50 ESP, 51 AH)   1 mode u8 (1 transport, 2 tunnel)
 *          2 level u8 (work: 1 use, 2 require, 3 unique; done: 0)
 *          3 family u8 (0 none, 4, 6) of src/dst
 *          4 reqid u32   8 policy_id u32 (done: 0)   12 spi u32 (work: 0)
 *         16 generation u64 (keyd's SA generation; work: 0)
 *         24 src[16]   40 dst[16]   (v4 in the first 4 bytes, rest 0)
 *     work: the policy request; src/dst are the tunnel endpoints (tunnel
 *           mode: required) or, for transport, optional SA endpoints
 *           (absent: the packet's addresses).
 *     done: the SA that was removed: SPI, generation, reqid, protocol,
 *           mode and its endpoints, so netd checks the inbound policy
 *           against the SA that actually protected the packet (DESIGN
 *           §6). The inner addresses are those of the packet at
 *           [off, off + len), which ipsecd validated (ip_hdr_parse).
 *
 * Headroom: ipsecd copies the metadata out once before it transforms, so
 * the whole headroom [0, off) is room for outer headers; the block only
 * has to fit: off >= PKT_META_BYTES. The largest single-SA outer growth
 * is AH tunnel over IPv6 with HMAC-SHA-512-256 (40 + 12 + 32 + 4 = 88
 * bytes) and ESP tunnel over IPv6 with NAT-T (40 + 8 + 8 + 8 = 64), so the
 * default headroom of 128 carries the block and every single SA; a bundle
 * of two tunnels (ESP tunnel inside AH tunnel, IPv6: 64 + 88 = 152) needs
 * a headroom of 256 (ipsecd answers PKT_R_NO_ROOM otherwise). PKT_HEADROOM_MIN
 * is the smallest headroom that holds the block.
 *
 * The slot is shared with another process: pkt_meta_decode() copies the
 * block once into a local buffer and validates the copy; a bad block is
 * refused with a precise reason (enum pkt_meta_reject), never trusted.
 * Pure: no I/O.
 */
#ifndef PARAPET_PKT_RING_H
#define PARAPET_PKT_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* desc.op on the work ring. */
enum pkt_op {
	PKT_OP_NONE = 0,
	PKT_OP_PROTECT = 1,	/* outbound: apply the policy's requests */
	PKT_OP_UNPROTECT = 2,	/* inbound: remove ESP/AH (SA by SPI) */
	PKT_OP_COUNT
};

/*
 * Outcomes. On the done ring desc.result carries pkt_result_to_ring(r):
 * 0 for PKT_R_OK, else -(PKT_RESULT_BASE + r), a range no errno uses; the
 * ring's own results (-EBADMSG: off/len overran the slot, -ECONNABORTED:
 * returned by recovery) decode to PKT_R_RING_RANGE and PKT_R_RECOVERED.
 */
enum pkt_result {
	PKT_R_OK = 0,
	PKT_R_NO_SA,		/* outbound: no usable SA; ACQUIRE sent */
	PKT_R_UNKNOWN_SPI,	/* inbound: no SA for SPI + dst + proto */
	PKT_R_REPLAY,		/* inbound: seen, or left of the window */
	PKT_R_AUTH,		/* inbound: ICV / AEAD tag mismatch */
	PKT_R_MALFORMED,	/* inbound: bad IP/ESP/AH/padding/inner */
	PKT_R_DUMMY,		/* inbound: next header 59 (TFC): drop */
	PKT_R_KEEPALIVE,	/* inbound: NAT-T keepalive 0xff: drop */
	PKT_R_TOO_BIG,		/* outbound: over the MTU after encap;
				   packet unchanged, hint = inner MTU */
	PKT_R_POLICY,		/* policy mismatch (netd's own check) */
	PKT_R_SEQ_EXHAUSTED,	/* outbound: sequence space used up */
	PKT_R_NO_ROOM,		/* head- or tailroom too small */
	PKT_R_BAD_META,		/* metadata block or op refused */
	PKT_R_SA_UNUSABLE,	/* SA present but not usable (state lost) */
	PKT_R_INTERNAL,		/* ipsecd failed (out of memory, ...) */
	PKT_R_RING_RANGE,	/* ring: off + len overran the slot */
	PKT_R_RECOVERED,	/* ring: returned unprocessed by recovery */
	PKT_R_UNKNOWN,		/* a result value nobody defined */
	PKT_R_COUNT
};

#define PKT_RESULT_BASE		512

/* desc.result for r. */
int16_t	pkt_result_to_ring(enum pkt_result r);
/* The outcome a done descriptor's result carries (never fails). */
enum pkt_result pkt_result_from_ring(int16_t result);
/* Short stable name for counters and logs ("no_sa"). */
const char *pkt_result_str(enum pkt_result);

/* ---- the metadata block ---- */

#define PKT_META_MAGIC		0x4d50u	/* "PM" little-endian */
#define PKT_META_VERSION	1u
#define PKT_META_BYTES		128u
#define PKT_META_ENTRIES	2u
#define PKT_META_HDR_BYTES	16u
#define PKT_META_ENTRY_BYTES	56u
#define PKT_HEADROOM_MIN	PKT_META_BYTES

_Static_assert(PKT_META_HDR_BYTES + PKT_META_ENTRIES * PKT_META_ENTRY_BYTES
    == PKT_META_BYTES, "pkt_meta layout");
_Static_assert(PKT_META_BYTES % 8 == 0, "pkt_meta alignment");

/* Offsets in the block and in an entry (the layout above). */
enum pkt_meta_off {
	PKT_MO_MAGIC = 0, PKT_MO_VERSION = 2, PKT_MO_OP = 3, PKT_MO_N = 4,
	PKT_MO_DFBIT = 5, PKT_MO_ECN = 6, PKT_MO_TTL = 7,
	PKT_MO_CLEARTOS = 8, PKT_MO_RSV1 = 9, PKT_MO_OFFSETMASK = 10,
	PKT_MO_MTU = 12, PKT_MO_RSV2 = 14, PKT_MO_ENTRY0 = 16,
	PKT_MO_ENTRY1 = 72
};
enum pkt_entry_off {
	PKT_EO_PROTO = 0, PKT_EO_MODE = 1, PKT_EO_LEVEL = 2,
	PKT_EO_FAMILY = 3, PKT_EO_REQID = 4, PKT_EO_POLICY = 8,
	PKT_EO_SPI = 12, PKT_EO_GEN = 16, PKT_EO_SRC = 24, PKT_EO_DST = 40
};
_Static_assert(PKT_MO_ENTRY0 == PKT_META_HDR_BYTES, "entry0");
_Static_assert(PKT_MO_ENTRY1 == PKT_MO_ENTRY0 + PKT_META_ENTRY_BYTES,
    "entry1");
_Static_assert(PKT_EO_DST + 16 == PKT_META_ENTRY_BYTES, "entry size");

#define PKT_PROTO_ESP		50
#define PKT_PROTO_AH		51

enum pkt_mode {
	PKT_MODE_TRANSPORT = 1,
	PKT_MODE_TUNNEL = 2
};

/* KAME request levels (IPSEC_LEVEL_*); default is resolved by netd. */
enum pkt_level {
	PKT_LEVEL_NONE = 0,	/* done entries */
	PKT_LEVEL_USE = 1,
	PKT_LEVEL_REQUIRE = 2,
	PKT_LEVEL_UNIQUE = 3
};

struct pkt_addr {
	uint8_t	family;		/* 0, 4 or 6 */
	uint8_t	a[16];		/* network order; v4: a[0..3], rest 0 */
};

/* One policy request (work) or one removed SA (done). */
struct pkt_entry {
	uint8_t		proto;		/* PKT_PROTO_* */
	uint8_t		mode;		/* enum pkt_mode */
	uint8_t		level;		/* enum pkt_level */
	uint32_t	reqid;
	uint32_t	policy_id;
	uint32_t	spi;		/* host order */
	uint64_t	gen;
	struct pkt_addr	src;		/* same family as dst */
	struct pkt_addr	dst;
};

struct pkt_meta {
	uint8_t		op;		/* enum pkt_op */
	uint8_t		n;		/* entries in use */
	uint8_t		dfbit;		/* 0 clear, 1 set, 2 copy */
	uint8_t		ecn;		/* 0/1 */
	uint8_t		ttl;		/* 0: default (64) */
	uint8_t		ah_cleartos;	/* 0/1 */
	uint16_t	ah_offsetmask;
	uint16_t	mtu;		/* 0: none */
	struct pkt_entry e[PKT_META_ENTRIES];
};

/* Which side wrote the block: the rules differ. */
enum pkt_meta_dir {
	PKT_META_WORK = 0,	/* netd -> ipsecd (request) */
	PKT_META_DONE = 1	/* ipsecd -> netd (UNPROTECT result) */
};

/* Every way a block is refused; one counter each. */
enum pkt_meta_reject {
	PKT_MR_OK = 0,
	PKT_MR_SHORT,		/* off < PKT_META_BYTES: no room for it */
	PKT_MR_MAGIC,
	PKT_MR_VERSION,
	PKT_MR_OP,		/* unknown op, or not the descriptor's */
	PKT_MR_COUNT,		/* n out of range for op and direction */
	PKT_MR_DFBIT,		/* > 2 */
	PKT_MR_FLAG,		/* ecn or ah_cleartos not 0/1 */
	PKT_MR_RESERVED,	/* a reserved byte not zero */
	PKT_MR_PROTO,		/* not ESP/AH */
	PKT_MR_MODE,		/* not transport/tunnel */
	PKT_MR_LEVEL,		/* work: not 1..3; done: not 0 */
	PKT_MR_FAMILY,		/* not 0/4/6 */
	PKT_MR_ADDR,		/* bytes past a v4 address, or family 0 */
	PKT_MR_TUNNEL_ADDR,	/* tunnel request without endpoints */
	PKT_MR_SPI,		/* work: non-zero; done: zero */
	PKT_MR_GEN,		/* work: non-zero; done: zero */
	PKT_MR_POLICY,		/* done: policy id not zero */
	PKT_MR_UNUSED,		/* an unused entry not all zero */
	PKT_MR_COUNT_
};

const char *pkt_meta_reject_str(enum pkt_meta_reject);

/*
 * Read the block at slot[0 .. PKT_META_BYTES) of a descriptor with op
 * `op` whose packet starts at `off`: copy it once, then validate the copy
 * for direction dir. 0 and *out filled, or -EBADMSG with *why set. The
 * slot bytes are read exactly once (one memcpy).
 */
int	pkt_meta_decode(const uint8_t *slot, size_t off, uint8_t op,
	    enum pkt_meta_dir dir, struct pkt_meta *out,
	    enum pkt_meta_reject *why) MUST_CHECK;
/*
 * Write m at slot[0 .. PKT_META_BYTES) (unused entries zeroed). The
 * block is validated first with the rules of dir: -EINVAL (and *why)
 * when pkt_meta_decode() would refuse it, -EMSGSIZE when off is below
 * PKT_META_BYTES; nothing is written then.
 */
int	pkt_meta_encode(const struct pkt_meta *m, enum pkt_meta_dir dir,
	    uint8_t *slot, size_t off, enum pkt_meta_reject *why) MUST_CHECK;
/* Validate a decoded block (what encode and decode both apply). */
enum pkt_meta_reject pkt_meta_check(const struct pkt_meta *m,
	    enum pkt_meta_dir dir);

#endif
