/*
 * gen_pfkey_seeds.c - write the PF_KEY v2 samples (tests/unit/keyd/
 * pfkey_samples.c) as the fuzz_pfkey_msg corpus, one file per sample,
 * named after it. Built, never run by ctest; after changing a sample or
 * the builder, regenerate and commit:
 *
 *	build/tests/gen_pfkey_seeds tests/fuzz/corpus/fuzz_pfkey_msg
 *
 * test_pfkey_msg holds the committed seeds to these bytes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pfkey_samples.h"

int
main(int argc, char **argv)
{
	static uint8_t buf[PFKEY_SAMPLE_MAX];
	char path[4096];
	size_t i, len;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	for (i = 0; i < pfkey_nsamples; i++) {
		const struct pfkey_sample *s = &pfkey_samples[i];

		if (s->build(buf, sizeof(buf), &len) != 0) {
			fprintf(stderr, "%s: build failed\n", s->name);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/%s", argv[1], s->name);
		if ((f = fopen(path, "wb")) == NULL) {
			perror(path);
			return 1;
		}
		if (fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
			perror(path);
			return 1;
		}
	}
	printf("%zu seeds written to %s\n", pfkey_nsamples, argv[1]);
	return 0;
}
