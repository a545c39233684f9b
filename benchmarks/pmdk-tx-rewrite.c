/*
 * libpmemobj (PMDK 1.12) transactions that rewrite many existing objects: the PMDK side of the
 * tx_rewrite rows of compare-pmdk.sh (nvframe side: 'nvframe bench --ops tx_rewrite_1m' and
 * 'tx_rewrite_16m').
 *
 * usage: pmdk-tx-rewrite [pooldir=/dev/shm] [threads=1] [size=1m|16m]
 *
 * Creates a 1 GiB pool (prefaulted) and gives every thread its own SIZE bytes as SIZE / 4096
 * existing 4 KiB objects (pmemobj_zalloc, before the measurement). One operation is one
 * transaction that snapshots every object of the thread (pmemobj_tx_add_range of its 4096 bytes)
 * and rewrites all of it, committed: operation number seq writes, into object k, the byte pattern
 * (seq * 31 + k) with seq and k in the first 16 bytes, so every operation changes every byte run.
 * Fixed time per thread (DURATION seconds), like the other peer programs. At the end the content
 * of every object is checked against the last committed operation, then again after closing and
 * reopening the pool; a mismatch stops the program with exit code 1.
 *
 * Prints the RESULT line of bench.h (from the PMDK peer programs, PMDK_SRC) with
 * bench=obj_tx_rewrite_<1m|16m>, followed by bytes_op, MB_s and verified_bytes.
 */
#include "bench.h"
#include <libpmem.h>
#include <libpmemobj.h>

#define POOL_SIZE (1024UL << 20)
#define OBJ_SIZE 4096
#define MAX_OBJS ((16UL << 20) / OBJ_SIZE)
#define LAYOUT "tx_rewrite"

struct root {
	PMEMoid obj[MAX_THREADS][MAX_OBJS];
};

struct ctx {
	PMEMobjpool *pop;
	struct root *root;
	size_t nobj;         /* objects per thread */
	double dur;
	uint64_t seq[MAX_THREADS]; /* last committed operation of each thread */
};

/* the content of object k after operation seq */
static void fill(unsigned char *b, uint64_t seq, uint64_t k)
{
	memset(b, (int)((seq * 31 + k) & 0xff), OBJ_SIZE);
	memcpy(b, &seq, sizeof(seq));
	memcpy(b + 8, &k, sizeof(k));
}

/* one transaction; a function of its own so that no loop variable lives across TX_BEGIN's setjmp */
static void tx_rewrite(PMEMobjpool *pop, PMEMoid *obj, size_t nobj, uint64_t seq)
{
	TX_BEGIN(pop) {
		for (size_t k = 0; k < nobj; k++) {
			pmemobj_tx_add_range(obj[k], 0, OBJ_SIZE);
			fill(pmemobj_direct(obj[k]), seq, k);
		}
	} TX_ONABORT {
		DIE("tx aborted: %s", pmemobj_errormsg());
	} TX_END
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct ctx *c = w->ctx;
	PMEMoid *obj = c->root->obj[w->id];
	uint64_t seq = 0;
	double start = now_s();
	/* an operation takes milliseconds: check the clock after each */
	while (now_s() - start < c->dur) {
		tx_rewrite(c->pop, obj, c->nobj, ++seq);
		w->ops++;
	}
	w->timed_s = now_s() - start;
	c->seq[w->id] = seq;
	return NULL;
}

/* checks every object of every thread; returns the bytes checked */
static uint64_t verify(struct root *root, struct ctx *c, int nthreads, const char *when)
{
	static unsigned char expected[OBJ_SIZE];
	uint64_t bytes = 0;
	for (int t = 0; t < nthreads; t++) {
		for (size_t k = 0; k < c->nobj; k++) {
			fill(expected, c->seq[t], k);
			const unsigned char *p = pmemobj_direct(root->obj[t][k]);
			if (memcmp(p, expected, OBJ_SIZE) != 0) {
				size_t at = 0;
				while (p[at] == expected[at])
					at++;
				DIE("%s: thread %d object %zu differs at byte %zu from transaction %llu: 0x%02x instead of 0x%02x",
				    when, t, k, at, (unsigned long long)c->seq[t], p[at], expected[at]);
			}
			bytes += OBJ_SIZE;
		}
	}
	return bytes;
}

static char path[4096];

/* the pool file goes whatever the exit, a failed check included */
static void remove_pool(void)
{
	unlink(path);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/dev/shm";
	int nthreads = parse_threads(argc, argv, 2);
	const char *size = argc > 3 ? argv[3] : "1m";
	size_t bytes;
	if (strcmp(size, "1m") == 0)
		bytes = 1UL << 20;
	else if (strcmp(size, "16m") == 0)
		bytes = 16UL << 20;
	else
		DIE("size must be 1m or 16m, not '%s'", size);
	snprintf(path, sizeof(path), "%s/pmdk_tx_rewrite.%d", dir, getpid());

	int one = 1;
	pmemobj_ctl_set(NULL, "prefault.at_create", &one);
	PMEMobjpool *pop = pmemobj_create(path, LAYOUT, POOL_SIZE, 0600);
	if (!pop)
		DIE("pmemobj_create %s: %s", path, pmemobj_errormsg());
	atexit(remove_pool);

	static struct ctx c;
	c.pop = pop;
	c.root = pmemobj_direct(pmemobj_root(pop, sizeof(struct root)));
	c.nobj = bytes / OBJ_SIZE;
	c.dur = duration_s();
	for (int t = 0; t < nthreads; t++)
		for (size_t k = 0; k < c.nobj; k++)
			if (pmemobj_zalloc(pop, &c.root->obj[t][k], OBJ_SIZE, 0))
				DIE("pmemobj_zalloc: %s", pmemobj_errormsg());
	int is_pmem = pmem_is_pmem(c.root, sizeof(struct root));

	struct worker w[MAX_THREADS];
	run_workers(nthreads, worker, &c, w);

	uint64_t verified = verify(c.root, &c, nthreads, "after the run");
	pmemobj_close(pop);
	pop = pmemobj_open(path, LAYOUT);
	if (!pop)
		DIE("pmemobj_open %s: %s", path, pmemobj_errormsg());
	verify(pmemobj_direct(pmemobj_root(pop, sizeof(struct root))), &c, nthreads, "after reopening the pool");

	char name[64];
	snprintf(name, sizeof(name), "obj_tx_rewrite_%s", size);
	print_result(name, is_pmem ? "flush" : "msync", nthreads, w);
	double rate = 0;
	for (int i = 0; i < nthreads; i++)
		rate += w[i].ops / w[i].timed_s;
	printf(" bytes_op=%zu MB_s=%.1f verified_bytes=%llu\n", bytes, rate * bytes / 1e6,
	       (unsigned long long)verified);

	pmemobj_close(pop);
	return 0;
}
