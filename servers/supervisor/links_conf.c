/*
 * links_conf.c - pure part of sup_links.h: which file names netd's links
 * (the `-c FILE` of its args), as netd's own getopt would read it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "sup_links.h"

int
sup_links_conf_path(const char *args, char *out, size_t outlen)
{
	char buf[CONFIG_ARGS_MAX], *argv[CONFIG_ARGV_MAX];
	const char *path = NULL;
	size_t i;
	int n, len;

	if ((n = config_split_args(args, buf, sizeof(buf), argv,
	    nitems(argv))) < 0)
		return n;
	for (i = 0; i < (size_t)n; i++) {
		const char *w = argv[i];

		if (w == NULL || strcmp(w, "--") == 0)
			break;
		if (strncmp(w, "-c", 2) != 0)
			continue;
		if (w[2] != '\0')
			path = w + 2;
		else if (i + 1 < (size_t)n)
			path = argv[i + 1];
		break;
	}
	if (path == NULL || path[0] == '\0')
		return -ENOENT;
	len = snprintf(out, outlen, "%s", path);
	return len < 0 || (size_t)len >= outlen ? -ENAMETOOLONG : 0;
}
