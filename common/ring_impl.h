/*
 * ring_impl.h - the private state of a ring attachment, shared by the two
 * halves of the ring module: ring_region.c (format, attach, recovery) and
 * ring.c (the data path). Not for use outside common/ring*.c.
 */
#ifndef PARAPET_RING_IMPL_H
#define PARAPET_RING_IMPL_H

#include <stdatomic.h>
#include <stdint.h>

#include "log.h"
#include "ring.h"

/* The layout's page: a constant, so the layout does not vary by host. */
#define RING_PAGE	4096u
/* Recovery returns reclaimed slots in batches of this many. */
#define RECOVER_BATCH	64u

/* Per-slot state, private to one side (never in shared memory). */
enum slot_state {
	SLOT_PEER = 0,	/* in a ring, or held by the peer */
	SLOT_FREE,	/* side A only: on the free list */
	SLOT_HELD,	/* ours: allocated or received, not yet sent */
};

struct ring_region {
	uint8_t		*base;
	size_t		 size;
	enum ring_side	 side;
	uint8_t		 me;		/* RING_OWNER_A or RING_OWNER_B */
	struct ring_geom geom;
	struct ring_layout lay;
	uint32_t	 mask;		/* lay.entries - 1 */
	uint8_t		 uuid[RING_UUID_LEN];
	int		 efd_in;	/* wakes us */
	int		 efd_out;	/* wakes the peer */

	/* Views into the region. */
	struct ring_ctl	*in;		/* A: done, B: work */
	struct ring_ctl	*out;		/* A: work, B: done */
	struct ring_sdesc *in_desc;
	struct ring_sdesc *out_desc;
	_Atomic uint8_t	*owner;
	uint8_t		*pool;

	/* Our own indices (we are their only writer) and cached peer ones. */
	uint32_t	 out_prod;
	uint32_t	 out_cons;	/* cache of out->rc_cons */
	uint32_t	 in_cons;
	uint32_t	 in_prod;	/* cache of in->rc_prod */

	uint8_t		*state;		/* enum slot_state, per slot */
	uint32_t	*freelist;	/* side A: LIFO of free slots */
	uint32_t	 nfree;
	uint32_t	 nheld;

	struct ring_stats stats;
	struct log_rl	 rl;
};

/* Ring the peer's doorbell if it announced sleep (ring.c). */
void	ring_bell(struct ring_region *);

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

#endif
