/*
 * config.h - the supervisor's configuration: an INI file parsed with inih
 * into a fixed-size struct, every bad line reported as
 * "file:line: expected ...".
 *
 * Pure: the caller reads the file and passes its bytes; no allocation that
 * outlives a call, no I/O, no globals. The input is untrusted (an operator's
 * typo must cost a message, never a crash), so it is also a fuzz target.
 *
 *   [supervisor]          run_dir, bus_socket, pidfile, bin_dir, bus_mode,
 *                         ready_timeout_ms, stop_grace_ms, debug, and the
 *                         restart_* / crashloop_* defaults
 *   [server NAME]         binary, args, after, user, ready_timeout_ms,
 *                         restart_* / crashloop_* overrides,
 *                         store_records, store_record_bytes
 *   [region NAME]         side_a, side_b, slots, slot_bytes, headroom,
 *                         tailroom
 *
 * Relative bus_socket and pidfile are relative to run_dir, relative
 * binaries to bin_dir; the shell resolves them (config_resolve()).
 */
#ifndef PARAPET_SUP_CONFIG_H
#define PARAPET_SUP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "restart.h"
#include "util.h"

#define CONFIG_PATH_MAX		256	/* bytes, with the NUL */
#define CONFIG_NAME_MAX		32	/* bus names: [a-z0-9_.-]{1,32} */
#define CONFIG_ARGS_MAX		256	/* the args string, with the NUL */
#define CONFIG_ARGV_MAX		16	/* words in args */
#define CONFIG_SERVERS_MAX	16
#define CONFIG_REGIONS_MAX	16
#define CONFIG_ERRORS_MAX	32	/* further errors are only counted */
#define CONFIG_ERROR_LEN	320

#define CONFIG_DEFAULT_RUN_DIR		"/run/parapet"
#define CONFIG_DEFAULT_BUS_SOCKET	"bus.sock"
#define CONFIG_DEFAULT_PIDFILE		"parapetd.pid"

struct config_server {
	char		 name[CONFIG_NAME_MAX + 1];
	char		 binary[CONFIG_PATH_MAX];	/* default: name */
	char		 args[CONFIG_ARGS_MAX];		/* extra words */
	char		 user[CONFIG_NAME_MAX + 1];	/* "": stay as is */
	uint32_t	 ready_timeout_ms;
	struct restart_policy restart;
	uint32_t	 store_records;	/* 0: no store (common/pstore.h) */
	uint32_t	 store_record_bytes;
	uint8_t		 deps[CONFIG_SERVERS_MAX];	/* indices: after */
	size_t		 ndeps;
	unsigned	 line;		/* of its [server NAME] header */
};

struct config_region {
	char		 name[CONFIG_NAME_MAX + 1];
	uint8_t		 side[2];	/* server index per ring_side */
	uint32_t	 slots;		/* power of two */
	uint32_t	 slot_bytes;	/* multiple of 64 */
	uint32_t	 headroom;
	uint32_t	 tailroom;
	unsigned	 line;
};

struct config {
	char		 run_dir[CONFIG_PATH_MAX];
	char		 bus_socket[CONFIG_PATH_MAX];
	char		 pidfile[CONFIG_PATH_MAX];
	char		 bin_dir[CONFIG_PATH_MAX];	/* "": parapetd's */
	uint32_t	 bus_mode;			/* socket file mode */
	uint32_t	 stop_grace_ms;
	bool		 debug;				/* -d to servers */
	/* Defaults for servers that leave these out. */
	uint32_t	 ready_timeout_ms;
	struct restart_policy restart;
	struct config_server servers[CONFIG_SERVERS_MAX];
	size_t		 nservers;
	struct config_region regions[CONFIG_REGIONS_MAX];
	size_t		 nregions;
};

struct config_errors {
	char		 msg[CONFIG_ERRORS_MAX][CONFIG_ERROR_LEN];
	size_t		 n;		/* stored in msg */
	size_t		 total;		/* including those not stored */
};

/* Defaults (used for anything the file leaves out). */
#define CONFIG_READY_TIMEOUT_MS	5000
#define CONFIG_STOP_GRACE_MS	3000
#define CONFIG_BUS_MODE		0600
#define CONFIG_SLOTS		1024
#define CONFIG_SLOT_BYTES	2048
#define CONFIG_HEADROOM		128
#define CONFIG_TAILROOM		64
#define CONFIG_STORE_RECORD_BYTES 512

/*
 * Parse `len` bytes of configuration named `file` (for messages only).
 * Returns 0 with *cfg filled, or -EINVAL with every problem in *errs
 * (each "file:line: expected ..."). *cfg is unspecified on failure.
 */
int	config_parse(const char *file, const uint8_t *buf, size_t len,
	    struct config *cfg, struct config_errors *errs) MUST_CHECK;

/* Index of the server or region called name; -1 if none. */
int	config_server_index(const struct config *, const char *name);
int	config_region_index(const struct config *, const char *name);

/* True for 1..CONFIG_NAME_MAX characters of [a-z0-9_.-] (bus names). */
bool	config_name_ok(const char *);

/*
 * Split a server's args into words (separated by blanks) in `buf`, storing
 * pointers into buf in argv. Returns the number of words, or -E2BIG if
 * there are more than max.
 */
int	config_split_args(const char *args, char *buf, size_t buflen,
	    char **argv, size_t max) MUST_CHECK;

/*
 * Make the paths absolute: run_dir against cwd, bus_socket and pidfile
 * against run_dir. -ENAMETOOLONG if a result does not fit.
 */
int	config_resolve(struct config *, const char *cwd) MUST_CHECK;

/* Join dir and a relative path (an absolute one is copied as is). */
int	config_path_join(char *out, size_t outlen, const char *dir,
	    const char *path) MUST_CHECK;

#endif
