/*
 * frame.h - bus framing and envelope validation: the pure core of the bus.
 *
 * No I/O. A frame is a 4-byte big-endian length followed by one packed
 * parapet.Envelope (proto/bus.proto). Everything here treats its input as
 * untrusted: the length is checked against BUS_FRAME_MAX before anything is
 * allocated, the envelope must unpack, its fields must make sense (kind in
 * range, type known, names and topics well formed), and its body must unpack
 * with the descriptor registered for the type and pass that type's
 * validator (common/bus_msg.c).
 */
#ifndef PARAPET_FRAME_H
#define PARAPET_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "bus.pb-c.h"
#include "util.h"

#define BUS_FRAME_MAX		(256u << 10)	/* bytes after the length */
#define BUS_NAME_MAX		32		/* peer and topic names */

/* Why a frame or message was refused; each has a counter. */
enum frame_reject {
	FRAME_OK = 0,
	FRAME_REJECT_OVERSIZE,		/* length > BUS_FRAME_MAX */
	FRAME_REJECT_EMPTY,		/* length 0 */
	FRAME_REJECT_TRUNCATED,		/* stream ended inside a frame */
	FRAME_REJECT_UNPACK,		/* envelope is not protobuf */
	FRAME_REJECT_KIND,		/* kind out of range, or not the
					   kind registered for the type */
	FRAME_REJECT_TYPE,		/* type unknown */
	FRAME_REJECT_NAME,		/* src/dst/topic malformed, a request
					   without dst, an event without
					   topic, a topic outside an event */
	FRAME_REJECT_BODY,		/* body does not unpack as its type */
	FRAME_REJECT_INVALID,		/* body fails its validator, or corr
					   or error disagree with the kind */
	FRAME_REJECT_MAX
};

/* A short lower-case identifier ("oversize"), usable in counter names. */
const char *frame_reject_str(enum frame_reject);

/*
 * Incremental decoder for a byte stream. Feed it whatever arrived; it calls
 * `on_frame` once per complete frame with a borrowed view of the envelope
 * bytes (valid during the call). Returns 0, or -EBADMSG with *why set when
 * the stream is unusable (the connection must be closed); nothing is
 * allocated for an oversized frame.
 */
struct frame_decoder {
	uint8_t		 hdr[4];
	size_t		 hdr_have;
	uint8_t		*buf;		/* owned; the frame being assembled */
	size_t		 want;		/* its length */
	size_t		 have;
};

typedef int frame_fn(const uint8_t *env, size_t len, void *arg);

void	frame_decoder_init(struct frame_decoder *);
void	frame_decoder_free(struct frame_decoder *);
/*
 * Returns 0, the first non-zero value of on_frame (feeding stops there; the
 * rest of the input is not consumed), -EBADMSG, or -ENOMEM (*why FRAME_OK)
 * when a frame's buffer cannot be allocated. A frame that arrives whole in
 * one feed is passed without copying; a split one is assembled in `buf`.
 * After -EBADMSG every further feed fails the same way.
 */
int	frame_decoder_feed(struct frame_decoder *, const uint8_t *, size_t,
	    frame_fn *on_frame, void *arg, enum frame_reject *why) MUST_CHECK;
/* At end of stream: FRAME_REJECT_TRUNCATED if a frame was half-received. */
enum frame_reject frame_decoder_eof(const struct frame_decoder *);

/* A parsed, validated envelope. Owns env and body. */
struct bus_msg {
	uint32_t		 type;	/* Parapet__MsgType */
	uint32_t		 kind;	/* Parapet__MsgKind */
	uint64_t		 corr;
	const char		*src;
	const char		*dst;
	const char		*topic;
	int32_t			 error;
	const ProtobufCMessage	*body;	/* NULL for an empty ERROR_REPLY */
	Parapet__Envelope	*env;	/* internal */
};

/*
 * Parse one envelope (the bytes after the length) and its body. On success
 * fills *m (free with frame_msg_free) and returns 0; on failure returns
 * -EBADMSG and sets *why.
 */
int	frame_msg_parse(const uint8_t *, size_t, struct bus_msg *m,
	    enum frame_reject *why) MUST_CHECK;
void	frame_msg_free(struct bus_msg *);

/*
 * Re-encode a parsed message as a frame with Envelope.src replaced by `src`
 * (the broker stamps the sender's hello name); the body bytes are reused,
 * not re-packed, and unknown envelope fields are dropped. *out is malloc'd. -EMSGSIZE if the new frame would exceed
 * BUS_FRAME_MAX, -EINVAL if src is not a well-formed name.
 */
int	frame_msg_encode(const struct bus_msg *, const char *src,
	    uint8_t **out, size_t *outlen) MUST_CHECK;

/*
 * Encode a frame: length + envelope. *out is malloc'd (caller frees),
 * *outlen its size. body may be NULL (empty body). -EMSGSIZE if the frame
 * would exceed BUS_FRAME_MAX, -EINVAL if body's descriptor is not the one
 * registered for type. The frame is checked with the rules frame_msg_parse()
 * applies (kind, names, corr, error, the body's validator), so what we send
 * is what a peer accepts; any violation is -EINVAL.
 */
struct frame_hdr {
	uint32_t	 type;
	uint32_t	 kind;
	uint64_t	 corr;
	const char	*src;	/* NULL: empty */
	const char	*dst;
	const char	*topic;
	int32_t		 error;
};
int	frame_encode(const struct frame_hdr *, const ProtobufCMessage *body,
	    uint8_t **out, size_t *outlen) MUST_CHECK;

/* True if s is a well-formed peer or topic name: 1..BUS_NAME_MAX chars of
 * [a-z0-9_.-]. */
bool	frame_name_ok(const char *s);

#endif
