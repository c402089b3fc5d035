/*
 * bench.h - what every benchmark shares: a monotonic clock in ns, this
 * thread's CPU time, pinning to a CPU, alternating runs of ours and a
 * reference, and BENCH_BUILD, the build type and flags each one prints
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

/*
 * CPU time of this thread: the machine is shared, and time spent
 * preempted is not the code's.
 */
static inline uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* n operations of kind op: operations per second of CPU time. */
typedef double bench_run_fn(void *arg, int op, uint64_t n);

/*
 * Operations per second of ours and of the reference: n is first grown
 * until one run of ours takes about 10 ms, then the best of `runs` runs
 * of each, alternating which goes first so neither inherits a bias and
 * both see the same neighbours.
 */
static inline void
bench_alternate(bench_run_fn *run, void *arg, int ours, int ref, int runs,
    double *po, double *pr)
{
	uint64_t n = 16, t0, dt;
	int r;

	for (;;) {
		t0 = cpu_ns();
		(void)run(arg, ours, n);
		dt = cpu_ns() - t0;
		if (dt > 3000000) {
			n = (uint64_t)((double)n * 1e7 / (double)dt) + 1;
			break;
		}
		n *= 4;
	}
	*po = *pr = 0;
	for (r = 0; r < runs; r++) {
		double o, f;

		if (r & 1) {
			f = run(arg, ref, n);
			o = run(arg, ours, n);
		} else {
			o = run(arg, ours, n);
			f = run(arg, ref, n);
		}
		*po = o > *po ? o : *po;
		*pr = f > *pr ? f : *pr;
	}
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
