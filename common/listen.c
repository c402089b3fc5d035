/*
 * listen.c - local SOCK_SEQPACKET endpoints: create the listener, accept
 * a peer with its credentials (listen.h).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"

/* A live server answering at sun: 0; nobody there: 1; or -errno. */
static int
nobody_there(const struct sockaddr_un *sun)
{
	int probe, live;

	if ((probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	live = connect(probe, (const struct sockaddr *)sun,
	    sizeof(*sun)) == 0;
	close(probe);
	return live ? 0 : 1;
}

static int
bind_mode(int fd, const struct sockaddr_un *sun, mode_t mode, gid_t gid)
{
	mode_t old;
	int error;

	/* Never reachable with wider rights than mode, not even briefly. */
	old = umask((mode_t)(0777 & ~mode));
	error = bind(fd, (const struct sockaddr *)sun, sizeof(*sun)) != 0 ?
	    -errno : 0;
	umask(old);
	if (error == 0 && chmod(sun->sun_path, mode) != 0)
		error = -errno;
	if (error == 0 && gid != (gid_t)-1 &&
	    chown(sun->sun_path, (uid_t)-1, gid) != 0)
		error = -errno;
	return error;
}

int
listen_seqpacket(const char *path, mode_t mode, gid_t gid, int backlog)
{
	struct sockaddr_un sun;
	size_t len = strlen(path);
	int fd, error;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (len >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, len);
	if ((error = nobody_there(&sun)) <= 0)
		return error < 0 ? error : -EADDRINUSE;
	if (unlink(path) != 0 && errno != ENOENT)
		return -errno;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	error = bind_mode(fd, &sun, mode, gid);
	if (error == 0 && listen(fd, backlog) != 0)
		error = -errno;
	if (error != 0) {
		close(fd);
		return error;
	}
	return fd;
}

int
listen_accept(int lfd, struct ucred *uc)
{
	socklen_t len;
	int fd;

	do {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	} while (fd < 0 && (errno == EINTR || errno == ECONNABORTED));
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	len = sizeof(*uc);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, uc, &len) != 0 ||
	    len != sizeof(*uc)) {
		close(fd);
		return -EPROTO;
	}
	return fd;
}
