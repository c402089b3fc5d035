/*
 * bench.h - what every benchmark shares: a monotonic clock in ns, pinning
 * to a CPU, and BENCH_BUILD, the build type and flags each one prints
 * (set once for the directory in bench/CMakeLists.txt).
 */
#ifndef PARAPET_BENCH_H
#define PARAPET_BENCH_H

#include <sched.h>
#include <stdint.h>
#include <time.h>

#include "log.h"

#ifndef BENCH_BUILD
#define BENCH_BUILD "unknown"
#endif

static inline uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Pin the calling process to one CPU; fatal if the kernel refuses. */
static inline void
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		fatal("sched_setaffinity %d", cpu);
}

#endif
