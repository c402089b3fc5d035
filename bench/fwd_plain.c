/*
 * fwd_plain.c - the plain forwarder bench_stack.sh measures Parapet
 * against: a TUN device and a UDP socket, no crypto, no batching, one
 * packet per system call. What a simple userspace tunnel does, and the
 * floor any userspace data path starts from.
 *
 *   fwd_plain -i TUN -l LOCAL_PORT -p PEER_ADDR:PORT [-b LOCAL_ADDR]
 *
 * Two threads, each a blocking loop: the main thread reads one packet
 * from the TUN device (IFF_TUN | IFF_NO_PI: bare IP packets) and sends
 * it to the peer with one sendto(); the other receives one datagram with
 * recvfrom() and, if it came from the peer, writes it to the TUN device.
 * Neither waits for the other, so both directions run at once, as in
 * any tunnel; there is no poll(). The device is created if it does not
 * exist (ip tuntap add makes a persistent one the script configures).
 * PEER_ADDR is IPv4 or IPv6 ([v6]:port also works). Errors on the
 * packet path (ENOBUFS, ECONNREFUSED while the peer is not up yet) are
 * counted and the packet is dropped, as a tunnel would; SIGINT/SIGTERM
 * print the counters and exit.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define PKT_MAX		65536

struct fwd {
	int			 tun;
	int			 sock;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	_Atomic uint64_t	 out_pkts;	/* TUN -> UDP */
	_Atomic uint64_t	 in_pkts;	/* UDP -> TUN */
	_Atomic uint64_t	 errors;	/* dropped on a failed call */
	_Atomic uint64_t	 strangers;	/* datagrams not from the peer */
};

static void
usage(void)
{
	fprintf(stderr, "usage: fwd_plain -i TUN -l LOCAL_PORT "
	    "-p PEER_ADDR:PORT [-b LOCAL_ADDR]\n");
	exit(2);
}

/* A numeric address and port into *ss; -1 if either is not one. */
static int
parse_addr(const char *host, const char *port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct addrinfo hints, *ai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* "ADDR:PORT" or "[ADDR]:PORT" into *ss. */
static int
parse_peer(const char *arg, struct sockaddr_storage *ss, socklen_t *len)
{
	char buf[128], *colon, *host = buf;
	size_t n = strlen(arg);

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, arg, n + 1);
	if ((colon = strrchr(buf, ':')) == NULL)
		return -1;
	*colon = '\0';
	if (*host == '[' && colon > host + 1 && colon[-1] == ']') {
		host++;
		colon[-1] = '\0';
	}
	return parse_addr(host, colon + 1, ss, len);
}

static int
tun_open(const char *name)
{
	struct ifreq ifr;
	size_t n = strlen(name);
	int fd;

	if (n >= IFNAMSIZ)
		fatalx("TUN name too long: %s", name);
	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) == -1)
		fatal("/dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, n + 1);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1)
		fatal("TUNSETIFF %s", name);
	return fd;
}

static int
sock_open(const struct fwd *f, const char *local, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (parse_addr(local, port, &ss, &len) == -1)
		fatalx("bad local address %s port %s", local, port);
	if (ss.ss_family != f->peer.ss_family)
		fatalx("local and peer addresses of different families");
	if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		fatal("bind %s port %s", local, port);
	return fd;
}

/* The peer's address and port, whichever the family. */
static int
from_peer(const struct fwd *f, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *a = (const void *)ss;
	const struct sockaddr_in *p = (const void *)&f->peer;
	const struct sockaddr_in6 *a6 = (const void *)ss;
	const struct sockaddr_in6 *p6 = (const void *)&f->peer;

	if (ss->ss_family != f->peer.ss_family)
		return 0;
	if (ss->ss_family == AF_INET)
		return a->sin_port == p->sin_port &&
		    a->sin_addr.s_addr == p->sin_addr.s_addr;
	return a6->sin6_port == p6->sin6_port &&
	    memcmp(&a6->sin6_addr, &p6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

/* UDP -> TUN, one recvfrom() and one write() per packet. */
static void *
udp_to_tun(void *arg)
{
	struct fwd *f = arg;
	struct sockaddr_storage from;
	socklen_t fromlen;
	ssize_t n;
	static uint8_t buf[PKT_MAX];

	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(f->sock, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno != EINTR)
				atomic_fetch_add(&f->errors, 1);
			continue;
		}
		if (!from_peer(f, &from)) {
			atomic_fetch_add(&f->strangers, 1);
			continue;
		}
		if (write(f->tun, buf, (size_t)n) != n)
			atomic_fetch_add(&f->errors, 1);
		else
			atomic_fetch_add(&f->in_pkts, 1);
	}
	return NULL;
}

/* TUN -> UDP, one read() and one sendto() per packet. */
static void
tun_to_udp(struct fwd *f)
{
	ssize_t n;
	static uint8_t buf[PKT_MAX];

	for (;;) {
		n = read(f->tun, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && errno != EINTR)
				atomic_fetch_add(&f->errors, 1);
			continue;
		}
		if (sendto(f->sock, buf, (size_t)n, 0,
		    (struct sockaddr *)&f->peer, f->peerlen) != n)
			atomic_fetch_add(&f->errors, 1);
		else
			atomic_fetch_add(&f->out_pkts, 1);
	}
}

static struct fwd *the_fwd;	/* for the signal handler's report only */

static void
on_signal(int sig)
{
	char line[160];
	int n;

	n = snprintf(line, sizeof(line), "fwd_plain: %" PRIu64 " out, %"
	    PRIu64 " in, %" PRIu64 " errors, %" PRIu64 " strangers\n",
	    atomic_load(&the_fwd->out_pkts), atomic_load(&the_fwd->in_pkts),
	    atomic_load(&the_fwd->errors), atomic_load(&the_fwd->strangers));
	if (n > 0)
		(void)!write(STDERR_FILENO, line, (size_t)n);
	_exit(sig == SIGTERM || sig == SIGINT ? 0 : 1);
}

int
main(int argc, char **argv)
{
	static struct fwd f;
	const char *tun = NULL, *port = NULL, *peer = NULL, *local = NULL;
	struct sigaction sa;
	pthread_t th;
	int c;

	log_init("fwd_plain", false);
	while ((c = getopt(argc, argv, "b:i:l:p:")) != -1) {
		switch (c) {
		case 'b': local = optarg; break;
		case 'i': tun = optarg; break;
		case 'l': port = optarg; break;
		case 'p': peer = optarg; break;
		default: usage();
		}
	}
	if (tun == NULL || port == NULL || peer == NULL || optind != argc)
		usage();
	if (parse_peer(peer, &f.peer, &f.peerlen) == -1)
		fatalx("bad peer %s (ADDR:PORT)", peer);
	if (local == NULL)
		local = f.peer.ss_family == AF_INET6 ? "::" : "0.0.0.0";
	f.tun = tun_open(tun);
	f.sock = sock_open(&f, local, port);

	the_fwd = &f;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		fatal("sigaction");
	if ((errno = pthread_create(&th, NULL, udp_to_tun, &f)) != 0)
		fatal("pthread_create");
	log_info("%s <-> port %s <-> %s", tun, port, peer);
	tun_to_udp(&f);
	return 0;
}
