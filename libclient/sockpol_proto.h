/*
 * sockpol_proto.h - the per-socket policy endpoint's datagrams: what
 * libclient (libclient/sockpol.c, used by the preload library) sends to
 * policyd on RUNDIR/sockpol.sock (SOCK_SEQPACKET) and what policyd
 * answers. Shared by both ends; no code. policyd parses every request
 * as untrusted bytes (servers/policyd/sockpol.c).
 *
 * Our own fields are big-endian; the policy itself is the sadb_x_policy
 * extension exactly as ipsec_set_policy(3) returns it (PF_KEY: host
 * order).
 *
 *   request  (16)  version=1 op dir flags=0 | seq(4) | sock(8)
 *   selector (40)  family(2) proto(1) flags(1) lport(2) rport(2)
 *                  laddr(16) raddr(16)      [SET, BIND]
 *   policy         sadb_x_policy, len*8 octets, nothing after it [SET]
 *
 *   reply    (16)  version=1 op 0(2) | seq(4) | errno(4) | count(4)
 *   DUMP: count entries of 64 octets follow the reply header:
 *                  pid(4) uid(4) sock(8) dir(1) type(1) nreqs(1) 0(1)
 *                  selector(40) id(4)
 *
 * `sock` is chosen by the client and names one socket within its
 * connection (the preload library uses the socket's inode number, so
 * dup()ed descriptors and a fork()ed child name it alike). Addresses are
 * network order, ports host order; an all-zero address or port 0 is a
 * wildcard (unbound, unconnected). IPv4 addresses take the first 4
 * octets, the rest zero. proto is the socket's protocol (IPPROTO_UDP,
 * ...; 255 any, e.g. a raw socket of protocol 0). flags: SOCKPOL_SEL_*.
 */
#ifndef PARAPET_SOCKPOL_PROTO_H
#define PARAPET_SOCKPOL_PROTO_H

#define SOCKPOL_VERSION		1
#define SOCKPOL_HDR_BYTES	16
#define SOCKPOL_SEL_BYTES	40
#define SOCKPOL_REPLY_BYTES	16
#define SOCKPOL_DUMP_ENT_BYTES	64
/* Largest request: header, selector and a policy of 6 IPv6 tunnel
 * requests (16 + 6 * 72 octets), rounded up. */
#define SOCKPOL_REQ_MAX		1024
/* Entries in one DUMP reply (the reply is one datagram). */
#define SOCKPOL_DUMP_MAX	1000
#define SOCKPOL_DUMP_REPLY_MAX	\
	(SOCKPOL_REPLY_BYTES + SOCKPOL_DUMP_MAX * SOCKPOL_DUMP_ENT_BYTES)

/* Selector flags. V4MAPPED: an IPv6 socket with IPV6_V6ONLY off, which
 * also carries IPv4 (its addresses :: or ::ffff:a.b.c.d). */
#define SOCKPOL_SEL_V4MAPPED	0x01
#define SOCKPOL_SEL_FLAGS	SOCKPOL_SEL_V4MAPPED

enum sockpol_op {
	SOCKPOL_OP_SET = 1,	/* add or replace the policy of (sock, dir) */
	SOCKPOL_OP_DEL = 2,	/* remove it; dir 0: both directions */
	SOCKPOL_OP_BIND = 3,	/* new selector for every dir of sock */
	SOCKPOL_OP_DUMP = 4,	/* list (root: all; others: their uid's) */
	SOCKPOL_OP_MAX = 4
};

#endif
