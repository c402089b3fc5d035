/*
 * sysctl.c - the table of policyd's system-wide IPsec variables
 * (sysctl.h): KAME's names, meanings and defaults, with the ranges KAME's
 * sysctl handler accepts (def_policy discard/none, deflev use/require)
 * and those the variables' meanings allow (DESIGN §10.13).
 *
 * Sources: KAME netinet6/ipsec.c (ip4_ah_cleartos = 1, ip4_ah_offsetmask
 * = 0, ip4_ipsec_dfbit = 0, ip4_*_deflev = IPSEC_LEVEL_USE, ip4_ipsec_ecn
 * = 0 with -1 ignore / 0 forbidden / 1 allowed, ipsec_debug = 0,
 * ip4_def_policy IPSEC_POLICY_NONE) and NetBSD ipsec(4). KAME's IPv6 tree
 * has no ah_cleartos, ah_offsetmask or dfbit (IPv6 has no such header
 * fields), so neither has ours. No I/O.
 */
#include <errno.h>
#include <string.h>

#include "sysctl.h"

#define V4	"net.inet.ipsec."
#define V6	"net.inet6.ipsec6."

static const struct sysctl_var vars[SYSCTL_COUNT] = {
	[SYSCTL_IP4_DEF_POLICY] = { V4 "def_policy", 0, 1, 1,
	    "no matching policy: 0 discard, 1 none" },
	[SYSCTL_IP4_ESP_TRANS_DEFLEV] = { V4 "esp_trans_deflev", 1, 2, 1,
	    "level default for ESP transport: 1 use, 2 require" },
	[SYSCTL_IP4_ESP_NET_DEFLEV] = { V4 "esp_net_deflev", 1, 2, 1,
	    "level default for ESP tunnel: 1 use, 2 require" },
	[SYSCTL_IP4_AH_TRANS_DEFLEV] = { V4 "ah_trans_deflev", 1, 2, 1,
	    "level default for AH transport: 1 use, 2 require" },
	[SYSCTL_IP4_AH_NET_DEFLEV] = { V4 "ah_net_deflev", 1, 2, 1,
	    "level default for AH tunnel: 1 use, 2 require" },
	[SYSCTL_IP4_AH_CLEARTOS] = { V4 "ah_cleartos", 0, 1, 1,
	    "zero the TOS field in the AH ICV" },
	[SYSCTL_IP4_AH_OFFSETMASK] = { V4 "ah_offsetmask", 0, 0xffff, 0,
	    "mask on the fragment offset field in the AH ICV" },
	[SYSCTL_IP4_DFBIT] = { V4 "dfbit", 0, 2, 0,
	    "tunnel outer DF: 0 clear, 1 set, 2 copy" },
	[SYSCTL_IP4_ECN] = { V4 "ecn", -1, 1, 0,
	    "tunnel ECN: -1 ignore, 0 forbidden, 1 allowed" },
	[SYSCTL_IP4_DEBUG] = { V4 "debug", 0, 1, 0, "debug logging" },
	[SYSCTL_IP6_DEF_POLICY] = { V6 "def_policy", 0, 1, 1,
	    "no matching policy: 0 discard, 1 none" },
	[SYSCTL_IP6_ESP_TRANS_DEFLEV] = { V6 "esp_trans_deflev", 1, 2, 1,
	    "level default for ESP transport: 1 use, 2 require" },
	[SYSCTL_IP6_ESP_NET_DEFLEV] = { V6 "esp_net_deflev", 1, 2, 1,
	    "level default for ESP tunnel: 1 use, 2 require" },
	[SYSCTL_IP6_AH_TRANS_DEFLEV] = { V6 "ah_trans_deflev", 1, 2, 1,
	    "level default for AH transport: 1 use, 2 require" },
	[SYSCTL_IP6_AH_NET_DEFLEV] = { V6 "ah_net_deflev", 1, 2, 1,
	    "level default for AH tunnel: 1 use, 2 require" },
	[SYSCTL_IP6_ECN] = { V6 "ecn", -1, 1, 0,
	    "tunnel ECN: -1 ignore, 0 forbidden, 1 allowed" },
	[SYSCTL_IP6_DEBUG] = { V6 "debug", 0, 1, 0, "debug logging" },
};
_Static_assert(nitems(vars) == SYSCTL_COUNT, "vars");

const struct sysctl_var *
sysctl_var(enum sysctl_id id)
{
	return (unsigned)id < SYSCTL_COUNT ? &vars[id] : NULL;
}

const struct sysctl_var *
sysctl_find(const char *name, enum sysctl_id *idp)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < nitems(vars); i++) {
		if (strcmp(vars[i].name, name) == 0) {
			if (idp != NULL)
				*idp = (enum sysctl_id)i;
			return &vars[i];
		}
	}
	return NULL;
}

void
sysctl_defaults(struct sysctl_vals *s)
{
	size_t i;

	for (i = 0; i < nitems(vars); i++)
		s->v[i] = vars[i].def;
}

int
sysctl_set(struct sysctl_vals *s, enum sysctl_id id, int64_t value,
    int32_t *oldp)
{
	const struct sysctl_var *v = sysctl_var(id);

	if (v == NULL || value < v->min || value > v->max)
		return -EINVAL;
	if (oldp != NULL)
		*oldp = s->v[id];
	s->v[id] = (int32_t)value;
	return 0;
}

int32_t
sysctl_get(const struct sysctl_vals *s, enum sysctl_id id)
{
	return (unsigned)id < SYSCTL_COUNT ? s->v[id] : 0;
}
