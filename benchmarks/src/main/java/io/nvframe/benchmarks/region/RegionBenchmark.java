package io.nvframe.benchmarks.region;

import io.nvframe.api.Frame;
import io.nvframe.api.Region;
import io.nvframe.api.RegionStats;
import io.nvframe.api.Transaction;
import io.nvframe.core.BackendInfo;
import io.nvframe.core.RegionBuilder;
import io.nvframe.core.Regions;
import io.nvframe.spi.Capability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The operations of DESIGN.md §7, through the public API and the same backend selection path as
 * users: durable alloc+free of a 4 KiB frame, a transaction updating 64 B in a frame, and a
 * transaction allocating a frame and linking it. Compare with {@code ../shared/peers/pmdk}
 * (obj_alloc_free_4k, obj_tx_update64_in4k, obj_tx_alloc4k_link) in the same mode:
 *
 * <ul>
 *   <li>{@code dax} + {@code emulate} on /dev/shm = PMDK with {@code PMEM_IS_PMEM_FORCE=1} (flush mode)
 *   <li>{@code dax} + {@code msync} on /dev/shm = PMDK without it (msync mode)
 * </ul>
 *
 * The region directory comes from {@code NVFRAME_BENCH_DIR}, then {@code -Dnvframe.bench.dir},
 * then {@code /dev/shm}. Fences and flushes per operation are printed at the end of each trial;
 * they leave out the frames each thread sets up and the untimed frees of linked frames, so they are
 * exactly the cost of the measured operation.
 *
 * <p>The forks open {@code java.base/jdk.internal.misc} so that {@code emulate} uses the split
 * write-back (line write-backs at flush, one store fence at fence, like PMDK's flush mode); with
 * only the export it falls back to one fence per flush (backend-dax {@code CacheLineWriteback}).
 *
 * <p>{@code backend} takes any installed backend ({@code heap}, {@code dax}, the example {@code
 * chronicle}, ...): the same rows as {@code nvframe bench --backends}. {@code mode} is the dax
 * mapping mode; other backends have none and need {@code -p mode=default}. A backend whose probe
 * fails here (chronicle without its JVM flags, which the forks get from {@code -jvmArgsAppend}, see
 * benchmarks/README.md) stops the trial with the probe's reason.
 */
@State(Scope.Benchmark)
@Fork(jvmArgsAppend = {"--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"})
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RegionBenchmark {
  @Param({"dax"})
  public String backend;

  /** dax mapping mode, or {@code default} (the backend's own choice; the only value for other backends). */
  @Param({"emulate", "msync"})
  public String mode;

  Region region;
  Path file;
  /** Every thread's state, to sum operation counts and untimed persists at the end. */
  final List<PerThread> threads = new CopyOnWriteArrayList<>();
  /** Run at the end of the trial before the region closes (RewriteBenchmark's content checks). */
  final List<Runnable> beforeClose = new CopyOnWriteArrayList<>();
  RegionStats start;

  @Setup(Level.Trial)
  public void open() throws IOException {
    String dir = System.getenv("NVFRAME_BENCH_DIR");
    if (dir == null) {
      dir = System.getProperty("nvframe.bench.dir", "/dev/shm");
    }
    BackendInfo info = Regions.availableBackends().stream().filter(i -> i.name().equals(backend)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("backend '" + backend + "' is not installed; installed: "
            + Regions.availableBackends().stream().map(BackendInfo::name).toList()));
    if (!info.available()) {
      throw new IllegalStateException("backend '" + backend + "' cannot run in this JVM: " + info.reason());
    }
    if (!backend.equals("dax") && !mode.equals("default")) {
      throw new IllegalArgumentException("mode '" + mode + "' is a dax mapping mode; run " + backend + " with -p mode=default");
    }
    RegionBuilder b = Regions.builder().backend(backend).capacity(1L << 30).lanes(64);
    if (!info.capabilities().contains(Capability.VOLATILE)) {
      file = Files.createTempFile(Path.of(dir), "nvframe-bench-", ".nvf");
      Files.delete(file);
      b.path(file);
    }
    if (!mode.equals("default")) {
      b.option("dax.mode", mode);
    }
    region = b.create();
    start = region.stats();
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    beforeClose.forEach(Runnable::run);
    RegionStats end = region.stats();
    long n = 0;
    long untimed = 0; // set-up allocations and unlink frees: one flush and one fence each
    for (PerThread t : threads) {
      n += t.ops;
      untimed += t.untimedPersists;
    }
    n = Math.max(1, n);
    System.err.printf("%n[nvframe] %s/%s: %.3f fences/op, %.3f flushes/op over %d ops (%s)%n", backend, mode,
        (end.fences() - start.fences() - untimed) / (double) n,
        (end.flushes() - start.flushes() - untimed) / (double) n, n,
        region.info().medium().getOrDefault("dax.writeback", "-"));
    region.close();
    if (file != null) {
      Files.deleteIfExists(file);
    }
  }

  /** Per-thread state: a page to update and a page of links. */
  @State(Scope.Thread)
  public static class PerThread {
    Frame page;
    Frame links;
    int offset;
    /** The offset the current {@link #update} body writes. */
    int target;
    final byte[] data = new byte[64];
    /** One body for every {@link #txUpdate64} call, so the measured loop allocates nothing. */
    final Consumer<Transaction> update = tx -> tx.write(page, target, data);
    /** The link slot the current {@link #allocLink} body fills, and the list it adds the frame to. */
    int slot;
    List<Frame> linked;
    /** One body for every {@link #txAllocLink} transaction: it allocates only the frame the API returns. */
    final Consumer<Transaction> allocLink = tx -> {
      Frame f = tx.allocate(0);
      tx.putLong(links, slot * 8L, f.pfn());
      linked.add(f);
    };
    /** Operations done by this thread (plain field: no shared counter on the measured path). */
    long ops;
    /** Durable allocations and frees outside the measured operations. */
    long untimedPersists;

    @Setup(Level.Trial)
    public void setUp(RegionBenchmark b) {
      page = b.region.allocate(0);
      links = b.region.allocate(0);
      untimedPersists += 2;
      b.threads.add(this);
    }

  }

  /**
   * The frames one {@link #txAllocLink} invocation linked, freed after it untimed. A state of its own,
   * used by that benchmark alone: a {@code Level.Invocation} fixture costs JMH a few nanoseconds per
   * call, which would otherwise be charged to the much shorter {@link #allocFree4k} and
   * {@link #txUpdate64} calls as well.
   */
  @State(Scope.Thread)
  public static class Links {
    final List<Frame> linked = new ArrayList<>(LINKS);

    @TearDown(Level.Invocation)
    public void unlink(RegionBenchmark b, PerThread t) {
      for (Frame f : linked) {
        b.region.free(f);
      }
      t.untimedPersists += linked.size();
      linked.clear();
    }
  }

  static final int LINKS = 512;

  @Benchmark
  public void allocFree4k(PerThread t) {
    Frame f = region.allocate(0);
    region.free(f);
    t.ops++;
  }

  @Benchmark
  public void txUpdate64(PerThread t) {
    t.target = t.offset;
    t.offset = (t.offset + 64) & 4095;
    t.data[0]++;
    region.transact(t.update);
    t.ops++;
  }

  /** {@value #LINKS} transactions each allocating a 4 KiB frame and storing its pfn in a link slot. */
  @Benchmark
  @OperationsPerInvocation(LINKS)
  public void txAllocLink(PerThread t, Links l) {
    t.linked = l.linked;
    for (int i = 0; i < LINKS; i++) {
      t.slot = i;
      region.transact(t.allocLink);
    }
    t.ops += LINKS;
  }
}
