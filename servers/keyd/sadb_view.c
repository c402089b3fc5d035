/*
 * sadb_view.c - reading the SADB: accessors, the PF_KEY view of an SA for
 * GET, DUMP, GETSPI and EXPIRE replies, DUMP cursors and memory figures
 * (sadb.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sadb_impl.h"

/* --- Accessors and the PF_KEY view -------------------------------------- */

uint32_t
sadb_sa_spi(const struct sadb_sa *sa)
{
	return sa->sa.spi;
}

uint8_t
sadb_sa_satype(const struct sadb_sa *sa)
{
	return sa->satype;
}

enum sa_state
sadb_sa_state(const struct sadb_sa *sa)
{
	return (enum sa_state)sa->sa.state;
}

uint32_t
sadb_sa_reqid(const struct sadb_sa *sa)
{
	return sa->reqid;
}

uint32_t
sadb_sa_seq(const struct sadb_sa *sa)
{
	return sa->seq;
}

uint64_t
sadb_sa_generation(const struct sadb_sa *sa)
{
	return sa->gen;
}

uint64_t
sadb_last_generation(const struct sadb *db)
{
	return db->last_gen;
}

void
sadb_generation_floor(struct sadb *db, uint64_t floor)
{
	if (db->last_gen < floor)
		db->last_gen = floor;
}

static uint64_t
wall_s(uint64_t t_ms, int64_t off_ms)
{
	int64_t w;

	if (t_ms > INT64_MAX)
		return (uint64_t)INT64_MAX / 1000;
	w = (int64_t)t_ms;
	if (off_ms > 0 && w > INT64_MAX - off_ms)
		return (uint64_t)INT64_MAX / 1000;
	w += off_ms;
	return w < 0 ? 0 : (uint64_t)w / 1000;
}

void
sadb_sa_view(const struct sadb_sa *sa, bool with_keys, int64_t wall_off_ms,
    struct pfkey_msg *out)
{
	uint32_t show = sa->present;

	memset(out, 0, sizeof(*out));
	if (!with_keys)
		show &= ~KEYS_MASK;
	if (sa->ext == NULL)
		show &= ~EXTRAS_MASK;
	out->present = show | BIT(PARAPET_SADB_EXT_SA) |
	    BIT(PARAPET_SADB_EXT_LIFETIME_CURRENT) |
	    BIT(PARAPET_SADB_EXT_ADDRESS_SRC) |
	    BIT(PARAPET_SADB_EXT_ADDRESS_DST) | BIT(PARAPET_SADB_X_EXT_SA2);
	out->hdr.satype = sa->satype;
	out->sa = sa->sa;
	out->lft_current.allocations = sa->cur_allocs;
	out->lft_current.bytes = sa->cur_bytes;
	out->lft_current.addtime = wall_s(sa->add_ms, wall_off_ms);
	out->lft_current.usetime = sa->used ? wall_s(sa->use_ms, wall_off_ms) :
	    0;
	out->lft_hard = sa->hard;
	out->lft_soft = sa->soft;
	out->src = sa->src;
	out->dst = sa->dst;
	if (show & BIT(PARAPET_SADB_EXT_KEY_AUTH)) {
		out->key_auth.data = sa->keys;
		out->key_auth.len_bytes = sa->key_auth_len;
		out->key_auth.bits = (uint16_t)(8 * sa->key_auth_len);
	}
	if (show & BIT(PARAPET_SADB_EXT_KEY_ENCRYPT)) {
		out->key_encrypt.data = sa->keys + sa->key_auth_len;
		out->key_encrypt.len_bytes = sa->key_enc_len;
		out->key_encrypt.bits = (uint16_t)(8 * sa->key_enc_len);
	}
	/* Linux pfkey_xfrm_state2msg(): always SA2; ANY reads as transport. */
	out->sa2.mode = sa->mode == PARAPET_IPSEC_MODE_ANY ?
	    PARAPET_IPSEC_MODE_TRANSPORT : sa->mode;
	out->sa2.reqid = sa->reqid;
	out->sa2.sequence = sa->seq;
	out->natt_type = sa->natt_type;
	out->natt_sport = sa->natt_sport;
	out->natt_dport = sa->natt_dport;
	if (sa->ext != NULL) {
		out->natt_oa = sa->ext->natt_oa;
		out->proxy = sa->ext->proxy;
		out->ident_src = sa->ext->ident_src;
		out->ident_dst = sa->ext->ident_dst;
		out->sens = sa->ext->sens;
		out->kmprivate = sa->ext->kmprivate;
		out->sec_ctx = sa->ext->sec_ctx;
	}
}

/* --- DUMP cursors --------------------------------------------------------- */

void
sadb_dump_begin(struct sadb *db, struct sadb_cursor *c, uint8_t satype)
{
	int t = satype == PARAPET_SADB_SATYPE_UNSPEC ? 0 : sadb_type_idx(satype);

	memset(c, 0, sizeof(*c));
	c->c_db = db;
	c->c_satype = satype;
	if (t < 0) {
		c->c_done = true;
		return;
	}
	c->c_type_idx = (uint8_t)t;
	c->c_sa = db->head[t];
	c->c_remaining = sadb_count(db, satype) > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)sadb_count(db, satype);
	c->c_next = db->cursors;
	if (db->cursors != NULL)
		db->cursors->c_prev = c;
	db->cursors = c;
}

int
sadb_dump_next(struct sadb_cursor *c, const struct sadb_sa **sa,
    uint32_t *seq)
{
	struct sadb *db = c->c_db;

	*sa = NULL;
	*seq = 0;
	if (c->c_done)
		return -ENOENT;
	while (c->c_sa == NULL) {
		if (c->c_satype != PARAPET_SADB_SATYPE_UNSPEC ||
		    c->c_type_idx + 1 >= NTYPES) {
			sadb_dump_end(c);
			return -ENOENT;
		}
		c->c_type_idx++;
		c->c_sa = db->head[c->c_type_idx];
	}
	*sa = c->c_sa;
	c->c_sa = c->c_sa->l_next;
	if (c->c_remaining > 1)
		c->c_remaining--;
	*seq = c->c_remaining;
	return 0;
}

void
sadb_dump_end(struct sadb_cursor *c)
{
	struct sadb *db = c->c_db;

	if (c->c_done)
		return;
	c->c_done = true;
	c->c_sa = NULL;
	if (c->c_prev != NULL)
		c->c_prev->c_next = c->c_next;
	else if (db != NULL)
		db->cursors = c->c_next;
	if (c->c_next != NULL)
		c->c_next->c_prev = c->c_prev;
	c->c_next = c->c_prev = NULL;
}

void
sadb_memory(const struct sadb *db, struct sadb_mem *m)
{
	m->sa_bytes = db->sa_bytes;
	m->index_bytes = sizeof(*db) +
	    (db->primary.mask + 1 + db->reqid.mask + 1 + db->pair.mask + 1 +
	    db->seq.mask + 1) *
	    sizeof(struct sadb_sa *) +
	    (size_t)db->heap_cap * sizeof(struct heap_ent);
	m->key_bytes = db->nchunks * (SADB_KEY_CHUNK_BYTES +
	    sizeof(struct key_chunk));
	m->total_bytes = m->sa_bytes + m->index_bytes + m->key_bytes;
}
