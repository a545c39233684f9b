package io.nvframe.benchmarks.log;

import io.nvframe.redo.LogStats;
import io.nvframe.redo.RedoLog;
import io.nvframe.redo.WriteSet;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import io.nvframe.spi.ProviderConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Commit throughput of the redo log: a transaction updating 64 bytes (one COPY entry), one with two
 * aligned 8-byte changes in different cache lines (two SET8 entries), and a single 8-byte change
 * (the unlogged one-fence path). The backend is found by name through ServiceLoader, the way users
 * find it. Run with {@code -t 1} and {@code -t 2}; each thread commits to its own data slot, so
 * threads never change the same bytes.
 *
 * <p>Fences per operation are deterministic: after every iteration the benchmark divides the
 * medium's fence count by the number of commits and fails if the result is not the protocol's
 * budget (1 for logged commits, whose targets the next commit of the thread flushes, and 1 for a
 * single 8-byte change), so a reported time always belongs
 * to the protocol it claims to measure.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class RedoLogBenchmark {
  private static final int LANES = 8;
  private static final int LANE_SIZE = 4096;
  private static final long AREA = 4096;
  private static final long SLOT_BYTES = 4096;
  private static final int MAX_THREADS = 64;

  /** Backend name, resolved through ServiceLoader. */
  @Param({"heap"})
  public String backend;

  Medium medium;
  RedoLog log;
  long dataStart;
  final AtomicInteger nextSlot = new AtomicInteger();
  private PersistStats mediumBefore;
  private LogStats logBefore;

  @Setup(Level.Trial)
  public void open() {
    long size = AREA + (long) LANES * LANE_SIZE + MAX_THREADS * SLOT_BYTES;
    medium = provider(backend).create(new ProviderConfig(null, size, false, Map.of()));
    RedoLog.format(medium, AREA, LANES, LANE_SIZE);
    log = RedoLog.open(medium, AREA, LANES, LANE_SIZE);
    log.recover();
    dataStart = AREA + log.areaBytes();
  }

  @Setup(Level.Iteration)
  public void startCounting() {
    mediumBefore = medium.stats();
    logBefore = log.stats();
  }

  @TearDown(Level.Iteration)
  public void checkFenceBudget(BenchmarkParams params) {
    long fences = medium.stats().minus(mediumBefore).fences();
    LogStats now = log.stats();
    long commits = now.recordsWritten() + now.singleWordCommits()
        - logBefore.recordsWritten() - logBefore.singleWordCommits();
    long budget = 1;
    if (commits == 0 || fences != budget * commits) {
      throw new IllegalStateException(
          params.getBenchmark() + ": " + fences + " fences for " + commits + " commits, expected "
              + budget + " per commit");
    }
  }

  @TearDown(Level.Trial)
  public void close() {
    medium.close();
  }

  /** Per-thread transaction state: a reusable write set and a private data slot. */
  @State(Scope.Thread)
  public static class Tx {
    WriteSet ws;
    long slot;
    byte[] data;
    long counter;

    @Setup(Level.Trial)
    public void setUp(RedoLogBenchmark bench) {
      int index = bench.nextSlot.getAndIncrement();
      if (index >= MAX_THREADS) {
        throw new IllegalStateException("at most " + MAX_THREADS + " threads (-t); got more");
      }
      ws = bench.log.newWriteSet();
      slot = bench.dataStart + index * SLOT_BYTES;
      data = new byte[64];
      new Random(42 + index).nextBytes(data);
    }
  }

  /** A transaction updating 64 bytes of a frame: one COPY entry, 1 fence. */
  @Benchmark
  public void update64(Tx tx) {
    WriteSet ws = tx.ws;
    ws.clear();
    tx.data[0] = (byte) ++tx.counter;
    ws.write(tx.slot + 64, tx.data, 0, 64);
    log.commit(ws);
  }

  /** Two aligned 8-byte changes in different lines: two SET8 entries, 1 fence. */
  @Benchmark
  public void twoSet8(Tx tx) {
    WriteSet ws = tx.ws;
    ws.clear();
    long v = ++tx.counter;
    ws.putLong(tx.slot, v);
    ws.putLong(tx.slot + 128, v);
    log.commit(ws);
  }

  /** One aligned 8-byte change: atomic store + persist, 1 fence, no record. */
  @Benchmark
  public void singleSet8(Tx tx) {
    WriteSet ws = tx.ws;
    ws.clear();
    ws.putLong(tx.slot, ++tx.counter);
    log.commit(ws);
  }

  private static BackendProvider provider(String name) {
    List<String> seen = new ArrayList<>();
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class, RedoLogBenchmark.class.getClassLoader())) {
      if (p.name().equals(name)) {
        return p;
      }
      seen.add(p.name());
    }
    throw new IllegalStateException(
        "backend '" + name + "' is not on the benchmark class path (found " + seen
            + "); add its artifact to benchmarks/pom.xml or pass -p backend=<name>");
  }
}
