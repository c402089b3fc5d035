/*
 * frame.c - bus framing and envelope validation; see frame.h.
 *
 * Pure: no I/O, no clocks. Every byte handed to frame_decoder_feed() and
 * frame_msg_parse() comes from another process and is untrusted. The
 * length prefix is read through a cursor and checked against
 * BUS_FRAME_MAX before anything is allocated; the envelope and then the
 * body are unpacked by protobuf-c, which checks the encoding; the rules
 * below and the per-type validators of bus_msg.c check the meaning.
 *
 *   +----------------+--------------------------------------------+
 *   | length (be32)  | parapet.Envelope, packed (length bytes)    |
 *   +----------------+--------------------------------------------+
 *                      type kind corr src dst topic error body
 *                                                          |
 *                      packed message named by type  <-----+
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus_msg.h"
#include "frame.h"
#include "rd.h"
#include "wr.h"

#define HDR_BYTES	4	/* the length prefix */
#define ERRNO_MAX	4095	/* the range a negative errno lives in */

static const char *const reject_str[FRAME_REJECT_MAX] = {
	[FRAME_OK] = "ok",
	[FRAME_REJECT_OVERSIZE] = "oversize",
	[FRAME_REJECT_EMPTY] = "empty",
	[FRAME_REJECT_TRUNCATED] = "truncated",
	[FRAME_REJECT_UNPACK] = "unpack",
	[FRAME_REJECT_KIND] = "kind",
	[FRAME_REJECT_TYPE] = "type",
	[FRAME_REJECT_NAME] = "name",
	[FRAME_REJECT_BODY] = "body",
	[FRAME_REJECT_INVALID] = "invalid",
};
_Static_assert(nitems(reject_str) == FRAME_REJECT_MAX, "reject_str");

const char *
frame_reject_str(enum frame_reject why)
{
	if ((unsigned)why >= nitems(reject_str) || reject_str[why] == NULL)
		return "unknown";
	return reject_str[why];
}


/*
 * Bus messages may carry keys (keyd.proto: SaChangeEvent, SaSyncReply),
 * so every byte of a frame is wiped before its memory goes: the decoder's
 * buffer, the bodies we pack, and what protobuf-c unpacks, through this
 * allocator (a size word in front of each block, so free knows what to
 * wipe).
 */
#define WIPE_HDR	sizeof(max_align_t)

static void *
wipe_alloc(void *arg, size_t size)
{
	uint8_t *b;

	(void)arg;
	if (size > SIZE_MAX - WIPE_HDR || (b = malloc(WIPE_HDR + size)) == NULL)
		return NULL;
	memcpy(b, &size, sizeof(size));
	return b + WIPE_HDR;
}

static void
wipe_free(void *arg, void *p)
{
	uint8_t *b;
	size_t size;

	(void)arg;
	if (p == NULL)
		return;
	b = (uint8_t *)p - WIPE_HDR;
	memcpy(&size, b, sizeof(size));
	explicit_bzero(b, WIPE_HDR + size);
	free(b);
}

static ProtobufCAllocator wiping = { wipe_alloc, wipe_free, NULL };

/* ---- stream decoder ---- */

void
frame_decoder_init(struct frame_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

void
frame_decoder_free(struct frame_decoder *d)
{
	if (d->buf != NULL)
		explicit_bzero(d->buf, d->want);
	free(d->buf);
	frame_decoder_init(d);
}

/* The header is complete: check the length before allocating anything. */
static enum frame_reject
check_len(struct frame_decoder *d)
{
	struct rd r;
	uint32_t len;

	rd_init(&r, d->hdr, sizeof(d->hdr));
	if (rd_be32(&r, &len) != 0)
		return FRAME_REJECT_TRUNCATED;	/* unreachable: 4 bytes */
	if (len == 0)
		return FRAME_REJECT_EMPTY;
	if (len > BUS_FRAME_MAX)
		return FRAME_REJECT_OVERSIZE;
	d->want = len;
	d->have = 0;
	return FRAME_OK;
}

/* Ready for the next header. The caller owns whatever buf was. */
static void
next_frame(struct frame_decoder *d)
{
	d->hdr_have = 0;
	d->buf = NULL;
	d->want = 0;
	d->have = 0;
}

/* Take up to n bytes from r into dst; returns how many. */
static size_t
take(struct rd *r, uint8_t *dst, size_t n)
{
	if (n > r->left)
		n = r->left;
	if (rd_bytes(r, dst, n) != 0)
		return 0;	/* unreachable: n <= left */
	return n;
}

/*
 * One step of the decoder over r: the header, or a frame that is all
 * there (passed without a copy), or a piece of a split frame. Returns
 * true to go on; false when r is used up or on error, with *ret set to
 * what feed returns.
 */
static bool
step(struct frame_decoder *d, struct rd *r, frame_fn *on_frame, void *arg,
    enum frame_reject *why, int *ret)
{
	const uint8_t *whole;
	uint8_t *buf;
	size_t len;

	*ret = 0;
	if (d->hdr_have < sizeof(d->hdr)) {
		if (rd_empty(r))
			return false;
		d->hdr_have += take(r, d->hdr + d->hdr_have,
		    sizeof(d->hdr) - d->hdr_have);
		return true;
	}
	/* Also reached again after an error: it sticks. */
	if (d->want == 0 && (*why = check_len(d)) != FRAME_OK) {
		*ret = -EBADMSG;
		return false;
	}
	if (d->buf == NULL && (whole = rd_peek(r, d->want)) != NULL &&
	    rd_skip(r, d->want) == 0) {
		len = d->want;
		next_frame(d);
		*ret = on_frame(whole, len, arg);
		return *ret == 0;
	}
	if (rd_empty(r))
		return false;
	if (d->buf == NULL && (d->buf = malloc(d->want)) == NULL) {
		*ret = -ENOMEM;
		return false;
	}
	d->have += take(r, d->buf + d->have, d->want - d->have);
	if (d->have < d->want)
		return false;
	/* Reset first: on_frame may close (and free) the decoder. */
	buf = d->buf;
	len = d->want;
	next_frame(d);
	*ret = on_frame(buf, len, arg);
	explicit_bzero(buf, len);
	free(buf);
	return *ret == 0;
}

int
frame_decoder_feed(struct frame_decoder *d, const uint8_t *p, size_t n,
    frame_fn *on_frame, void *arg, enum frame_reject *why)
{
	struct rd r;
	int ret;

	*why = FRAME_OK;
	rd_init(&r, p, n);
	while (step(d, &r, on_frame, arg, why, &ret))
		continue;
	return ret;
}

enum frame_reject
frame_decoder_eof(const struct frame_decoder *d)
{
	return d->hdr_have != 0 ? FRAME_REJECT_TRUNCATED : FRAME_OK;
}

/* ---- envelope rules, shared by parse and encode ---- */

static bool
name_or_empty(const char *s)
{
	return s == NULL || s[0] == '\0' || frame_name_ok(s);
}

static bool
present(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/*
 * What an envelope must satisfy besides its body: a kind in range and
 * matching the type's row, well-formed names, a dst on every request, a
 * topic on events and only there, a correlation id on requests and
 * replies and none on events, an errno only in ERROR_REPLY.
 */
static enum frame_reject
env_check(uint32_t type, uint32_t kind, uint64_t corr, const char *src,
    const char *dst, const char *topic, int32_t error,
    const struct bus_msgtype **tp)
{
	const struct bus_msgtype *t;

	if (kind < PARAPET__MSG_KIND__MSG_KIND_REQUEST ||
	    kind > PARAPET__MSG_KIND__MSG_KIND_EVENT)
		return FRAME_REJECT_KIND;
	if ((t = bus_msgtype_get(type)) == NULL)
		return FRAME_REJECT_TYPE;
	if (t->kind != kind)
		return FRAME_REJECT_KIND;
	if (!name_or_empty(src) || !name_or_empty(dst) || !name_or_empty(topic))
		return FRAME_REJECT_NAME;
	if (kind == PARAPET__MSG_KIND__MSG_KIND_EVENT) {
		if (!present(topic) || present(dst))
			return FRAME_REJECT_NAME;
		if (corr != 0)
			return FRAME_REJECT_INVALID;
	} else {
		if (present(topic))
			return FRAME_REJECT_NAME;
		if (kind == PARAPET__MSG_KIND__MSG_KIND_REQUEST && !present(dst))
			return FRAME_REJECT_NAME;
		if (corr == 0)
			return FRAME_REJECT_INVALID;
	}
	if (type == PARAPET__MSG_TYPE__MSG_ERROR_REPLY) {
		if (error >= 0 || error < -ERRNO_MAX)
			return FRAME_REJECT_INVALID;
	} else if (error != 0)
		return FRAME_REJECT_INVALID;
	*tp = t;
	return FRAME_OK;
}

/* ---- parse ---- */

static int
reject(struct bus_msg *m, enum frame_reject r, enum frame_reject *why)
{
	frame_msg_free(m);
	*why = r;
	return -EBADMSG;
}

int
frame_msg_parse(const uint8_t *p, size_t n, struct bus_msg *m,
    enum frame_reject *why)
{
	static const uint8_t none[1];
	const struct bus_msgtype *t = NULL;
	Parapet__Envelope *env;
	ProtobufCMessage *body;
	enum frame_reject r;

	memset(m, 0, sizeof(*m));
	*why = FRAME_OK;
	if (n == 0)
		return reject(m, FRAME_REJECT_EMPTY, why);
	if (n > BUS_FRAME_MAX)
		return reject(m, FRAME_REJECT_OVERSIZE, why);
	if ((env = parapet__envelope__unpack(&wiping, n, p)) == NULL)
		return reject(m, FRAME_REJECT_UNPACK, why);
	m->env = env;
	r = env_check((uint32_t)env->type, (uint32_t)env->kind, env->corr,
	    env->src, env->dst, env->topic, env->error, &t);
	if (r != FRAME_OK)
		return reject(m, r, why);
	if (t->type == PARAPET__MSG_TYPE__MSG_ERROR_REPLY &&
	    env->body.len == 0) {
		body = NULL;
	} else {
		body = protobuf_c_message_unpack(t->desc, &wiping, env->body.len,
		    env->body.len != 0 ? env->body.data : none);
		if (body == NULL)
			return reject(m, FRAME_REJECT_BODY, why);
		m->body = body;
		if (t->valid != NULL && t->valid(body) != 0)
			return reject(m, FRAME_REJECT_INVALID, why);
	}
	m->type = t->type;
	m->kind = t->kind;
	m->corr = env->corr;
	m->src = env->src != NULL ? env->src : "";
	m->dst = env->dst != NULL ? env->dst : "";
	m->topic = env->topic != NULL ? env->topic : "";
	m->error = env->error;
	return 0;
}

void
frame_msg_free(struct bus_msg *m)
{
	if (m->body != NULL) {
		/* Unpacked by us; protobuf-c frees through a non-const
		 * pointer. */
		union {
			const ProtobufCMessage	*c;
			ProtobufCMessage	*w;
		} u = { .c = m->body };

		protobuf_c_message_free_unpacked(u.w, &wiping);
	}
	if (m->env != NULL)
		parapet__envelope__free_unpacked(m->env, &wiping);
	memset(m, 0, sizeof(*m));
}

/* ---- encode ---- */


/* Length prefix + packed envelope into a new buffer. */
static int
pack_env(const Parapet__Envelope *env, uint8_t **out, size_t *outlen)
{
	size_t len;
	uint8_t *buf;
	struct wr w;

	len = parapet__envelope__get_packed_size(env);
	if (len > BUS_FRAME_MAX)
		return -EMSGSIZE;
	if ((buf = malloc(HDR_BYTES + len)) == NULL)
		return -ENOMEM;
	wr_init(&w, buf, HDR_BYTES);
	if (wr_be32(&w, (uint32_t)len) != 0) {
		free(buf);
		return -EMSGSIZE;	/* unreachable: 4 bytes */
	}
	if (parapet__envelope__pack(env, buf + HDR_BYTES) != len) {
		explicit_bzero(buf, HDR_BYTES + len);
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	*outlen = HDR_BYTES + len;
	return 0;
}

int
frame_encode(const struct frame_hdr *h, const ProtobufCMessage *body,
    uint8_t **out, size_t *outlen)
{
	Parapet__Envelope env;
	const struct bus_msgtype *t = NULL;
	uint8_t *bodybuf = NULL;
	size_t bodylen = 0;
	int error;

	parapet__envelope__init(&env);
	*out = NULL;
	*outlen = 0;
	if (env_check(h->type, h->kind, h->corr, h->src, h->dst, h->topic,
	    h->error, &t) != FRAME_OK)
		return -EINVAL;
	if (body != NULL) {
		if (body->descriptor != t->desc)
			return -EINVAL;
		if (t->valid != NULL && t->valid(body) != 0)
			return -EINVAL;
		bodylen = protobuf_c_message_get_packed_size(body);
		if (bodylen > BUS_FRAME_MAX)
			return -EMSGSIZE;
		if ((bodybuf = malloc(bodylen != 0 ? bodylen : 1)) == NULL)
			return -ENOMEM;
		if (protobuf_c_message_pack(body, bodybuf) != bodylen) {
			explicit_bzero(bodybuf, bodylen);
			free(bodybuf);
			return -EINVAL;
		}
	}
	env.type = (Parapet__MsgType)h->type;
	env.kind = (Parapet__MsgKind)h->kind;
	env.corr = h->corr;
	env.src = deconst(h->src != NULL ? h->src : "");
	env.dst = deconst(h->dst != NULL ? h->dst : "");
	env.topic = deconst(h->topic != NULL ? h->topic : "");
	env.error = h->error;
	env.body.data = bodybuf;
	env.body.len = bodylen;
	error = pack_env(&env, out, outlen);
	if (bodybuf != NULL)
		explicit_bzero(bodybuf, bodylen);
	free(bodybuf);
	return error;
}

int
frame_msg_encode(const struct bus_msg *m, const char *src, uint8_t **out,
    size_t *outlen)
{
	Parapet__Envelope env;

	*out = NULL;
	*outlen = 0;
	if (m->env == NULL || !frame_name_ok(src))
		return -EINVAL;
	/*
	 * A shallow copy: src differs, the body bytes are shared. Unknown
	 * envelope fields are dropped: protobuf-c would re-encode their
	 * tags canonically, and a tag it accepted in an overlong form (say
	 * field 0) does not parse once written canonically.
	 */
	env = *m->env;
	env.src = deconst(src != NULL ? src : "");
	env.base.n_unknown_fields = 0;
	env.base.unknown_fields = NULL;
	return pack_env(&env, out, outlen);
}
