/*
 * sysctl.h - policyd's system-wide IPsec variables: the table of names,
 * ranges and defaults (KAME's net.inet.ipsec.* and net.inet6.ipsec6.*,
 * DESIGN §6), and a value set checked against it. Pure: no I/O, no
 * globals but the constant table.
 *
 * Names and values arrive from peers (parapetctl over the bus) and from
 * the persistent store: sysctl_find() and sysctl_set() are the checks.
 */
#ifndef PARAPET_POLICYD_SYSCTL_H
#define PARAPET_POLICYD_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum sysctl_id {
	SYSCTL_IP4_DEF_POLICY,
	SYSCTL_IP4_ESP_TRANS_DEFLEV,
	SYSCTL_IP4_ESP_NET_DEFLEV,
	SYSCTL_IP4_AH_TRANS_DEFLEV,
	SYSCTL_IP4_AH_NET_DEFLEV,
	SYSCTL_IP4_AH_CLEARTOS,
	SYSCTL_IP4_AH_OFFSETMASK,
	SYSCTL_IP4_DFBIT,
	SYSCTL_IP4_ECN,
	SYSCTL_IP4_DEBUG,
	SYSCTL_IP6_DEF_POLICY,
	SYSCTL_IP6_ESP_TRANS_DEFLEV,
	SYSCTL_IP6_ESP_NET_DEFLEV,
	SYSCTL_IP6_AH_TRANS_DEFLEV,
	SYSCTL_IP6_AH_NET_DEFLEV,
	SYSCTL_IP6_ECN,
	SYSCTL_IP6_DEBUG,
	SYSCTL_COUNT
};

struct sysctl_var {
	const char	*name;		/* "net.inet.ipsec.dfbit" */
	int32_t		 min, max;	/* accepted values, inclusive */
	int32_t		 def;		/* KAME's default */
	const char	*descr;
};

/* The current values, indexed by enum sysctl_id. */
struct sysctl_vals {
	int32_t		v[SYSCTL_COUNT];
};

/* Row id (< SYSCTL_COUNT) of the table. */
const struct sysctl_var *sysctl_var(enum sysctl_id);
/* By name: the row and its id, or NULL (unknown name). */
const struct sysctl_var *sysctl_find(const char *name, enum sysctl_id *idp);
void	sysctl_defaults(struct sysctl_vals *);
/*
 * Set one variable. -EINVAL when value is outside the row's range (nothing
 * changes); *oldp (may be NULL) gets the previous value.
 */
int	sysctl_set(struct sysctl_vals *, enum sysctl_id, int64_t value,
	    int32_t *oldp) MUST_CHECK;
int32_t	sysctl_get(const struct sysctl_vals *, enum sysctl_id);

#endif
