/*
 * fuzz_policy.c - libFuzzer target for the policy text parser and the
 * sadb_x_policy dumper (libclient/policy.c).
 *
 * The input is tried both ways:
 *  - as text: if it parses, the bytes dump, and the dump parses back to
 *    the same bytes (and dumps to the same text again);
 *  - as bytes: if they dump, the text parses back to the same bytes up to
 *    policy_canon() (the id and the reserved fields the text does not
 *    carry). The input is copied to an aligned buffer of exactly its size
 *    so that ASan sees any overread.
 * Any other outcome aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
text_way(const uint8_t *data, size_t size)
{
	uint8_t *b, *b2;
	size_t len, len2;
	char *t, *t2;

	if (policy_parse((const char *)data, size, &b, &len) != 0)
		return;
	if (len % 8 != 0 || len > POLICY_MAX_BYTES ||
	    policy_dump(b, len, NULL, size % 2, &t) != 0)
		abort();
	if (policy_parse(t, strlen(t), &b2, &len2) != 0 || len2 != len ||
	    memcmp(b, b2, len) != 0)
		abort();
	if (policy_dump(b2, len2, NULL, size % 2, &t2) != 0 ||
	    strcmp(t, t2) != 0)
		abort();
	free(t2);
	free(b2);
	free(t);
	free(b);
}

static void
bytes_way(const uint8_t *data, size_t size)
{
	uint8_t *copy, *b2;
	size_t len2;
	char *t;

	if ((copy = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(copy, data, size);
	if (policy_dump(copy, size, "\n\t", size % 2, &t) == 0) {
		if (policy_parse(t, strlen(t), &b2, &len2) != 0)
			abort();
		policy_canon(copy, size);
		if (len2 != size || memcmp(copy, b2, size) != 0)
			abort();
		free(b2);
		free(t);
	}
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	text_way(data, size);
	bytes_way(data, size);
	return 0;
}
