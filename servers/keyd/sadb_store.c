/*
 * sadb_store.c - the SADB's records in keyd's store (common/pstore.h), so
 * that every SA outlives a kill -9 of keyd (DESIGN §8).
 *
 * One record per SA, rewritten (copy-on-write, pstore) on every change
 * the SADB reports through its persist hooks:
 *
 *   magic "SAR1" (be32), state u8, used u8, reserved u16, seq u32,
 *   allocations u32, bytes u64, add_ms u64, use_ms u64, generation u64,
 *   pf_len u32, then pf_len bytes: the SA as a PF_KEY GET reply with its
 *   keys (sadb_sa_view() built by pfkey_build_msg())
 *
 * Numbers after the magic are in host order: a store never leaves the
 * machine. Times are keyd's monotonic milliseconds, which continue across
 * restarts of keyd (the clock is the system's, not the process's), so
 * lifetimes keep running while keyd is down and fire at its first tick.
 *
 * Loading parses every record as untrusted bytes (the PF_KEY part with
 * pfkey_msg_parse_reply(), the judge of replies) and restores it; a
 * record that does not parse is deleted and counted, never fatal.
 */
#include <errno.h>
#include <string.h>

#include "pfkey_build.h"
#include "pfkey_msg.h"
#include "pstore.h"
#include "rd.h"
#include "sadb.h"
#include "sadb_store.h"
#include "wr.h"

#define SAR_MAGIC	0x53415231u	/* "SAR1" */
#define SAR_HDR_BYTES	52u
#define SAR_BUF_BYTES	PSTORE_REC_MAX

int
sadb_store_put(void *arg, const struct sadb_sa *sa, uint32_t *handle)
{
	struct pstore *ps = arg;
	static uint8_t buf[SAR_BUF_BYTES];	/* one thread, as the core */
	struct sa_restore r;
	struct pfkey_msg m;
	struct wr w;
	size_t pf_len, cap = pstore_rec_max(ps);
	int error = 0;

	if (cap > sizeof(buf))
		cap = sizeof(buf);
	if (cap < SAR_HDR_BYTES)
		return -EMSGSIZE;
	sadb_sa_restore_info(sa, &r);
	sadb_sa_view(sa, true, 0, &m);
	m.hdr.version = PARAPET_PF_KEY_V2;
	m.hdr.type = PARAPET_SADB_GET;
	m.hdr.satype = sadb_sa_satype(sa);
	if ((error = pfkey_build_msg(&m, buf + SAR_HDR_BYTES,
	    cap - SAR_HDR_BYTES, &pf_len)) != 0)
		goto out;
	wr_init(&w, buf, SAR_HDR_BYTES);
	error |= wr_be32(&w, SAR_MAGIC);
	error |= wr_u8(&w, r.state);
	error |= wr_u8(&w, r.used ? 1 : 0);
	error |= wr_zero(&w, 2);
	error |= wr_h32(&w, r.seq);
	error |= wr_h32(&w, r.cur_allocs);
	error |= wr_h64(&w, r.cur_bytes);
	error |= wr_h64(&w, r.add_ms);
	error |= wr_h64(&w, r.use_ms);
	error |= wr_h64(&w, r.gen);
	error |= wr_h32(&w, (uint32_t)pf_len);
	if (error != 0) {
		error = -EMSGSIZE;
		goto out;
	}
	error = pstore_put(ps, handle, buf, SAR_HDR_BYTES + pf_len);
out:
	/* The buffer held keys. */
	explicit_bzero(buf, cap);
	return error;
}

void
sadb_store_del(void *arg, uint32_t handle)
{
	(void)pstore_del(arg, handle);
}

struct load {
	struct sadb		*db;
	struct pstore		*ps;
	struct sadb_store_stats	*st;
};

/* One record: parse, restore; a bad one is deleted and counted. */
static int
load_one(void *arg, uint32_t handle, const void *data, size_t len)
{
	struct load *l = arg;
	struct sa_restore r;
	struct sa_params p;
	struct pfkey_msg m;
	enum pfkey_reject why;
	struct sadb_sa *sa;
	uint32_t magic, pf_len;
	uint8_t state, used;
	struct rd rd;
	int error = 0;

	memset(&r, 0, sizeof(r));
	rd_init(&rd, data, len);
	error |= rd_be32(&rd, &magic);
	error |= rd_u8(&rd, &state);
	error |= rd_u8(&rd, &used);
	error |= rd_skip(&rd, 2);
	error |= rd_h32(&rd, &r.seq);
	error |= rd_h32(&rd, &r.cur_allocs);
	error |= rd_h64(&rd, &r.cur_bytes);
	error |= rd_h64(&rd, &r.add_ms);
	error |= rd_h64(&rd, &r.use_ms);
	error |= rd_h64(&rd, &r.gen);
	error |= rd_h32(&rd, &pf_len);
	if (error != 0 || magic != SAR_MAGIC || used > 1 ||
	    pf_len != rd.left)
		goto bad;
	if (pfkey_msg_parse_reply(rd.p, rd.left, &m, &why) != 0 ||
	    m.hdr.type != PARAPET_SADB_GET || m.hdr.msg_errno != 0)
		goto bad;
	sadb_params_from_msg(&m, &p);
	r.state = state;
	r.used = used != 0;
	r.handle = handle;
	if (sadb_restore(l->db, &p, &r, &sa) != 0)
		goto bad;
	l->st->restored++;
	return 0;
bad:
	l->st->bad++;
	(void)pstore_del(l->ps, handle);
	return 0;
}

int
sadb_store_load(struct sadb *db, struct pstore *ps,
    struct sadb_store_stats *st)
{
	struct load l = { db, ps, st };

	memset(st, 0, sizeof(*st));
	return pstore_scan(ps, load_one, &l);
}
