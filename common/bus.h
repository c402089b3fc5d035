/*
 * bus.h - the control bus shell (libuv): a client that every server and
 * tool uses, and the broker that the supervisor hosts.
 *
 * Framing and validation are in frame.c (pure); this file owns sockets,
 * timers and reconnection. Everything received is untrusted: a frame that
 * fails frame_msg_parse() costs the sender its connection, a counter and a
 * rate-limited log line, never our process.
 *
 * Routing (broker):
 *   REQUEST with dst "name"   -> the peer that said hello as "name";
 *                               no such peer: the broker answers
 *                               ERROR_REPLY -EHOSTUNREACH.
 *   REPLY with dst "name"     -> that peer (dropped + counted if gone).
 *   EVENT with topic "t"      -> every peer subscribed to "t" but the
 *                               sender.
 *   HELLO/SUBSCRIBE/UNSUBSCRIBE requests are answered by the broker.
 *   PING/COUNTERS requests with dst "broker" are answered by the broker
 *   (other requests to "broker": ERROR_REPLY -EOPNOTSUPP); the name
 *   "broker" is reserved (hello as "broker": -EADDRINUSE).
 * The broker sets Envelope.src to the sender's hello name; a peer cannot
 * send anything but HELLO before its hello is accepted.
 */
#ifndef PARAPET_BUS_H
#define PARAPET_BUS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "frame.h"

struct bus_client;
struct bus_broker;

/* ---- client ---- */

/*
 * Called with the reply (error 0) or with error != 0 and reply NULL:
 * -ETIMEDOUT (no reply within the timeout), -ENOTCONN (connection lost
 * before the reply), -ECANCELED (client destroyed), -EPROTO (the reply's
 * type is not the one registered for the request), or the negative errno
 * a peer put in its reply (then reply is non-NULL, type MSG_ERROR_REPLY;
 * the broker itself answers -EHOSTUNREACH for an unknown name). With
 * error 0 the reply's body is of the request's registered reply type.
 * `reply` is borrowed for the duration of the call.
 */
typedef void bus_reply_fn(struct bus_client *, int error,
    const struct bus_msg *reply, void *arg);
/* Incoming request or event; `m` is borrowed for the call. */
typedef void bus_handler_fn(struct bus_client *, const struct bus_msg *m,
    void *arg);
typedef void bus_conn_fn(struct bus_client *, void *arg);

struct bus_client_cfg {
	const char	*path;		/* broker socket */
	const char	*name;		/* hello name */
	uint32_t	 reconnect_min_ms;	/* 0: 50 */
	uint32_t	 reconnect_max_ms;	/* 0: 2000 */
	bus_conn_fn	*on_connect;	/* after each accepted hello (and
					   after subscriptions are re-sent) */
	bus_conn_fn	*on_disconnect;
	void		*arg;
};

/*
 * Create a client and start connecting (asynchronously; it retries with
 * exponential back-off between reconnect_min_ms and reconnect_max_ms for as
 * long as it lives, and again whenever an established connection drops).
 */
int	bus_client_create(uv_loop_t *, const struct bus_client_cfg *,
	    struct bus_client **) MUST_CHECK;
/* Close everything; pending requests get -ECANCELED; handles close
 * asynchronously, so run the loop once more before freeing it. */
void	bus_client_destroy(struct bus_client *);
bool	bus_client_connected(const struct bus_client *);
/*
 * Whether the client is connected on a connection newer than *seen (the
 * connects count the caller saw last), updating *seen: a server that
 * resynchronises after every reconnect (events may have been missed)
 * asks this from its tick and from its server_on_connect() hook.
 */
bool	bus_client_reconnected(const struct bus_client *, uint64_t *seen);

/* Handler for incoming requests and events of one type (one per type). */
int	bus_client_on(struct bus_client *, uint32_t type, bus_handler_fn *,
	    void *arg) MUST_CHECK;
/* Remembered and re-sent after every reconnect. */
int	bus_subscribe(struct bus_client *, const char *topic) MUST_CHECK;
int	bus_unsubscribe(struct bus_client *, const char *topic) MUST_CHECK;

/*
 * -ENOTCONN if not connected now (no queueing across connections).
 * timeout_ms 0: BUS_TIMEOUT_MS. -EINVAL for a bad dst, a type that is not
 * a request or a body that fails its validator; -ENOBUFS if more than
 * BUS_CLIENT_QUEUE_MAX bytes are already waiting to be written.
 */
#define BUS_TIMEOUT_MS	5000
#define BUS_CLIENT_QUEUE_MAX	(8u << 20)	/* 8 MiB */
int	bus_request(struct bus_client *, const char *dst, uint32_t type,
	    const ProtobufCMessage *body, uint32_t timeout_ms,
	    bus_reply_fn *, void *arg) MUST_CHECK;
/* Answer request `req`; error 0 with a body of `type`, or a negative errno
 * (type MSG_ERROR_REPLY, body NULL). */
int	bus_reply(struct bus_client *, const struct bus_msg *req, int error,
	    uint32_t type, const ProtobufCMessage *body) MUST_CHECK;
/* The same for an answer given after the handler returned: keep the
 * request's src and corr, the message itself is gone by then. */
int	bus_reply_to(struct bus_client *, const char *dst, uint64_t corr,
	    int error, uint32_t type, const ProtobufCMessage *body) MUST_CHECK;
int	bus_publish(struct bus_client *, const char *topic, uint32_t type,
	    const ProtobufCMessage *body) MUST_CHECK;

struct bus_client_stats {
	uint64_t	connects;
	uint64_t	disconnects;
	uint64_t	frames_in;
	uint64_t	frames_out;
	uint64_t	rejected[FRAME_REJECT_MAX];
	uint64_t	timeouts;
	uint64_t	unhandled;	/* requests/events with no handler */
	uint64_t	stray_replies;	/* no pending request, or from the
					   wrong peer: dropped */
};
const struct bus_client_stats *bus_client_stats(const struct bus_client *);

/* ---- broker ---- */

struct bus_broker_cfg {
	const char	*path;		/* socket to listen on (unlinked first) */
	mode_t		 mode;		/* socket file mode; 0: 0600 */
	const char	*instance;	/* HelloReply.broker */
	size_t		 peer_queue_max; /* bytes queued to one peer before it
					   is dropped as stuck; 0: 8 MiB */
	uint32_t	 hello_timeout_ms; /* a connection without HelloRequest
					   this long is closed; 0: 10 s */
};

#define BUS_BROKER_PEERS_MAX	256	/* connections at once */
#define BUS_BROKER_SUBS_MAX	256	/* topics per peer */

/*
 * Listen on cfg->path. An existing socket there is unlinked first; any
 * other kind of file is left alone (-EEXIST). -ENAMETOOLONG if the path
 * does not fit a sockaddr_un. On failure there is nothing for the caller
 * to clean up (a listener handle already opened closes when the loop
 * next runs).
 */
int	bus_broker_create(uv_loop_t *, const struct bus_broker_cfg *,
	    struct bus_broker **) MUST_CHECK;
/* Closes every connection and the listener, unlinks the socket (if it is
 * still ours). Handles close asynchronously: run the loop once more. */
void	bus_broker_destroy(struct bus_broker *);

struct bus_broker_stats {
	uint64_t	accepted;
	uint64_t	closed;
	uint64_t	peers;		/* connected now */
	uint64_t	frames_in;
	uint64_t	frames_out;
	uint64_t	rejected[FRAME_REJECT_MAX];
	uint64_t	no_route;	/* request/reply to an unknown name */
	uint64_t	not_hello;	/* traffic before hello */
	uint64_t	replaced;	/* connections replaced by a new hello */
	uint64_t	stuck;		/* peers dropped for a full queue */
	uint64_t	too_big;	/* frames that would exceed
					   BUS_FRAME_MAX once src is set */
	uint64_t	refused;	/* connections over BUS_BROKER_PEERS_MAX */
	uint64_t	reset;		/* requests answered -ECONNRESET because
					   their destination went away */
	uint64_t	hello_timeouts;	/* connections closed without hello */
};
const struct bus_broker_stats *bus_broker_stats(const struct bus_broker *);

#endif
