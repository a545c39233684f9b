package io.nvframe.benchmarks.allocator;

import io.nvframe.buddy.BuddyAllocator;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import io.nvframe.spi.ProviderConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Durable allocate + free pairs of the buddy allocator, and the open (rebuild) of a 1 GiB region's
 * frame table (262144 frames of 4 KiB).
 *
 * <ul>
 *   <li>{@code allocFree*}: one {@code allocate} immediately followed by its {@code free}; each op
 *       is one 8-byte store + one persist on the medium. The score is pairs per second.
 *   <li>{@code allocFreeBatch*}: 64 allocations, then their 64 frees (cache refills and drains
 *       under the lock take part). The score is pairs per second.
 *   <li>{@code orders = 0}: 4 KiB frames; {@code orders = 0-4}: a fixed-seed mix of 4..64 KiB.
 *   <li>{@code open}: {@link BuddyAllocator#open} of a 262144-frame table, empty or fragmented.
 * </ul>
 *
 * <p>The medium comes from the backend named by {@code backend}, found through ServiceLoader as
 * users find it. The trial teardown checks that every operation cost exactly one store, one flush
 * and one fence (fences/op = 1) and that the allocator's invariants hold; a benchmark that breaks
 * them fails instead of reporting a number.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar BuddyAllocatorBenchmark -f 1 -wi 2 -i 3
 * -w 1 -r 2}.
 */
public class BuddyAllocatorBenchmark {
  /** 1 GiB of 4 KiB pages. */
  static final long FRAMES = 262_144;

  static final int MAX_ORDER = 10;

  /** The backend named {@code name}, found the way users find it. */
  static Medium newMedium(String name, long capacity) {
    List<String> seen = new ArrayList<>();
    for (BackendProvider p : ServiceLoader.load(
        BackendProvider.class, BuddyAllocatorBenchmark.class.getClassLoader())) {
      if (p.name().equals(name)) {
        return p.create(new ProviderConfig(null, capacity, false, Map.of()));
      }
      seen.add(p.name());
    }
    throw new IllegalStateException("backend '" + name + "' is not on the class path (installed: "
        + seen + "); add its artifact to the benchmarks module");
  }

  /** The allocator under test, shared by the benchmark's threads. */
  @State(Scope.Benchmark)
  public static class Shared {
    @Param({"heap"})
    public String backend;

    @Param({"0", "0-4"})
    public String orders;

    Medium medium;
    BuddyAllocator allocator;
    PersistStats start;
    /** Every thread's counter; summed once all threads are done (trial teardown). */
    final Queue<PerThread> threads = new ConcurrentLinkedQueue<>();

    @Setup(Level.Trial)
    public void setUp() {
      medium = newMedium(backend, BuddyAllocator.tableBytes(FRAMES));
      BuddyAllocator.format(medium, 0, FRAMES);
      allocator = BuddyAllocator.open(medium, 0, FRAMES, MAX_ORDER);
      start = medium.stats();
    }

    @TearDown(Level.Trial)
    public void check() {
      PersistStats cost = medium.stats().minus(start);
      long n = 0;
      for (PerThread t : threads) {
        n += t.ops;
      }
      if (n == 0 || cost.fences() != n || cost.flushes() != n || cost.stores() != n) {
        throw new IllegalStateException("expected 1 store, 1 flush and 1 fence per op over " + n
            + " ops, measured " + cost);
      }
      allocator.drainCaches();
      allocator.checkInvariants();
      if (allocator.stats().freeFrames() != FRAMES) {
        throw new IllegalStateException("frames leaked: " + allocator);
      }
      medium.close();
    }
  }

  /** One thread's order sequence (fixed seed) and op count. */
  @State(Scope.Thread)
  public static class PerThread {
    static final int BATCH = 64;
    int[] orderSequence;
    int next;
    /**
     * Allocations plus frees done by this thread. A plain field: the trial teardown reads it after
     * JMH has synchronised all threads at the end of the run.
     */
    long ops;
    final long[] handles = new long[BATCH];
    final int[] handleOrders = new int[BATCH];

    @Setup(Level.Trial)
    public void setUp(Shared shared, ThreadParams params) {
      shared.threads.add(this);
      Random rnd = new Random(42 + params.getThreadIndex());
      orderSequence = new int[1024];
      for (int i = 0; i < orderSequence.length; i++) {
        orderSequence[i] = switch (shared.orders) {
          case "0" -> 0;
          case "0-4" -> rnd.nextInt(5);
          default -> throw new IllegalArgumentException(
              "orders must be 0 or 0-4, got " + shared.orders);
        };
      }
    }

    int nextOrder() {
      int o = orderSequence[next];
      next = (next + 1) & (orderSequence.length - 1);
      return o;
    }
  }

  static long pair(Shared s, PerThread t) {
    int order = t.nextOrder();
    long h = s.allocator.allocate(order, 1);
    if (h == BuddyAllocator.NO_FRAME) {
      throw new IllegalStateException("out of frames: " + s.allocator);
    }
    s.allocator.free(BuddyAllocator.handlePfn(h), order, BuddyAllocator.handleGeneration(h));
    t.ops += 2;
    return h;
  }

  static long batch(Shared s, PerThread t) {
    long sum = 0;
    for (int i = 0; i < PerThread.BATCH; i++) {
      int order = t.nextOrder();
      long h = s.allocator.allocate(order, 1);
      if (h == BuddyAllocator.NO_FRAME) {
        throw new IllegalStateException("out of frames: " + s.allocator);
      }
      t.handles[i] = h;
      t.handleOrders[i] = order;
      sum += h;
    }
    for (int i = 0; i < PerThread.BATCH; i++) {
      long h = t.handles[i];
      s.allocator.free(BuddyAllocator.handlePfn(h), t.handleOrders[i],
          BuddyAllocator.handleGeneration(h));
    }
    t.ops += 2 * PerThread.BATCH;
    return sum;
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @Threads(1)
  public long allocFree(Shared s, PerThread t) {
    return pair(s, t);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @Threads(2)
  public long allocFree2Threads(Shared s, PerThread t) {
    return pair(s, t);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(PerThread.BATCH)
  @Threads(1)
  public long allocFreeBatch(Shared s, PerThread t) {
    return batch(s, t);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(PerThread.BATCH)
  @Threads(2)
  public long allocFreeBatch2Threads(Shared s, PerThread t) {
    return batch(s, t);
  }

  /** A formatted 262144-frame table to open: empty, or fragmented by random allocations. */
  @State(Scope.Benchmark)
  public static class OpenState {
    @Param({"heap"})
    public String backend;

    @Param({"empty", "fragmented"})
    public String table;

    Medium medium;

    @Setup(Level.Trial)
    public void setUp() {
      medium = newMedium(backend, BuddyAllocator.tableBytes(FRAMES));
      BuddyAllocator.format(medium, 0, FRAMES);
      if (table.equals("fragmented")) {
        BuddyAllocator a = BuddyAllocator.open(medium, 0, FRAMES, MAX_ORDER);
        Random rnd = new Random(42);
        List<long[]> held = new ArrayList<>();
        long used = 0;
        while (used < FRAMES / 2) {
          int order = rnd.nextInt(5);
          held.add(new long[] {a.allocate(order, 1 + held.size()), order});
          used += 1L << order;
        }
        for (int i = 0; i < held.size(); i += 2) { // free every other block
          long[] x = held.get(i);
          a.free(BuddyAllocator.handlePfn(x[0]), (int) x[1], BuddyAllocator.handleGeneration(x[0]));
        }
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      medium.close();
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public BuddyAllocator open(OpenState o) {
    return BuddyAllocator.open(o.medium, 0, FRAMES, MAX_ORDER);
  }
}
