/*
 * supervisor.h - the supervisor's process state, shared by its two shell
 * files: supervisor.c (main, loop, signals, regions, children) and
 * supervisor_bus.c (the broker, the "supervisor" bus client and its
 * messages). Private to parapetd.
 */
#ifndef PARAPET_SUPERVISOR_H
#define PARAPET_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "bus.h"
#include "config.h"
#include "handoff.h"
#include "log.h"
#include "ring.h"
#include "svc_table.h"

struct sup;

struct sup_region {
	const struct config_region *def;
	int		 memfd;		/* kept for the supervisor's life */
	int		 efd[2];
	uint8_t		 uuid[RING_UUID_LEN];
	uint64_t	 inode;
	uint64_t	 size;
};

/* One spawned child; freed when libuv has closed its handle, so that a
 * restart never waits for the old handle to close. */
struct sup_proc {
	uv_process_t	 h;
	struct sup	*sup;
	size_t		 idx;
};

struct sup_counters {
	uint64_t	spawns;
	uint64_t	spawn_failures;
	uint64_t	crashes;
	uint64_t	ready_events;
	uint64_t	stale_ready;	/* ReadyEvent not matching a start */
	uint64_t	bad_ready;	/* regions not the ones handed over */
	uint64_t	status_requests;
};

struct sup {
	struct config		 cfg;
	char			 config_path[CONFIG_PATH_MAX];
	uv_loop_t		*loop;
	struct svc_table	 table;
	struct sup_region	 regions[CONFIG_REGIONS_MAX];
	int			 store_fd[CONFIG_SERVERS_MAX];	/* -1: none */
	/* netd's links, opened once, kept for our life (sup_links.h). */
	struct {
		char		 name[CONFIG_NAME_MAX + 1];
		int		 fd;
	}			 links[HANDOFF_LINKS_MAX];
	size_t			 nlinks;
	int			 links_for;	/* server index; -1: none */
	struct sup_proc		*proc[CONFIG_SERVERS_MAX];	/* NULL: none */
	uv_timer_t		 timer;
	uv_signal_t		 sig[3];	/* TERM, INT, HUP */
	int			 pidfd;
	uint64_t		 start_ms;
	bool			 stopping;
	bool			 finished;

	struct bus_broker	*broker;
	struct bus_client	*bus;
	bool			 bus_ready;	/* our subscription is live */
	struct log_rl		 rl;
	struct sup_counters	 ctr;
};

/* supervisor.c */
void	sup_kick(struct sup *);		/* poll the table, act, re-arm */
void	sup_shutdown(struct sup *, const char *why);

/* supervisor_bus.c */
int	sup_bus_start(struct sup *) MUST_CHECK;
void	sup_bus_stop(struct sup *);
/* Publish ServerStateEvent for server idx (no-op while not connected). */
void	sup_bus_state(struct sup *, size_t idx);

#endif
