/*
 * sup_links.h - netd's links, opened by the supervisor and handed over
 * (DESIGN §10.2; STYLE §9: only the supervisor opens privileged things).
 *
 * At start, parapetd reads the file netd is told to read (`-c FILE` in
 * the args of [server netd]; in the examples the supervisor's own file),
 * parses it with netd's own parser (netd_conf_parse()) and opens each
 * [link NAME] with link_fd_open(), the privileged part of netd's
 * drivers. It keeps the descriptors for its life and hands them to every
 * start of that server (handoff.h: after the regions', before the
 * store's). So a TAP stays attached while netd restarts: the carrier
 * stays up and what the kernel sends meanwhile (an ARP request) waits in
 * the TAP's queue for the next netd; and netd itself needs no
 * CAP_NET_ADMIN or CAP_NET_RAW (`user =`).
 *
 * A link that cannot be opened is logged and not handed over: netd then
 * opens it itself, as when it runs alone.
 */
#ifndef PARAPET_SUP_LINKS_H
#define PARAPET_SUP_LINKS_H

#include <stddef.h>

#include "util.h"

/* The server that gets the links: the one named so. */
#define SUP_LINKS_SERVER	"netd"

/*
 * Pure: the FILE of the first `-c FILE` (or `-cFILE`) word of a server's
 * args, into out. 0, -ENOENT (none), -ENAMETOOLONG, -E2BIG (args too
 * long or too many words).
 */
int	sup_links_conf_path(const char *args, char *out, size_t outlen)
	    MUST_CHECK;

struct sup;
/* Open the links (see above); logs what it does. Never fatal. */
void	sup_links_open(struct sup *);
void	sup_links_close(struct sup *);

#endif
