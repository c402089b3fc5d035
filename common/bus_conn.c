/*
 * bus_conn.c - one framed connection of the bus shell; see bus_conn.h.
 *
 * The bytes read here are untrusted; they go straight to the frame
 * decoder (frame.c), which refuses oversized and empty frames before
 * allocating. Interpretation of the frames is the owner's.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bus_conn.h"

struct wreq {
	uv_write_t		 req;
	struct bus_wbuf		*wb;
	struct bus_conn		*conn;
};

struct bus_wbuf *
bus_wbuf_new(uint8_t *data, size_t len)
{
	struct bus_wbuf *wb;

	if ((wb = malloc(sizeof(*wb))) == NULL) {
		free(data);
		return NULL;
	}
	wb->refs = 1;
	wb->len = len;
	wb->data = data;
	return wb;
}

void
bus_wbuf_unref(struct bus_wbuf *wb)
{
	if (wb == NULL)
		return;
	if (wb->refs == 0)
		abort();	/* our own invariant: a double unref */
	if (--wb->refs != 0)
		return;
	/* Frames may carry keys (frame.c). */
	explicit_bzero(wb->data, wb->len);
	free(wb->data);
	free(wb);
}

int
bus_conn_init(uv_loop_t *loop, struct bus_conn *c,
    const struct bus_conn_ops *ops, uint8_t *rbuf, void *owner)
{
	int error;

	c->ops = ops;
	c->rbuf = rbuf;
	c->owner = owner;
	c->reading = false;
	c->closing = false;
	frame_decoder_init(&c->dec);
	if ((error = uv_pipe_init(loop, &c->pipe, 0)) != 0)
		return error;
	c->pipe.data = c;
	return 0;
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct bus_conn *c = h->data;

	(void)hint;
	/* One buffer per owner is enough: libuv calls on_read for this
	 * buffer before it asks for another. */
	*buf = uv_buf_init((char *)c->rbuf, BUS_READ_BYTES);
}

static int
on_frame(const uint8_t *p, size_t n, void *arg)
{
	struct bus_conn *c = arg;
	int stop;

	if (c->closing)
		return 1;
	stop = c->ops->frame(c, p, n);
	return c->closing ? 1 : stop;
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct bus_conn *c = s->data;
	enum frame_reject why;
	int error;

	if (c->closing)
		return;
	if (nread > 0) {
		error = frame_decoder_feed(&c->dec, (const uint8_t *)buf->base,
		    (size_t)nread, on_frame, c, &why);
		/* The owner's read buffer held frames, maybe keys. */
		explicit_bzero(buf->base, (size_t)nread);
		if (error == -EBADMSG || error == -ENOMEM)
			bus_conn_close(c, error, why);
		return;
	}
	if (nread == 0)
		return;		/* EAGAIN */
	if (nread == UV_EOF) {
		why = frame_decoder_eof(&c->dec);
		bus_conn_close(c, why != FRAME_OK ? -EBADMSG : 0, why);
		return;
	}
	bus_conn_close(c, (int)nread, FRAME_OK);
}

int
bus_conn_start(struct bus_conn *c)
{
	int error;

	if (c->closing)
		return -ENOTCONN;
	if ((error = uv_read_start((uv_stream_t *)&c->pipe, on_alloc,
	    on_read)) != 0)
		return error;
	c->reading = true;
	return 0;
}

static void
on_write(uv_write_t *req, int status)
{
	struct wreq *w = container_of(req, struct wreq, req);
	struct bus_conn *c = w->conn;

	bus_wbuf_unref(w->wb);
	free(w);
	/* After uv_close() pending writes end with UV_ECANCELED; the
	 * connection is still allocated until its close callback. */
	if (status < 0 && status != UV_ECANCELED && !c->closing)
		bus_conn_close(c, status, FRAME_OK);
}

size_t
bus_conn_queued(const struct bus_conn *c)
{
	return uv_stream_get_write_queue_size((const uv_stream_t *)&c->pipe);
}

int
bus_conn_send(struct bus_conn *c, struct bus_wbuf *wb, size_t cap)
{
	struct wreq *w;
	size_t queued;
	uv_buf_t b;
	int error;

	if (c->closing)
		return -ENOTCONN;
	/* An empty queue always takes one frame, however small cap is. */
	queued = bus_conn_queued(c);
	if (queued != 0 && queued + wb->len > cap)
		return -ENOBUFS;
	if ((w = malloc(sizeof(*w))) == NULL)
		return -ENOMEM;
	w->wb = wb;
	w->conn = c;
	wb->refs++;
	b = uv_buf_init((char *)wb->data, (unsigned)wb->len);
	if ((error = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1,
	    on_write)) != 0) {
		wb->refs--;
		free(w);
		return error;
	}
	return 0;
}

static void
on_close(uv_handle_t *h)
{
	struct bus_conn *c = h->data;

	frame_decoder_free(&c->dec);
	c->ops->closed(c);
}

void
bus_conn_close(struct bus_conn *c, int error, enum frame_reject why)
{
	if (c->closing)
		return;
	c->closing = true;
	c->ops->lost(c, error, why);
	uv_close((uv_handle_t *)&c->pipe, on_close);
}

void
bus_ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL)
		return;
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);
}
