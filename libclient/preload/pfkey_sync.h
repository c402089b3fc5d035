/*
 * pfkey_sync.h - the "sync" side protocol between keyd and the PF_KEY
 * preload library (libparapet_pfkey.so), which gives a connection to
 * keyd the timing of a kernel PF_KEY socket: the replies to a message are
 * queued on the socket before send() returns (DESIGN §10.15).
 *
 * A preloaded socket is two SOCK_SEQPACKET connections to pfkey.sock:
 *
 *   main  the descriptor the program holds: requests, replies and
 *         broadcasts, exactly as on a kernel socket; the library never
 *         reads from it;
 *   side  a hidden descriptor: keyd sends it one MARK per datagram it
 *         handled from main, after the last reply to that datagram has
 *         gone into main's receive queue (after the dump's last reply
 *         for DUMP). keyd sends side no broadcasts.
 *
 * Opening: side sends SIDE(cookie), keyd answers MARK(echo of SIDE) on
 * side; then main sends HELLO(cookie) and keyd, pairing the two by the
 * cookie, answers MARK(echo of HELLO) on side. A connection that never
 * says HELLO gets no marks (plain mode, as before).
 *
 * Every sync datagram is 32 octets with version 0xff in the place of
 * sadb_msg_version, so none can be taken for a sadb_msg (version 2).
 *
 *   HELLO, SIDE (library -> keyd)       MARK (keyd -> library, on side)
 *   0      version 0xff                 0      version 0xff
 *   1      type 0xf0 HELLO, 0xf1 SIDE   1      type 0xf2
 *   2..3   0                            2      errno a kernel's send()
 *   4..5   length in 64-bit words, 4           would fail with (header
 *          (host order, as sadb_msg_len)       rejected, no reply), or 0
 *   6..7   0                            3      0
 *   8..15  cookie (8 random octets)     4..5   4 (host order)
 *   16..31 "parapet-pfksync" and NUL    6..7   0
 *                                       8..15  "pfksync" and NUL
 *                                       16..31 the first 16 octets of
 *                                              the datagram it completes
 *                                              (zero filled if shorter)
 */
#ifndef PARAPET_PFKEY_SYNC_H
#define PARAPET_PFKEY_SYNC_H

#define PFKEY_SYNC_LEN		32	/* every sync datagram */
#define PFKEY_SYNC_WORDS	4	/* PFKEY_SYNC_LEN / 8 */
#define PFKEY_SYNC_VERSION	0xff	/* never a sadb_msg_version */
#define PFKEY_SYNC_HELLO	0xf0	/* on main: pair with side */
#define PFKEY_SYNC_SIDE		0xf1	/* on side: I am a side channel */
#define PFKEY_SYNC_MARK		0xf2	/* on side: a datagram is done */
#define PFKEY_SYNC_COOKIE_OFF	8
#define PFKEY_SYNC_COOKIE_LEN	8
#define PFKEY_SYNC_MAGIC_OFF	16	/* HELLO, SIDE */
#define PFKEY_SYNC_MAGIC	"parapet-pfksync"	/* 16 with the NUL */
#define PFKEY_SYNC_MARK_MAGIC	"pfksync"		/* 8 with the NUL */
#define PFKEY_SYNC_ECHO_OFF	16	/* MARK */
#define PFKEY_SYNC_ECHO_LEN	16

#endif
