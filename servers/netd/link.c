/*
 * link.c - what every link driver shares: kinds by name, open/close
 * through the ops table, and the software checksum (see link.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "link.h"
#include "pkt.h"

static const char *const kind_names[LINK_KIND_COUNT] = {
	[LINK_TAP] = "tap",
	[LINK_TUN] = "tun",
	[LINK_PACKET] = "packet",
	[LINK_UDP] = "udp",
	[LINK_RAW] = "raw",
	[LINK_MEM] = "mem",
};
_Static_assert(nitems(kind_names) == LINK_KIND_COUNT, "kind_names");

static const struct link_ops *const kind_ops[LINK_KIND_COUNT] = {
	[LINK_TAP] = &link_tap_ops,
	[LINK_TUN] = &link_tun_ops,
	[LINK_PACKET] = &link_packet_ops,
	[LINK_UDP] = &link_udp_ops,
	[LINK_RAW] = &link_raw_ops,
	[LINK_MEM] = &link_mem_ops,
};

const char *
link_kind_name(enum link_kind k)
{
	return (unsigned)k < LINK_KIND_COUNT ? kind_names[k] : "unknown";
}

int
link_kind_parse(const char *s, enum link_kind *k)
{
	unsigned i;

	for (i = 0; i < LINK_KIND_COUNT; i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*k = (enum link_kind)i;
			return 0;
		}
	return -EINVAL;
}

int
link_open(struct link *l, const struct link_cfg *c)
{
	int error;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (c->kind >= LINK_KIND_COUNT)
		return -EINVAL;
	l->ops = kind_ops[c->kind];
	l->cfg = *c;
	if ((error = l->ops->open(l, c)) != 0) {
		/* A handed descriptor is ours even when the open failed. */
		if (c->has_fd && l->fd != c->fd && c->fd >= 0)
			close(c->fd);
		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
		l->ops = NULL;
	}
	return error;
}

void
link_close(struct link *l)
{
	if (l->ops == NULL)
		return;
	l->ops->close(l);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	l->ops = NULL;
}

int
link_csum_complete(uint8_t *f, size_t len, size_t start, size_t off)
{
	uint16_t v;

	if (start >= len || off + 2 > len - start)
		return -EINVAL;
	v = (uint16_t)~pkt_csum_fold(pkt_csum_add(0, f + start, len - start));
	if (v == 0)
		v = 0xffff;	/* UDP: 0 would mean "none" (RFC 768) */
	f[start + off] = (uint8_t)(v >> 8);
	f[start + off + 1] = (uint8_t)v;
	return 0;
}
