/*
 * setkey_parse.h - the setkey(8) configuration language, parsed into
 * PF_KEY v2 messages. Pure: no sockets, no resolver, no files, no clock.
 *
 * Text such as
 *
 *	add 10.0.0.1 10.0.0.2 esp 0x1000 -m transport
 *	    -E aes-gcm-16 0x0123...;
 *	spdadd 10.0.0.0/24[any] 10.0.1.0/24[any] any
 *	    -P out ipsec esp/tunnel/10.0.0.1-10.0.0.2/require;
 *
 * becomes a list of statements, each carrying the datagram setkey would
 * send to a PF_KEY socket, built with keyd_core's builder
 * (servers/keyd/pfkey_build.h). The grammar is ipsec-tools 0.8's
 * parse.y/token.l as the Linux build accepts it; the departures are listed
 * in DESIGN §10.14. The text is untrusted: any byte sequence gives
 * either a script or one error with its file, line, column and what was
 * expected there. The first error ends parsing, and a script is returned
 * only when the whole text parsed, so that a file with an error applies
 * nothing.
 */
#ifndef PARAPET_SETKEY_PARSE_H
#define PARAPET_SETKEY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pfkey_msg.h"
#include "util.h"

/* Most algorithms of one kind in a REGISTER reply that we keep. */
#define SETKEY_ALGS_MAX		64

/*
 * The algorithms keyd offers (its REGISTER reply), against which key
 * lengths are checked before anything is sent, as ipsec-tools does.
 */
struct setkey_algs {
	struct pfkey_alg	auth[SETKEY_ALGS_MAX];
	size_t			nauth;
	struct pfkey_alg	enc[SETKEY_ALGS_MAX];
	size_t			nenc;
};

struct setkey_opts {
	const char		*fname;		/* for messages; "<stdin>" */
	unsigned int		 first_line;	/* line number of text[0] */
	uint32_t		 pid;		/* sadb_msg_pid */
	uint32_t		 first_seq;	/* seq of the first message */
	/*
	 * setkey -r (default): every "in" policy also gets its "fwd" twin
	 * (Linux forwards through fwd policies). -k: kernel semantics.
	 */
	bool			 rfc_mode;
	/* NULL: no key length check (setkey -n, which sends nothing). */
	const struct setkey_algs *algs;
};

enum setkey_kind {
	SETKEY_SEND,		/* send msg; one reply, or a dump */
	SETKEY_DELETEALL,	/* msg is a DUMP: delete every match */
	SETKEY_EXIT		/* exit, quit, bye: stop here */
};

struct setkey_stmt {
	enum setkey_kind	 kind;
	unsigned int		 line;		/* where the statement starts */
	unsigned int		 col;
	uint8_t			 type;		/* sadb_msg_type of msg */
	uint8_t			*msg;		/* malloc'd datagram, or NULL */
	size_t			 len;
	/* SETKEY_DELETEALL: what a dumped SA must match. */
	uint8_t			 satype;
	struct pfkey_address	 src;
	struct pfkey_address	 dst;
};

struct setkey_script {
	struct setkey_stmt	*stmt;
	size_t			 nstmt;
	size_t			 cap;
};

/* The first error: "FILE:LINE:COL: expected ..." in msg. */
struct setkey_error {
	unsigned int		 line;
	unsigned int		 col;
	char			 msg[256];
};

/*
 * Parse len bytes of text (NUL bytes are errors). On success *out is a
 * script the caller frees with setkey_script_free(); it may have no
 * statements. Returns 0, -EINVAL with *err filled, or -ENOMEM.
 */
int	setkey_parse(const char *text, size_t len, const struct setkey_opts *,
	    struct setkey_script **out, struct setkey_error *err) MUST_CHECK;
/* Wipes the messages (they hold keys) and frees them. NULL is fine. */
void	setkey_script_free(struct setkey_script *);

/*
 * How far text holds whole statements: the offset just past the last ';'
 * that ends a statement (outside comments, quotes and nothing else), 0 if
 * none. setkey -c on a terminal runs what is complete after each line.
 */
size_t	setkey_complete_len(const char *text, size_t len);

/*
 * deleteall: does the dumped SA m match stmt (SA type, source and
 * destination address, ports and prefixes ignored)?
 */
bool	setkey_deleteall_match(const struct setkey_stmt *,
	    const struct pfkey_msg *m);
/*
 * deleteall: the DELETE for one matching SA of type satype, as Linux
 * setkey sends it (SA with the SPI, SA2, the statement's addresses).
 */
int	setkey_deleteall_msg(const struct setkey_stmt *, uint8_t satype,
	    uint32_t spi, uint32_t pid, uint32_t seq, uint8_t *buf, size_t cap,
	    size_t *len) MUST_CHECK;

/*
 * The algorithm names (setkey -E/-A/-C and the dump). NULL when the
 * number has no name.
 */
const char *setkey_ealg_name(uint8_t id);
const char *setkey_aalg_name(uint8_t id);
const char *setkey_calg_name(uint8_t id);

#endif
