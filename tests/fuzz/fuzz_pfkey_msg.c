/*
 * fuzz_pfkey_msg.c - libFuzzer target for the PF_KEY v2 validator, in
 * both directions (client to keyd, keyd to client).
 *
 * Beyond "no crash, no sanitizer report", every answer is checked:
 * the errno returned is the rejection's, the rejection has a name, and
 * an accepted datagram rebuilds (pfkey_build_msg) into one of the same
 * length that is accepted again with the same values.
 */
#include <stdint.h>
#include <stdlib.h>

#include "pfkey_build.h"
#include "pfkey_msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
parse(int reply, const uint8_t *p, size_t n, struct pfkey_msg *m,
    enum pfkey_reject *why)
{
	return reply ? pfkey_msg_parse_reply(p, n, m, why) :
	    pfkey_msg_parse(p, n, m, why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[PFKEY_MSG_MAX_BYTES];
	static struct pfkey_msg m, again;
	enum pfkey_reject why;
	size_t len;
	int reply, error;

	for (reply = 0; reply < 2; reply++) {
		error = parse(reply, data, size, &m, &why);
		if (error != -pfkey_reject_errno(why) ||
		    pfkey_reject_str(why) == NULL ||
		    (error == 0) != (why == PFKEY_REJECT_NONE))
			abort();
		if (error != 0)
			continue;
		if (pfkey_build_msg(&m, out, sizeof(out), &len) != 0 ||
		    len != size)
			abort();
		if (parse(reply, out, len, &again, &why) != 0 ||
		    !pfkey_msg_equal(&m, &again))
			abort();
	}
	return 0;
}
