/*
 * pstore.h - a crash-safe store of records in a supervisor-held memfd.
 *
 * What a server must not lose when it is killed (keyd's SAs, policyd's
 * policies and variables, ipsecd's sequence counters) lives in a "store":
 * a memfd the supervisor creates once ([store NAME] in parapetd.conf) and
 * hands to the same server on every start, next to its ring regions. The
 * memory outlives the server; a restarted server attaches it, scans the
 * records and rebuilds its in-memory indexes from them.
 *
 * A store is an array of fixed-size records. A record holds opaque bytes
 * (at most pstore_rec_max()), a generation number and a checksum. Writes
 * are copy-on-write: pstore_put() writes a fresh record completely and
 * publishes it with one release store of its state word, and only then
 * frees the record it replaces. A kill -9 at any instruction therefore
 * leaves either the old record, or the old and the new one (the new one
 * has the higher generation), never a torn one: a record whose state word
 * says "valid" has been completely written. The checksum (SipHash of the
 * bytes) guards against everything else (a stray write): a record that
 * fails it is dropped at attach and counted.
 *
 * The free list lives in the attaching process only; pstore_attach()
 * rebuilds it from the state words, lowest index first, so the pages a
 * store touches stay bounded by its peak number of records (the memfd is
 * sparse until written).
 *
 * Not thread-safe: one owner process, one thread, as every server's core.
 * Errors are negative errno values.
 */
#ifndef PARAPET_PSTORE_H
#define PARAPET_PSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define PSTORE_NONE		UINT32_MAX	/* "no record" handle */
#define PSTORE_REC_MIN		64		/* record size, bytes, */
#define PSTORE_REC_MAX		65536		/*   including its header */
#define PSTORE_RECORDS_MAX	(1u << 24)

struct pstore;

/* Size in bytes of a store of nrec records of rec_bytes each (header
 * included); 0 if the geometry is out of range. */
size_t	pstore_size(uint32_t nrec, uint32_t rec_bytes);
/*
 * Supervisor: lay out a fresh store in fd (a memfd already ftruncate'd to
 * pstore_size()): header with magic, version, geometry and a random uuid;
 * every record free. -EINVAL for a bad geometry or a short file.
 */
int	pstore_format(int fd, uint32_t nrec, uint32_t rec_bytes) MUST_CHECK;
/*
 * Server: map the store in fd (the descriptor is duplicated; the caller
 * may close its own) and check the header. Records left half-written by a
 * killed writer are freed; records that fail their checksum are freed and
 * counted (pstore_stats). -EBADMSG for a bad header, -errno for mmap.
 */
int	pstore_attach(int fd, struct pstore **out) MUST_CHECK;
void	pstore_detach(struct pstore *);

/* Largest payload a record can hold, in bytes. */
size_t	pstore_rec_max(const struct pstore *);

/*
 * Write a record of len bytes. *handle is the record this one replaces
 * (PSTORE_NONE for a new one); on success it is the new record's handle
 * and the old record is freed. -EMSGSIZE if len > pstore_rec_max(),
 * -ENOSPC if no record is free (the old one is then kept), -EINVAL for a
 * handle that is not a live record.
 */
int	pstore_put(struct pstore *, uint32_t *handle, const void *data,
	    size_t len) MUST_CHECK;
/*
 * In-place access to a live record, for per-packet state (sequence
 * counters, replay windows) that cannot be copied on every write. From
 * this call on the record is "hot": its checksum is no longer kept or
 * checked, and the writer's own store order must make every prefix of its
 * stores safe to recover from (a kill -9 can stop it anywhere). *len gets
 * the record's length. NULL if the handle is not live.
 */
void	*pstore_hot(struct pstore *, uint32_t handle, size_t *len);
/* Free a record. -EINVAL if it is not live. */
int	pstore_del(struct pstore *, uint32_t handle);
/* Free every record (FLUSH). */
void	pstore_clear(struct pstore *);

/*
 * The owner's notes: PSTORE_NOTES_BYTES in the header page after the
 * header, zero when formatted, kept across attaches (a restart finds
 * what the last start wrote). No checksum and no copy on write: the
 * owner's format must make a torn write harmless (e.g. a magic word
 * stored last, checked first). For small facts a restart must not have
 * to compute again (ipsecd: its crypto backends, ipsecd_crypto.c).
 */
#define PSTORE_NOTES_BYTES	1024
void	*pstore_notes(struct pstore *);

/*
 * Recovery: call fn once per live record, in increasing generation
 * order, with its handle and bytes (valid during the call only). Two
 * records may describe the same object when the writer was killed between
 * writing a replacement and freeing the original: the later call is the
 * newer one; the caller keeps it and pstore_del()s the other. A non-zero
 * return from fn stops the scan and is returned. -ENOMEM if the ordering
 * array cannot be allocated.
 */
typedef int (*pstore_scan_fn)(void *arg, uint32_t handle, const void *data,
    size_t len);
int	pstore_scan(struct pstore *, pstore_scan_fn fn, void *arg) MUST_CHECK;

struct pstore_stats {
	uint32_t	 nrec;		/* capacity */
	uint32_t	 live;		/* live records */
	uint32_t	 peak;		/* highest index ever used, + 1 */
	uint64_t	 dropped_torn;	/* freed at attach: half-written */
	uint64_t	 dropped_bad;	/* freed at attach: bad checksum */
	uint64_t	 gen;		/* last generation handed out */
};
void	pstore_stats(const struct pstore *, struct pstore_stats *);

#endif
