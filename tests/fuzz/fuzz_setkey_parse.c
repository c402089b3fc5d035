/*
 * fuzz_setkey_parse.c - libFuzzer target for setkey(8)'s configuration
 * parser (libclient/setkey/setkey_parse.c) and the dump formats.
 *
 * The input is setkey text. It is parsed twice: with keyd's REGISTER
 * list (key lengths checked) and without (setkey -n). Whatever parses
 * must produce messages that keyd's own validator accepts (an SPI of 0
 * is the one refusal a well-formed statement can earn), and every
 * message is put through the -x dump and, for policies, the -DP dump.
 * An error must come with a "file:line:col: " message. Any other
 * outcome aborts.
 *
 * Dictionary: tests/fuzz/corpus/fuzz_setkey_parse.dict (beside the
 * corpus, as parapet_fuzz() takes no dictionary; pass it to libFuzzer
 * with -dict=).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pfkey_msg.h"
#include "setkey_dump.h"
#include "setkey_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct setkey_algs algs = {
	.auth = { { 5, 0, 256, 256 }, { 7, 0, 512, 512 } },
	.nauth = 2,
	.enc = { { 20, 64, 288, 288 }, { 11, 0, 0, 0 } },
	.nenc = 2,
};

static void
one(const char *text, size_t len, const struct setkey_algs *a)
{
	struct setkey_opts o;
	struct setkey_script *s;
	struct setkey_error err;
	struct setkey_out out = { 0 };
	struct pfkey_msg m;
	enum pfkey_reject why;
	size_t i;
	int rc;

	memset(&o, 0, sizeof(o));
	o.fname = "f";
	o.pid = 1;
	o.first_seq = 1;
	o.rfc_mode = len % 2 == 0;
	o.algs = a;
	rc = setkey_parse(text, len, &o, &s, &err);
	if (rc == -EINVAL) {
		if (s != NULL || strncmp(err.msg, "f:", 2) != 0 ||
		    err.line == 0 || err.col == 0)
			abort();
		return;
	}
	if (rc != 0 || s == NULL)
		abort();
	for (i = 0; i < s->nstmt; i++) {
		const struct setkey_stmt *st = &s->stmt[i];

		if (st->msg == NULL)
			continue;
		if (pfkey_msg_parse(st->msg, st->len, &m, &why) != 0) {
			if (why != PFKEY_REJECT_SA_SPI_ZERO)
				abort();
			continue;
		}
		setkey_dump_debug(&out, st->msg, st->len);
		if (pfkey_msg_has(&m, PARAPET_SADB_X_EXT_POLICY))
			setkey_dump_sp(&out, &m, i % 2 == 0);
		if (out.error != 0)
			abort();
		setkey_out_reset(&out);
	}
	setkey_out_free(&out);
	setkey_script_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one((const char *)data, size, &algs);
	one((const char *)data, size, NULL);
	return 0;
}
