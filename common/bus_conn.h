/*
 * bus_conn.h - one framed connection of the bus shell; private to
 * bus.c (client) and bus_broker.c (broker).
 *
 * Owns a uv_pipe_t, the frame decoder and the write path. Reads are fed to
 * the decoder and each complete frame goes to the owner's frame callback;
 * a stream the decoder refuses, an EOF, a read or write error and every
 * close the owner asks for end in the owner's lost callback (exactly once,
 * synchronously, with the reason) and then, after libuv has closed the
 * handle, in its closed callback, where the owner frees the memory.
 *
 * Write buffers are reference-counted so that the broker can send one
 * encoded event to many peers.
 */
#ifndef PARAPET_BUS_CONN_H
#define PARAPET_BUS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "frame.h"

#define BUS_READ_BYTES	(64u * 1024)

struct bus_wbuf {
	unsigned	 refs;
	size_t		 len;
	uint8_t		*data;		/* owned: one whole frame */
};

/* Takes ownership of data (a frame from frame_encode()); NULL on ENOMEM,
 * then data is freed. */
struct bus_wbuf *bus_wbuf_new(uint8_t *data, size_t len);
void	bus_wbuf_unref(struct bus_wbuf *);

struct bus_conn;

struct bus_conn_ops {
	/* One complete frame (borrowed); non-zero stops reading it. */
	int	(*frame)(struct bus_conn *, const uint8_t *, size_t);
	/* The connection is going away: error 0 for a clean EOF, -EBADMSG
	 * with why for a refused stream, another negative errno otherwise
	 * (whatever the owner passed to bus_conn_close()). */
	void	(*lost)(struct bus_conn *, int error, enum frame_reject why);
	/* The handle is closed; free the connection. */
	void	(*closed)(struct bus_conn *);
};

struct bus_conn {
	uv_pipe_t		 pipe;
	uv_connect_t		 connect;	/* client side only */
	struct frame_decoder	 dec;
	const struct bus_conn_ops *ops;
	uint8_t			*rbuf;		/* borrowed, BUS_READ_BYTES */
	void			*owner;
	bool			 reading;
	bool			 closing;
};

int	bus_conn_init(uv_loop_t *, struct bus_conn *,
	    const struct bus_conn_ops *, uint8_t *rbuf, void *owner)
	    MUST_CHECK;
int	bus_conn_start(struct bus_conn *) MUST_CHECK;
/* Queue one frame; takes a reference. -ENOBUFS (nothing queued) if bytes
 * the kernel has not yet taken are waiting and, with this frame, they
 * would exceed cap; -ENOTCONN if closing. */
int	bus_conn_send(struct bus_conn *, struct bus_wbuf *, size_t cap)
	    MUST_CHECK;
/* Begin closing (idempotent): lost(error, why) now, closed() later. */
void	bus_conn_close(struct bus_conn *, int error, enum frame_reject why);
size_t	bus_conn_queued(const struct bus_conn *);

/* A peer closing its end must cost us an EPIPE, not the process: set
 * SIGPIPE to SIG_IGN unless the program installed a handler. */
void	bus_ignore_sigpipe(void);

#endif
