/*
 * spd_rec.h - policyd's persistent records (common/pstore.h): one record
 * per policy, one for the variables, one for the id and reqid generators.
 * A compact, versioned byte form of our own, big-endian:
 *
 *   u8 version (1), u8 kind, then per kind:
 *   POLICY  u32 id, u64 add_ms, u8 dir, u8 action, u32 priority,
 *           u16 family, u8 src_plen, u8 dst_plen, u8 proto, u16 sport,
 *           u16 dport, 16 src, 16 dst,
 *           u8 nreqs, per request: u8 proto, u8 mode, u8 level,
 *             u32 reqid, u16 family, 16 tsrc, 16 tdst,
 *           u8 has_lft, if 1: hard and soft, each u32 allocations,
 *             u64 bytes, u64 addtime, u64 usetime
 *   SYSCTL  u8 n, per variable: u8 tree (4: net.inet.ipsec.,
 *           6: net.inet6.ipsec6.), u8 len, the name after the tree's
 *           prefix, be32 value (signed)
 *   GENS    u32 idx_gen ceiling, u32 reqid ceiling
 *
 * Records are read back after a restart: they are untrusted (a stray
 * write, an older version) and parsed through rd cursors, every field
 * checked (spd_entry_valid, the sysctl table's ranges, nothing left
 * over). Pure; no I/O.
 */
#ifndef PARAPET_SPD_REC_H
#define PARAPET_SPD_REC_H

#include <stddef.h>
#include <stdint.h>

#include "spd.h"
#include "spd_pfkey.h"
#include "sysctl.h"
#include "util.h"

#define SPD_REC_VERSION		1
#define SPD_REC_MAX		512	/* buffer for any record */
/* Payload a store record must hold: a policy with 6 tunnel requests and
 * lifetimes is 365 bytes, the variables about 330. */
#define SPD_REC_NEED		400

enum spd_rec_kind {
	SPD_REC_POLICY = 1,
	SPD_REC_SYSCTL = 2,
	SPD_REC_GENS = 3,
};

struct spd_rec {
	enum spd_rec_kind	kind;
	/* POLICY */
	uint32_t		id;
	uint64_t		add_ms;
	struct spd_entry	e;
	struct spd_lft		lft;
	/* SYSCTL: the variables the record names (others keep theirs) */
	struct sysctl_vals	vals;
	uint32_t		vals_set;	/* bit per enum sysctl_id */
	/* GENS */
	struct spd_gens		gens;
};

int	spd_rec_policy(const struct spd_policy *, const struct spd_lft *,
	    uint8_t *buf, size_t cap, size_t *len) MUST_CHECK;
int	spd_rec_sysctl(const struct sysctl_vals *, uint8_t *buf, size_t cap,
	    size_t *len) MUST_CHECK;
int	spd_rec_gens(const struct spd_gens *, uint8_t *buf, size_t cap,
	    size_t *len) MUST_CHECK;
/*
 * Parse a record. 0, or -EBADMSG (truncated, trailing bytes, unknown
 * version or kind), -EINVAL (a value out of range: bad entry, unknown
 * variable name or value outside its range).
 */
int	spd_rec_parse(const uint8_t *buf, size_t len, struct spd_rec *out)
	    MUST_CHECK;

#endif
