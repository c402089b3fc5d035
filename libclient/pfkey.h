/*
 * pfkey.h - libclient's PF_KEY v2 API: a connection to keyd's socket and
 * send helpers in the spirit of KAME libipsec's pfkey.c.
 *
 * A client is one AF_UNIX SOCK_SEQPACKET connection to keyd (one datagram
 * is one sadb_msg). Each pfkey_send_<x>() fills a parsed view from a small
 * parameter struct, writes it with keyd_core's pfkey_build_msg() (the
 * same wire code keyd uses) and sends it; it returns the seq it used.
 * pfkey_recv() reads one datagram and validates it with keyd_core's
 * pfkey_msg_parse_reply(). What keyd sends is untrusted: nothing is used
 * before that validation. See DESIGN §10.17.
 *
 * Errors are negative errnos. Blocking is the socket's: set O_NONBLOCK or
 * SO_RCVTIMEO on pfkey_fd() and pfkey_recv() returns -EAGAIN.
 */
#ifndef PARAPET_PFKEY_H
#define PARAPET_PFKEY_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "pfkey_msg.h"
#include "rd.h"
#include "util.h"

#define PFKEY_SOCKET_DEFAULT	"/run/parapet/pfkey.sock"

struct pfkey_client;

/*
 * An SA message: GETSPI, UPDATE, ADD, DELETE, GET. Zero what you do not
 * use. Addresses are sockaddr_in or sockaddr_in6 (network order inside),
 * both of one family; they are sent with upper-layer protocol "any" (255)
 * and a full prefix, as libipsec does for SAs.
 */
struct pfkey_sa_params {
	uint8_t			 satype;	/* PARAPET_SADB_SATYPE_ESP ... */
	uint32_t		 spi;		/* host order; not for GETSPI */
	const struct sockaddr	*src;
	const struct sockaddr	*dst;
	/* GETSPI: the range to pick from; both 0: keyd's default range. */
	uint32_t		 spi_min;
	uint32_t		 spi_max;
	/* ADD, UPDATE (sent as state MATURE). */
	uint8_t			 replay;	/* window, packets */
	uint32_t		 flags;		/* sadb_sa_flags */
	uint8_t			 auth;		/* PARAPET_SADB_X_AALG_... */
	uint8_t			 encrypt;	/* PARAPET_SADB_EALG_... */
	/*
	 * Borrowed. NULL: no key extension; non-NULL with length 0: an
	 * empty key (ESP with the NULL cipher needs one).
	 */
	const uint8_t		*key_auth;
	size_t			 key_auth_len;
	const uint8_t		*key_enc;
	size_t			 key_enc_len;
	/* Sent when any member is non-zero (addtime/usetime in seconds). */
	struct pfkey_lifetime	 lft_hard;
	struct pfkey_lifetime	 lft_soft;
	/* X_SA2, sent when mode or reqid is non-zero (mode 0: any). */
	uint8_t			 mode;		/* IPSEC_MODE_TRANSPORT ... */
	uint32_t		 reqid;
	/* NAT-T, sent when natt_type is non-zero; ports in host order. */
	uint8_t			 natt_type;	/* UDP_ENCAP_ESPINUDP (2) */
	uint16_t		 natt_sport;
	uint16_t		 natt_dport;
	const struct sockaddr	*natt_oa;	/* NULL: none */
	/* 0: the client's next seq. UPDATE of a larval SA: its GETSPI's. */
	uint32_t		 seq;
};

/*
 * An SPD message: X_SPDADD, X_SPDUPDATE, X_SPDDELETE take the selector
 * and the policy; X_SPDGET and X_SPDDELETE2 take policy_id only.
 */
struct pfkey_spd_params {
	const struct sockaddr	*src;		/* selector */
	const struct sockaddr	*dst;
	uint8_t			 prefs;		/* prefix lengths */
	uint8_t			 prefd;
	uint8_t			 proto;		/* upper layer; 255: any */
	/* ipsec_set_policy(3) bytes (a sadb_x_policy extension); borrowed. */
	const void		*policy;
	size_t			 policy_len;
	struct pfkey_lifetime	 lft_hard;	/* sent when non-zero */
	struct pfkey_lifetime	 lft_soft;
	uint32_t		 policy_id;	/* X_SPDGET, X_SPDDELETE2 */
	uint32_t		 seq;		/* 0: the client's next seq */
};

/*
 * One received datagram. msg is the validated view; it and raw borrow the
 * client's receive buffer and stay valid until the next pfkey_recv() or
 * pfkey_close().
 */
struct pfkey_reply {
	uint8_t			 type;		/* PARAPET_SADB_... */
	uint8_t			 satype;
	int			 msg_errno;	/* keyd's errno (positive); 0 */
	uint32_t		 seq;
	uint32_t		 pid;
	const uint8_t		*raw;		/* the datagram */
	size_t			 len_bytes;
	struct pfkey_msg	 msg;
};

/* One extension of a received datagram, as raw bytes. */
struct pfkey_ext {
	uint16_t		 type;		/* PARAPET_SADB_EXT_... */
	size_t			 len_bytes;	/* including sadb_ext */
	const uint8_t		*data;		/* borrowed; starts at sadb_ext */
};

/* Reads through a cursor over the datagram (STYLE §5). */
struct pfkey_ext_iter {
	struct rd		 r;
};

/*
 * Connect to keyd: $PFKEY_SOCKET (the full path), else
 * $PARAPET_RUNDIR/pfkey.sock, else PFKEY_SOCKET_DEFAULT. Errors: the
 * errno of socket()/connect(), -ENAMETOOLONG, -ENOMEM.
 */
int	pfkey_open(struct pfkey_client **) MUST_CHECK;
int	pfkey_open_path(struct pfkey_client **, const char *path) MUST_CHECK;
/*
 * Adopt a connected SOCK_SEQPACKET descriptor (takes ownership of fd,
 * also on failure): for a socket handed over by someone else, and for
 * tests over a socketpair().
 */
int	pfkey_open_fd(struct pfkey_client **, int fd) MUST_CHECK;
/* Close the socket and wipe the receive buffer (it may hold keys). */
void	pfkey_close(struct pfkey_client *);
int	pfkey_fd(const struct pfkey_client *);
/* The pid written into requests (getpid() at open) and matched on reply. */
uint32_t pfkey_pid(const struct pfkey_client *);

/*
 * Send helpers. Each returns the seq it sent (> 0), or a negative errno:
 * -EINVAL for parameters with no wire form (no address, families that
 * differ, a policy that does not parse), -EMSGSIZE, or send()'s error.
 */
int64_t	pfkey_send_getspi(struct pfkey_client *, const struct pfkey_sa_params *);
int64_t	pfkey_send_update(struct pfkey_client *, const struct pfkey_sa_params *);
int64_t	pfkey_send_add(struct pfkey_client *, const struct pfkey_sa_params *);
int64_t	pfkey_send_delete(struct pfkey_client *, const struct pfkey_sa_params *);
int64_t	pfkey_send_get(struct pfkey_client *, const struct pfkey_sa_params *);
/* satype 0: every type (setkey does that). */
int64_t	pfkey_send_register(struct pfkey_client *, uint8_t satype);
int64_t	pfkey_send_flush(struct pfkey_client *, uint8_t satype);
int64_t	pfkey_send_dump(struct pfkey_client *, uint8_t satype);
/* on: 1 promiscuous, 0 not (any non-zero value means 1). */
int64_t	pfkey_send_promisc(struct pfkey_client *, int on);
int64_t	pfkey_send_x_spdadd(struct pfkey_client *,
	    const struct pfkey_spd_params *);
int64_t	pfkey_send_x_spdupdate(struct pfkey_client *,
	    const struct pfkey_spd_params *);
int64_t	pfkey_send_x_spddelete(struct pfkey_client *,
	    const struct pfkey_spd_params *);
int64_t	pfkey_send_x_spddelete2(struct pfkey_client *,
	    const struct pfkey_spd_params *);
int64_t	pfkey_send_x_spdget(struct pfkey_client *,
	    const struct pfkey_spd_params *);
int64_t	pfkey_send_x_spddump(struct pfkey_client *);
int64_t	pfkey_send_x_spdflush(struct pfkey_client *);

/*
 * Build without sending (what the send helpers send): type is the
 * message type, p the parameters (NULL for REGISTER, FLUSH, DUMP,
 * X_PROMISC, X_SPDDUMP, X_SPDFLUSH, whose satype is the argument).
 * *len_bytes gets the datagram's length; the seq is hdr.seq of it.
 */
int	pfkey_build_sa_request(uint8_t type, const struct pfkey_sa_params *p,
	    uint32_t seq, uint32_t pid, void *buf, size_t cap,
	    size_t *len_bytes) MUST_CHECK;
int	pfkey_build_spd_request(uint8_t type,
	    const struct pfkey_spd_params *p, uint32_t seq, uint32_t pid,
	    void *buf, size_t cap, size_t *len_bytes) MUST_CHECK;
int	pfkey_build_hdr_request(uint8_t type, uint8_t satype, uint32_t seq,
	    uint32_t pid, void *buf, size_t cap, size_t *len_bytes) MUST_CHECK;

/*
 * Receive one datagram into the client's buffer and validate it. keyd's
 * replies and broadcasts are checked with pfkey_msg_parse_reply();
 * another client's request seen on a promiscuous socket with
 * pfkey_msg_parse(). Errors: -EMSGSIZE (a datagram longer than
 * PFKEY_MSG_MAX_BYTES, detected with MSG_TRUNC, consumed), -EBADMSG (an
 * invalid datagram, consumed; *r holds nothing), -ECONNRESET (keyd closed
 * the connection), -EAGAIN, or recv()'s errno.
 */
int	pfkey_recv(struct pfkey_client *, struct pfkey_reply *) MUST_CHECK;
/*
 * Receive until the reply to our request seq (seq and our pid echoed);
 * broadcasts and other clients' messages in between are skipped (so are
 * invalid datagrams). Errors as pfkey_recv() except -EBADMSG.
 */
int	pfkey_recv_reply(struct pfkey_client *, uint32_t seq,
	    struct pfkey_reply *) MUST_CHECK;

/*
 * Raw extensions of a received datagram, in wire order. Returns 1 with
 * *e filled, 0 at the end, -EBADMSG on framing that does not add up
 * (never for a datagram pfkey_recv() accepted).
 */
int	pfkey_ext_first(const struct pfkey_reply *, struct pfkey_ext_iter *,
	    struct pfkey_ext *) MUST_CHECK;
int	pfkey_ext_next(struct pfkey_ext_iter *, struct pfkey_ext *) MUST_CHECK;

#endif
