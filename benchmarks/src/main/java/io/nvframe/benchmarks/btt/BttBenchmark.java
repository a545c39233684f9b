package io.nvframe.benchmarks.btt;

import io.nvframe.backend.btt.Btt;
import io.nvframe.backend.btt.BttFiles;
import io.nvframe.backend.btt.BttFormat;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The BTT block rows of {@code nvframe bench --backends ...,btt} (cli/.../BlockBench.java) and of
 * libpmemblk's {@code blk_rw} (benchmarks/pmdk-blk-rw.c): random block writes ({@code write}) and
 * reads ({@code read}) at uniformly drawn block numbers on a new BTT file of {@code size} bytes,
 * mapped with {@code dax} in {@code mode}, every block written once before the trial. Each thread
 * draws from its own seeded generator. Fences and flushes per operation (of the {@code dax} medium
 * underneath; 3 fences per block write, none per read) are printed at the end of each trial.
 *
 * <p>The file goes to {@code NVFRAME_BENCH_DIR}, then {@code -Dnvframe.bench.dir}, then {@code /dev/shm}.
 */
@State(Scope.Benchmark)
@Fork(jvmArgsAppend = {"--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"})
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class BttBenchmark {
  @Param({"512", "4096"})
  public int blockSize;

  /** dax mapping mode of the file ({@code auto}: MAP_SYNC where possible, else msync). */
  @Param({"auto"})
  public String mode;

  @Param({"1073741824"})
  public long size;

  Path file;
  Medium medium;
  Btt btt;
  long blocks;
  PersistStats start;
  final List<PerThread> threads = new CopyOnWriteArrayList<>();

  @Setup(Level.Trial)
  public void format() throws IOException {
    String dir = System.getenv("NVFRAME_BENCH_DIR");
    file = Files.createTempFile(Path.of(dir != null ? dir : System.getProperty("nvframe.bench.dir", "/dev/shm")),
        "nvframe-btt-jmh-", ".btt");
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(size);
    }
    medium = BttFiles.openMedium(file, false, "dax", Map.of("dax.mode", mode));
    btt = Btt.format(medium, 0, medium.size(), BttFormat.of(blockSize), Btt.Options.defaults());
    blocks = btt.blockCount();
    byte[] stamped = new byte[blockSize];
    for (long lba = 0; lba < blocks; lba++) {
      stamp(stamped, lba);
      btt.write(lba, stamped, 0);
    }
    start = medium.stats();
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    PersistStats used = medium.stats().minus(start);
    long n = Math.max(1, threads.stream().mapToLong(t -> t.ops).sum());
    System.err.printf("%n[nvframe] btt %d B blocks, dax.mode %s: %.3f fences/op, %.3f flushes/op over %d ops%n", blockSize,
        medium.properties().getOrDefault("dax.mode", mode), used.fences() / (double) n, used.flushes() / (double) n, n);
    medium.close();
    Files.deleteIfExists(file);
  }

  /** Per-thread state: a seeded generator, a block buffer and an operation count. */
  @State(Scope.Thread)
  public static class PerThread {
    SplittableRandom random;
    byte[] block;
    long ops;

    @Setup(Level.Trial)
    public void setUp(BttBenchmark b) {
      b.threads.add(this);
      random = new SplittableRandom(0x2545F4914F6CDD1DL * (b.threads.indexOf(this) + 1));
      block = new byte[b.blockSize];
    }
  }

  @Benchmark
  public void write(BttBenchmark b, PerThread t) {
    long lba = t.random.nextLong(b.blocks);
    stamp(t.block, lba);
    b.btt.write(lba, t.block, 0);
    t.ops++;
  }

  @Benchmark
  public long read(BttBenchmark b, PerThread t) {
    long lba = t.random.nextLong(b.blocks);
    b.btt.read(lba, t.block, 0);
    t.ops++;
    if (t.block[0] != (byte) lba) {
      throw new IllegalStateException("block " + lba + " holds another block's stamp " + t.block[0]);
    }
    return lba;
  }

  /** The block number's low byte in byte 0 (checked by {@link #read}). */
  static void stamp(byte[] block, long lba) {
    block[0] = (byte) lba;
  }
}
