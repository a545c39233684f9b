package io.nvframe.benchmarks.region;

import io.nvframe.api.Frame;
import java.util.Arrays;
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

/**
 * The rewrite rows of {@code nvframe bench --ops tx_rewrite_1m,tx_rewrite_16m} and of
 * benchmarks/pmdk-tx-rewrite.c: each thread owns 1 MiB or 16 MiB of existing 4 KiB frames
 * (allocated in the trial set-up), and one operation is one transaction writing all of them with
 * content that changes every operation, so the redo record continues in extension frames
 * (log-redo/README.md, "Chained records"). The region, backend and mode are {@link
 * RegionBenchmark}'s ({@code -p backend=... -p mode=...}), which also prints fences and flushes per
 * operation at the end of the trial; {@code -p size=1m,16m} picks the size. At the end of the
 * trial every frame is read back; a frame that does not hold what the last transaction wrote fails
 * the trial.
 */
@Fork(jvmArgsAppend = {"--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"})
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RewriteBenchmark {
  static final int FRAME = 4096;

  /** A thread's frames ({@code size}: {@code 1m} or {@code 16m}) and the number of its last committed rewrite. */
  @State(Scope.Thread)
  public static class Frames {
    @Param({"1m", "16m"})
    public String size;

    Frame[] frames;
    final byte[] buf = new byte[FRAME];
    long seq;
    RegionBenchmark region;

    @Setup(Level.Trial)
    public void setUp(RegionBenchmark b, RegionBenchmark.PerThread t) {
      int bytes = switch (size) {
        case "1m" -> 1 << 20;
        case "16m" -> 16 << 20;
        default -> throw new IllegalArgumentException("size '" + size + "': use 1m or 16m");
      };
      region = b;
      frames = new Frame[bytes / FRAME];
      for (int k = 0; k < frames.length; k++) {
        frames[k] = b.region.allocate(0);
      }
      t.untimedPersists += frames.length; // one flush and one fence each, not the operation's
      // checked when the region closes: JMH may close it (Scope.Benchmark tear-down) while another
      // thread still runs its Scope.Thread tear-downs
      b.beforeClose.add(this::verify);
    }

    /** Frame {@code k}'s content after rewrite {@code seq}: seq and k in the first 16 bytes, then a byte pattern of both. */
    static void fill(byte[] b, long seq, int k) {
      Arrays.fill(b, (byte) (seq * 31 + k));
      for (int j = 0; j < 8; j++) {
        b[j] = (byte) (seq >>> (8 * j));
        b[8 + j] = (byte) ((long) k >>> (8 * j));
      }
    }

    /** Reads every frame back; throws if one does not hold the last rewrite's content. */
    void verify() {
      byte[] expected = new byte[FRAME];
      byte[] actual = new byte[FRAME];
      for (int k = 0; k < frames.length; k++) {
        fill(expected, seq, k);
        region.region.read(frames[k], 0, actual);
        int at = Arrays.mismatch(expected, actual);
        if (at >= 0) {
          throw new IllegalStateException(size + ": frame " + k + " of " + frames.length + " differs at byte " + at
              + " from what rewrite " + seq + " wrote");
        }
      }
    }
  }

  /** One transaction rewriting all of the thread's frames. */
  @Benchmark
  public void txRewrite(RegionBenchmark.PerThread t, Frames f) {
    long s = ++f.seq;
    Frame[] frames = f.frames;
    byte[] buf = f.buf;
    f.region.region.transact(tx -> {
      for (int k = 0; k < frames.length; k++) {
        Frames.fill(buf, s, k);
        tx.write(frames[k], 0, buf);
      }
    });
    t.ops++;
  }
}
