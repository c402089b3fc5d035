/*
 * policy.h - the KAME libipsec policy API (ipsec_set_policy(3)), pure.
 *
 * Text such as "out prio def ipsec esp/tunnel/10.0.0.1-10.0.0.2/require"
 * becomes the bytes of a PF_KEY sadb_x_policy extension in the Linux
 * layout (with the priority field and 16-octet sadb_x_ipsecrequest
 * entries), and those bytes become text again in the format ipsec-tools
 * prints. No sockets, no name resolution, no files. See docs/DESIGN.md §10.7 for
 * the grammar, the byte layout and where we depart from KAME.
 *
 * The bytes given to the dumpers are untrusted (they may come from keyd,
 * a kernel or another process) and are validated in full.
 */
#ifndef PARAPET_POLICY_H
#define PARAPET_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/*
 * libipsec's error codes (ipsec-tools ipsec_strerror.h), same values.
 * They are not negative errnos because they are libipsec's ABI: callers
 * compare ipsec_errcode() with them and print ipsec_strerror().
 */
enum ipsec_errcode {
	EIPSEC_NO_ERROR = 0,
	EIPSEC_NOT_SUPPORTED = 1,
	EIPSEC_INVAL_ARGUMENT = 2,
	EIPSEC_INVAL_SADBMSG = 3,
	EIPSEC_INVAL_VERSION = 4,
	EIPSEC_INVAL_POLICY = 5,
	EIPSEC_INVAL_ADDRESS = 6,
	EIPSEC_INVAL_PROTO = 7,
	EIPSEC_INVAL_MODE = 8,
	EIPSEC_INVAL_LEVEL = 9,
	EIPSEC_INVAL_SATYPE = 10,
	EIPSEC_INVAL_MSGTYPE = 11,
	EIPSEC_INVAL_EXTTYPE = 12,
	EIPSEC_INVAL_ALGS = 13,
	EIPSEC_INVAL_KEYLEN = 14,
	EIPSEC_INVAL_FAMILY = 15,
	EIPSEC_INVAL_PREFIXLEN = 16,
	EIPSEC_INVAL_DIR = 17,
	EIPSEC_INVAL_SPI = 18,
	EIPSEC_NO_PROTO = 19,
	EIPSEC_NO_ALGS = 20,
	EIPSEC_NO_BUFS = 21,
	EIPSEC_DO_GET_SUPP_LIST = 22,
	EIPSEC_PROTO_MISMATCH = 23,
	EIPSEC_FAMILY_MISMATCH = 24,
	EIPSEC_FEW_ARGUMENTS = 25,
	EIPSEC_SYSTEM_ERROR = 26,
	EIPSEC_INVAL_PRIORITY_OFFSET = 27,
	EIPSEC_INVAL_PRIORITY_BASE_OFFSET = 28,
	EIPSEC_PRIORITY_NOT_COMPILED = 29,
	EIPSEC_MAX = 30
};

/* libipsec's priority anchors (libpfkey.h); smaller is preferred. */
#define POLICY_PRIORITY_HIGH		0x40000000u
#define POLICY_PRIORITY_DEFAULT		0x80000000u
#define POLICY_PRIORITY_LOW		0xc0000000u
#define POLICY_PRIORITY_OFFSET_POSITIVE_MAX 0x3fffffffu	/* "base - N" */
#define POLICY_PRIORITY_OFFSET_NEGATIVE_MAX 0x40000000u	/* "base + N" */

/*
 * "unique:N" takes N from 1 to POLICY_REQID_MANUAL_MAX, the range
 * ipsec_set_policy(3) documents. Larger reqids are the SPD's own; they
 * print, and parse, as "unique#N" (docs/DESIGN.md §10.7).
 */
#define POLICY_REQID_MANUAL_MAX		32767u

/* Largest extension: sadb_x_policy_len is 16 bits of 64-bit words. */
#define POLICY_MAX_BYTES		((size_t)0xffff * 8)

/*
 * The core, with explicit lengths and no hidden state. Both return
 * EIPSEC_NO_ERROR or the reason as an enum ipsec_errcode.
 *
 * policy_parse: text_len bytes of text (a NUL ends it earlier). On
 * success *buf is a malloc'd extension (the caller frees it) of
 * *len_bytes octets, a multiple of 8.
 *
 * policy_dump: the extension in buf[0..len_bytes), which must be exactly
 * sadb_x_policy_len words. On success *text is a malloc'd string (the
 * caller frees it). delim separates the requests; NULL means " ".
 * withports prints "[port]" after every endpoint; without it, ports are
 * printed only when one is not 0 (so that the text parses back).
 */
int	 policy_parse(const char *text, size_t text_len, uint8_t **buf,
	    size_t *len_bytes) MUST_CHECK;
int	 policy_dump(const uint8_t *buf, size_t len_bytes, const char *delim,
	    bool withports, char **text) MUST_CHECK;

/*
 * Zero what the text form does not carry (policy id, request reserved
 * fields) in a well-formed extension, so that
 * policy_parse(policy_dump(b)) == policy_canon(b) for every b that
 * policy_dump accepts. Lengths are not trusted; a malformed tail is left.
 */
void	 policy_canon(uint8_t *buf, size_t len_bytes);

/*
 * The libipsec API. The error code is per thread.
 *
 * ipsec_set_policy: msglen bytes of text (a NUL ends it earlier, as
 * callers pass strlen() or a buffer size); returns a malloc'd extension
 * or NULL. ipsec_get_policylen: its length in octets, read from its
 * header (-1 for NULL); like libipsec, it trusts that header.
 * ipsec_dump_policy[_withports]: the extension's text, malloc'd, or NULL;
 * the buffer must hold sadb_x_policy_len words (libipsec's contract).
 */
char	*ipsec_set_policy(const char *msg, int msglen);
int	 ipsec_get_policylen(const char *policy);
char	*ipsec_dump_policy(const char *policy, const char *delimiter);
char	*ipsec_dump_policy_withports(const char *policy,
	    const char *delimiter);
const char *ipsec_strerror(void);
/* The last call's enum ipsec_errcode, in this thread. */
int	 ipsec_errcode(void);

#endif
