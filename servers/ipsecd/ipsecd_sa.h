/*
 * ipsecd_sa.h - from keyd's bus messages (proto/keyd.proto: Sa) to SA
 * table specs (sa_table.h), and back to what ipsecd reports to keyd.
 *
 * The Sa message comes from the bus: frame_msg_parse() has run keyd.proto's
 * validator on it (common/bus_msg.c), and this module checks again what
 * the SA table and the transforms rely on, with a reason for every
 * refusal. Keys are copied into sodium_malloc'd xform keys at once; the
 * caller wipes the message (ipsecd_sa_wipe()).
 *
 * Pure: no I/O, no clock (libsodium's allocator only).
 */
#ifndef PARAPET_IPSECD_SA_H
#define PARAPET_IPSECD_SA_H

#include <stdbool.h>
#include <stdint.h>

#include "keyd.pb-c.h"
#include "sa_table.h"
#include "util.h"

/* Why an Sa message cannot become an SA here; one counter each. */
enum ipsecd_sa_reject {
	IPSECD_SA_OK = 0,
	IPSECD_SA_MISSING,	/* no Sa, or no src/dst */
	IPSECD_SA_GEN,		/* generation 0 */
	IPSECD_SA_SPI,		/* SPI 0 */
	IPSECD_SA_PROTO,	/* not ESP/AH */
	IPSECD_SA_MODE,		/* BEET or unknown */
	IPSECD_SA_FAMILY,	/* address family/length, src vs dst */
	IPSECD_SA_NATT,		/* NAT-T type/ports/OA inconsistent */
	IPSECD_SA_ALG,		/* algorithm unknown or not offered here */
	IPSECD_SA_KEY,		/* key length wrong for the algorithm */
	IPSECD_SA_WINDOW,	/* replay window too large, or 0 with ESN */
	IPSECD_SA_NOMEM,
	IPSECD_SA_REJECT_COUNT
};

const char *ipsecd_sa_reject_str(enum ipsecd_sa_reject);

/*
 * Fill *spec from m. With keys (INSTALL, UPDATE, sync pages) the xform
 * keys are made (spec->enc, spec->auth: the caller owns them and frees
 * them with ipsecd_sa_spec_free() unless sa_table_install() took them);
 * without (DELETE) only the identity is filled. 0, or -EINVAL/-ENOMEM
 * with *why set; nothing to free on error.
 */
int	ipsecd_sa_from_msg(const Parapet__Sa *m, bool keys,
	    struct sa_spec *spec, enum ipsecd_sa_reject *why) MUST_CHECK;
/* Free the keys of a spec that was not installed. */
void	ipsecd_sa_spec_free(struct sa_spec *);
/* Wipe the key bytes of a received message (they are in malloc'd
 * protobuf-c memory that is freed without wiping). */
void	ipsecd_sa_wipe(const Parapet__Sa *m);
/* Identity of a spec for its persistent state (sa_state.h). */
void	ipsecd_sa_pstate_id(const struct sa_spec *, struct sa_pstate_id *);

#endif
