/*
 * fuzz_ip_hdr.c - libFuzzer target for ipsecd's IP header parser
 * (servers/ipsecd/ip_hdr.c: ip_hdr_parse, both extension-header walks).
 *
 * Beyond "no crash, no overread" (the input is copied into a buffer of
 * exactly its size), every answer is checked: the errno is the reason's;
 * an accepted header's offsets nest (nh_off < l3_len <= tot_len <= size);
 * the insertion point never lies past the end of the full walk; the
 * IPv4 header checksum verifies. Seeds: tests/fuzz/corpus/fuzz_ip_hdr.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ip_hdr.h"
#include "xform.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ip_info all, ins;
	enum xform_reject why, why2;
	uint8_t *p;
	int rc, rc2;

	if ((p = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(p, data, size);
	rc = ip_hdr_parse(p, size, IP_WALK_ALL, &all, &why);
	rc2 = ip_hdr_parse(p, size, IP_WALK_INSERT, &ins, &why2);
	if (rc != xform_reject_errno(why) || rc2 != xform_reject_errno(why2))
		abort();
	if (rc == 0) {
		if (all.tot_len > size || all.l3_len > all.tot_len ||
		    all.nh_off >= all.l3_len || all.hlen > all.l3_len)
			abort();
		if (all.version == 4 &&
		    ip_csum_fold(ip_csum_add(0, p, all.hlen)) != 0)
			abort();
	}
	/* INSERT stops no later than ALL; it may fail only where ALL does. */
	if (rc2 == 0 && rc == 0 && ins.l3_len > all.l3_len)
		abort();
	if (rc2 != 0 && rc == 0)
		abort();
	free(p);
	return 0;
}
