/*
 * fake_ipsecd.h - a stand-in for ipsecd on ring side B, and netd's side
 * around it in memory (struct netd_rig), for netd's unit test
 * (test_netd_ring.c), fuzz target (tests/fuzz/fuzz_netd_ring.c) and
 * benchmark (bench/bench_netd_ring.c). Side B takes work descriptors, reads the metadata block as ipsecd does
 * (pkt_meta_decode), runs ipsecd's own ESP code (esp_encap / esp_decap of
 * ipsecd_xform) with one SA, and answers on the done ring, with a result
 * block for UNPROTECT. Knobs let a test force a result, a mode, flags or
 * a wrong op. Header-only; include netd_ring.h first.
 *
 *   f->sa      the SA (transport; tunnel endpoints come from the block
 *              for PROTECT, f->mode says the mode for UNPROTECT)
 *   f->force   -1: transform; else answer this pkt_result
 *   f->mode    UNPROTECT: the SA's mode (PKT_MODE_*)
 *   f->report  the mode written in the result block (0: f->mode)
 *   f->flags   set on every done descriptor (RING_F_RECOVERED)
 *   f->op_delta added to desc.op on the way back
 *
 * The rig: host_peer <-mem-> host [bridge + netd_ring] wire <-mem->
 * wire_peer, a region in this process with both sides attached (A for
 * netd_ring, B for the fake ipsecd), an SPD from -P specs, decide()'s
 * context with policyd known and ipsecd up, now_ms 1000, wire MTU 1500.
 */
#ifndef PARAPET_TEST_FAKE_IPSECD_H
#define PARAPET_TEST_FAKE_IPSECD_H

#include <string.h>

#include <unistd.h>

#include "esp.h"
#include "netd_conf.h"
#include "xform.h"

struct fake_ipsecd {
	struct ring_region	*r;
	struct xform_sa		 sa;
	int			 force;
	uint8_t			 mode;
	uint8_t			 report;
	uint8_t			 flags;
	int			 op_delta;
	uint64_t		 seq;
};

/* The SA for a request: tunnel endpoints from the metadata (gateway). */
static inline void
fb_sa(const struct fake_ipsecd *f, struct xform_sa *x, uint8_t mode,
    const struct pkt_entry *e)
{
	*x = f->sa;
	if (mode != PKT_MODE_TUNNEL)
		return;
	x->mode = XFORM_MODE_TUNNEL;
	x->tun_src.family = x->tun_dst.family = 4;
	if (e != NULL) {
		memcpy(x->tun_src.a, e->src.a, 4);
		memcpy(x->tun_dst.a, e->dst.a, 4);
	}
}

static inline enum pkt_result
fb_protect(struct fake_ipsecd *f, struct xform_pkt *p,
    const struct pkt_meta *m, uint32_t *hint)
{
	size_t off0 = p->off, len0 = p->len;
	struct xform_sa x;
	uint8_t save[2048];

	if (m->mtu != 0)
		memcpy(save, p->buf + off0, len0);
	f->seq++;
	fb_sa(f, &x, m->e[0].mode, &m->e[0]);
	if (esp_encap(&x, p, f->seq, f->seq) != 0)
		return PKT_R_MALFORMED;
	if (m->mtu != 0 && p->len > m->mtu) {
		*hint = (uint32_t)(m->mtu - (p->len - len0));
		memcpy(p->buf + off0, save, len0);
		p->off = off0;
		p->len = len0;
		return PKT_R_TOO_BIG;
	}
	return PKT_R_OK;
}

static inline enum pkt_result
fb_unprotect(struct fake_ipsecd *f, struct xform_pkt *p, uint8_t *slot)
{
	enum pkt_meta_reject mwhy;
	enum xform_reject why;
	struct esp_in in;
	struct pkt_meta res;
	struct xform_sa x;

	fb_sa(f, &x, f->mode, NULL);
	if (esp_parse(p, &in, &why) != 0 || in.spi != f->sa.spi ||
	    esp_decap(&x, p, &in, 0, &why) < 0)
		return PKT_R_AUTH;
	memset(&res, 0, sizeof(res));
	res.op = PKT_OP_UNPROTECT;
	res.n = 1;
	res.e[0].proto = PKT_PROTO_ESP;
	res.e[0].mode = f->report != 0 ? f->report : f->mode;
	res.e[0].spi = f->sa.spi;
	res.e[0].gen = 1;
	res.e[0].src.family = res.e[0].dst.family = 4;
	memcpy(res.e[0].src.a, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	memcpy(res.e[0].dst.a, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	if (pkt_meta_encode(&res, PKT_META_DONE, slot, p->off, &mwhy) != 0)
		return PKT_R_INTERNAL;
	return PKT_R_OK;
}

/* Take the work descriptors (up to 64), answer each; returns how many,
 * or -1 (a descriptor or block netd should not have sent, or a failed
 * ring call). */
static inline int
fake_ipsecd_run(struct fake_ipsecd *f)
{
	const struct ring_geom *g = ring_region_geom(f->r);
	enum pkt_meta_reject why;
	struct ring_desc d[64];
	struct xform_pkt p;
	struct pkt_meta m;
	enum pkt_result r;
	uint32_t hint;
	uint8_t *slot;
	int n, i;

	if ((n = ring_recv(f->r, d, 64)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		slot = ring_slot(f->r, d[i].slot);
		hint = d[i].hint;
		if (pkt_meta_decode(slot, d[i].off, d[i].op, PKT_META_WORK, &m,
		    &why) != 0)
			return -1;
		p.buf = slot;
		p.cap = g->slot_bytes;
		p.off = d[i].off;
		p.len = d[i].len;
		if (f->force >= 0)
			r = (enum pkt_result)f->force;
		else if (m.op == PKT_OP_PROTECT)
			r = fb_protect(f, &p, &m, &hint);
		else
			r = fb_unprotect(f, &p, slot);
		d[i].off = (uint16_t)p.off;
		d[i].len = (uint16_t)p.len;
		d[i].result = pkt_result_to_ring(r);
		d[i].hint = hint;
		d[i].flags = f->flags;
		d[i].op = (uint8_t)(d[i].op + f->op_delta);
	}
	if (n > 0 && ring_send(f->r, d, (unsigned)n) != 0)
		return -1;
	return n;
}

struct netd_rig {
	struct link		 host, host_peer, wire, wire_peer;
	struct spd		*db;
	struct decide_ctx	 dc;
	struct bridge		 br;
	struct netd_ring	 nr;
	struct ring_region	*ra, *rb;
	struct xform_key	*key;
	struct fake_ipsecd	 b;	/* side B: SA spi, AES-256-GCM */
};

/* The region: nslots of 2048 bytes, both sides attached here. */
static inline int
netd_rig_region(struct netd_rig *r, uint32_t nslots)
{
	const struct ring_geom geom = {
		.nslots = nslots, .slot_bytes = 2048, .headroom = 128,
		.tailroom = 64,
	};
	int fd, efd[2], error;

	if (ring_region_create(&geom, "rig", (uint8_t[16]){ 0 }, &fd) != 0)
		return -1;
	if (ring_doorbells_create(efd) != 0) {
		close(fd);
		return -1;
	}
	error = ring_region_attach(&r->ra, fd, RING_SIDE_A, efd) != 0 ||
	    ring_region_attach(&r->rb, fd, RING_SIDE_B, efd) != 0 ? -1 : 0;
	close(fd);
	close(efd[0]);
	close(efd[1]);
	return error;
}

/* pol: -P specs, NULL-terminated. 0, or -1. */
static inline int
netd_rig_init(struct netd_rig *r, uint32_t nslots, size_t memq,
    const char *const *pol, uint32_t spi)
{
	static const uint8_t k[36] = { 1, 2, 3 };
	struct spd_entry e;

	memset(r, 0, sizeof(*r));
	if (xform_init() != 0 ||
	    link_mem_pair(&r->host_peer, &r->host, memq) != 0 ||
	    link_mem_pair(&r->wire, &r->wire_peer, memq) != 0 ||
	    spd_create(&r->db, 7) != 0)
		return -1;
	for (; *pol != NULL; pol++)
		if (netd_conf_policy(*pol, &e) != 0 ||
		    spd_add(r->db, &e, 0, NULL) != 0)
			return -1;
	r->dc.spd = r->db;
	decide_params_default(&r->dc.params);
	r->dc.policyd_known = r->dc.ipsecd_up = true;
	if (bridge_init(&r->br, &r->host, &r->wire, &r->dc) != 0 ||
	    netd_rig_region(r, nslots) != 0 ||
	    netd_ring_init(&r->nr, r->ra, &r->br, &r->dc, 1000, 7) != 0 ||
	    xform_key_new(XFORM_AES256GCM16, k,
	    xform_get(XFORM_AES256GCM16)->key_bytes, &r->key) != 0)
		return -1;
	r->nr.mtu = 1500;
	r->b.r = r->rb;
	r->b.sa.spi = spi;
	r->b.sa.proto = IPPROTO_ESP;
	r->b.sa.mode = XFORM_MODE_TRANSPORT;
	r->b.sa.enc = r->key;
	r->b.force = -1;
	r->b.mode = PKT_MODE_TRANSPORT;
	return 0;
}

static inline void
netd_rig_fini(struct netd_rig *r)
{
	netd_ring_fini(&r->nr);
	ring_region_detach(r->ra);
	ring_region_detach(r->rb);
	xform_key_free(r->key);
	bridge_fini(&r->br);
	spd_destroy(r->db);
	link_close(&r->host);
	link_close(&r->host_peer);
	link_close(&r->wire);
	link_close(&r->wire_peer);
}

#endif
