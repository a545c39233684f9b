package io.nvframe.cli;

import io.nvframe.api.Frame;
import io.nvframe.api.Region;
import io.nvframe.api.RegionStats;
import io.nvframe.core.RegionBuilder;
import io.nvframe.core.Regions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Quick built-in benchmarks with the operations of PMDK's peer programs ({@code ../shared/peers/pmdk}):
 * durable alloc+free of a 4 KiB frame, a transaction updating 64 B of a frame, and a transaction
 * allocating a 4 KiB frame and linking it. Like the PMDK programs, each thread runs each operation for
 * a fixed time; ops/s is the sum of the threads' rates, and link cleanup is not timed. Fences and
 * flushes per operation come from the medium's counters. For rigorous numbers use the JMH
 * benchmarks in {@code benchmarks/}.
 */
@Command(name = "bench", description = "Measure alloc+free, 64-byte transactional update and alloc+link transactions.")
final class BenchCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--backend", description = "Backend (default ${DEFAULT-VALUE}).") String backend = "dax";

  @Option(names = "--dir", description = "Folder for the region file (default ${DEFAULT-VALUE}).") Path dir = Path.of("/dev/shm");

  @Option(names = "--size", converter = Sizes.class, description = "Region size (default 1GiB).") long size = 1L << 30;

  @Option(names = "--seconds", description = "Measured seconds per operation and thread count (default ${DEFAULT-VALUE}).")
  double seconds = 2;

  @Option(names = "--threads", split = ",", description = "Thread counts (default 1,2).") List<Integer> threads = List.of(1, 2);

  @Option(names = "--ops", split = ",", converter = OpConverter.class, description = "Operations to run: ${COMPLETION-CANDIDATES} (default all).")
  List<Op> ops = List.of(Op.values());

  @Option(names = "--json", description = "Machine-readable output.") boolean json;

  @CommandLine.Mixin OpenOptions open = new OpenOptions();

  /** The operations; lower-case names on the command line. */
  enum Op {
    ALLOC_FREE_4K, TX_UPDATE_64B, TX_ALLOC_4K_LINK;

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Parses an operation name in any case ({@code tx_update_64b}, {@code TX_UPDATE_64B}). */
  static final class OpConverter implements CommandLine.ITypeConverter<Op> {
    @Override
    public Op convert(String value) {
      try {
        return Op.valueOf(value.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(
            "unknown operation '" + value + "'; use one of " + List.of(Op.values()));
      }
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    List<Map<String, Object>> rows = new ArrayList<>();
    Path file = null;
    RegionBuilder b = open.apply(Regions.builder().backend(backend).capacity(size).lanes(64));
    if (!backend.equals("heap")) {
      Files.createDirectories(dir);
      file = Files.createTempFile(dir, "nvframe-bench-", ".nvf");
      Files.delete(file);
      b.path(file);
    }
    try (Region region = b.create()) {
      String mode = region.info().medium().getOrDefault("dax.mode", "-");
      if (!json) {
        out.printf("nvframe bench: backend %s, mode %s, %s region in %s, %.1f s per point%n", backend, mode,
            Sizes.format(size), file == null ? "memory" : dir, seconds);
        out.printf("%-18s %7s %14s %10s %10s %10s%n", "operation", "threads", "ops/s", "ns/op", "fences/op", "flushes/op");
      }
      for (Op op : ops) {
        for (int t : threads) {
          run(region, op, t, seconds / 4); // warm-up
          Map<String, Object> row = run(region, op, t, seconds);
          row.put("backend", backend);
          row.put("mode", mode);
          rows.add(row);
          if (!json) {
            out.printf(Locale.ROOT, "%-18s %7d %,14.0f %10.0f %10.2f %10.2f%n", op.name().toLowerCase(Locale.ROOT), t,
                (double) row.get("opsPerSecond"), (double) row.get("nsPerOp"), (double) row.get("fencesPerOp"),
                (double) row.get("flushesPerOp"));
            out.flush();
          }
        }
      }
    } finally {
      if (file != null) {
        Files.deleteIfExists(file);
      }
    }
    if (json) {
      out.println(Json.write(rows));
    }
    return 0;
  }

  private static Map<String, Object> run(Region region, Op op, int threads, double seconds) throws Exception {
    long[] ops = new long[threads];
    long[] nanos = new long[threads];
    CyclicBarrier start = new CyclicBarrier(threads + 1);
    CyclicBarrier stop = new CyclicBarrier(threads + 1);
    List<Thread> workers = new ArrayList<>();
    Throwable[] failure = new Throwable[1];
    for (int i = 0; i < threads; i++) {
      int id = i;
      workers.add(Thread.ofPlatform().name("bench-" + i).start(() -> {
        try {
          long[] result = worker(region, op, start, (long) (seconds * 1e9));
          ops[id] = result[0];
          nanos[id] = result[1];
          stop.await();
        } catch (Throwable e) {
          synchronized (failure) {
            failure[0] = e;
          }
          start.reset();
          stop.reset();
        }
      }));
    }
    start.await();
    RegionStats before = region.stats();
    stop.await();
    RegionStats after = region.stats();
    for (Thread w : workers) {
      w.join();
    }
    if (failure[0] != null) {
      throw new IllegalStateException("benchmark thread failed", failure[0]);
    }
    long total = 0;
    double rate = 0;
    double nsPerOp = 0;
    for (int i = 0; i < threads; i++) {
      total += ops[i];
      rate += ops[i] / (nanos[i] / 1e9);
      nsPerOp += nanos[i] / (double) ops[i] / threads;
    }
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("operation", op.name().toLowerCase(Locale.ROOT));
    row.put("threads", threads);
    row.put("ops", total);
    row.put("opsPerSecond", rate);
    row.put("nsPerOp", nsPerOp);
    // link cleanup (frees outside the timed part) is excluded from the counts as well
    long cleanupFences = op == Op.TX_ALLOC_4K_LINK ? total : 0;
    row.put("fencesPerOp", (after.fences() - before.fences() - cleanupFences) / (double) total);
    row.put("flushesPerOp", (after.flushes() - before.flushes() - cleanupFences) / (double) total);
    return row;
  }

  /** Runs {@code op} for {@code budget} ns of timed work; returns {ops, timed ns}. */
  private static long[] worker(Region region, Op op, CyclicBarrier start, long budget) throws Exception {
    Frame page = region.allocate(0);
    Frame links = region.allocate(0);
    byte[] data = new byte[64];
    List<Frame> linked = new ArrayList<>(512);
    start.await();
    long ops = 0;
    long timed = 0;
    int offset = 0;
    while (timed < budget) {
      long t0 = System.nanoTime();
      int batch = 512;
      switch (op) {
        case ALLOC_FREE_4K -> {
          for (int i = 0; i < batch; i++) {
            region.free(region.allocate(0));
          }
        }
        case TX_UPDATE_64B -> {
          for (int i = 0; i < batch; i++) {
            int off = offset;
            offset = (offset + 64) & 4095;
            data[0]++;
            region.transact(tx -> tx.write(page, off, data));
          }
        }
        case TX_ALLOC_4K_LINK -> {
          for (int i = 0; i < batch; i++) {
            int slot = i;
            region.transact(tx -> {
              Frame f = tx.allocate(0);
              tx.putLong(links, slot * 8L, f.pfn());
              linked.add(f);
            });
          }
        }
      }
      timed += System.nanoTime() - t0;
      ops += batch;
      for (Frame f : linked) {
        region.free(f);
      }
      linked.clear();
    }
    region.free(page);
    region.free(links);
    return new long[] {ops, timed};
  }
}
