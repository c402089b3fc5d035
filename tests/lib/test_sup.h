/*
 * test_sup.h - what the C end-to-end tests share to run parapetd: the
 * supervisor started from a configuration file, its output in a log.
 */
#ifndef PARAPET_TEST_SUP_H
#define PARAPET_TEST_SUP_H

#include <sys/types.h>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/*
 * parapetd from bindir with -c conf -r run -b bindir, standard output and
 * error into logf: its pid, or -1 when fork() failed.
 */
static inline pid_t
test_start_parapetd(const char *bindir, const char *conf, const char *run,
    const char *logf)
{
	char bin[600];
	pid_t pid;
	int lfd;

	if ((pid = fork()) != 0)
		return pid;
	if ((lfd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0) {
		dup2(lfd, 1);
		dup2(lfd, 2);
		close(lfd);
	}
	snprintf(bin, sizeof(bin), "%s/parapetd", bindir);
	execl(bin, "parapetd", "-c", conf, "-r", run, "-b", bindir,
	    (char *)NULL);
	_exit(127);
}

#endif /* PARAPET_TEST_SUP_H */
