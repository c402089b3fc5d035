/*
 * fuzz_ipsecd_sa.c - libFuzzer target for ipsecd's conversion of keyd's
 * Sa messages (servers/ipsecd/ipsecd_sa.c, ipsecd_sa_from_msg()): bytes
 * from the bus are unpacked as parapet.Sa (as frame_msg_parse() would)
 * and converted, with and without keys. Whatever converts must be a spec
 * the SA table's rules accept in shape (families, protocol, mode, keys
 * for the protocol); every key made is freed (ASan/LSan see leaks), and
 * the message is wiped and freed.
 * Seeds: tests/fuzz/corpus/fuzz_ipsecd_sa (written by
 * `test_ipsecd_sa --seeds DIR`: one packed Sa per kind of SA).
 */
#include <stdint.h>
#include <stdlib.h>

#include "ipsecd_sa.h"
#include "xform.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const struct sa_spec *s, bool keys)
{
	if (s->gen == 0 || s->spi == 0 || (s->proto != 50 && s->proto != 51) ||
	    (s->mode != SA_MODE_TRANSPORT && s->mode != SA_MODE_TUNNEL) ||
	    (s->src.family != 4 && s->src.family != 6) ||
	    s->src.family != s->dst.family)
		abort();
	if (!keys) {
		if (s->enc != NULL || s->auth != NULL)
			abort();
		return;
	}
	if (s->proto == 51 ? (s->enc != NULL || s->auth == NULL) :
	    s->enc == NULL)
		abort();
	if ((s->flags & ~SA_F_MASK) != 0 ||
	    ((s->flags & SA_F_PAD_ZERO) && (s->flags & SA_F_PAD_RANDOM)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool inited;
	enum ipsecd_sa_reject why;
	Parapet__Sa *m;
	struct sa_spec s;
	int k;

	if (!inited) {
		if (xform_init() != 0)
			abort();
		inited = true;
	}
	if ((m = parapet__sa__unpack(NULL, size, data)) == NULL)
		return 0;
	for (k = 0; k < 2; k++) {
		if (ipsecd_sa_from_msg(m, k == 1, &s, &why) == 0) {
			if (why != IPSECD_SA_OK)
				abort();
			check(&s, k == 1);
			ipsecd_sa_spec_free(&s);
		} else if (why == IPSECD_SA_OK ||
		    why >= IPSECD_SA_REJECT_COUNT || s.enc != NULL ||
		    s.auth != NULL) {
			abort();
		}
	}
	ipsecd_sa_wipe(m);
	parapet__sa__free_unpacked(m, NULL);
	return 0;
}
