/*
 * link_mem.c - the in-memory link: two crossed queues of packet copies,
 * for tests and benchmarks without root or devices (see link.h). A queue
 * is a ring of fixed slots (LINK_MEM_SLOT bytes each, a jumbo frame);
 * longer packets are dropped and counted. One thread at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"

#define LINK_MEM_SLOT	9216

struct link_memq {
	uint8_t		*buf;		/* cap slots */
	uint32_t	*len;
	struct link_vnet *vnet;
	size_t		 cap, head, n;
	unsigned	 refs;
};

int
link_memq_create(struct link_memq **qp, size_t cap)
{
	struct link_memq *q;

	if (cap == 0)
		return -EINVAL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -ENOMEM;
	q->refs = 1;	/* before any link_memq_destroy() below */
	q->buf = malloc(cap * LINK_MEM_SLOT);
	q->len = calloc(cap, sizeof(*q->len));
	q->vnet = calloc(cap, sizeof(*q->vnet));
	if (q->buf == NULL || q->len == NULL || q->vnet == NULL) {
		link_memq_destroy(q);
		return -ENOMEM;
	}
	q->cap = cap;
	*qp = q;
	return 0;
}

void
link_memq_destroy(struct link_memq *q)
{
	if (q == NULL || --q->refs > 0)
		return;
	free(q->buf);
	free(q->len);
	free(q->vnet);
	free(q);
}

size_t
link_memq_len(const struct link_memq *q)
{
	return q->n;
}

struct mem_priv {
	struct link_memq *rx, *tx;
};

static int
mem_open(struct link *l, const struct link_cfg *c)
{
	struct mem_priv *p;

	if (c->memq_rx == NULL || c->memq_tx == NULL)
		return -EINVAL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	p->rx = c->memq_rx;
	p->tx = c->memq_tx;
	p->rx->refs++;
	p->tx->refs++;
	l->priv = p;
	l->fd = -1;
	l->l2 = true;
	l->vnet = c->vnet;
	return 0;
}

static int
mem_recv(struct link *l, struct link_pkt *pk, unsigned n)
{
	struct mem_priv *p = l->priv;
	struct link_memq *q = p->rx;
	unsigned i;

	for (i = 0; i < n && q->n > 0; i++) {
		size_t at = q->head;
		uint32_t len = q->len[at];

		q->head = (q->head + 1) % q->cap;
		q->n--;
		if (len > pk[i].cap) {
			l->st.rx_trunc++;
			i--;
			continue;
		}
		memcpy(pk[i].data, q->buf + at * LINK_MEM_SLOT, len);
		pk[i].len = len;
		pk[i].vnet = q->vnet[at];
		pk[i].csum_partial = false;
		l->st.rx_pkts++;
		l->st.rx_bytes += len;
	}
	return (int)i;
}

static int
mem_send(struct link *l, struct link_pkt *pk, unsigned n)
{
	struct mem_priv *p = l->priv;
	struct link_memq *q = p->tx;
	unsigned i, sent = 0;

	for (i = 0; i < n; i++) {
		size_t at = (q->head + q->n) % q->cap;

		if (q->n == q->cap || pk[i].len > LINK_MEM_SLOT) {
			l->st.tx_err++;
			continue;
		}
		memcpy(q->buf + at * LINK_MEM_SLOT, pk[i].data, pk[i].len);
		q->len[at] = pk[i].len;
		q->vnet[at] = pk[i].vnet;
		q->n++;
		sent++;
		l->st.tx_pkts++;
		l->st.tx_bytes += pk[i].len;
	}
	return (int)sent;
}

static void
mem_close(struct link *l)
{
	struct mem_priv *p = l->priv;

	if (p == NULL)
		return;
	link_memq_destroy(p->rx);
	link_memq_destroy(p->tx);
	free(p);
	l->priv = NULL;
}

const struct link_ops link_mem_ops = {
	.name = "mem",
	.open = mem_open,
	.recv_batch = mem_recv,
	.send_batch = mem_send,
	.close = mem_close,
};

int
link_mem_pair(struct link *a, struct link *b, size_t cap)
{
	struct link_memq *ab, *ba;
	struct link_cfg c;
	int error;

	if ((error = link_memq_create(&ab, cap)) != 0)
		return error;
	if ((error = link_memq_create(&ba, cap)) != 0) {
		link_memq_destroy(ab);
		return error;
	}
	memset(&c, 0, sizeof(c));
	c.kind = LINK_MEM;
	c.memq_rx = ba;
	c.memq_tx = ab;
	if ((error = link_open(a, &c)) == 0) {
		c.memq_rx = ab;
		c.memq_tx = ba;
		if ((error = link_open(b, &c)) != 0)
			link_close(a);
	}
	/* The links hold their own references now. */
	link_memq_destroy(ab);
	link_memq_destroy(ba);
	return error;
}
