/*
 * pfkey_build.h - write PF_KEY v2 datagrams (keyd's replies and
 * broadcasts; libclient's requests) through a struct wr cursor.
 *
 * A message is pfkey_build_begin(), any number of pfkey_build_<ext>()
 * calls, then pfkey_build_end(), which writes sadb_msg_len. Each
 * extension is written with its length in 64-bit words and zero padding
 * to 8 octets; reserved fields are written as zero. Errors are sticky:
 * the first one stops all later writes and is returned by
 * pfkey_build_end(), so a caller checks once:
 *
 *	pfkey_build_begin(&b, buf, sizeof(buf), &hdr);
 *	pfkey_build_sa(&b, &sa);
 *	pfkey_build_address(&b, PARAPET_SADB_EXT_ADDRESS_SRC, &src);
 *	pfkey_build_address(&b, PARAPET_SADB_EXT_ADDRESS_DST, &dst);
 *	if ((error = pfkey_build_end(&b, &len)) != 0)
 *		return error;
 *
 * Errors: -EMSGSIZE when the buffer is too small or the message would
 * exceed PFKEY_MSG_MAX_BYTES; -EINVAL for a value that has no wire form
 * (an unknown address family, key bits that are not 8 * len_bytes, more
 * than PFKEY_POLICY_MAX_REQS requests). The builder does not validate
 * semantics: pfkey_msg_parse_reply() is the judge of what it wrote.
 * Pure: no I/O, no allocation; the buffer is the caller's.
 */
#ifndef PARAPET_PFKEY_BUILD_H
#define PARAPET_PFKEY_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "pfkey_msg.h"
#include "wr.h"

struct pfkey_build {
	struct wr	 w;
	uint8_t		*start;		/* the sadb_msg, for its length */
	int		 error;		/* first failure; 0 while none */
};

/*
 * Start a message in buf. From *hdr: type, msg_errno, satype, seq, pid;
 * the version is PF_KEY_V2, the reserved field 0 and the length is
 * written by pfkey_build_end().
 */
void	pfkey_build_begin(struct pfkey_build *, void *buf, size_t cap,
	    const struct pfkey_hdr *);
/* Finish: write sadb_msg_len; *len_bytes gets the datagram's length. */
int	pfkey_build_end(struct pfkey_build *, size_t *len_bytes) MUST_CHECK;

void	pfkey_build_sa(struct pfkey_build *, const struct pfkey_sa *);
/* exttype: SADB_EXT_LIFETIME_CURRENT, _HARD or _SOFT. */
void	pfkey_build_lifetime(struct pfkey_build *, uint16_t exttype,
	    const struct pfkey_lifetime *);
/* exttype: SADB_EXT_ADDRESS_SRC, _DST, _PROXY or SADB_X_EXT_NAT_T_OA. */
void	pfkey_build_address(struct pfkey_build *, uint16_t exttype,
	    const struct pfkey_address *);
/* exttype: SADB_EXT_KEY_AUTH or _ENCRYPT; bits must be 8 * len_bytes. */
void	pfkey_build_key(struct pfkey_build *, uint16_t exttype,
	    const struct pfkey_key *);
/* exttype: SADB_EXT_IDENTITY_SRC or _DST; data padded to 8 with zeros. */
void	pfkey_build_ident(struct pfkey_build *, uint16_t exttype,
	    const struct pfkey_ident *);
void	pfkey_build_sens(struct pfkey_build *, const struct pfkey_sens *);
void	pfkey_build_prop(struct pfkey_build *, uint8_t replay,
	    const struct pfkey_comb *, size_t ncombs);
/* exttype: SADB_EXT_SUPPORTED_AUTH or _ENCRYPT. */
void	pfkey_build_supported(struct pfkey_build *, uint16_t exttype,
	    const struct pfkey_alg *, size_t nalgs);
void	pfkey_build_spirange(struct pfkey_build *,
	    const struct pfkey_spirange *);
void	pfkey_build_kmprivate(struct pfkey_build *,
	    const struct pfkey_kmprivate *);
/* Requests in the Linux layout; endpoints written when has_addrs. */
void	pfkey_build_policy(struct pfkey_build *, const struct pfkey_policy *);
void	pfkey_build_sa2(struct pfkey_build *, const struct pfkey_sa2 *);
void	pfkey_build_natt_type(struct pfkey_build *, uint8_t type);
/* exttype: SADB_X_EXT_NAT_T_SPORT or _DPORT; port in host order. */
void	pfkey_build_natt_port(struct pfkey_build *, uint16_t exttype,
	    uint16_t port);
void	pfkey_build_sec_ctx(struct pfkey_build *,
	    const struct pfkey_sec_ctx *);
void	pfkey_build_filter(struct pfkey_build *, const struct pfkey_filter *);

/*
 * Write a whole parsed view back: its header (length recomputed) and
 * every extension present, in ascending type order. parse(build(m))
 * equals m for every m the parsers accept.
 */
int	pfkey_build_msg(const struct pfkey_msg *, void *buf, size_t cap,
	    size_t *len_bytes) MUST_CHECK;

/*
 * The error reply to a request whose header was usable: that header with
 * errno set and no extensions (Linux pfkey_error()). error is a positive
 * errno below 256.
 */
int	pfkey_build_error(const struct pfkey_hdr *req, int error, void *buf,
	    size_t cap, size_t *len_bytes) MUST_CHECK;

#endif
