/*
 * bridge.c - bump in the stack (see bridge.h).
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bridge.h"

int
bridge_init(struct bridge *b, struct link *host, struct link *wire,
    struct decide_ctx *dc)
{
	unsigned i;

	memset(b, 0, sizeof(*b));
	if (host->l2 != wire->l2)
		return -EINVAL;
	if ((b->mem = malloc((size_t)LINK_BATCH * LINK_BUF_BYTES)) == NULL)
		return -ENOMEM;
	for (i = 0; i < LINK_BATCH; i++) {
		b->rx[i].data = b->mem + (size_t)i * LINK_BUF_BYTES;
		b->rx[i].cap = LINK_BUF_BYTES;
	}
	b->side[DECIDE_FROM_HOST] = host;
	b->side[DECIDE_FROM_WIRE] = wire;
	b->dc = dc;
	return 0;
}

void
bridge_fini(struct bridge *b)
{
	free(b->mem);
	b->mem = NULL;
}

static bool
drop(struct bridge *b, uint64_t *why)
{
	b->st.dropped++;
	(*why)++;
	return false;
}

/* To the divert hook, or dropped (counted in *why) without one. */
static bool
divert(struct bridge *b, struct link_pkt *p, enum decide_from from,
    size_t l3, const struct pkt_info *pi, const struct decide_result *r,
    uint64_t *why)
{
	if (b->divert == NULL)
		return drop(b, why);
	b->st.diverted++;
	b->divert(b->divert_arg, p, from, l3, pi, r);
	return false;
}

/* A partial TCP / UDP checksum, from the packet's own headers. */
static void
fix_csum(struct bridge *b, struct link_pkt *p, size_t l3, const
    struct pkt_info *pi)
{
	size_t off;

	if (pi->frag || (pi->proto != IPPROTO_TCP && pi->proto != IPPROTO_UDP))
		return;
	off = pi->proto == IPPROTO_TCP ? 16 : 6;
	/* Only the datagram, not the Ethernet padding after it. */
	if (link_csum_complete(p->data, l3 + pi->len, l3 + pi->l4_off,
	    off) == 0)
		b->st.csum_fixed++;
}

bool
bridge_frame(struct bridge *b, struct link_pkt *p, enum decide_from from)
{
	struct link *in = b->side[from], *out = b->side[!from];
	struct decide_result r;
	struct pkt_info pi;
	enum pkt_reject e;
	uint16_t et = 0;
	size_t l3 = 0;

	if (in->l2) {
		if ((e = pkt_eth_parse(p->data, p->len, &et, &l3)) != PKT_OK) {
			b->st.pkt_reject[e]++;
			return drop(b, &b->st.rejected);
		}
		if (et != ETHERTYPE_IPV4 && et != ETHERTYPE_IPV6) {
			b->st.nonip++;
			return true;
		}
	}
	e = pkt_parse(p->data + l3, p->len - l3, &pi);
	if (e == PKT_OK && in->l2 &&
	    (et == ETHERTYPE_IPV4) != (pi.family == AF_INET))
		e = PKT_R_VERSION;	/* ethertype and version disagree */
	if (e != PKT_OK) {
		b->st.pkt_reject[e]++;
		return drop(b, &b->st.rejected);
	}
	if (from == DECIDE_FROM_WIRE && pi.kind == PKT_K_ICMP &&
	    b->icmp != NULL && b->icmp(b->icmp_arg, p->data + l3, &pi))
		return false;
	decide(b->dc, &pi, from, &r);
	switch (r.verdict) {
	case DECIDE_V_BYPASS:
	case DECIDE_V_DELIVER:
	case DECIDE_V_FORWARD:
		break;
	case DECIDE_V_DISCARD:
		return drop(b, &b->st.discarded);
	case DECIDE_V_HOLD:
		return divert(b, p, from, l3, &pi, &r, &b->st.held);
	default:
		return divert(b, p, from, l3, &pi, &r, &b->st.no_path);
	}
	if (b->no_clear)	/* an overlay: never in clear (bridge.h) */
		return drop(b, &b->st.clear_dropped);
	if (p->csum_partial && !out->vnet)
		fix_csum(b, p, l3, &pi);
	if (in->vnet && !out->vnet) {
		if (p->vnet.gso_type != VIRTIO_NET_HDR_GSO_NONE)
			return drop(b, &b->st.gso_dropped);
		if (p->vnet.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
			if (link_csum_complete(p->data, p->len,
			    p->vnet.csum_start, p->vnet.csum_offset) == 0)
				b->st.csum_fixed++;
			p->vnet.flags = 0;
		}
	}
	b->st.passed++;
	return true;
}

int
bridge_pump(struct bridge *b, enum decide_from from)
{
	struct link *in = b->side[from], *out = b->side[!from];
	unsigned i, k = 0;
	int n, s;

	if ((n = link_recv(in, b->rx, LINK_BATCH)) <= 0)
		return n;
	for (i = 0; i < (unsigned)n; i++) {
		if (bridge_frame(b, &b->rx[i], from)) {
			b->tx[k] = b->rx[i];
			if (!in->vnet)
				memset(&b->tx[k].vnet, 0,
				    sizeof(b->tx[k].vnet));
			k++;
		}
	}
	if (k > 0 && (s = link_send(out, b->tx, k)) >= 0 && (unsigned)s < k)
		b->st.send_lost += k - (unsigned)s;
	return n;
}

void
bridge_inject(struct bridge *b, struct link_pkt *p, enum decide_from from)
{
	struct link *out = b->side[!from];
	int s;

	if (!bridge_frame(b, p, from))
		return;
	if (!b->side[from]->vnet)
		memset(&p->vnet, 0, sizeof(p->vnet));
	if ((s = link_send(out, p, 1)) >= 0 && s < 1)
		b->st.send_lost++;
}
