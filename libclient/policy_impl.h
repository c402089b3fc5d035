/*
 * policy_impl.h - what the three parts of the policy library share:
 * policy_parse.c (text to bytes), policy_dump.c (bytes to text) and
 * policy.c (the libipsec entry points). Private to libclient.
 */
#ifndef PARAPET_POLICY_IMPL_H
#define PARAPET_POLICY_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ipsec_policy.h"
#include "pfkeyv2.h"
#include "policy.h"

/* PF_KEY numbers are in host order (rd_h*, wr_h*), addresses and ports in
 * network order. */
#define POLICY_HDR_BYTES	16	/* struct pp_sadb_x_policy */
#define REQ_HDR_BYTES		16	/* struct pp_sadb_x_ipsecrequest */
#define SIN_BYTES		16	/* struct sockaddr_in */
#define SIN6_BYTES		28	/* struct sockaddr_in6 */
_Static_assert(sizeof(struct pp_sadb_x_policy) == POLICY_HDR_BYTES, "hdr");
_Static_assert(sizeof(struct pp_sadb_x_ipsecrequest) == REQ_HDR_BYTES,
    "req");
_Static_assert(sizeof(struct sockaddr_in) == SIN_BYTES, "sin");
_Static_assert(sizeof(struct sockaddr_in6) == SIN6_BYTES, "sin6");

/* The largest addresses token we look at: an IPv6 address and scope. */
#define ADDR_TEXT_MAX		(INET6_ADDRSTRLEN + 11)

/* One tunnel endpoint; addr and port in network order. */
struct ep {
	uint8_t		addr[16];
	uint16_t	port;
	uint32_t	scope;	/* IPv6 sin6_scope_id */
};

struct preq {
	uint16_t	proto;
	uint8_t		mode;
	uint8_t		level;
	uint32_t	reqid;
	uint16_t	family;	/* 0: no endpoints */
	struct ep	src;
	struct ep	dst;
};

struct pol {
	uint16_t	 type;
	uint8_t		 dir;
	uint32_t	 priority;
	size_t		 nreq;
	size_t		 cap;
	size_t		 len_bytes;	/* of the extension so far */
	struct preq	*req;
};

static inline size_t
salen(uint16_t family)
{
	return family == AF_INET ? SIN_BYTES :
	    family == AF_INET6 ? SIN6_BYTES : 0;
}

static inline size_t
req_bytes(const struct preq *q)
{
	return REQ_HDR_BYTES + 2 * salen(q->family);
}

#endif
