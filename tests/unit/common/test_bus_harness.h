/*
 * test_bus_harness.h - shared by the bus tests: a loop, a temporary
 * directory with a broker socket, test clients that count their
 * callbacks, raw sockets that speak (or mangle) the wire format, and
 * WAIT(), which runs the loop until a condition holds or fails the test
 * after a generous deadline.
 */
#ifndef TEST_BUS_HARNESS_H
#define TEST_BUS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "bus.h"
#include "test_bus_samples.h"

#define WAIT_MS	10000	/* generous: a loaded CI machine */

struct harness {
	uv_loop_t		 loop;
	uv_timer_t		 tick;	/* keeps UV_RUN_ONCE returning */
	char			 dir[64];
	char			 path[128];
	size_t			 queue_max;
	struct bus_broker	*broker;
	uint64_t		 deadline;	/* of the current WAIT; 0 none */
};

/* Temp dir, loop and (if broker) a broker with peer_queue_max. */
void	h_init(struct harness *, bool broker, size_t queue_max);
void	h_broker_up(struct harness *);
/* Destroy the broker and let its handles close. */
void	h_broker_down(struct harness *);
/* Everything destroyed by the caller but the broker; asserts the loop is
 * empty after, removes the directory. */
void	h_fini(struct harness *);
void	h_spin(struct harness *, uint32_t ms);
/* False once done holds; else one turn of the loop (true), failing the
 * test WAIT_MS after the first call of this wait. */
bool	h_wait_step(struct harness *, bool done, const char *file, int line,
	    const char *what);

/* Run the loop until cond holds. A single loop statement, so that a test
 * made of many waits stays within clang-tidy's complexity budget. */
#define WAIT(h, cond)							\
	while (h_wait_step((h), (cond), __FILE__, __LINE__, #cond))	\
		continue

/* A client whose callbacks count. */
struct tclient {
	struct bus_client	*c;
	struct harness		*h;
	int			 connects;
	int			 disconnects;
	int			 events;
	char			 ev_src[BUS_NAME_MAX + 1];
	char			 ev_topic[BUS_NAME_MAX + 1];
	char			 ev_name[BUS_NAME_MAX + 1];
	/* A request held back by hold_handler, answered later. */
	int			 held;
	char			 held_src[BUS_NAME_MAX + 1];
	uint64_t		 held_corr;
};

void	tc_create(struct harness *, struct tclient *, const char *name);
/* Subscribe and count SERVER_STATE_EVENTs. */
void	tc_events(struct tclient *, const char *topic);
/* Register a handler for `type` that answers nothing (keeps src/corr). */
void	tc_hold(struct tclient *, uint32_t type);
void	tc_destroy(struct tclient *);

/* What a request ended with. */
struct box {
	int			 done;
	int			 error;
	uint32_t		 type;
	char			 src[BUS_NAME_MAX + 1];
	uint64_t		 nonce;		/* PingReply */
	char			 name[BUS_NAME_MAX + 1];	/* Ping/Counters */
	uint32_t		 pid;
	size_t			 ncounters;
	uint64_t		 counter;	/* value of box.want_counter */
	const char		*want_counter;
};

bus_reply_fn box_reply;
/* Ping dst through c and wait for the answer. */
void	ping(struct harness *, struct bus_client *, const char *dst,
	    struct box *);

/* Raw sockets: nonblocking, connected to the broker path. */
int	raw_connect(struct harness *);
void	raw_write(int fd, const void *, size_t);
/* Encode and write one frame (frame_encode: only valid frames). */
void	raw_frame(int fd, const struct frame_hdr *, const ProtobufCMessage *);
void	raw_hello(int fd, const char *name);
/* True once the peer has closed (EOF or reset); drains what is there. */
bool	raw_closed(int fd);

/* Frames read from a raw socket, parsed. */
struct raw_in {
	struct frame_decoder	 dec;
	struct bus_msg		 msgs[16];
	size_t			 n;
	bool			 eof;
};
void	raw_in_init(struct raw_in *);
/* Read what is there; returns the number of messages held. */
size_t	raw_read(int fd, struct raw_in *);
void	raw_in_free(struct raw_in *);

/* An envelope built field by field, bypassing the encoder's checks. */
struct raw_env {
	uint32_t		 type;
	uint32_t		 kind;
	uint64_t		 corr;
	const char		*src;
	const char		*dst;
	const char		*topic;
	int32_t			 error;
	const ProtobufCMessage	*body;
	const uint8_t		*body_bytes;	/* instead of body */
	size_t			 body_len;
};
/* Length-prefixed; caller frees. */
uint8_t *raw_env_frame(const struct raw_env *, size_t *len);

#endif
