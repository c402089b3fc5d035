/*
 * driver.c - deterministic mutation pass for a libFuzzer target.
 *
 * Usage: <target>_pass CORPUS_DIR [DICT]
 * For every seed file in CORPUS_DIR (sorted), run the target on: the seed;
 * every single-bit flip (seeds up to 4 KiB; beyond that every 8th bit);
 * every byte set to 0x00, 0xff and 0x80; every truncation; 2000 random
 * multi-byte mutations from a fixed xorshift seed; and, with a dictionary
 * (libFuzzer/AFL format: one "token" per line, optionally name="token",
 * \xNN and \\ \" escapes, # comments), every token written over and
 * inserted at the start, the middle, the end and 4 random places. The pass
 * fails only if the target crashes or a sanitizer reports; the seeds double
 * as golden inputs for the parser's unit tests.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define SEED_MAX	(1u << 20)
#define DICT_MAX	1024	/* tokens */
#define TOKEN_MAX	128	/* bytes */

struct token {
	uint8_t	b[TOKEN_MAX];
	size_t	n;
};
static struct token dict[DICT_MAX];
static size_t ndict;

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
mutate(const uint8_t *seed, size_t len, uint8_t *buf)
{
	size_t i, bit, step;
	static const uint8_t vals[] = { 0x00, 0xff, 0x80 };

	LLVMFuzzerTestOneInput(seed, len);
	step = len <= 4096 ? 1 : 8;
	for (bit = 0; bit < len * 8; bit += step) {
		memcpy(buf, seed, len);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		LLVMFuzzerTestOneInput(buf, len);
	}
	for (i = 0; i < len; i++) {
		size_t v;

		for (v = 0; v < sizeof(vals); v++) {
			memcpy(buf, seed, len);
			buf[i] = vals[v];
			LLVMFuzzerTestOneInput(buf, len);
		}
	}
	for (i = 0; i < len; i++) {
		/* A fresh copy of exactly i bytes so ASan sees any overread. */
		uint8_t *t = malloc(i ? i : 1);

		if (t == NULL)
			abort();
		memcpy(t, seed, i);
		LLVMFuzzerTestOneInput(t, i);
		free(t);
	}
	for (i = 0; i < 2000 && len > 0; i++) {
		size_t n = 1 + next() % 8, k;

		memcpy(buf, seed, len);
		for (k = 0; k < n; k++)
			buf[next() % len] = (uint8_t)next();
		LLVMFuzzerTestOneInput(buf, len);
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One dictionary line into t; 0 if it holds no token. */
static int
dict_line(const char *s, struct token *t)
{
	const char *q = strchr(s, '"');

	t->n = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '#' || q == NULL)
		return 0;
	for (q++; *q != '\0' && *q != '"' && t->n < TOKEN_MAX; q++) {
		if (*q == '\\' && q[1] == 'x' && hexval(q[2]) >= 0 &&
		    hexval(q[3]) >= 0) {
			t->b[t->n++] = (uint8_t)(hexval(q[2]) * 16 +
			    hexval(q[3]));
			q += 3;
		} else if (*q == '\\' && q[1] != '\0') {
			t->b[t->n++] = (uint8_t)*++q;
		} else
			t->b[t->n++] = (uint8_t)*q;
	}
	return *q == '"' && t->n > 0;
}

static int
dict_load(const char *path)
{
	char line[4 * TOKEN_MAX + 64];
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		perror(path);
		return -1;
	}
	while (ndict < DICT_MAX && fgets(line, sizeof(line), f) != NULL)
		if (dict_line(line, &dict[ndict]))
			ndict++;
	fclose(f);
	printf("dictionary %s: %zu tokens\n", path, ndict);
	return 0;
}

/* Each token over and into the seed at a few places. */
static void
mutate_dict(const uint8_t *seed, size_t len, uint8_t *buf)
{
	size_t k, j, at[7];

	for (k = 0; k < ndict; k++) {
		const struct token *t = &dict[k];

		at[0] = 0;
		at[1] = len / 2;
		at[2] = len;
		for (j = 3; j < 7; j++)
			at[j] = len > 0 ? next() % (len + 1) : 0;
		for (j = 0; j < 7; j++) {
			size_t a = at[j], n;

			if (len + t->n > SEED_MAX)
				return;
			/* Insert. */
			memcpy(buf, seed, a);
			memcpy(buf + a, t->b, t->n);
			memcpy(buf + a + t->n, seed + a, len - a);
			LLVMFuzzerTestOneInput(buf, len + t->n);
			/* Overwrite (the length stays). */
			if (a >= len)
				continue;
			n = t->n < len - a ? t->n : len - a;
			memcpy(buf, seed, len);
			memcpy(buf + a, t->b, n);
			LLVMFuzzerTestOneInput(buf, len);
		}
	}
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	char *names[4096], path[4096];
	struct dirent *de;
	size_t n = 0, i;
	uint8_t *seed, *buf;
	DIR *d;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s CORPUS_DIR [DICT]\n", argv[0]);
		return 2;
	}
	if (argc == 3 && dict_load(argv[2]) != 0)
		return 1;
	if ((d = opendir(argv[1])) == NULL) {
		perror(argv[1]);
		return 1;
	}
	while ((de = readdir(d)) != NULL && n < 4096) {
		if (de->d_name[0] == '.')
			continue;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	if (n == 0) {
		fprintf(stderr, "%s: no seeds\n", argv[1]);
		return 1;
	}
	qsort(names, n, sizeof(names[0]), cmp);
	seed = malloc(SEED_MAX);
	buf = malloc(SEED_MAX);
	if (seed == NULL || buf == NULL) {
		free(seed);
		free(buf);
		return 1;
	}
	for (i = 0; i < n; i++) {
		FILE *f;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		if ((f = fopen(path, "rb")) == NULL) {
			perror(path);
			free(seed);
			free(buf);
			return 1;
		}
		len = fread(seed, 1, SEED_MAX, f);
		fclose(f);
		mutate(seed, len, buf);
		mutate_dict(seed, len, buf);
		printf("seed %s: %zu bytes ok\n", names[i], len);
		free(names[i]);
	}
	free(seed);
	free(buf);
	printf("%zu seeds passed\n", n);
	return 0;
}
