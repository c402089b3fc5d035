/*
 * svc_table.h - the service table: every configured server, its state and
 * what the supervisor must do next.
 *
 * Pure: no clock, no processes, no I/O. The shell tells the table what
 * happened (a child was spawned, became ready, exited) with the time, and
 * asks it what to do (svc_table_poll): start a server, send it SIGTERM or
 * SIGKILL. The shell arms one timer at svc_table_next_deadline().
 *
 * State machine of one server (values equal Parapet__ServerState):
 *
 *              deps ready         ReadyEvent (same pid)
 *   STOPPED ---------------> STARTING -------------> READY
 *      ^   (initial start)    |   ^                    |
 *      |                      |   | delay elapsed      | exit
 *      |        exit, or no   v   |                    v
 *      |        ready in   BACKOFF / CRASHLOOP <-------+
 *      |        time  ------^
 *      |
 *      +--- exit --- STOPPING <--- (shutdown: SIGTERM, then SIGKILL
 *                                   after stop_grace_ms; one server at a
 *                                   time, in reverse start order)
 */
#ifndef PARAPET_SUP_SVC_TABLE_H
#define PARAPET_SUP_SVC_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "restart.h"
#include "util.h"

enum svc_state {
	SVC_STOPPED = 1,
	SVC_STARTING = 2,
	SVC_READY = 3,
	SVC_BACKOFF = 4,
	SVC_CRASHLOOP = 5,
	SVC_STOPPING = 6,
};

#define SVC_REASON_MAX	96

struct svc {
	const struct config_server *def;	/* borrowed from the config */
	size_t		 idx;
	enum svc_state	 state;
	int		 pid;		/* 0: not running (or being spawned) */
	uint32_t	 starts;
	uint32_t	 restarts;	/* starts after the first */
	uint64_t	 started_ms;
	uint64_t	 ready_ms;
	uint64_t	 next_start_ms;	/* BACKOFF / CRASHLOOP */
	uint64_t	 stop_deadline_ms; /* STOPPING: SIGKILL then */
	bool		 ever_ready;
	bool		 timed_out;	/* killed: no ready in time */
	bool		 kill_sent;
	struct restart_state rs;
	char		 last_exit[SVC_REASON_MAX];
};

struct svc_table;
typedef void svc_notify_fn(const struct svc_table *, const struct svc *,
    void *arg);

struct svc_table {
	const struct config	*cfg;		/* borrowed, outlives us */
	struct svc		 svc[CONFIG_SERVERS_MAX];
	size_t			 n;
	uint8_t			 order[CONFIG_SERVERS_MAX]; /* start order */
	bool			 shutdown;
	svc_notify_fn		*notify;	/* every state change */
	void			*arg;
};

enum svc_act {
	SVC_ACT_START,		/* spawn it, then svc_table_started() */
	SVC_ACT_TERM,		/* send SIGTERM */
	SVC_ACT_KILL,		/* send SIGKILL */
};

struct svc_action {
	enum svc_act	act;
	size_t		idx;
};

/* A region handed to a server: region index in the config and side. */
struct svc_region {
	size_t		region;
	unsigned	side;		/* enum ring_side */
};

/*
 * Build the table from a parsed configuration (borrowed for the table's
 * life). -ELOOP if the dependencies have a cycle (config_parse() refuses
 * those already).
 */
int	svc_table_init(struct svc_table *, const struct config *,
	    svc_notify_fn *, void *arg) MUST_CHECK;

/*
 * What to do now: up to max actions into acts; returns how many. START
 * moves the server to STARTING with pid 0 at once, so a second poll does
 * not start it twice; the shell must answer with svc_table_started() or
 * svc_table_spawn_failed().
 */
size_t	svc_table_poll(struct svc_table *, uint64_t now_ms,
	    struct svc_action *acts, size_t max);
/* When svc_table_poll() has something to do next; UINT64_MAX: nothing
 * (only an event can change that). */
uint64_t svc_table_next_deadline(const struct svc_table *);

void	svc_table_started(struct svc_table *, size_t idx, int pid,
	    uint64_t now_ms);
/* The spawn failed (error: negative errno): counts as a crash. */
void	svc_table_spawn_failed(struct svc_table *, size_t idx, int error,
	    uint64_t now_ms);
/*
 * A ReadyEvent from server idx with pid. True if it made the server READY;
 * false if stale or repeated (another pid, or not STARTING).
 */
bool	svc_table_ready(struct svc_table *, size_t idx, int pid,
	    uint64_t now_ms);
/*
 * The child of server idx exited: exit status, or term_signal if killed
 * (then status is ignored). A crash unless we were stopping it.
 */
void	svc_table_exited(struct svc_table *, size_t idx, int status,
	    int term_signal, uint64_t now_ms);

/* Begin shutdown: nothing is started any more; poll() stops the running
 * servers one by one in reverse start order. */
void	svc_table_shutdown(struct svc_table *, uint64_t now_ms);
/* Shutdown begun and every server STOPPED. */
bool	svc_table_done(const struct svc_table *);

/* -1 if no server is called name. */
int	svc_table_find(const struct svc_table *, const char *name);
/* The server running as pid; -1 if none. */
int	svc_table_find_pid(const struct svc_table *, int pid);

/* The regions of server idx (at most max); returns how many. */
size_t	svc_table_regions(const struct svc_table *, size_t idx,
	    struct svc_region *out, size_t max);

const char *svc_state_name(enum svc_state);

#endif
