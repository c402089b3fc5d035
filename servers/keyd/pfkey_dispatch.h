/*
 * pfkey_dispatch.h - keyd's PF_KEY dispatcher: one validated request in, the
 * SADB changed, replies and broadcasts out. Pure: no sockets, no clock
 * (now_ms is an argument), no random source of its own (a callback). The
 * shell (keyd_pfkey.c) owns the connections and performs the deliveries
 * the dispatcher asks for through a callback, with the broadcast rules of
 * RFC 2367 §3.1 (Linux pfkey_broadcast()).
 *
 * Input: a struct pfkey_msg that pfkey_msg_parse() accepted (untrusted
 * values, checked framing). Semantics are checked here and in the SADB:
 * algorithms and key sizes against the supported list, SA existence,
 * state transitions.
 */
#ifndef PARAPET_PFKEY_DISPATCH_H
#define PARAPET_PFKEY_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acquire.h"
#include "pfkey_msg.h"
#include "sadb.h"
#include "util.h"

/* Where a message goes (RFC 2367 §3.1; Linux BROADCAST_*). */
enum keyd_dest {
	KEYD_DEST_ONE,		/* the sender only */
	KEYD_DEST_ALL,		/* every PF_KEY socket, the sender included */
	KEYD_DEST_REGISTERED,	/* sockets registered for satype, and the
				   sender (if any) */
};

/*
 * One outgoing message. buf is borrowed for the duration of the callback
 * (it may hold key bytes: the shell copies, and the core wipes it after).
 * Promiscuous sockets get a copy of every message whatever dest says.
 */
struct keyd_out {
	enum keyd_dest	 dest;
	uint8_t		 satype;	/* KEYD_DEST_REGISTERED */
	uint8_t		 type;		/* sadb_msg_type, for counters */
	const uint8_t	*buf;
	size_t		 len;
};
typedef void keyd_send_fn(const struct keyd_out *, void *arg);

/* Per-socket PF_KEY state, owned by the shell, changed by the core. */
struct keyd_client {
	uint32_t	registered;	/* bit per SA type (1 << satype) */
	bool		promisc;
};

/* What the shell must do after a request beyond the messages sent. */
struct keyd_effect {
	int		error;		/* positive errno answered, or 0 */
	bool		dump;		/* start streaming a DUMP */
	uint8_t		dump_satype;
	struct pfkey_hdr dump_hdr;	/* the request's, to echo */
};

/* One supported algorithm (the REGISTER lists). */
struct keyd_alg {
	bool		encrypt;	/* SUPPORTED_ENCRYPT, else _AUTH */
	uint8_t		id;		/* Linux SADB_[X_]{A,E}ALG_* */
	uint8_t		ivlen;		/* bits */
	uint16_t	minbits;	/* key bits, salt included */
	uint16_t	maxbits;
	bool		aead;		/* no separate authentication */
	bool		needs_aes;	/* crypto_aead_aes256gcm_is_available() */
	int8_t		libcrypto;	/* 1: only with OpenSSL in ipsecd
					   (have_libcrypto), -1: only
					   without, 0: either */
};

/*
 * What ipsecd must hear about (keyd_bus.c publishes SaChangeEvents and
 * AcquireDoneEvents). Only usable SAs are told: a LARVAL SA becomes
 * INSTALL at its UPDATE, and its timeout or deletion is not told. The SA
 * is borrowed for the call; on DELETE it goes right after.
 */
enum keyd_sa_change {
	KEYD_SA_INSTALL,	/* ADD; UPDATE of a LARVAL SA */
	KEYD_SA_UPDATE,		/* UPDATE of a usable SA; soft expiry */
	KEYD_SA_DELETE,
};
enum keyd_sa_reason {
	KEYD_SA_REASON_NONE,
	KEYD_SA_REASON_DELETE,	/* PF_KEY DELETE */
	KEYD_SA_REASON_FLUSH,	/* PF_KEY FLUSH */
	KEYD_SA_REASON_EXPIRED,	/* hard lifetime */
};
struct keyd_hooks {
	void	(*sa_change)(enum keyd_sa_change, enum keyd_sa_reason,
		    const struct sadb_sa *, void *arg);
	void	(*acquire_done)(const struct acquire *, enum acquire_result,
		    int error, void *arg);
	void	*arg;
	/*
	 * The shell's batches (keyd_pfkey.c: one wake-up's datagrams, one
	 * expiry tick): begin true, then the changes, then begin false.
	 * The bus side tells ipsecd a batch's changes in one frame.
	 */
	void	(*batch)(bool begin, void *arg);
};

struct keyd_core {
	struct sadb	*db;		/* borrowed */
	sadb_random_fn	*rnd;
	void		*rnd_arg;
	int64_t		 wall_offset_ms;	/* wall clock - monotonic */
	bool		 have_aes;	/* AES-GCM offered */
	bool		 have_libcrypto;	/* ipsecd has OpenSSL (RFC 8221) */
	struct acquire_table *acq;	/* borrowed; NULL: no ACQUIREs */
	struct keyd_hooks hooks;	/* NULL functions: nobody to tell */
	uint8_t		 buf[PFKEY_MSG_MAX_BYTES];	/* wiped after use */
};

void	keyd_core_init(struct keyd_core *, struct sadb *db, sadb_random_fn *,
	    void *rnd_arg, bool have_aes);

/* The algorithm table and whether entry a is offered. */
const struct keyd_alg *keyd_core_algs(size_t *n);
bool	keyd_core_alg_offered(const struct keyd_core *, const struct keyd_alg *);

/*
 * Handle one validated request from client cl. Replies and broadcasts go
 * to send(); *eff says what else the shell must do. Never fails: errors
 * are answered (header-only, errno set, to the sender).
 */
void	keyd_core_request(struct keyd_core *, struct keyd_client *cl,
	    const struct pfkey_msg *m, uint64_t now_ms, keyd_send_fn *send,
	    void *arg, struct keyd_effect *eff);

/* The header-only error reply to hdr (error: positive errno). */
void	keyd_core_error(struct keyd_core *, const struct pfkey_hdr *hdr,
	    int error, keyd_send_fn *send, void *arg);

/*
 * One DUMP reply (with keys, as Linux) for sa, echoing hdr, with seq.
 * Written to buf; 0 or -EMSGSIZE.
 */
int	keyd_core_dump_reply(const struct keyd_core *, const struct sadb_sa *sa,
	    const struct pfkey_hdr *hdr, uint32_t seq, uint8_t *buf, size_t cap,
	    size_t *len) MUST_CHECK;

/*
 * An expiry event as a PF_KEY EXPIRE message: SA, the soft or hard
 * lifetime that ran out, current lifetime, addresses, SA2; seq and pid 0
 * (Linux key_notify_sa_expire()). Sent to the sockets registered for the
 * SA's type. Larval timeouts send nothing (the SA just goes).
 */
void	keyd_core_expire(struct keyd_core *, const struct sa_event *ev,
	    keyd_send_fn *send, void *arg);

/*
 * SADB_ACQUIRE for a (started) to the sockets registered for its SA type,
 * laid out as Linux pfkey_send_acquire(): header (seq = a->seq, pid 0),
 * SRC and DST (proto 0, full prefix), X_POLICY (IPSEC, a->dir, id =
 * a->policy_id, no requests), PROPOSAL (replay 32; one comb per
 * algorithm combination keyd_algs[] offers for the SA type, with Linux's
 * default lifetimes). 0 or a negative errno (nothing sent).
 */
int	keyd_core_acquire(struct keyd_core *, const struct acquire *a,
	    keyd_send_fn *send, void *arg) MUST_CHECK;

#endif
