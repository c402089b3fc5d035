/*
 * log.h - process-tagged logging to stderr.
 *
 * Every line is "<process>[pid]: <level>: <text>". log_warn() appends
 * strerror(errno), log_warnx() does not. fatal()/fatalx() are for start-up
 * failures and broken invariants of our own process, never for anything a
 * peer sent. log_rl_*() is the rate-limited helper for paths a peer can
 * drive (packet path, bus input): at most `burst` lines per second per
 * limiter, with a count of what was suppressed.
 */
#ifndef PARAPET_LOG_H
#define PARAPET_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

void	log_init(const char *procname, bool debug);
void	log_set_debug(bool debug);
/* Command-line tools: drop log_info() lines (warnings still print). */
void	log_set_quiet(bool quiet);
bool	log_get_debug(void);
const char *log_procname(void);

void	log_warn(const char *, ...) PRINTFLIKE(1, 2);
void	log_warnx(const char *, ...) PRINTFLIKE(1, 2);
void	log_info(const char *, ...) PRINTFLIKE(1, 2);
void	log_debug(const char *, ...) PRINTFLIKE(1, 2);
NORETURN void fatal(const char *, ...) PRINTFLIKE(1, 2);
NORETURN void fatalx(const char *, ...) PRINTFLIKE(1, 2);

/* One limiter per call site or per reason; zero-initialise, set burst. */
struct log_rl {
	uint64_t	window_ms;	/* start of the current 1 s window */
	uint32_t	burst;		/* lines allowed per window; 0 means 10 */
	uint32_t	used;
	uint64_t	suppressed;
};

void	log_rl_warnx(struct log_rl *, const char *, ...) PRINTFLIKE(2, 3);

#endif
