/*
 * spi.c - GETSPI: a random unused SPI for a larval SA (sadb.h). The
 * random bytes come from the caller; nothing here reads a random source.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sadb_impl.h"

static uint64_t
rnd64(sadb_random_fn *rnd, void *arg)
{
	uint64_t r = 0;

	rnd(&r, sizeof(r), arg);
	return r;
}

/*
 * A free SPI in [lo, hi] for (satype, dst): a few random draws, then a
 * linear probe from a random point, which ends within (SAs + 1) steps
 * when the range is larger than the SADB, and proves exhaustion
 * otherwise. Linux draws (hi - lo + 1) times at random and can miss the
 * last free SPI of a small range.
 */
static int
pick_spi(const struct sadb *db, uint8_t satype,
    const struct pfkey_sockaddr *dst, uint32_t lo, uint32_t hi,
    sadb_random_fn *rnd, void *rnd_arg, uint32_t *spi)
{
	uint64_t n = (uint64_t)hi - lo + 1, r, i;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		*spi = lo + (uint32_t)(rnd64(rnd, rnd_arg) % n);
		if (sadb_lookup(db, satype, *spi, dst) == NULL)
			return 0;
	}
	r = rnd64(rnd, rnd_arg) % n;
	for (i = 0; i < n; i++) {
		*spi = lo + (uint32_t)((r + i) % n);
		if (sadb_lookup(db, satype, *spi, dst) == NULL)
			return 0;
	}
	return -ENOENT;
}

int
sadb_getspi(struct sadb *db, const struct sa_params *p,
    const struct pfkey_spirange *range, sadb_random_fn *rnd, void *rnd_arg,
    uint64_t now_ms, struct sadb_sa **out)
{
	uint32_t lo, hi, spi = 0;
	struct sadb_sa *sa;
	int error;

	*out = NULL;
	if (sadb_type_idx(p->satype) < 0 || !sadb_family_ok(p->src.sa.family) ||
	    p->src.sa.family != p->dst.sa.family)
		return -EINVAL;
	lo = SADB_SPI_MIN;
	hi = p->satype == PARAPET_SADB_X_SATYPE_IPCOMP ? SADB_CPI_MAX :
	    SADB_SPI_DEFAULT_MAX;
	if (range != NULL) {
		lo = range->min;
		hi = range->max;
	}
	if (lo > hi)
		return -EINVAL;
	/* Linux verify_spi_info(): a CPI is 16 bits. */
	if (p->satype == PARAPET_SADB_X_SATYPE_IPCOMP && hi > SADB_CPI_MAX)
		return -EINVAL;
	/* RFC 2367 §3.1.1 / Linux xfrm_find_acq_byseq(): ask again, same SA. */
	if (p->seq != 0 && (sa = sadb_larval_by_seq(db, p->satype, p->seq,
	    &p->src.sa, &p->dst.sa)) != NULL) {
		*out = sa;
		return 0;
	}
	/* RFC 4303 §2.1: 0 is never an SPI, 1..255 are reserved. */
	if (lo < SADB_SPI_MIN)
		lo = SADB_SPI_MIN;
	if (lo > hi)
		return -ENOENT;
	if ((error = pick_spi(db, p->satype, &p->dst.sa, lo, hi, rnd,
	    rnd_arg, &spi)) != 0)
		return error;
	if ((error = sadb_reserve_one(db)) != 0)
		return error;
	if ((sa = sadb_sa_new(db)) == NULL)
		return -ENOMEM;
	sa->satype = p->satype;
	sa->sa.spi = spi;
	sa->sa.state = SA_STATE_LARVAL;
	sa->src = p->src;
	sa->dst = p->dst;
	sa->seq = p->seq;
	sa->add_ms = now_ms;
	if (p->present & BIT(PARAPET_SADB_X_EXT_SA2)) {
		sa->present = BIT(PARAPET_SADB_X_EXT_SA2);
		sa->mode = p->sa2.mode;
		sa->reqid = p->sa2.reqid;
	}
	sadb_sa_link(db, sa);
	if ((error = sadb_persist_new(db, sa)) != 0)
		return error;
	*out = sa;
	return 0;
}
