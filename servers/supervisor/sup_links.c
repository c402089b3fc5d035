/*
 * sup_links.c - the supervisor opens netd's links and keeps them
 * (sup_links.h). Shell: reads netd's configuration file, opens
 * descriptors; the parsing is netd's (netd_conf.h) and the opening is
 * the drivers' own (link_fd_open(), servers/netd/link_fd.c), so both
 * programs agree on what a [link NAME] means.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "netd_conf.h"
#include "sup_links.h"
#include "supervisor.h"

#define LINKS_CONF_BYTES_MAX	((size_t)64 * 1024)	/* netd's own limit */

/* Read and parse path with netd's parser. 0 or -errno / -EINVAL. */
static int
links_conf_read(const char *path, struct netd_conf *nc)
{
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd, error;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if ((buf = malloc(LINKS_CONF_BYTES_MAX)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (len < LINKS_CONF_BYTES_MAX && (n = read(fd, buf + len,
	    LINKS_CONF_BYTES_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len == LINKS_CONF_BYTES_MAX)
		error = -EFBIG;
	else
		error = netd_conf_parse(path, buf, len, nc);
	free(buf);
	return error;
}

static void
link_open_one(struct sup *sup, const struct netd_link_conf *lc)
{
	int fd, error;

	if ((error = link_fd_open(&lc->cfg, &fd)) != 0) {
		log_warnx("link %s (%s %s): %s: not handed over; %s opens it "
		    "itself", lc->name, link_kind_name(lc->cfg.kind),
		    lc->cfg.ifname, strerror(-error), SUP_LINKS_SERVER);
		return;
	}
	snprintf(sup->links[sup->nlinks].name,
	    sizeof(sup->links[sup->nlinks].name), "%s", lc->name);
	sup->links[sup->nlinks].fd = fd;
	sup->nlinks++;
	log_info("link %s: %s %s opened for %s, kept", lc->name,
	    link_kind_name(lc->cfg.kind), lc->cfg.ifname, SUP_LINKS_SERVER);
}

/*
 * netd bridges vnet headers only when both its links have them (netd.c,
 * vnet_match()), and a TAP's or TUN's vnet flag is fixed when it is
 * attached: so the host link gets them only if the wire link can have
 * them too (AF_PACKET with vnet; never udp or raw, an overlay's outside).
 */
static void
vnet_pair(struct netd_conf *nc)
{
	struct netd_link_conf *host = NULL;
	const struct netd_link_conf *wire = NULL;
	size_t i;

	for (i = 0; i < nc->nlinks; i++) {
		if (nc->links[i].role == NETD_ROLE_HOST)
			host = &nc->links[i];
		else if (nc->links[i].role == NETD_ROLE_WIRE)
			wire = &nc->links[i];
	}
	if (host != NULL && (wire == NULL || wire->cfg.kind != LINK_PACKET ||
	    !wire->cfg.vnet))
		host->cfg.vnet = false;
}

void
sup_links_open(struct sup *sup)
{
	const struct config_server *d;
	char path[CONFIG_PATH_MAX];
	struct netd_conf *nc;
	size_t i;
	int idx, error;

	sup->nlinks = 0;
	sup->links_for = -1;
	if ((idx = config_server_index(&sup->cfg, SUP_LINKS_SERVER)) < 0)
		return;
	d = &sup->cfg.servers[idx];
	if (sup_links_conf_path(d->args, path, sizeof(path)) != 0)
		return;		/* netd without links */
	if ((nc = calloc(1, sizeof(*nc))) == NULL)
		fatalx("out of memory");
	netd_conf_defaults(nc);
	if ((error = links_conf_read(path, nc)) != 0) {
		/* netd reports the errors itself when it starts. */
		log_warnx("%s: %s: links not opened here; %s opens them",
		    path, strerror(-error), SUP_LINKS_SERVER);
		free(nc);
		return;
	}
	sup->links_for = idx;
	vnet_pair(nc);
	for (i = 0; i < nc->nlinks && sup->nlinks < HANDOFF_LINKS_MAX; i++)
		link_open_one(sup, &nc->links[i]);
	free(nc);
}

void
sup_links_close(struct sup *sup)
{
	size_t i;

	for (i = 0; i < sup->nlinks; i++)
		close(sup->links[i].fd);
	sup->nlinks = 0;
}
