/*
 * pmemblk_dump POOL BSIZE LBA... : reads each block with libpmemblk's pmemblk_read and writes
 * one status byte (0 = read, 1 = EIO, 2 = other error) followed, when read, by the block's bytes.
 * Used by PmemBlkInteropTest to check that blocks nvframe wrote read back with libpmemblk itself.
 */
#include <errno.h>
#include <libpmemblk.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s POOL BSIZE LBA...\n", argv[0]);
		return 2;
	}
	size_t bsize = strtoul(argv[2], NULL, 10);
	PMEMblkpool *pbp = pmemblk_open(argv[1], bsize);
	if (pbp == NULL) {
		fprintf(stderr, "pmemblk_open: %s\n", pmemblk_errormsg());
		return 1;
	}
	char *buf = malloc(bsize);
	for (int i = 3; i < argc; i++) {
		long long lba = strtoll(argv[i], NULL, 10);
		unsigned char status = 0;
		if (pmemblk_read(pbp, buf, lba) < 0)
			status = errno == EIO ? 1 : 2;
		fwrite(&status, 1, 1, stdout);
		if (status == 0)
			fwrite(buf, 1, bsize, stdout);
	}
	free(buf);
	pmemblk_close(pbp);
	return 0;
}
