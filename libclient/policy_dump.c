/*
 * policy_dump.c - the sadb_x_policy extension back to text, as
 * ipsec_dump_policy(3) does. The bytes are untrusted: they are read
 * through rd cursors, never cast to structures, and validated in full
 * before any text is produced; everything policy_dump() accepts prints as
 * text that policy_parse() turns back into the same bytes (up to
 * policy_canon()). Departures from KAME: docs/DESIGN.md §10.7.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rd.h"
#include "wr.h"
#include "policy_impl.h"

/* ---- Dump: validate the bytes ---- */

static int
get_sockaddr(struct rd *r, uint16_t *family, struct ep *ep)
{
	uint8_t zero[8];
	uint32_t flow;
	size_t i;

	memset(ep, 0, sizeof(*ep));
	if (rd_h16(r, family) != 0)
		return EIPSEC_INVAL_ADDRESS;
	if (*family == AF_INET) {
		if (rd_bytes(r, &ep->port, 2) != 0 ||
		    rd_bytes(r, ep->addr, 4) != 0 ||
		    rd_bytes(r, zero, sizeof(zero)) != 0)
			return EIPSEC_INVAL_ADDRESS;
		/* sin_zero: the text form cannot carry anything there. */
		for (i = 0; i < sizeof(zero); i++)
			if (zero[i] != 0)
				return EIPSEC_INVAL_ADDRESS;
		return EIPSEC_NO_ERROR;
	}
	if (*family == AF_INET6) {
		if (rd_bytes(r, &ep->port, 2) != 0 ||
		    rd_be32(r, &flow) != 0 ||
		    rd_bytes(r, ep->addr, 16) != 0 ||
		    rd_h32(r, &ep->scope) != 0)
			return EIPSEC_INVAL_ADDRESS;
		return flow == 0 ? EIPSEC_NO_ERROR : EIPSEC_INVAL_ADDRESS;
	}
	return EIPSEC_INVAL_FAMILY;
}

static int
get_request(struct rd *r, struct preq *q)
{
	struct rd peek = *r, sub;
	uint16_t len, res1, fdst;
	uint32_t res2;
	int e;

	memset(q, 0, sizeof(*q));
	if (rd_h16(&peek, &len) != 0 || len < REQ_HDR_BYTES ||
	    rd_sub(r, len, &sub) != 0)
		return EIPSEC_INVAL_SADBMSG;
	/* reserved1/2: libipsec leaves them uninitialised; ignored. */
	if (rd_skip(&sub, 2) != 0 || rd_h16(&sub, &q->proto) != 0 ||
	    rd_u8(&sub, &q->mode) != 0 || rd_u8(&sub, &q->level) != 0 ||
	    rd_h16(&sub, &res1) != 0 || rd_h32(&sub, &q->reqid) != 0 ||
	    rd_h32(&sub, &res2) != 0)
		return EIPSEC_INVAL_SADBMSG;
	if (q->proto != IPPROTO_ESP && q->proto != IPPROTO_AH &&
	    q->proto != IPPROTO_COMP)
		return EIPSEC_INVAL_PROTO;
	/* ANY and BEET have no text form. */
	if (q->mode != PARAPET_IPSEC_MODE_TRANSPORT &&
	    q->mode != PARAPET_IPSEC_MODE_TUNNEL)
		return EIPSEC_INVAL_MODE;
	if (!rd_empty(&sub)) {
		if ((e = get_sockaddr(&sub, &q->family, &q->src)) != 0 ||
		    (e = get_sockaddr(&sub, &fdst, &q->dst)) != 0)
			return e;
		if (fdst != q->family)
			return EIPSEC_FAMILY_MISMATCH;
		if (!rd_empty(&sub))
			return EIPSEC_INVAL_ADDRESS;
	} else if (q->mode == PARAPET_IPSEC_MODE_TUNNEL)
		return EIPSEC_INVAL_ADDRESS;
	if (q->level > PARAPET_IPSEC_LEVEL_UNIQUE)
		return EIPSEC_INVAL_LEVEL;
	/* Only "unique" names a reqid in the text form. */
	if (q->level != PARAPET_IPSEC_LEVEL_UNIQUE && q->reqid != 0)
		return EIPSEC_INVAL_LEVEL;
	return EIPSEC_NO_ERROR;
}

/* ---- Dump: text ---- */

struct sbuf {
	char	*s;
	size_t	 len;
	size_t	 cap;
	bool	 oom;
};

static void sb_printf(struct sbuf *, const char *, ...) PRINTFLIKE(2, 3);

static void
sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	size_t want;
	char *n;
	int r;

	if (sb->oom)
		return;
	va_start(ap, fmt);
	r = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (r < 0) {
		sb->oom = true;
		return;
	}
	want = sb->len + (size_t)r + 1;
	if (want > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 64;

		while (cap < want)
			cap *= 2;
		if ((n = realloc(sb->s, cap)) == NULL) {
			sb->oom = true;
			return;
		}
		sb->s = n;
		sb->cap = cap;
	}
	va_start(ap, fmt);
	(void)vsnprintf(sb->s + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	sb->len += (size_t)r;
}

static const char *const dir_names[] = {
	[PARAPET_IPSEC_DIR_INBOUND] = "in",
	[PARAPET_IPSEC_DIR_OUTBOUND] = "out",
	[PARAPET_IPSEC_DIR_FWD] = "fwd",
};
_Static_assert(nitems(dir_names) == PARAPET_IPSEC_DIR_FWD + 1, "dirs");

static const char *const policy_names[] = {
	[PARAPET_IPSEC_POLICY_DISCARD] = "discard",
	[PARAPET_IPSEC_POLICY_NONE] = "none",
	[PARAPET_IPSEC_POLICY_IPSEC] = "ipsec",
	[PARAPET_IPSEC_POLICY_ENTRUST] = "entrust",
	[PARAPET_IPSEC_POLICY_BYPASS] = "bypass",
};
_Static_assert(nitems(policy_names) == PARAPET_IPSEC_POLICY_BYPASS + 1,
    "policies");

static const char *const mode_names[] = {
	[PARAPET_IPSEC_MODE_TRANSPORT] = "transport",
	[PARAPET_IPSEC_MODE_TUNNEL] = "tunnel",
};

static const char *const level_names[] = {
	[PARAPET_IPSEC_LEVEL_DEFAULT] = "default",
	[PARAPET_IPSEC_LEVEL_USE] = "use",
	[PARAPET_IPSEC_LEVEL_REQUIRE] = "require",
	[PARAPET_IPSEC_LEVEL_UNIQUE] = "unique",
};
_Static_assert(nitems(level_names) == PARAPET_IPSEC_LEVEL_UNIQUE + 1,
    "levels");

static const char *
proto_name(uint16_t proto)
{
	return proto == IPPROTO_ESP ? "esp" : proto == IPPROTO_AH ? "ah" :
	    "ipcomp";
}

/*
 * ipsec_dump_policy.c: the nearest anchor (high below 0x60000000, def
 * below 0xa0000000, low above), then "+ N" for a smaller value and
 * "- N" for a larger one. KAME prints nothing for priority 0, which
 * reads back as "def"; we print "prio high + 1073741824".
 */
static void
put_priority(struct sbuf *sb, uint32_t prio)
{
	const char *name;
	uint32_t base;

	if (prio < (POLICY_PRIORITY_DEFAULT / 4) * 3) {
		name = "high";
		base = POLICY_PRIORITY_HIGH;
	} else if (prio < (POLICY_PRIORITY_DEFAULT / 4) * 5) {
		name = "def";
		base = POLICY_PRIORITY_DEFAULT;
	} else {
		name = "low";
		base = POLICY_PRIORITY_LOW;
	}
	if (prio == base)
		sb_printf(sb, " prio %s", name);
	else if (prio < base)
		sb_printf(sb, " prio %s + %u", name, base - prio);
	else
		sb_printf(sb, " prio %s - %u", name, prio - base);
}

static void
put_endpoint(struct sbuf *sb, uint16_t family, const struct ep *ep,
    bool ports)
{
	char text[INET6_ADDRSTRLEN];

	if (inet_ntop(family, ep->addr, text, sizeof(text)) == NULL) {
		sb->oom = true;
		return;
	}
	sb_printf(sb, "%s", text);
	if (ep->scope != 0)
		sb_printf(sb, "%%%u", ep->scope);
	if (ports)
		sb_printf(sb, "[%u]", ntohs(ep->port));
}

static void
put_request(struct sbuf *sb, const struct preq *q, bool withports)
{
	bool ports = withports || q->src.port != 0 || q->dst.port != 0;

	sb_printf(sb, "%s/%s/", proto_name(q->proto), mode_names[q->mode]);
	if (q->family != 0) {
		put_endpoint(sb, q->family, &q->src, ports);
		sb_printf(sb, "-");
		put_endpoint(sb, q->family, &q->dst, ports);
	}
	sb_printf(sb, "/%s", level_names[q->level]);
	/* KAME writes '#' above 0x3fff, where its parser stops. */
	if (q->reqid != 0)
		sb_printf(sb, "%c%u",
		    q->reqid > POLICY_REQID_MANUAL_MAX ? '#' : ':', q->reqid);
}

int
policy_dump(const uint8_t *buf, size_t len_bytes, const char *delim,
    bool withports, char **text)
{
	struct sbuf sb = { NULL, 0, 0, false };
	struct rd r;
	struct preq q;
	uint16_t words, exttype, type;
	uint8_t dir, reserved;
	uint32_t id, prio;
	int e;

	if (buf == NULL || text == NULL)
		return EIPSEC_INVAL_ARGUMENT;
	if (delim == NULL)
		delim = " ";
	rd_init(&r, buf, len_bytes);
	if (rd_h16(&r, &words) != 0 || rd_h16(&r, &exttype) != 0 ||
	    rd_h16(&r, &type) != 0 || rd_u8(&r, &dir) != 0 ||
	    rd_u8(&r, &reserved) != 0 || rd_h32(&r, &id) != 0 ||
	    rd_h32(&r, &prio) != 0)
		return EIPSEC_INVAL_SADBMSG;
	if (exttype != PARAPET_SADB_X_EXT_POLICY)
		return EIPSEC_INVAL_EXTTYPE;
	if ((size_t)words * 8 != len_bytes || reserved != 0)
		return EIPSEC_INVAL_SADBMSG;
	/* ANY and Linux's socket directions (4, 5) have no text form. */
	if (dir < PARAPET_IPSEC_DIR_INBOUND || dir > PARAPET_IPSEC_DIR_FWD)
		return EIPSEC_INVAL_DIR;
	if (type >= nitems(policy_names))
		return EIPSEC_INVAL_POLICY;
	if (type != PARAPET_IPSEC_POLICY_IPSEC && !rd_empty(&r))
		return EIPSEC_INVAL_POLICY;
	/* The id is the SPD's, outside the text form (setkey: spid=). */
	(void)id;

	sb_printf(&sb, "%s", dir_names[dir]);
	put_priority(&sb, prio);
	sb_printf(&sb, " %s", policy_names[type]);
	while (!rd_empty(&r)) {
		if ((e = get_request(&r, &q)) != 0) {
			free(sb.s);
			return e;
		}
		sb_printf(&sb, "%s", delim);
		put_request(&sb, &q, withports);
	}
	if (sb.oom) {
		free(sb.s);
		return EIPSEC_NO_BUFS;
	}
	*text = sb.s;
	return EIPSEC_NO_ERROR;
}

void
policy_canon(uint8_t *buf, size_t len_bytes)
{
	struct rd r, peek;
	uint16_t len;
	size_t off;

	if (buf == NULL || len_bytes < POLICY_HDR_BYTES)
		return;
	memset(buf + 8, 0, 4);		/* sadb_x_policy_id */
	off = POLICY_HDR_BYTES;
	rd_init(&r, buf + off, len_bytes - off);
	while (!rd_empty(&r)) {
		peek = r;
		if (rd_h16(&peek, &len) != 0 || len < REQ_HDR_BYTES ||
		    rd_skip(&r, len) != 0)
			return;
		memset(buf + off + 6, 0, 2);	/* reserved1 */
		memset(buf + off + 12, 0, 4);	/* reserved2 */
		off += len;
	}
}
