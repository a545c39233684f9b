package io.nvframe.cli;

import io.nvframe.backend.btt.Btt;
import io.nvframe.backend.btt.BttFiles;
import io.nvframe.backend.btt.BttFormat;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * The BTT block rows of {@code nvframe btt bench} and {@code nvframe bench --backend btt}, the
 * counterpart of libpmemblk's {@code blk_rw} (benchmarks/pmdk-blk-rw.c): a new BTT file of
 * {@code size} bytes mapped with {@code dax}, every block written once (stamped with its number),
 * then random block writes or reads at uniformly drawn block numbers, every read checked against
 * its stamp. Fences and flushes are those of the {@code dax} medium underneath: a block write
 * costs 3 fences (backend-block-btt/README.md), a read none.
 */
record BlockBench(Path file, Medium medium, Btt btt, double prefillSeconds) implements AutoCloseable {
  /** Creates, formats and fills a BTT file of {@code size} bytes in {@code dir}; {@link #close} deletes it. */
  static BlockBench create(Path dir, long size, int blockSize, String daxMode) throws IOException {
    Files.createDirectories(dir);
    Path file = Files.createTempFile(dir, "nvframe-btt-bench-", ".btt");
    try {
      try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
        f.setLength(size);
      }
      Medium m = BttFiles.openMedium(file, false, "dax", Map.of("dax.mode", daxMode));
      try {
        Btt btt = Btt.format(m, 0, m.size(), BttFormat.of(blockSize), Btt.Options.defaults());
        byte[] buf = new byte[blockSize];
        Arrays.fill(buf, (byte) 0x5a);
        long t0 = System.nanoTime();
        for (long lba = 0; lba < btt.blockCount(); lba++) {
          putLba(buf, lba);
          btt.write(lba, buf, 0);
        }
        return new BlockBench(file, m, btt, (System.nanoTime() - t0) / 1e9);
      } catch (RuntimeException e) {
        m.close();
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
  }

  int blockSize() {
    return btt.blockSize();
  }

  long blockCount() {
    return btt.blockCount();
  }

  /** Megabytes per second of the initial fill (one sequential write of every block). */
  double prefillMBps() {
    return btt.blockCount() * (double) blockSize() / prefillSeconds / 1e6;
  }

  /** The {@code dax.mode} the file is mapped with. */
  String mode() {
    return medium.properties().getOrDefault("dax.mode", "-");
  }

  /** How the {@code dax} medium copies block writes ({@code dax.copy}: {@code libpmem} or {@code java}). */
  String copy() {
    return medium.properties().getOrDefault("dax.copy", "-");
  }

  /** Random block writes ({@code write}) or reads on {@code threads} threads for {@code seconds} each. */
  BenchHarness.Result run(boolean write, int threads, double seconds) throws Exception {
    return run(write, threads, new double[] {seconds}, phase -> {}).get(0);
  }

  /** The same through consecutive phases on the same threads ({@link BenchHarness#run(int, double[], BenchHarness.Counters, BenchHarness.WorkFactory, IntConsumer)}). */
  List<BenchHarness.Result> run(boolean write, int threads, double[] phases, IntConsumer phaseDone) throws Exception {
    long n = btt.blockCount();
    int blockSize = btt.blockSize();
    return BenchHarness.run(threads, phases, () -> {
      PersistStats s = medium.stats();
      return new long[] {s.fences(), s.flushes()};
    }, id -> {
      SplittableRandom random = new SplittableRandom(0x2545F4914F6CDD1DL * (id + 1) + (write ? 1 : 0));
      byte[] b = new byte[blockSize];
      Arrays.fill(b, (byte) 0x5a);
      if (write) {
        return i -> {
          long lba = random.nextLong(n);
          putLba(b, lba);
          btt.write(lba, b, 0);
        };
      }
      // reads go to a 64-byte aligned native buffer, as pmdk-blk-rw.c's do (a byte[] lands on any
      // 8-byte boundary; Btt.read(long, MemorySegment) says why that matters)
      java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined();
      MemorySegment dst = arena.allocate(blockSize, 64);
      return new BenchHarness.ThreadWork() {
        @Override
        public void op(int i) {
          long lba = random.nextLong(n);
          btt.read(lba, dst);
          long stamp = getLba(dst, blockSize);
          if (stamp != lba) {
            throw new IllegalStateException("block " + lba + " of " + file + ": read back the stamp of block " + stamp);
          }
        }

        @Override
        public void close() {
          arena.close();
        }
      };
    }, phaseDone);
  }

  @Override
  public void close() throws IOException {
    try {
      medium.close();
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** Stamps the first 8 bytes (fewer for smaller blocks) with the block number, little-endian. */
  static void putLba(byte[] b, long lba) {
    for (int i = 0; i < 8 && i < b.length; i++) {
      b[i] = (byte) (lba >>> (8 * i));
    }
  }

  /** The stamp {@link #putLba} wrote, from the first bytes of a block read into {@code s}. */
  static long getLba(MemorySegment s, int blockSize) {
    long v = 0;
    for (int i = 0; i < 8 && i < blockSize; i++) {
      v |= (s.get(ValueLayout.JAVA_BYTE, i) & 0xffL) << (8 * i);
    }
    return v;
  }
}
