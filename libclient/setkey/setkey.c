/*
 * setkey.c - setkey(8) for Parapet: the shell around setkey_parse.c and
 * setkey_dump.c. It talks PF_KEY v2 directly to keyd's socket (AF_UNIX
 * SOCK_SEQPACKET, one datagram per message) and otherwise behaves as
 * ipsec-tools' setkey on Linux: -c, -f FILE, -D, -DP, -F, -FP, -x, with
 * -a -l -n -p -v -H -k -r -V; exit status 0 on success, 1 on any error.
 *
 * Socket: -S SOCKET, else -r RUNDIR (when followed by a directory; a bare
 * -r is setkey's RFC-mode flag), else $PFKEY_SOCKET, else
 * $PARAPET_RUNDIR/pfkey.sock, else /run/parapet/pfkey.sock.
 *
 * A script (-f, or -c from a pipe) is parsed whole before anything is
 * sent: a syntax error applies nothing. Then each statement is sent in
 * turn; a statement keyd refuses is reported with its line and the rest
 * still run, as setkey does, and a summary says what was not applied.
 * -c on a terminal runs each statement as soon as its ';' is typed.
 *
 * Untrusted input: the script text (setkey_parse.c) and every datagram
 * from keyd (pfkey_msg_parse_reply() before any use).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pfkey_build.h"
#include "pfkey_msg.h"
#include "setkey_dump.h"
#include "setkey_parse.h"

#define SK(x)		PARAPET_SADB_##x
#define DEFAULT_RUNDIR	"/run/parapet"
#define REPLY_MS	5000	/* how long we wait for keyd */
#define SCRIPT_MAX	(64u << 20)

enum mode {
	MODE_NONE,
	MODE_SCRIPT,		/* -f */
	MODE_STDIN,		/* -c */
	MODE_DUMP,		/* -D */
	MODE_FLUSH,		/* -F */
	MODE_PROMISC,		/* -x */
	MODE_FILES		/* file ...: dump PF_KEY messages stored */
};

struct setkey {
	enum mode	 mode;
	const char	*fname;
	const char	*sock_path;
	bool		 all;		/* -a */
	bool		 loop;		/* -l */
	bool		 notreally;	/* -n */
	bool		 policy;	/* -P */
	bool		 withports;	/* -p */
	bool		 verbose;	/* -v */
	bool		 hex;		/* -H */
	int		 tflag;		/* -x count */
	bool		 rfc_mode;	/* -r (default) / -k */
	int		 fd;
	uint32_t	 pid;
	uint32_t	 seq;
	struct setkey_algs algs;
	uint8_t		*rbuf;		/* PFKEY_MSG_MAX_BYTES */
	size_t		 rlen;
	struct pfkey_msg rmsg;		/* view of rbuf */
	struct setkey_out out;
	unsigned int	 failed;	/* statements keyd refused */
	unsigned int	 applied;
	unsigned int	 last_failed;	/* line of the last refusal */
	unsigned int	 last_applied;	/* line of the last success */
	char		 failed_lines[256];
};

static void
flush_out(struct setkey *k)
{
	if (k->out.error != 0) {
		fprintf(stderr, "setkey: out of memory\n");
		exit(1);
	}
	if (k->out.len > 0)
		fwrite(k->out.buf, 1, k->out.len, stdout);
	setkey_out_reset(&k->out);
	fflush(stdout);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: setkey [-knrv] [-S socket] [-r rundir] -c\n"
	    "       setkey [-knrv] [-S socket] [-r rundir] -f filename\n"
	    "       setkey [-alPpv] [-S socket] [-r rundir] -D\n"
	    "       setkey [-Pv] [-S socket] [-r rundir] -F\n"
	    "       setkey [-H] [-S socket] [-r rundir] -x\n"
	    "       setkey file ...\n"
	    "       setkey [-hV]\n");
}

static void
help(void)
{
	usage(stdout);
	fputs(
"\n"
"Manipulate keyd's SA database (SAD) and, through keyd, policyd's policy\n"
"database (SPD) over PF_KEY v2, as setkey(8) of ipsec-tools does.\n"
"\n"
"  -c          read statements from standard input\n"
"  -f FILE     read statements from FILE (- for standard input)\n"
"  -D          dump the SAD; with -P the SPD\n"
"  -F          flush the SAD; with -P the SPD\n"
"  -P          with -D or -F: the SPD instead of the SAD\n"
"  -a          with -D: dead SAs too\n"
"  -l          with -D: loop forever, one short line per SA\n"
"  -p          with -D: show ports\n"
"  -x          promiscuous: print every PF_KEY message keyd sends (-xx:\n"
"              raw timestamps); -H adds a hex dump\n"
"  -n          parse only: check the statements, send nothing\n"
"  -v          print every message sent and received\n"
"  -k          kernel semantics: an \"in\" policy is installed alone\n"
"  -r          RFC semantics (default): every \"in\" policy gets a \"fwd\"\n"
"              twin; -r DIR (a directory) names keyd's run directory\n"
"  -S SOCKET   keyd's PF_KEY socket (default $PFKEY_SOCKET, else\n"
"              $PARAPET_RUNDIR/pfkey.sock, else /run/parapet/pfkey.sock)\n"
"  -V          print the version\n"
"  -h          this help\n"
"\n"
"Statements (each ends with ';', # starts a comment):\n"
"  add [-46n] src dst proto spi [ext...] algorithm... ;\n"
"  getspi [-46n] src dst proto spi [-m mode] [-u reqid] ;  (spi 0: any)\n"
"  update [-46n] src dst proto spi [ext...] algorithm... ;\n"
"  get [-46n] src dst proto spi ;\n"
"  delete [-46n] src dst proto spi ;\n"
"  deleteall [-46n] src dst proto ;\n"
"  flush [proto] ;          dump [proto] ;\n"
"  spdadd [-46n] src_range dst_range upperspec [-ctx d a \"s\"] policy ;\n"
"  spdupdate ... ;          spddelete ... -P dir ;\n"
"  spdflush ;               spddump ;          exit ;\n"
"\n"
"  src, dst        numeric IPv4/IPv6 address, optionally [port]\n"
"  src_range       address[/prefixlen][[port|any]]\n"
"  proto           esp esp-old ah ah-old esp-udp [oa-address] ipcomp\n"
"  spi             decimal or 0x hexadecimal\n"
"  ext             -m transport|tunnel|any  -r window  -u reqid\n"
"                  -f zero-pad|random-pad|seq-pad|nocyclic-seq\n"
"                  -lh/-ls seconds  -bh/-bs bytes  -ctx doi alg \"ctx\"\n"
"  algorithm       -E ealg key [-A aalg key] (esp), -A aalg key (ah),\n"
"                  -C calg [-R] (ipcomp); key: 0x hex or \"string\"\n"
"  ealg            aes-gcm-16 null chacha20-poly1305 aes-cbc aes-ctr ...\n"
"  aalg            hmac-sha256 hmac-sha512 hmac-sha384 hmac-sha1 null ...\n"
"                  (keyd's REGISTER reply says which it offers)\n"
"  upperspec       any icmp icmp6 tcp udp gre, a name or a number;\n"
"                  icmp/icmp6 type[,code], gre key\n"
"  policy          -P in|out|fwd [prio N] discard|none|ipsec\n"
"                  proto/mode/src-dst/level ...  (ipsec_set_policy(3))\n"
"\n"
"Exit status: 0 on success, 1 on any error.\n", stdout);
}

/* ---- The socket ---- */

static int
k_connect(struct setkey *k)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(k->sock_path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "setkey: socket path too long: %s\n",
		    k->sock_path);
		return -1;
	}
	memcpy(sun.sun_path, k->sock_path, strlen(k->sock_path));
	if ((k->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(k->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "setkey: cannot reach keyd at %s: %s\n",
		    k->sock_path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
date_line(struct setkey *k)
{
	struct timeval tv;
	struct tm tm;
	time_t t;

	gettimeofday(&tv, NULL);
	t = tv.tv_sec;
	if (k->tflag > 1)
		setkey_out_printf(&k->out, "%lu.%06lu \n",
		    (unsigned long)tv.tv_sec, (unsigned long)tv.tv_usec);
	else if (localtime_r(&t, &tm) != NULL)
		setkey_out_printf(&k->out, "%02d:%02d:%02d.%06lu \n",
		    tm.tm_hour, tm.tm_min, tm.tm_sec,
		    (unsigned long)tv.tv_usec);
}

static void
trace(struct setkey *k, const uint8_t *buf, size_t len)
{
	if (k->verbose) {
		setkey_dump_debug(&k->out, buf, len);
		setkey_out_printf(&k->out, "\n");
	}
	if (k->hex)
		setkey_dump_hex(&k->out, buf, len);
	flush_out(k);
}

static int
k_send(struct setkey *k, const uint8_t *buf, size_t len)
{
	ssize_t n;

	trace(k, buf, len);
	n = send(k->fd, buf, len, MSG_NOSIGNAL);
	if (n != (ssize_t)len) {
		fprintf(stderr, "setkey: send to keyd: %s\n",
		    n < 0 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

/*
 * Receive one valid datagram into k->rbuf/k->rmsg within timeout_ms (-1:
 * forever). 1: got one; 0: timeout; -1: error or keyd closed. Invalid
 * datagrams are reported and skipped.
 */
static int
k_recv(struct setkey *k, int timeout_ms)
{
	enum pfkey_reject why;
	struct pollfd pfd = { k->fd, POLLIN, 0 };
	ssize_t n;
	int rc;

	for (;;) {
		rc = poll(&pfd, 1, timeout_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			fprintf(stderr, "setkey: poll: %s\n", strerror(errno));
			return -1;
		}
		if (rc == 0)
			return 0;
		n = recv(k->fd, k->rbuf, PFKEY_MSG_MAX_BYTES, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "setkey: keyd closed the connection"
			    "%s%s\n", n < 0 ? ": " : "",
			    n < 0 ? strerror(errno) : "");
			return -1;
		}
		if ((size_t)n > PFKEY_MSG_MAX_BYTES) {
			fprintf(stderr, "setkey: oversized message from keyd "
			    "skipped\n");
			continue;
		}
		k->rlen = (size_t)n;
		if (pfkey_msg_parse_reply(k->rbuf, k->rlen, &k->rmsg,
		    &why) != 0) {
			fprintf(stderr, "setkey: invalid message from keyd "
			    "skipped: %s\n", pfkey_reject_str(why));
			continue;
		}
		trace(k, k->rbuf, k->rlen);
		return 1;
	}
}

/* Wait for our reply of type (seq matched unless any_seq): 1, or -1. */
static int
k_reply(struct setkey *k, uint8_t type, uint32_t seq, bool any_seq)
{
	int rc;

	for (;;) {
		if ((rc = k_recv(k, REPLY_MS)) <= 0) {
			if (rc == 0)
				fprintf(stderr, "setkey: no reply from keyd "
				    "within %d s\n", REPLY_MS / 1000);
			return -1;
		}
		if (k->rmsg.hdr.type == type && k->rmsg.hdr.pid == k->pid &&
		    (any_seq || k->rmsg.hdr.seq == seq))
			return 1;
	}
}

/* A message with no extensions. */
static int
hdr_only(const struct pfkey_hdr *h, uint8_t *buf, size_t cap, size_t *len)
{
	struct pfkey_build b;

	pfkey_build_begin(&b, buf, cap, h);
	return pfkey_build_end(&b, len);
}

static int
k_register(struct setkey *k)
{
	struct pfkey_hdr h;
	uint8_t buf[sizeof(struct pp_sadb_msg)];
	size_t len, i;

	memset(&h, 0, sizeof(h));
	h.version = PARAPET_PF_KEY_V2;
	h.type = SK(REGISTER);
	h.satype = SK(SATYPE_UNSPEC);
	h.seq = k->seq++;
	h.pid = k->pid;
	if (hdr_only(&h, buf, sizeof(buf), &len) != 0 ||
	    k_send(k, buf, len) != 0 ||
	    k_reply(k, SK(REGISTER), h.seq, false) != 1)
		return -1;
	if (k->rmsg.hdr.msg_errno != 0) {
		fprintf(stderr, "setkey: REGISTER: %s\n",
		    strerror(k->rmsg.hdr.msg_errno));
		return -1;
	}
	memset(&k->algs, 0, sizeof(k->algs));
	if (pfkey_msg_has(&k->rmsg, SK(EXT_SUPPORTED_AUTH)))
		for (i = 0; i < k->rmsg.supp_auth.nalgs &&
		    i < SETKEY_ALGS_MAX; i++)
			pfkey_supported_alg(&k->rmsg.supp_auth, i,
			    &k->algs.auth[k->algs.nauth++]);
	if (pfkey_msg_has(&k->rmsg, SK(EXT_SUPPORTED_ENCRYPT)))
		for (i = 0; i < k->rmsg.supp_encrypt.nalgs &&
		    i < SETKEY_ALGS_MAX; i++)
			pfkey_supported_alg(&k->rmsg.supp_encrypt, i,
			    &k->algs.enc[k->algs.nenc++]);
	return 0;
}

/* A header-only request (DUMP, FLUSH, X_SPD*). */
static int
k_short(struct setkey *k, uint8_t type, uint8_t satype, uint32_t *seq)
{
	struct pfkey_hdr h;
	uint8_t buf[sizeof(struct pp_sadb_msg)];
	size_t len;

	memset(&h, 0, sizeof(h));
	h.version = PARAPET_PF_KEY_V2;
	h.type = type;
	h.satype = satype;
	h.seq = *seq = k->seq++;
	h.pid = k->pid;
	if (hdr_only(&h, buf, sizeof(buf), &len) != 0)
		return -1;
	return k_send(k, buf, len);
}

/*
 * After a DUMP or X_SPDDUMP was sent: print every reply until seq 0.
 * 0: done (also "No SAD entries."); -1: keyd refused or went away.
 */
static int
print_dump(struct setkey *k, uint8_t type, const char *where)
{
	for (;;) {
		if (k_reply(k, type, 0, true) != 1)
			return -1;
		if (k->rmsg.hdr.msg_errno != 0) {
			int e = k->rmsg.hdr.msg_errno;

			if (e == ENOENT) {
				printf("%s.\n", setkey_errstr(type, e));
				return 0;
			}
			fprintf(stderr, "setkey: %s%s\n", where,
			    setkey_errstr(type, e));
			return -1;
		}
		if (type == SK(X_SPDDUMP))
			setkey_dump_sp(&k->out, &k->rmsg, k->withports);
		else if (k->all || k->rmsg.sa.state != SK(SASTATE_DEAD)) {
			if (k->loop)
				setkey_dump_short(&k->out, &k->rmsg,
				    time(NULL));
			else
				setkey_dump_sa(&k->out, &k->rmsg, time(NULL),
				    k->withports);
		}
		flush_out(k);
		if (k->rmsg.hdr.seq == 0)
			return 0;
	}
}

/* ---- Scripts ---- */

static void
note_failure(struct setkey *k, unsigned int line)
{
	size_t n = strlen(k->failed_lines);

	k->failed++;
	if (n + 16 < sizeof(k->failed_lines))
		snprintf(k->failed_lines + n, sizeof(k->failed_lines) - n,
		    "%s%u", n ? ", " : "", line);
	else if (n + 5 < sizeof(k->failed_lines) &&
	    strcmp(k->failed_lines + n - 3, "...") != 0)
		snprintf(k->failed_lines + n, sizeof(k->failed_lines) - n,
		    ", ...");
}

/*
 * keyd refused st. One statement may be two messages (an in policy and
 * its fwd twin): it is reported and counted once.
 */
static void
refused(struct setkey *k, const struct setkey_stmt *st, uint8_t type,
    int err)
{
	if (k->last_failed == st->line)
		return;
	fprintf(stderr, "setkey: %s:%u: %s\n", k->fname, st->line,
	    setkey_errstr(type, err));
	note_failure(k, st->line);
	k->last_failed = st->line;
}

/* The SAs deleteall found: what a DELETE names beyond the statement. */
struct match {
	uint32_t	spi;
	uint8_t		satype;
};

struct matches {
	struct match	*m;
	size_t		 n;
	size_t		 cap;
};

static bool
match_push(struct matches *ms, uint32_t spi, uint8_t satype)
{
	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? 2 * ms->cap : 64;
		struct match *nm;

		if ((nm = realloc(ms->m, cap * sizeof(*nm))) == NULL)
			return false;
		ms->m = nm;
		ms->cap = cap;
	}
	ms->m[ms->n].spi = spi;
	ms->m[ms->n++].satype = satype;
	return true;
}

/* deleteall, first half: dump the SA type and note every match. 0 or -1. */
static int
deleteall_find(struct setkey *k, const struct setkey_stmt *st,
    struct matches *ms)
{
	uint32_t seq;

	if (k_short(k, SK(DUMP), st->satype, &seq) != 0)
		return -1;
	for (;;) {
		if (k_reply(k, SK(DUMP), 0, true) != 1)
			return -1;
		if (k->rmsg.hdr.msg_errno != 0)
			return 0;	/* ENOENT: nothing to delete */
		if (setkey_deleteall_match(st, &k->rmsg) &&
		    !match_push(ms, k->rmsg.sa.spi, k->rmsg.hdr.satype)) {
			fprintf(stderr, "setkey: out of memory\n");
			return -1;
		}
		if (k->rmsg.hdr.seq == 0)
			return 0;
	}
}

/* deleteall: dump the SA type, then delete every match one by one. */
static int
run_deleteall(struct setkey *k, const struct setkey_stmt *st)
{
	struct matches ms = { NULL, 0, 0 };
	uint8_t buf[512];
	size_t len, i;
	uint32_t seq;
	int rc;

	if ((rc = deleteall_find(k, st, &ms)) != 0) {
		free(ms.m);
		return rc;
	}
	for (i = 0; i < ms.n; i++) {
		seq = k->seq++;
		if (setkey_deleteall_msg(st, ms.m[i].satype, ms.m[i].spi,
		    k->pid, seq, buf, sizeof(buf), &len) != 0 ||
		    k_send(k, buf, len) != 0 ||
		    k_reply(k, SK(DELETE), seq, false) != 1) {
			rc = -1;
			break;
		}
		/* Gone meanwhile (ESRCH, ENOENT) is fine: it is deleted. */
		if (k->rmsg.hdr.msg_errno != 0 &&
		    k->rmsg.hdr.msg_errno != ESRCH &&
		    k->rmsg.hdr.msg_errno != ENOENT) {
			refused(k, st, SK(DELETE), k->rmsg.hdr.msg_errno);
			rc = 1;
			break;
		}
	}
	free(ms.m);
	return rc;
}

/* Run one statement: 0 done, 1 keyd refused it, -1 connection lost. */
static int
run_stmt(struct setkey *k, const struct setkey_stmt *st)
{
	uint32_t seq;
	char where[512];
	int rc;

	if (st->kind == SETKEY_DELETEALL)
		return run_deleteall(k, st);
	/* Only exit carries no message, and run_text() stops before it. */
	if (st->msg == NULL)
		return 0;
	/* The parser numbered the messages from first_seq on. */
	memcpy(&seq, st->msg + 8, sizeof(seq));
	if (k_send(k, st->msg, st->len) != 0)
		return -1;
	if (st->type == SK(DUMP) || st->type == SK(X_SPDDUMP)) {
		snprintf(where, sizeof(where), "%s:%u: ", k->fname, st->line);
		rc = print_dump(k, st->type, where);
		if (rc != 0 && k->rmsg.hdr.msg_errno != 0) {
			note_failure(k, st->line);
			k->last_failed = st->line;
			return 1;
		}
		return rc;
	}
	if (k_reply(k, st->type, seq, false) != 1)
		return -1;
	if (k->rmsg.hdr.msg_errno != 0) {
		refused(k, st, st->type, k->rmsg.hdr.msg_errno);
		return 1;
	}
	if (st->type == SK(GET)) {
		setkey_dump_sa(&k->out, &k->rmsg, time(NULL), k->withports);
		flush_out(k);
	}
	return 0;
}

/*
 * Parse text (its first line is first_line) and, unless -n, run it.
 * Returns 0, 1 (a parse error or a refusal), -1 (connection lost), or 2
 * (exit statement: stop reading).
 */
static int
run_text(struct setkey *k, const char *text, size_t len,
    unsigned int first_line)
{
	struct setkey_opts o;
	struct setkey_script *s;
	struct setkey_error err;
	size_t i;
	int rc, worst = 0;

	memset(&o, 0, sizeof(o));
	o.fname = k->fname;
	o.first_line = first_line;
	o.pid = k->pid;
	o.first_seq = k->seq;
	o.rfc_mode = k->rfc_mode;
	o.algs = k->notreally ? NULL : &k->algs;
	if ((rc = setkey_parse(text, len, &o, &s, &err)) != 0) {
		fprintf(stderr, "setkey: %s\n", rc == -ENOMEM ?
		    "out of memory" : err.msg);
		return 1;
	}
	/* Messages carry seq first_seq, first_seq + 1, ... */
	for (i = 0; i < s->nstmt; i++)
		if (s->stmt[i].msg != NULL)
			k->seq++;
	if (k->notreally) {
		setkey_script_free(s);
		return 0;
	}
	for (i = 0; i < s->nstmt; i++) {
		if (s->stmt[i].kind == SETKEY_EXIT) {
			worst = worst ? worst : 2;
			break;
		}
		rc = run_stmt(k, &s->stmt[i]);
		if (rc < 0) {
			worst = -1;
			break;
		}
		if (rc > 0)
			worst = 1;
		else if (k->last_applied != s->stmt[i].line) {
			k->applied++;
			k->last_applied = s->stmt[i].line;
		}
	}
	if (rc < 0 && i < s->nstmt)
		fprintf(stderr, "setkey: %s: stopped at line %u; the "
		    "statements from there on were not sent\n", k->fname,
		    s->stmt[i].line);
	setkey_script_free(s);
	return worst;
}

static char *
read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0, r;
	char *buf = malloc(cap), *nb;

	if (buf == NULL)
		return NULL;
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			if (cap >= SCRIPT_MAX ||
			    (nb = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* The number of line ends in s[0..n). */
static unsigned int
newlines(const char *s, size_t n)
{
	unsigned int lines = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			lines++;
	return lines;
}

/* Whether s[0..n) is only blanks and line ends. */
static bool
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r')
			return false;
	return true;
}

/* -c on a terminal: run what is complete after every line. */
static int
stdin_loop(struct setkey *k)
{
	char *line = NULL, *pend = NULL, *nb;
	size_t lcap = 0, plen = 0, done;
	unsigned int lineno = 0, pend_line = 1;
	ssize_t n;
	int rc, worst = 0;

	while ((n = getline(&line, &lcap, stdin)) > 0) {
		lineno++;
		if ((nb = realloc(pend, plen + (size_t)n + 1)) == NULL) {
			fprintf(stderr, "setkey: out of memory\n");
			worst = -1;
			break;
		}
		pend = nb;
		memcpy(pend + plen, line, (size_t)n);
		plen += (size_t)n;
		if ((done = setkey_complete_len(pend, plen)) == 0)
			continue;
		rc = run_text(k, pend, done, pend_line);
		if (rc == 1)
			worst = 1;
		if (rc < 0 || rc == 2) {
			worst = rc < 0 ? -1 : worst;
			break;
		}
		pend_line += newlines(pend, done);
		memmove(pend, pend + done, plen - done);
		plen -= done;
	}
	if (worst == 0 && plen > 0 && !blank(pend, plen) &&
	    run_text(k, pend, plen, pend_line) != 0)
		worst = 1;
	free(line);
	free(pend);
	return worst;
}

static int
run_script(struct setkey *k, FILE *f)
{
	char *text;
	size_t len;
	int rc;

	if (k->mode == MODE_STDIN && isatty(fileno(f)))
		rc = stdin_loop(k);
	else {
		if ((text = read_all(f, &len)) == NULL) {
			fprintf(stderr, "setkey: %s: %s\n", k->fname,
			    strerror(errno));
			return 1;
		}
		rc = run_text(k, text, len, 1);
		explicit_bzero(text, len);
		free(text);
	}
	if (k->failed > 0)
		fprintf(stderr, "setkey: %s: %u statement%s refused (line%s "
		    "%s); %u applied\n", k->fname, k->failed,
		    k->failed == 1 ? "" : "s", k->failed == 1 ? "" : "s",
		    k->failed_lines, k->applied);
	return rc == 0 || rc == 2 ? 0 : 1;
}

/* ---- -x ---- */

static int
promisc(struct setkey *k)
{
	uint32_t seq;

	if (k_short(k, SK(X_PROMISC), 1, &seq) != 0)
		return 1;
	for (;;) {
		if (k_recv(k, -1) <= 0)
			return 1;
		date_line(k);
		if (k->hex)
			setkey_dump_hex(&k->out, k->rbuf, k->rlen);
		if (k->rmsg.hdr.type == SK(X_PROMISC) &&
		    k->rlen > sizeof(struct pp_sadb_msg))
			setkey_dump_debug(&k->out,
			    k->rbuf + sizeof(struct pp_sadb_msg),
			    k->rlen - sizeof(struct pp_sadb_msg));
		else if (k->rmsg.hdr.type != SK(X_PROMISC))
			setkey_dump_debug(&k->out, k->rbuf, k->rlen);
		setkey_out_printf(&k->out, "\n");
		flush_out(k);
	}
}

/* ---- file ...: PF_KEY messages stored in files ---- */

static int
fileproc(struct setkey *k, const char *path)
{
	enum pfkey_reject why;
	struct pfkey_msg m;
	FILE *f;
	uint8_t *buf;
	size_t len, off = 0, mlen;

	if ((f = fopen(path, "rb")) == NULL ||
	    (buf = (uint8_t *)read_all(f, &len)) == NULL) {
		fprintf(stderr, "setkey: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return 1;
	}
	fclose(f);
	while (len - off >= sizeof(struct pp_sadb_msg)) {
		uint16_t words;

		memcpy(&words, buf + off + 4, sizeof(words));
		mlen = (size_t)words * 8;
		if (mlen < sizeof(struct pp_sadb_msg) || mlen > len - off)
			break;
		if (pfkey_msg_parse_reply(buf + off, mlen, &m, &why) != 0)
			setkey_out_printf(&k->out, "invalid message: %s\n",
			    pfkey_reject_str(why));
		else if (m.hdr.msg_errno != 0)
			setkey_out_printf(&k->out, "%s.\n",
			    setkey_errstr(m.hdr.type, m.hdr.msg_errno));
		else if (m.hdr.type == SK(GET) || m.hdr.type == SK(DUMP))
			setkey_dump_sa(&k->out, &m, time(NULL), k->withports);
		else if (m.hdr.type == SK(X_SPDGET) ||
		    m.hdr.type == SK(X_SPDDUMP))
			setkey_dump_sp(&k->out, &m, k->withports);
		off += mlen;
	}
	flush_out(k);
	free(buf);
	if (off != len) {
		fprintf(stderr, "setkey: %s: %zu octets left over\n", path,
		    len - off);
		return 1;
	}
	return 0;
}

/* ---- Options ---- */

/* -r DIR: setkey's -r takes no argument, so only a directory counts. */
static const char *
take_rundir(int *argc, char **argv)
{
	struct stat sb;
	const char *dir = NULL;
	int i, j;

	for (i = 1; i + 1 < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-r") != 0 || argv[i + 1][0] == '-' ||
		    stat(argv[i + 1], &sb) != 0 || !S_ISDIR(sb.st_mode))
			continue;
		dir = argv[i + 1];
		for (j = i; j + 2 <= *argc; j++)
			argv[j] = argv[j + 2];
		*argc -= 2;
		i--;
	}
	return dir;
}

static char *
socket_path(const char *sopt, const char *rundir)
{
	const char *env;
	char *p;

	if (sopt != NULL)
		return strdup(sopt);
	if (rundir == NULL && (env = getenv("PFKEY_SOCKET")) != NULL &&
	    *env != '\0')
		return strdup(env);
	if (rundir == NULL && (env = getenv("PARAPET_RUNDIR")) != NULL &&
	    *env != '\0')
		rundir = env;
	if (rundir == NULL)
		rundir = DEFAULT_RUNDIR;
	if (asprintf(&p, "%s/pfkey.sock", rundir) < 0)
		return NULL;
	return p;
}

/* An option that only sets a flag: true if c was one. */
static bool
flag_option(struct setkey *k, int c)
{
	const struct {
		bool	*flag;
		int	 ch;
		bool	 val;
	} flags[] = {
		{ &k->all,		'a', true },
		{ &k->loop,		'l', true },
		{ &k->notreally,	'n', true },
		{ &k->hex,		'H', true },
		{ &k->policy,		'P', true },
		{ &k->withports,	'p', true },
		{ &k->verbose,		'v', true },
		{ &k->rfc_mode,		'r', true },
		{ &k->rfc_mode,		'k', false },
	};
	size_t i;

	for (i = 0; i < nitems(flags); i++)
		if (flags[i].ch == c) {
			*flags[i].flag = flags[i].val;
			return true;
		}
	return false;
}

/* One option from getopt(): -1 to go on, else the exit status. */
static int
option(struct setkey *k, int c, const char **sopt)
{
	if (flag_option(k, c))
		return -1;
	switch (c) {
	case 'c':
		k->mode = MODE_STDIN;
		return -1;
	case 'f':
		k->mode = MODE_SCRIPT;
		k->fname = optarg;
		return -1;
	case 'D':
		k->mode = MODE_DUMP;
		return -1;
	case 'F':
		k->mode = MODE_FLUSH;
		return -1;
	case 'x':
		k->mode = MODE_PROMISC;
		k->tflag++;
		return -1;
	case 'S':
		*sopt = optarg;
		return -1;
	case 'V':
		printf("setkey @(#) parapet %s\n", "0.1.0");
		return 0;
	case 'h':
		help();
		return 0;
	default:
		usage(stderr);
		return 1;
	}
}

/* file ...: dump the PF_KEY messages stored in each. */
static int
run_files(struct setkey *k, int argc, char **argv)
{
	int i, rc = 0;

	for (i = 0; i < argc; i++)
		if (fileproc(k, argv[i]) != 0)
			rc = 1;
	setkey_out_free(&k->out);
	return rc;
}

/* -D, -DP, with -l again every second. */
static int
run_dump(struct setkey *k)
{
	uint8_t type = k->policy ? SK(X_SPDDUMP) : SK(DUMP);
	uint32_t seq;

	do {
		if (k->loop && !k->policy) {
			setkey_dump_short_hdr(&k->out);
			flush_out(k);
		}
		if (k_short(k, type, SK(SATYPE_UNSPEC), &seq) != 0 ||
		    print_dump(k, type, "") != 0)
			return 1;
		if (k->loop)
			sleep(1);
	} while (k->loop);
	return 0;
}

/* -F, -FP */
static int
run_flush(struct setkey *k)
{
	uint8_t type = k->policy ? SK(X_SPDFLUSH) : SK(FLUSH);
	uint32_t seq;

	if (k_short(k, type, SK(SATYPE_UNSPEC), &seq) != 0 ||
	    k_reply(k, type, seq, false) != 1)
		return 1;
	if (k->rmsg.hdr.msg_errno != 0) {
		fprintf(stderr, "setkey: %s\n",
		    setkey_errstr(type, k->rmsg.hdr.msg_errno));
		return 1;
	}
	return 0;
}

/* What the mode asks of keyd, once connected: the exit status. */
static int
run_mode(struct setkey *k, FILE *fp)
{
	switch (k->mode) {
	case MODE_DUMP:
		return run_dump(k);
	case MODE_FLUSH:
		return run_flush(k);
	case MODE_PROMISC:
		return promisc(k);
	case MODE_SCRIPT:
	case MODE_STDIN:
		if (k_register(k) != 0)
			return 1;
		return run_script(k, fp);
	default:
		return 1;
	}
}

int
main(int argc, char **argv)
{
	struct setkey k;
	const char *rundir, *sopt = NULL;
	char *path = NULL;
	FILE *fp = stdin;
	int c, rc;

	memset(&k, 0, sizeof(k));
	k.fname = "<stdin>";
	k.rfc_mode = true;
	k.fd = -1;
	k.pid = (uint32_t)getpid();
	k.seq = 1;
	if (argc == 1) {
		usage(stderr);
		return 1;
	}
	rundir = take_rundir(&argc, argv);
	while ((c = getopt(argc, argv, "acf:HlnvxDFPphVrkS:?")) != -1)
		if ((rc = option(&k, c, &sopt)) >= 0)
			return rc;
	argc -= optind;
	argv += optind;
	if (argc > 0)
		return run_files(&k, argc, argv);
	if (k.mode == MODE_NONE) {
		usage(stderr);
		return 1;
	}
	if (k.mode == MODE_SCRIPT && strcmp(k.fname, "-") != 0 &&
	    (fp = fopen(k.fname, "r")) == NULL) {
		fprintf(stderr, "setkey: Can't open `%s': %s\n", k.fname,
		    strerror(errno));
		return 1;
	}
	if (k.mode == MODE_SCRIPT && strcmp(k.fname, "-") == 0)
		k.fname = "<stdin>";
	if ((k.rbuf = malloc(PFKEY_MSG_MAX_BYTES)) == NULL ||
	    (path = socket_path(sopt, rundir)) == NULL) {
		fprintf(stderr, "setkey: out of memory\n");
		rc = 1;
		goto out;
	}
	k.sock_path = path;
	/* -n sends nothing, so it needs no keyd either. */
	if ((k.mode == MODE_SCRIPT || k.mode == MODE_STDIN) && k.notreally)
		rc = run_script(&k, fp);
	else if (k_connect(&k) != 0)
		rc = 1;
	else
		rc = run_mode(&k, fp);
out:
	if (fp != stdin)
		fclose(fp);
	if (k.fd >= 0)
		close(k.fd);
	free(path);
	if (k.rbuf != NULL)
		explicit_bzero(k.rbuf, PFKEY_MSG_MAX_BYTES);
	free(k.rbuf);
	setkey_out_free(&k.out);
	return rc;
}
