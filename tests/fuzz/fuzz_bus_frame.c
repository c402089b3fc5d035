/*
 * fuzz_bus_frame.c - libFuzzer target for the bus's pure core: bytes go
 * through the stream decoder (whole, and split in two at a point the
 * input chooses) and every frame it yields through frame_msg_parse(); the
 * input minus a 4-byte prefix is also parsed directly as an envelope, so
 * that mutations reach the envelope and body parsers without first having
 * to get the length right.
 *
 * Beyond "no crash, no leak", it checks one property: whatever the parser
 * accepts, the encoder accepts and the parser accepts again after the
 * broker's re-encoding (frame_msg_encode), with the same meaning.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus_msg.h"
#include "frame.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

/* An accepted message encodes again, and re-parses the same. */
static void
roundtrip(const struct bus_msg *m)
{
	const struct bus_msgtype *t = bus_msgtype_get(m->type);
	enum frame_reject why;
	struct frame_hdr h;
	struct bus_msg m2;
	uint8_t *out;
	size_t len;
	int error;

	check(t != NULL && t->kind == m->kind);
	memset(&h, 0, sizeof(h));
	h.type = m->type;
	h.kind = m->kind;
	h.corr = m->corr;
	h.src = m->src;
	h.dst = m->dst;
	h.topic = m->topic;
	h.error = m->error;
	error = frame_encode(&h, m->body, &out, &len);
	check(error == 0 || error == -EMSGSIZE);
	if (error == 0)
		free(out);

	error = frame_msg_encode(m, "abcdefghijklmnopqrstuvwxyz012345", &out,
	    &len);
	check(error == 0 || error == -EMSGSIZE);
	if (error != 0)
		return;
	check(len >= 4);
	check(frame_msg_parse(out + 4, len - 4, &m2, &why) == 0);
	check(m2.type == m->type && m2.kind == m->kind && m2.corr == m->corr &&
	    m2.error == m->error);
	check(strcmp(m2.src, "abcdefghijklmnopqrstuvwxyz012345") == 0);
	check(strcmp(m2.dst, m->dst) == 0 && strcmp(m2.topic, m->topic) == 0);
	check((m2.body == NULL) == (m->body == NULL));
	frame_msg_free(&m2);
	free(out);
}

static int
on_frame(const uint8_t *p, size_t n, void *arg)
{
	enum frame_reject why;
	struct bus_msg m;

	(void)arg;
	if (frame_msg_parse(p, n, &m, &why) == 0) {
		roundtrip(&m);
		frame_msg_free(&m);
	} else
		check(why > FRAME_OK && why < FRAME_REJECT_MAX &&
		    m.env == NULL && m.body == NULL);
	return 0;
}

static void
decode(const uint8_t *data, size_t size, size_t cut)
{
	struct frame_decoder d;
	enum frame_reject why;
	int error;

	frame_decoder_init(&d);
	error = frame_decoder_feed(&d, data, cut, on_frame, NULL, &why);
	if (error == 0)
		error = frame_decoder_feed(&d, data + cut, size - cut,
		    on_frame, NULL, &why);
	check(error == 0 || (error == -EBADMSG && why != FRAME_OK));
	if (error == 0)
		(void)frame_decoder_eof(&d);
	frame_decoder_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode(data, size, size);
	if (size > 0)
		decode(data, size, data[size - 1] % (size + 1));
	if (size >= 4)
		(void)on_frame(data + 4, size - 4, NULL);
	return 0;
}
