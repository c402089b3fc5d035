/*
 * log.c - process-tagged logging to stderr; see log.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *procname = "parapet";
static bool log_debug_on;
static bool log_quiet;

void
log_init(const char *name, bool debug)
{
	procname = name;
	log_debug_on = debug;
}

void
log_set_debug(bool debug)
{
	log_debug_on = debug;
}

void
log_set_quiet(bool quiet)
{
	log_quiet = quiet;
}

bool
log_get_debug(void)
{
	return log_debug_on;
}

const char *
log_procname(void)
{
	return procname;
}

static void vlog(const char *, const char *, va_list, int) PRINTFLIKE(2, 0);

static void
vlog(const char *level, const char *fmt, va_list ap, int errnum)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum != 0)
		fprintf(stderr, "%s[%d]: %s: %s: %s\n", procname, (int)getpid(),
		    level, msg, strerror(errnum));
	else
		fprintf(stderr, "%s[%d]: %s: %s\n", procname, (int)getpid(),
		    level, msg);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog("warning", fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning", fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_quiet && !log_debug_on)
		return;
	va_start(ap, fmt);
	vlog("info", fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	vlog("debug", fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", fmt, ap, saved);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void
log_rl_warnx(struct log_rl *rl, const char *fmt, ...)
{
	struct timespec ts;
	uint64_t now_ms;
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (now_ms - rl->window_ms >= 1000) {
		if (rl->suppressed != 0)
			log_warnx("(%llu similar messages suppressed)",
			    (unsigned long long)rl->suppressed);
		rl->window_ms = now_ms;
		rl->used = 0;
		rl->suppressed = 0;
	}
	if (rl->used >= (rl->burst != 0 ? rl->burst : 10)) {
		rl->suppressed++;
		return;
	}
	rl->used++;
	va_start(ap, fmt);
	vlog("warning", fmt, ap, 0);
	va_end(ap);
}
