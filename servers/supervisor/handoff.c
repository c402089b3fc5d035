/*
 * handoff.c - encode and check the supervisor -> server handoff datagram
 * (handoff.h). Pure. The decoder's input comes over a socket from the
 * supervisor; it is still checked as if anyone could have written it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "handoff.h"
#include "supervisor.pb-c.h"


static bool
instance_ok(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++) {
		unsigned char ch = (unsigned char)s[n];

		if (n >= CONFIG_PATH_MAX - 1 || ch < 0x20 || ch == 0x7f)
			return false;
	}
	return true;
}

size_t
handoff_nfds(const struct handoff *h)
{
	return h->nregions * HANDOFF_FDS_PER_REGION + h->nlinks +
	    (h->store ? 1 : 0);
}

/* Link names: well formed, none twice. */
static bool
names_ok(char *const *names, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (names[i] == NULL || !config_name_ok(names[i]))
			return false;
		for (k = 0; k < i; k++)
			if (strcmp(names[k], names[i]) == 0)
				return false;
	}
	return true;
}

int
handoff_encode(const struct handoff *h, uint8_t *buf, size_t len,
    size_t *outlen)
{
	Parapet__Handoff m;
	Parapet__HandoffRegion r[HANDOFF_REGIONS_MAX];
	Parapet__HandoffRegion *rp[HANDOFF_REGIONS_MAX];
	char *lp[HANDOFF_LINKS_MAX];
	size_t i, need;

	parapet__handoff__init(&m);
	if (h->nregions > HANDOFF_REGIONS_MAX ||
	    h->nlinks > HANDOFF_LINKS_MAX || !instance_ok(h->instance))
		return -EINVAL;
	for (i = 0; i < h->nlinks; i++)
		lp[i] = deconst(h->links[i]);
	if (!names_ok(lp, h->nlinks))
		return -EINVAL;
	for (i = 0; i < h->nregions; i++) {
		if (!config_name_ok(h->regions[i].name) ||
		    h->regions[i].side > 1)
			return -EINVAL;
		parapet__handoff_region__init(&r[i]);
		r[i].name = deconst(h->regions[i].name);
		r[i].side = h->regions[i].side;
		rp[i] = &r[i];
	}
	m.version = HANDOFF_VERSION;
	m.instance = deconst(h->instance);
	m.supervisor_pid = h->supervisor_pid;
	m.restarts = h->restarts;
	m.n_regions = h->nregions;
	m.regions = rp;
	m.store = h->store;
	m.n_links = h->nlinks;
	m.links = lp;
	need = parapet__handoff__get_packed_size(&m);
	if (need > len)
		return -EMSGSIZE;
	*outlen = parapet__handoff__pack(&m, buf);
	return 0;
}

static int
check(const Parapet__Handoff *m, size_t nfds, struct handoff *h)
{
	size_t i;

	if (m->version != HANDOFF_VERSION)
		return -EBADMSG;
	if (m->n_regions > HANDOFF_REGIONS_MAX ||
	    m->n_links > HANDOFF_LINKS_MAX ||
	    nfds != m->n_regions * HANDOFF_FDS_PER_REGION + m->n_links +
	    (m->store ? 1 : 0))
		return -EBADMSG;
	if (!names_ok(m->links, m->n_links))
		return -EBADMSG;
	if (m->instance == NULL || !instance_ok(m->instance))
		return -EBADMSG;
	memset(h, 0, sizeof(*h));
	snprintf(h->instance, sizeof(h->instance), "%s", m->instance);
	h->supervisor_pid = m->supervisor_pid;
	h->restarts = m->restarts;
	h->store = m->store;
	for (i = 0; i < m->n_regions; i++) {
		const Parapet__HandoffRegion *r = m->regions[i];
		size_t k;

		if (r == NULL || r->name == NULL || !config_name_ok(r->name) ||
		    r->side > 1)
			return -EBADMSG;
		for (k = 0; k < i; k++)
			if (strcmp(h->regions[k].name, r->name) == 0)
				return -EBADMSG;
		snprintf(h->regions[i].name, sizeof(h->regions[i].name), "%s",
		    r->name);
		h->regions[i].side = r->side;
	}
	h->nregions = m->n_regions;
	for (i = 0; i < m->n_links; i++)
		snprintf(h->links[i], sizeof(h->links[i]), "%s", m->links[i]);
	h->nlinks = m->n_links;
	return 0;
}

int
handoff_decode(const uint8_t *buf, size_t len, size_t nfds, struct handoff *h)
{
	Parapet__Handoff *m;
	int error;

	if (len > HANDOFF_BYTES_MAX)
		return -EBADMSG;
	if ((m = parapet__handoff__unpack(NULL, len, buf)) == NULL)
		return -EBADMSG;
	error = check(m, nfds, h);
	parapet__handoff__free_unpacked(m, NULL);
	return error;
}
