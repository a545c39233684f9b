/*
 * libpmemblk (PMDK 1.12 BTT) random block writes, then reads, with a chosen block size: the PMDK
 * side of the blk rows of compare-pmdk.sh (nvframe side: 'nvframe btt bench').
 *
 * usage: pmdk-blk-rw [pooldir=/dev/shm] [threads=1] [bsize=4096]
 *
 * Creates a 1 GiB pool (prefaulted), writes every block once sequentially, then measures random
 * pmemblk_write for DURATION seconds, then random pmemblk_read for DURATION seconds. Every block
 * carries its block number in its first 8 bytes; reads check it. Prints the RESULT lines of
 * bench.h (from the PMDK peer programs, PMDK_SRC) with bench=blk_<write|read>_<4k|512>.
 */
#include "bench.h"
#include <libpmem.h>
#include <libpmemblk.h>

#define POOL_SIZE (1024UL << 20)
#define MAX_BSIZE 65536

struct ctx {
	PMEMblkpool *pbp;
	long long nblock;
	size_t bsize;
	int do_write;
	double dur;
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct ctx *c = w->ctx;
	uint64_t seed = 0x2545F4914F6CDD1DULL * (w->id + 1) + c->do_write;
	static __thread char buf[MAX_BSIZE] __attribute__((aligned(64)));
	memset(buf, 0x5a, c->bsize);
	double start = now_s();

	while (now_s() - start < c->dur) {
		for (int k = 0; k < 256; k++) {
			long long b = (long long)(rnd(&seed) % (uint64_t)c->nblock);
			if (c->do_write) {
				memcpy(buf, &b, sizeof(b));
				if (pmemblk_write(c->pbp, buf, b))
					DIE("pmemblk_write: %s", pmemblk_errormsg());
			} else {
				if (pmemblk_read(c->pbp, buf, b))
					DIE("pmemblk_read: %s", pmemblk_errormsg());
				if (memcmp(buf, &b, sizeof(b)))
					DIE("block %lld: wrong content", b);
			}
		}
		w->ops += 256;
	}
	w->timed_s = now_s() - start;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/dev/shm";
	int nthreads = parse_threads(argc, argv, 2);
	size_t bsize = argc > 3 ? strtoul(argv[3], NULL, 10) : 4096;
	if (bsize < 8 || bsize > MAX_BSIZE)
		DIE("block size %zu out of range [8, %d]", bsize, MAX_BSIZE);
	char path[4096];
	snprintf(path, sizeof(path), "%s/pmdk_blk_rw.%d", dir, getpid());

	int one = 1;
	pmemblk_ctl_set(NULL, "prefault.at_create", &one);
	PMEMblkpool *pbp = pmemblk_create(path, bsize, POOL_SIZE, 0600);
	if (!pbp)
		DIE("pmemblk_create %s: %s", path, pmemblk_errormsg());
	struct ctx c = { pbp, (long long)pmemblk_nblock(pbp), bsize, 1, duration_s() };

	static char buf[MAX_BSIZE] __attribute__((aligned(64)));
	memset(buf, 0x5a, bsize);
	double t0 = now_s();
	for (long long b = 0; b < c.nblock; b++) {
		memcpy(buf, &b, sizeof(b));
		if (pmemblk_write(pbp, buf, b))
			DIE("pmemblk_write: %s", pmemblk_errormsg());
	}
	double fill_s = now_s() - t0;
	/* libpmemblk keeps its is_pmem decision private; PMEM_IS_PMEM_FORCE=1 is what switches it
	 * to flush instructions on a tmpfs/DRAM file */
	const char *mode = getenv("PMEM_IS_PMEM_FORCE") && atoi(getenv("PMEM_IS_PMEM_FORCE")) == 1
		? "flush" : "msync";
	char tag[32];
	if (bsize % 1024 == 0)
		snprintf(tag, sizeof(tag), "%zuk", bsize / 1024);
	else
		snprintf(tag, sizeof(tag), "%zu", bsize);

	struct worker w[MAX_THREADS];
	for (int wr = 1; wr >= 0; wr--) {
		c.do_write = wr;
		run_workers(nthreads, worker, &c, w);
		double rate = 0;
		for (int i = 0; i < nthreads; i++)
			rate += w[i].ops / w[i].timed_s;
		char name[64];
		snprintf(name, sizeof(name), "blk_%s_%s", wr ? "write" : "read", tag);
		print_result(name, mode, nthreads, w);
		printf(" MB_s=%.1f nblock=%lld prefill_seq_write_MB_s=%.1f\n",
		       rate * bsize / 1e6, c.nblock, c.nblock * (double)bsize / fill_s / 1e6);
	}

	pmemblk_close(pbp);
	unlink(path);
	return 0;
}
