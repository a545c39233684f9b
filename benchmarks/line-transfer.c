/*
 * How long one cache line takes to move from one processor to another, here and now: two threads,
 * pinned to processors A and B, hand a counter on one 64-byte line back and forth; each hand-over is
 * one transfer of the line. Prints the one-way time in nanoseconds, the lowest of TRIALS trials of
 * ROUNDS hand-overs each (the lowest: the placement, not a moment of interference).
 *
 * compare-pmdk.sh runs it before and after every measured run. On a virtual machine the hypervisor
 * places the two vCPUs on physical cores it chooses and may move them: on cores that share a
 * last-level cache a transfer costs tens of nanoseconds, across core complexes several times that,
 * and every line that two threads share (a lock, a counter, the kernel's mmap lock in msync) costs
 * the same factor. The number explains why one two-thread run differs from the next.
 *
 * usage: line-transfer [cpuA=0] [cpuB=1]      (prints: xfer_ns=N)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ROUNDS 100000
#define TRIALS 5

static _Alignas(64) atomic_long token;
static int cpus[2];

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
		fprintf(stderr, "line-transfer: cannot run on processor %d\n", cpu);
		exit(1);
	}
}

/* side 0 waits for even values, side 1 for odd ones; each writes the next value */
static void *side(void *arg)
{
	long me = (long)arg;
	pin(cpus[me]);
	for (long i = 0; i < ROUNDS; i++) {
		long want = 2 * i + me;
		while (atomic_load_explicit(&token, memory_order_acquire) != want)
			;
		atomic_store_explicit(&token, want + 1, memory_order_release);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	cpus[0] = argc > 1 ? atoi(argv[1]) : 0;
	cpus[1] = argc > 2 ? atoi(argv[2]) : 1;
	double best = 0;
	for (int trial = 0; trial < TRIALS; trial++) {
		pthread_t t[2];
		atomic_store(&token, 0);
		double start = now_ns();
		for (long i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, side, (void *)i);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		/* 2 * ROUNDS hand-overs; thread start-up is a few microseconds of the total */
		double ns = (now_ns() - start) / (2.0 * ROUNDS);
		if (trial == 0 || ns < best)
			best = ns;
	}
	printf("xfer_ns=%.0f\n", best);
	return 0;
}
