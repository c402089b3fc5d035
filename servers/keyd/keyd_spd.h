/*
 * keyd_spd.h - keyd's side of the SPD relay: PF_KEY SPD messages
 * (X_SPDADD, X_SPDUPDATE, X_SPDDELETE, X_SPDDELETE2, X_SPDGET, X_SPDFLUSH,
 * X_SPDSETIDX, X_SPDDUMP) that a client sent to keyd's socket go to
 * policyd over the bus (proto/policyd.proto); its answers come back as
 * PF_KEY bytes that keyd delivers with the broadcast rules (the sender,
 * or every socket). X_SPDDUMP is paged from policyd and streamed to the
 * client with flow control: a page is requested only when the previous
 * one has gone into the client's socket.
 *
 * The connection side (sockets, queues, sync marks) stays in
 * keyd_pfkey.c, which passes callbacks. While a client's request is with
 * policyd, keyd does not read that client's next datagram, so replies
 * keep their order; during an X_SPDDUMP it does (requests are served
 * between the dump's messages, as for DUMP and as Linux does).
 *
 * policyd not reachable (not on the bus, no answer within
 * KEYD_SPD_TIMEOUT_MS, keyd not connected): the sender gets its request's
 * header back with errno EAGAIN (try again: the supervisor restarts
 * policyd). Untrusted input: policyd's replies (validated by the bus;
 * each message is checked with pfkey_msg_parse_reply before delivery).
 */
#ifndef PARAPET_KEYD_SPD_H
#define PARAPET_KEYD_SPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pfkey_msg.h"
#include "util.h"

#define KEYD_SPD_TIMEOUT_MS	2000	/* one relayed request or page */
#define KEYD_SPD_PAGE		256	/* X_SPDDUMP messages per page */
#define KEYD_SPD_BUDGET		64	/* dump messages per pump */

struct bus_client;
struct keyd_spd;
struct keyd_spd_req;

struct keyd_spd_ops {
	/* A message for conn only (all false), or for every socket. */
	void	(*deliver)(void *arg, void *conn, bool all,
		    const uint8_t *buf, size_t len, uint8_t type);
	/* True when conn can take a message without queueing it. */
	bool	(*writable)(void *arg, void *conn);
	/*
	 * conn's request req is finished (read conn again, emit its sync
	 * mark; req is freed right after the call), or, finished false, a
	 * dump waits for conn's socket to drain.
	 */
	void	(*done)(void *arg, void *conn, const struct keyd_spd_req *req,
		    bool finished);
	void	*arg;
};

/* True for the PF_KEY types that go to policyd. */
bool	keyd_spd_type(uint8_t type);

int	keyd_spd_create(struct keyd_spd **, struct bus_client *,
	    const struct keyd_spd_ops *) MUST_CHECK;
void	keyd_spd_destroy(struct keyd_spd *);

/*
 * Relay a validated datagram (m its parsed view) from conn. Returns 0
 * with *reqp set (the answer follows; ops->done is called when it is
 * complete), or a positive errno the caller answers at once.
 */
int	keyd_spd_relay(struct keyd_spd *, void *conn, const struct pfkey_msg *m,
	    const uint8_t *buf, size_t len, struct keyd_spd_req **reqp)
	    MUST_CHECK;
/* Dump messages are waiting for conn's socket. */
bool	keyd_spd_ready(const struct keyd_spd_req *);
/* Send waiting dump messages while ops->writable() says so. */
void	keyd_spd_pump(struct keyd_spd *, struct keyd_spd_req *);
/* conn is closing: its request is forgotten (done is not called). */
void	keyd_spd_forget(struct keyd_spd *, struct keyd_spd_req *);

#endif
