/*
 * fuzz_pkt_meta.c - libFuzzer target for the metadata block of the
 * netd <-> ipsecd slot protocol (common/pkt_ring.c, pkt_meta_decode()),
 * which each side reads from shared memory the other one wrote.
 *
 * Input: one selector byte, then the slot's first bytes. Selector bit 0
 * picks the direction (work, done), bit 1 the descriptor op (PROTECT,
 * UNPROTECT), bits 2-7 the packet offset (128 + 0..63, or below 128 when
 * bit 7 is set: the block does not fit). The slot is a buffer of exactly
 * PKT_META_BYTES (short input zero-filled), so ASan sees any read past
 * it. A block that decodes must pass pkt_meta_check(), encode again to
 * the same bytes' meaning and decode again to the same struct.
 * Seeds: tests/fuzz/corpus/fuzz_pkt_meta (valid blocks of each kind).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkt_ring.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum pkt_meta_reject why, why2;
	struct pkt_meta m, m2;
	enum pkt_meta_dir dir;
	uint8_t *slot, again[PKT_META_BYTES], again2[PKT_META_BYTES];
	size_t off;
	uint8_t op;

	if (size < 1)
		return 0;
	dir = (data[0] & 1) != 0 ? PKT_META_DONE : PKT_META_WORK;
	op = (data[0] & 2) != 0 ? PKT_OP_UNPROTECT : PKT_OP_PROTECT;
	off = (data[0] & 0x80) != 0 ? (size_t)((data[0] >> 2) & 0x1f) * 4 :
	    PKT_META_BYTES + ((data[0] >> 2) & 0x1f);
	if ((slot = calloc(1, PKT_META_BYTES)) == NULL)
		return 0;
	memcpy(slot, data + 1, size - 1 < PKT_META_BYTES ? size - 1 :
	    PKT_META_BYTES);
	if (pkt_meta_decode(slot, off, op, dir, &m, &why) == 0) {
		if (why != PKT_MR_OK || pkt_meta_check(&m, dir) != PKT_MR_OK)
			abort();
		if (pkt_meta_encode(&m, dir, again, off, &why2) != 0)
			abort();
		/* What decodes re-encodes to the same bytes. */
		if (pkt_meta_decode(again, off, op, dir, &m2, &why2) != 0 ||
		    pkt_meta_encode(&m2, dir, again2, off, &why2) != 0 ||
		    memcmp(again, again2, PKT_META_BYTES) != 0)
			abort();
	} else if (why == PKT_MR_OK || why >= PKT_MR_COUNT_) {
		abort();
	}
	free(slot);
	return 0;
}
