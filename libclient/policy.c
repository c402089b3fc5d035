/*
 * policy.c - ipsec_set_policy(3) and friends (the libipsec entry points): policy text to the Linux
 * sadb_x_policy extension and back, as KAME libipsec (ipsec-tools) does.
 *
 * Parsing text: a hand-written lexer with the token rules of libipsec's
 * policy_token.l (longest match, keywords win ties) and a recursive
 * descent parser for the productions of policy_parse.y. Addresses are
 * numeric only (inet_pton): no resolver, no interface names.
 *
 * Dumping bytes: the bytes are untrusted. They are read through rd
 * cursors, never cast to structures, and validated in full before any
 * text is produced; everything policy_dump() accepts prints as text that
 * policy_parse() turns back into the same bytes (up to policy_canon()).
 *
 * The error code of the libipsec entry points is thread-local; the core
 * functions keep no state. Departures from KAME are listed in
 * docs/DESIGN.md §10.7.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rd.h"
#include "wr.h"
#include "policy_impl.h"

/* ---- libipsec entry points ---- */

static _Thread_local int ipsec_err;

static const char *const ipsec_errlist[] = {
	[EIPSEC_NO_ERROR] = "Success",
	[EIPSEC_NOT_SUPPORTED] = "Not supported",
	[EIPSEC_INVAL_ARGUMENT] = "Invalid argument",
	[EIPSEC_INVAL_SADBMSG] = "Invalid sadb message",
	[EIPSEC_INVAL_VERSION] = "Invalid version",
	[EIPSEC_INVAL_POLICY] = "Invalid security policy",
	[EIPSEC_INVAL_ADDRESS] = "Invalid address specification",
	[EIPSEC_INVAL_PROTO] = "Invalid ipsec protocol",
	[EIPSEC_INVAL_MODE] = "Invalid ipsec mode",
	[EIPSEC_INVAL_LEVEL] = "Invalid ipsec level",
	[EIPSEC_INVAL_SATYPE] = "Invalid SA type",
	[EIPSEC_INVAL_MSGTYPE] = "Invalid message type",
	[EIPSEC_INVAL_EXTTYPE] = "Invalid extension type",
	[EIPSEC_INVAL_ALGS] = "Invalid algorithm type",
	[EIPSEC_INVAL_KEYLEN] = "Invalid key length",
	[EIPSEC_INVAL_FAMILY] = "Invalid address family",
	[EIPSEC_INVAL_PREFIXLEN] = "Invalid prefix length",
	/* sic: libipsec's spelling, which programs may match on. */
	[EIPSEC_INVAL_DIR] = "Invalid direciton",
	[EIPSEC_INVAL_SPI] = "SPI range violation",
	[EIPSEC_NO_PROTO] = "No protocol specified",
	[EIPSEC_NO_ALGS] = "No algorithm specified",
	[EIPSEC_NO_BUFS] = "No buffers available",
	[EIPSEC_DO_GET_SUPP_LIST] = "Must get supported algorithms list first",
	[EIPSEC_PROTO_MISMATCH] = "Protocol mismatch",
	[EIPSEC_FAMILY_MISMATCH] = "Family mismatch",
	[EIPSEC_FEW_ARGUMENTS] = "Too few arguments",
	[EIPSEC_SYSTEM_ERROR] = "System error",
	[EIPSEC_INVAL_PRIORITY_OFFSET] =
	    "Priority offset not in valid range [-2147483647, 2147483648]",
	[EIPSEC_INVAL_PRIORITY_BASE_OFFSET] =
	    ("Priority offset from base not in valid range [0, 1073741823] "
	    "for negative offsets and [0, 1073741824] for positive offsets"),
	[EIPSEC_PRIORITY_NOT_COMPILED] = "Policy priority not compiled in",
	[EIPSEC_MAX] = "Unknown error",
};
_Static_assert(nitems(ipsec_errlist) == EIPSEC_MAX + 1, "errlist");

char *
ipsec_set_policy(const char *msg, int msglen)
{
	uint8_t *buf;
	size_t len;

	if (msg == NULL || msglen < 0) {
		ipsec_err = EIPSEC_INVAL_ARGUMENT;
		return NULL;
	}
	ipsec_err = policy_parse(msg, (size_t)msglen, &buf, &len);
	return ipsec_err == EIPSEC_NO_ERROR ? (char *)buf : NULL;
}

int
ipsec_get_policylen(const char *policy)
{
	uint16_t words;

	if (policy == NULL)
		return -1;
	memcpy(&words, policy, sizeof(words));	/* host order */
	return (int)words * 8;
}

static char *
dump(const char *policy, const char *delimiter, bool withports)
{
	char *text = NULL;
	int len;

	if (policy == NULL) {
		ipsec_err = EIPSEC_INVAL_ARGUMENT;
		return NULL;
	}
	len = ipsec_get_policylen(policy);
	ipsec_err = policy_dump((const uint8_t *)policy, (size_t)len,
	    delimiter, withports, &text);
	return ipsec_err == EIPSEC_NO_ERROR ? text : NULL;
}

char *
ipsec_dump_policy(const char *policy, const char *delimiter)
{
	return dump(policy, delimiter, false);
}

char *
ipsec_dump_policy_withports(const char *policy, const char *delimiter)
{
	return dump(policy, delimiter, true);
}

const char *
ipsec_strerror(void)
{
	if (ipsec_err < 0 || ipsec_err > EIPSEC_MAX)
		ipsec_err = EIPSEC_MAX;
	return ipsec_errlist[ipsec_err];
}

int
ipsec_errcode(void)
{
	return ipsec_err;
}
