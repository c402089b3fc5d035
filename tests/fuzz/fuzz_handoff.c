/*
 * fuzz_handoff.c - the handoff datagram's decoder (servers/supervisor/
 * handoff.c) on arbitrary bytes: the first byte is the number of
 * descriptors that came with it, the rest the datagram. handoff_decode()
 * must never crash, read out of bounds or leak; what it accepts must
 * account for exactly those descriptors (regions, links, the store) and
 * encode again to something that decodes the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct handoff h, again;
	static uint8_t buf[HANDOFF_BYTES_MAX];
	size_t nfds, len, i;

	if (size < 1)
		return 0;
	nfds = data[0];
	if (handoff_decode(data + 1, size - 1, nfds, &h) != 0)
		return 0;
	if (handoff_nfds(&h) != nfds)
		abort();
	if (handoff_encode(&h, buf, sizeof(buf), &len) != 0 ||
	    handoff_decode(buf, len, nfds, &again) != 0 ||
	    again.nregions != h.nregions || again.nlinks != h.nlinks ||
	    again.store != h.store || strcmp(again.instance, h.instance) != 0)
		abort();
	for (i = 0; i < h.nlinks; i++)
		if (strcmp(again.links[i], h.links[i]) != 0)
			abort();
	return 0;
}
