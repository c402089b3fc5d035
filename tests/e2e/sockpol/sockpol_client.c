/*
 * sockpol_client.c - an ordinary program using per-socket IPsec policy
 * the KAME/Linux way: ipsec_set_policy(3) text, then
 * setsockopt(fd, IPPROTO_IP, IP_IPSEC_POLICY, ...) (IPPROTO_IPV6 /
 * IPV6_IPSEC_POLICY for IPv6) on a UDP socket, bind(), connect(). It
 * knows nothing of Parapet: test_sockpol_e2e runs it under
 * LD_PRELOAD=libparapet_pfkey.so.
 *
 * It reads commands on standard input, one per line, and answers each
 * with one line: "ok [detail]" or "err ERRNO".
 *
 *   sock4 | sock6            a new UDP socket (the current one)
 *   tcp4                     a new TCP socket (the current one)
 *   listen                   listen() on the current socket
 *   dial PORT                a TCP connection to 127.0.0.1:PORT on a
 *                            socket of its own (no policy; not current)
 *   accept                   accept(); the new socket becomes current
 *   set TEXT                 setsockopt with ipsec_set_policy(TEXT)
 *   clear                    setsockopt(NULL, 0): both policies go
 *   get in|out               getsockopt; "ok TEXT" (ipsec_dump_policy)
 *   bind PORT [ADDR] | connect PORT [ADDR]
 *                            ADDR: default 127.0.0.1 / ::1
 *   send                     one datagram to the connected peer
 *   dup                      dup() the current socket; the copy becomes
 *                            current, the original is kept open
 *   close                    close the current socket
 *   closeall                 close every socket opened so far
 *   fork                     fork(): the child keeps the sockets and
 *                            sleeps until killed; the parent answers
 *                            "ok CHILDPID" and carries on
 *   pid                      "ok PID"
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

static int cur = -1, family = AF_INET;
static int opened[64];
static size_t nopened;

static void
answer(int e, const char *detail)
{
	if (e != 0)
		printf("err %d\n", e);
	else if (detail != NULL)
		printf("ok %s\n", detail);
	else
		printf("ok\n");
	fflush(stdout);
}

static int
level(void)
{
	return family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
}

static int
optname(void)
{
	return family == AF_INET6 ? IPV6_IPSEC_POLICY : IP_IPSEC_POLICY;
}

/* PORT on ADDR (NULL: loopback); 0 when ADDR does not parse. */
static socklen_t
sockaddr_of(struct sockaddr_storage *ss, int port, const char *addr)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		s6->sin6_addr = in6addr_loopback;
		if (addr != NULL && inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return 0;
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (addr != NULL && inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
		return 0;
	return sizeof(*s4);
}

static socklen_t
loopback(struct sockaddr_storage *ss, int port)
{
	return sockaddr_of(ss, port, NULL);
}

static void
cmd_set(const char *text)
{
	char *p = ipsec_set_policy(text, (int)strlen(text));

	if (p == NULL) {
		printf("err policy %s\n", ipsec_strerror());
		fflush(stdout);
		return;
	}
	answer(setsockopt(cur, level(), optname(), p,
	    (socklen_t)ipsec_get_policylen(p)) == 0 ? 0 : errno, NULL);
	free(p);
}

static void
cmd_get(const char *dir)
{
	char buf[1024], *t;
	socklen_t len = sizeof(buf);
	char *req = ipsec_set_policy(dir, (int)strlen(dir));

	if (req == NULL) {
		answer(EINVAL, NULL);
		return;
	}
	memset(buf, 0, sizeof(buf));
	memcpy(buf, req, (size_t)ipsec_get_policylen(req));
	free(req);
	if (getsockopt(cur, level(), optname(), buf, &len) != 0) {
		answer(errno, NULL);
		return;
	}
	t = ipsec_dump_policy(buf, NULL);
	answer(t == NULL ? EINVAL : 0, t);
	free(t);
}

static void
cmd_sock(int fam)
{
	family = fam;
	cur = socket(fam, SOCK_DGRAM, 0);
	if (cur >= 0 && nopened < sizeof(opened) / sizeof(opened[0]))
		opened[nopened++] = cur;
	answer(cur < 0 ? errno : 0, NULL);
}

static int port_of(const char *);

/* arg: "PORT [ADDR]". */
static void
cmd_addr(const char *what, const char *arg)
{
	struct sockaddr_storage ss;
	const char *sp = strchr(arg, ' ');
	socklen_t l = sockaddr_of(&ss, port_of(arg),
	    sp != NULL ? sp + 1 : NULL);
	int r;

	if (l == 0) {
		answer(EINVAL, NULL);
		return;
	}
	if (strcmp(what, "bind") == 0)
		r = bind(cur, (struct sockaddr *)&ss, l);
	else
		r = connect(cur, (struct sockaddr *)&ss, l);
	answer(r == 0 ? 0 : errno, NULL);
}

static void
cmd_fork(void)
{
	char b[32];
	pid_t pid = fork();

	if (pid < 0) {
		answer(errno, NULL);
		return;
	}
	if (pid == 0) {
		/* The child: keeps the sockets until killed. */
		for (;;)
			pause();
	}
	snprintf(b, sizeof(b), "%d", (int)pid);
	answer(0, b);
}

static void
cmd_tcp4(const char *arg)
{
	int one = 1;

	(void)arg;
	family = AF_INET;
	cur = socket(AF_INET, SOCK_STREAM, 0);
	if (cur >= 0 && nopened < sizeof(opened) / sizeof(opened[0]))
		opened[nopened++] = cur;
	/* A server's usual setting: TIME_WAIT of an earlier run. */
	if (cur >= 0)
		(void)setsockopt(cur, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
	answer(cur < 0 ? errno : 0, NULL);
}

static void
cmd_listen(const char *arg)
{
	(void)arg;
	answer(listen(cur, 4) == 0 ? 0 : errno, NULL);
}

static void
cmd_dial(const char *arg)
{
	struct sockaddr_storage ss;
	socklen_t l = loopback(&ss, port_of(arg));
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, l) != 0) {
		answer(errno, NULL);
		return;
	}
	if (nopened < sizeof(opened) / sizeof(opened[0]))
		opened[nopened++] = fd;
	answer(0, NULL);
}

static void
cmd_accept(const char *arg)
{
	int fd = accept(cur, NULL, NULL);

	(void)arg;
	if (fd >= 0) {
		if (nopened < sizeof(opened) / sizeof(opened[0]))
			opened[nopened++] = fd;
		cur = fd;
	}
	answer(fd < 0 ? errno : 0, NULL);
}

static void
cmd_sock4(const char *arg)
{
	(void)arg;
	cmd_sock(AF_INET);
}

static void
cmd_sock6(const char *arg)
{
	(void)arg;
	cmd_sock(AF_INET6);
}

static void
cmd_clear(const char *arg)
{
	(void)arg;
	answer(setsockopt(cur, level(), optname(), NULL, 0) == 0 ? 0 : errno,
	    NULL);
}

static int
port_of(const char *arg)
{
	long v = strtol(arg, NULL, 10);

	return v > 0 && v < 65536 ? (int)v : 0;
}

static void
cmd_bind(const char *arg)
{
	cmd_addr("bind", arg);
}

static void
cmd_connect(const char *arg)
{
	cmd_addr("connect", arg);
}

static void
cmd_send(const char *arg)
{
	(void)arg;
	answer(send(cur, "x", 1, 0) == 1 ? 0 : errno, NULL);
}

static void
cmd_dup(const char *arg)
{
	int fd = dup(cur);

	(void)arg;
	if (fd >= 0 && nopened < sizeof(opened) / sizeof(opened[0]))
		opened[nopened++] = fd;
	if (fd >= 0)
		cur = fd;
	answer(fd < 0 ? errno : 0, NULL);
}

static void
cmd_close(const char *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < nopened; i++)
		if (opened[i] == cur)
			opened[i] = -1;
	answer(close(cur) == 0 ? 0 : errno, NULL);
}

static void
cmd_closeall(const char *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < nopened; i++)
		if (opened[i] >= 0)
			close(opened[i]);
	nopened = 0;
	answer(0, NULL);
}

static void
cmd_fork_(const char *arg)
{
	(void)arg;
	cmd_fork();
}

static void
cmd_pid(const char *arg)
{
	char b[32];

	(void)arg;
	snprintf(b, sizeof(b), "%d", (int)getpid());
	answer(0, b);
}

static const struct {
	const char	*name;	/* with a trailing space: takes an argument */
	void		(*fn)(const char *);
} cmds[] = {
	{ "sock4", cmd_sock4 }, { "sock6", cmd_sock6 }, { "set ", cmd_set },
	{ "clear", cmd_clear }, { "get ", cmd_get }, { "bind ", cmd_bind },
	{ "connect ", cmd_connect }, { "send", cmd_send }, { "dup", cmd_dup },
	{ "close", cmd_close }, { "closeall", cmd_closeall },
	{ "fork", cmd_fork_ }, { "pid", cmd_pid }, { "tcp4", cmd_tcp4 },
	{ "listen", cmd_listen }, { "dial ", cmd_dial },
	{ "accept", cmd_accept },
};

static void
dispatch(const char *line)
{
	size_t i, n;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		n = strlen(cmds[i].name);
		if (cmds[i].name[n - 1] == ' ' ?
		    strncmp(line, cmds[i].name, n) == 0 :
		    strcmp(line, cmds[i].name) == 0) {
			cmds[i].fn(line + (cmds[i].name[n - 1] == ' ' ? n : 0));
			return;
		}
	}
	answer(EINVAL, NULL);
}

int
main(void)
{
	char line[512];

	signal(SIGPIPE, SIG_IGN);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		dispatch(line);
	}
	return 0;
}
