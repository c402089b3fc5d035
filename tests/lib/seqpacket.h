/*
 * seqpacket.h - what the end-to-end tests of keyd's PF_KEY socket share:
 * a connection to an AF_UNIX SOCK_SEQPACKET socket and a receive with a
 * deadline. (Deadlines come from test_now_ms() in prng.h.)
 */
#ifndef PARAPET_TEST_SEQPACKET_H
#define PARAPET_TEST_SEQPACKET_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A connected descriptor, or -1 (nobody listens there yet). */
static inline int
test_seqpacket_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One datagram within timeout_ms: its length, or -1 (none came). */
static inline ssize_t
test_recv_wait(int fd, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	return recv(fd, buf, cap, 0);
}

#endif
