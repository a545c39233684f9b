package io.nvframe.cli;

import io.nvframe.api.Frame;
import io.nvframe.api.Region;
import io.nvframe.api.RegionStats;
import io.nvframe.backend.btt.BttBackendProvider;
import io.nvframe.core.BackendInfo;
import io.nvframe.core.RegionBuilder;
import io.nvframe.core.Regions;
import io.nvframe.spi.Capability;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Quick built-in benchmarks with the operations of PMDK's peer programs ({@code ../shared/peers/pmdk}):
 * durable alloc+free of a 4 KiB frame, a transaction updating 64 B of a frame, and a transaction
 * allocating a 4 KiB frame and linking it; on the {@code btt} backend also random 4 KiB and 512 B
 * BTT block writes and reads ({@link BlockBench}, libpmemblk's {@code blk_rw}); named with {@code
 * --ops} only, transactions rewriting 1 MiB or 16 MiB of a thread's existing frames ({@link
 * BenchRegionWork.Rewrite}, benchmarks/pmdk-tx-rewrite.c). The measuring loop is {@link
 * BenchHarness} (fixed time per thread, rates summed, latency batches); link cleanup is not timed.
 * Each point first runs unmeasured for {@code --warmup} seconds (the JIT), then {@code --repeats}
 * measured times, all on the same threads and frames. The operations run one after the other in
 * this JVM, so the code they share is compiled with the profile of the first: for figures to put
 * beside JMH, run one operation per JVM ({@code --ops}) or use {@code --backends}, which does. Fences and flushes per operation come from the
 * medium's counters, read while every worker waits at a barrier, minus the untimed cleanup frees
 * (one flush and one fence each), so they are exact. {@code --backends} compares backends, each
 * backend and operation in a JVM of its own ({@link BackendComparison}). {@code --open-region} measures region open instead
 * (PMDK's {@code pool_open.c}). {@code benchmarks/compare-pmdk.sh} runs both side by side with
 * PMDK; for rigorous numbers use the JMH benchmarks in {@code benchmarks/}.
 */
@Command(name = "bench", description = "Measure alloc+free, 64-byte transactional update and alloc+link transactions "
    + "(and, on btt, random 4 KiB and 512 B block writes and reads; with --ops, transactions rewriting 1 or 16 MiB); "
    + "--backends compares backends (table, --json FILE, --chart FILE.png).")
final class BenchCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--backend", description = "Backend (default ${DEFAULT-VALUE}).") String backend = "dax";

  @Option(names = "--dir", description = "Folder for the region file (default ${DEFAULT-VALUE}).") Path dir = Path.of("/dev/shm");

  @Option(names = "--size", converter = Sizes.class, description = "Region size (default 1GiB).") long size = 1L << 30;

  @Option(names = "--seconds", description = "Measured seconds per operation and thread count (default ${DEFAULT-VALUE}).")
  double seconds = 2;

  @Option(names = "--warmup", description = "Unmeasured seconds before each point, for the JIT (default: half of --seconds, at least 1).")
  Double warmup;

  @Option(names = "--threads", split = ",", description = "Thread counts (default 1,2).") List<Integer> threads = List.of(1, 2);

  @Option(names = "--ops", split = ",", converter = OpConverter.class,
      description = "Operations to run: ${COMPLETION-CANDIDATES} (default all but the tx_rewrite_ ones).")
  List<Op> ops = Op.defaults();

  @Option(names = "--open-region", paramLabel = "PATH",
      description = "Measure region open instead: create PATH if absent (like PMDK's pool_open.c: --size, "
          + OPEN_FRAMES + " allocated 4 KiB frames filled with 0x11, at most half the frames), then open it"
          + " --open-repeats times.")
  Path openRegion;

  @Option(names = "--open-repeats", description = "Opens of --open-region in this JVM (default ${DEFAULT-VALUE}); "
      + "the first is a cold open when the file existed before this run.")
  int openRepeats = 20;

  @Option(names = "--json", arity = "0..1", fallbackValue = "-", paramLabel = "FILE",
      description = "Machine-readable output: written to FILE next to the table, or, without FILE, printed instead of the table.")
  String json;

  @Option(names = "--backends", split = ",", paramLabel = "NAME",
      description = "Compare these backends (e.g. heap,dax,btt,chronicle): each runs in its own JVM with the flags it "
          + "declares; backends not installed or not usable here are skipped with the reason.")
  List<String> backends;

  @Option(names = "--backend-path", split = ",", paramLabel = "JAR|DIR",
      description = "With --backends: more backends, from these jars (a folder: the jars in it), e.g. a third-party "
          + "backend and its libraries.")
  List<Path> backendPath;

  @Option(names = "--chart", paramLabel = "FILE.png", description = "With --backends: a bar chart of the medians (PNG).")
  Path chart;

  @Option(names = "--repeats", description = "Measured repetitions of each point, after one warm-up; medians and spread "
      + "are over them (default: 5 with --backends, else 1).")
  Integer repeats;

  /** Set by {@link BackendComparison} in the child JVM it starts: write raw rows there, print progress. */
  @Option(names = "--child-report", hidden = true) Path childReport;

  /** Frames allocated and written in a region made for --open-region (pool_open.c's NOBJ). */
  static final int OPEN_FRAMES = 16_384;

  @CommandLine.Mixin OpenOptions open = new OpenOptions();

  /**
   * The operations; lower-case names on the command line. The {@code blk_} operations are BTT block
   * writes and reads ({@link BlockBench}); they apply to the {@code btt} backend only, and are left
   * out for every other one.
   */
  enum Op {
    ALLOC_FREE_4K(0, false, 0), TX_UPDATE_64B(0, false, 0), TX_ALLOC_4K_LINK(0, false, 0),
    BLK_WRITE_4K(4096, true, 0), BLK_READ_4K(4096, false, 0), BLK_WRITE_512(512, true, 0), BLK_READ_512(512, false, 0),
    TX_REWRITE_1M(0, false, 1 << 20), TX_REWRITE_16M(0, false, 16 << 20);

    /** Block size of a block operation, 0 for a region operation. */
    final int blockSize;
    /** A block write (else a block read). */
    final boolean write;
    /** Bytes a rewrite transaction writes (in existing 4 KiB frames of its thread), 0 for the other operations. */
    final long rewriteBytes;

    Op(int blockSize, boolean write, long rewriteBytes) {
      this.blockSize = blockSize;
      this.write = write;
      this.rewriteBytes = rewriteBytes;
    }

    /**
     * The operations {@code bench} runs without {@code --ops}: all but the rewrites. A rewrite
     * transaction of 16 MiB takes milliseconds and each thread holds twice its size in frames
     * (its data and the record's extension frames), so the two would add about half to the time of
     * a plain {@code bench} and need a region of more than 64 MiB per thread; they are named with
     * {@code --ops} (benchmarks/compare-pmdk.sh part {@code rewrite} does).
     */
    static List<Op> defaults() {
      return Arrays.stream(values()).filter(op -> op.rewriteBytes == 0).toList();
    }

    /**
     * Free frames a thread needs for this operation: for a rewrite its data frames and the redo
     * record's extension frames (the record's payload is the data and at most 16 bytes of entry
     * header per frame, each extension block has a 64-byte link header; one frame in 32 and 16
     * more cover both); 2 (a frame to update, a frame of links) for the other operations.
     */
    long framesPerThread() {
      long frames = rewriteBytes / BenchRegionWork.FRAME;
      return rewriteBytes == 0 ? 2 : 2 * frames + frames / 32 + 16;
    }

    boolean isBlock() {
      return blockSize > 0;
    }

    /** Region operations run on every backend, block operations on {@code btt} only. */
    boolean appliesTo(String backend) {
      return !isBlock() || BttBackendProvider.NAME.equals(backend);
    }

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
    if (openRegion != null) {
      return measureOpen();
    }
    if (repeats != null && repeats < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--repeats must be at least 1");
    }
    if (backends == null && ops.stream().noneMatch(op -> op.appliesTo(backend))) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--ops " + ops + ": the blk_ operations need --backend "
          + BttBackendProvider.NAME + " (they write and read BTT blocks)");
    }
    if (backends != null) {
      return new BackendComparison(this, spec.commandLine().getOut()).run();
    }
    if (chart != null || backendPath != null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          (chart != null ? "--chart" : "--backend-path") + " needs --backends (one or more backends to compare)");
    }
    boolean jsonOnly = "-".equals(json);
    boolean quiet = jsonOnly || childReport != null;
    int reps = repeats == null ? 1 : repeats;
    PrintWriter out = spec.commandLine().getOut();
    List<Map<String, Object>> rows = new ArrayList<>();
    Path file = null;
    if (childReport != null) {
      Optional<BackendInfo> info = Regions.availableBackends().stream().filter(i -> i.name().equals(backend)).findFirst();
      String why = info.isEmpty() ? "not installed (no provider named '" + backend + "' on the class path)"
          : info.get().available() ? null : info.get().reason();
      if (why != null) {
        BackendComparison.writeSkipped(childReport, why);
        return 0;
      }
    }
    RegionBuilder b = open.apply(Regions.builder().backend(backend).capacity(size).lanes(64));
    if (!isVolatile(backend)) {
      Files.createDirectories(dir);
      file = Files.createTempFile(dir, "nvframe-bench-", ".nvf");
      Files.delete(file);
      b.path(file);
    }
    try (Region region = b.create()) {
      // the backend's mode property ("dax.mode", "chronicle.mode", ...), if it has one
      Map<String, String> props = region.info().medium();
      String mode = props.getOrDefault(backend + ".mode", props.getOrDefault("dax.mode", "-"));
      String writeback = props.getOrDefault("dax.writeback", "-");
      String msync = props.getOrDefault("dax.msync", "-"); // how msync mode syncs: merged, fdatasync, per-flush
      if (!quiet) {
        out.printf("nvframe bench: backend %s, mode %s%s%s, %s region in %s, %.1f s per point%s%n", backend, mode,
            writeback.equals("-") ? "" : " (write-back " + writeback + ")",
            msync.equals("-") ? "" : " (dax.msync=" + msync + ")", Sizes.format(size),
            file == null ? "memory" : dir, seconds, reps == 1 ? "" : ", " + reps + " repetitions");
        out.printf("%-18s %7s %14s %10s %8s %8s %10s %10s%n", "operation", "threads", "ops/s", "ns/op", "p50 ns",
            "p99 ns", "fences/op", "flushes/op");
      }
      BlockBench blocks = null; // the BTT file of the current block size, for the blk_ operations
      try {
        for (Op op : ops) {
          if (!op.appliesTo(backend)) {
            continue;
          }
          if (op.isBlock() && (blocks == null || blocks.blockSize() != op.blockSize)) {
            if (blocks != null) {
              blocks.close();
              blocks = null;
            }
            blocks = BlockBench.create(dir, size, op.blockSize, daxModeOption());
          }
          for (int t : threads) {
            // one warm-up phase, then the repetitions, on the same threads (BenchHarness)
            double[] phases = new double[1 + reps];
            Arrays.fill(phases, seconds);
            phases[0] = warmup != null ? warmup : Math.max(1, seconds / 2);
            List<Map<String, Object>> measured = run(region, blocks, op, t, phases, phase -> progress());
            for (int rep = 1; rep <= reps; rep++) {
              Map<String, Object> row = measured.get(rep);
              row.put("backend", backend);
              row.put("mode", op.isBlock() ? blocks.mode() : mode);
              row.put("writeback", writeback);
              row.put("msync", msync);
              if (reps > 1) {
                row.put("repetition", rep);
              }
              rows.add(row);
              if (!quiet) {
                out.printf(Locale.ROOT, "%-18s %7d %,14.0f %10.0f %8.0f %8.0f %10.2f %10.2f%n",
                    op, t, (double) row.get("opsPerSecond"), (double) row.get("nsPerOp"),
                    (double) row.get("p50Ns"), (double) row.get("p99Ns"), (double) row.get("fencesPerOp"),
                    (double) row.get("flushesPerOp"));
                out.flush();
              }
            }
          }
        }
      } finally {
        if (blocks != null) {
          blocks.close();
        }
      }
    } finally {
      if (file != null) {
        Files.deleteIfExists(file);
      }
    }
    if (childReport != null) {
      BackendComparison.writeRows(childReport, rows);
    } else if (jsonOnly) {
      out.println(Json.write(rows));
    } else if (json != null) {
      BackendComparison.writeFile(Path.of(json), Json.write(rows));
      out.println("JSON: " + json);
    }
    return 0;
  }

  /** In a child JVM of {@link BackendComparison}: one line per finished warm-up or repetition. */
  private void progress() {
    if (childReport != null) {
      PrintWriter out = spec.commandLine().getOut();
      out.println(BackendComparison.PROGRESS_LINE);
      out.flush();
    }
  }

  /** Volatile backends (heap) need no path; every other one gets a file in --dir. */
  private static boolean isVolatile(String name) {
    return Regions.availableBackends().stream()
        .anyMatch(i -> i.name().equals(name) && i.capabilities().contains(Capability.VOLATILE));
  }

  /**
   * Region open time, the counterpart of PMDK's {@code pool_open.c}: wall time of {@code
   * Regions.builder()...open()} (backend lookup, mapping, lock, header check, redo-lane scan,
   * allocator rebuild, roots) and the region's own {@code open.ms} (from header check on). The
   * first open in a JVM that did not create the file is a cold open (class loading, interpreter);
   * the others are warm.
   */
  private Integer measureOpen() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (openRepeats < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--open-repeats must be at least 1");
    }
    boolean created = false;
    double createMs = Double.NaN;
    long filled = 0;
    if (!Files.exists(openRegion)) {
      long t0 = System.nanoTime();
      boolean done = false;
      try (Region region = open.apply(Regions.builder().backend(backend).path(openRegion).capacity(size)).create()) {
        // pool_open.c's 16384 objects; at most half the frames of a small region
        filled = Math.min(OPEN_FRAMES, region.info().frameCount() / 2);
        byte[] fill = new byte[4096];
        Arrays.fill(fill, (byte) 0x11);
        for (long i = 0; i < filled; i++) {
          Frame f = region.allocate(0);
          region.write(f, 0, fill);
          region.persist(f, 0, fill.length);
        }
        done = true;
      } finally {
        if (!done) {
          Files.deleteIfExists(openRegion);
        }
      }
      createMs = (System.nanoTime() - t0) / 1e6;
      created = true;
    }
    // the application's logging backend starts on the first logger lookup; time it apart (it is
    // not part of opening a region, and every command pays it once)
    long l0 = System.nanoTime();
    org.slf4j.LoggerFactory.getILoggerFactory();
    double loggingInitMs = (System.nanoTime() - l0) / 1e6;
    double[] wall = new double[openRepeats];
    double[] internal = new double[openRepeats];
    String mode = "-";
    for (int i = 0; i < openRepeats; i++) {
      long t0 = System.nanoTime();
      try (Region region = open.open(openRegion)) {
        wall[i] = (System.nanoTime() - t0) / 1e6;
        Map<String, String> props = region.info().medium();
        internal[i] = Double.parseDouble(props.getOrDefault("open.ms", "NaN"));
        mode = props.getOrDefault("dax.mode", "-");
      }
    }
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("operation", "open_region");
    row.put("path", openRegion.toString());
    row.put("mode", mode);
    row.put("createdThisRun", created);
    if (created) {
      row.put("createMs", createMs);
      row.put("framesFilled", filled);
    }
    row.put("loggingInitMs", loggingInitMs);
    row.put("firstOpenMs", wall[0]);
    row.put("firstOpenInternalMs", internal[0]);
    if (openRepeats > 1) {
      double[] rest = Arrays.copyOfRange(wall, 1, wall.length);
      double[] restInternal = Arrays.copyOfRange(internal, 1, internal.length);
      Arrays.sort(rest);
      Arrays.sort(restInternal);
      row.put("warmOpenMsMedian", rest[rest.length / 2]);
      row.put("warmOpenMsMin", rest[0]);
      row.put("warmOpenMsMax", rest[rest.length - 1]);
      row.put("warmOpenInternalMsMedian", restInternal[restInternal.length / 2]);
    }
    if (json != null) {
      out.println(Json.write(List.of(row)));
    } else {
      if (created) {
        out.printf(Locale.ROOT, "created %s (%s, %d frames of 4 KiB allocated and written) in %.1f ms%n", openRegion,
            Sizes.format(size), filled, createMs);
      }
      out.printf(Locale.ROOT, "open %s (mode %s): first open %.2f ms (region's open.ms %.2f)%s; logging start-up before it %.1f ms%n",
          openRegion, mode, wall[0], internal[0],
          created ? ", after creating it in this JVM: not cold" : ", cold: first open in this JVM", loggingInitMs);
      if (openRepeats > 1) {
        out.printf(Locale.ROOT, "warm opens (%d): median %.2f ms [%.2f .. %.2f] (region's open.ms median %.2f)%n",
            openRepeats - 1, (double) row.get("warmOpenMsMedian"), (double) row.get("warmOpenMsMin"),
            (double) row.get("warmOpenMsMax"), (double) row.get("warmOpenInternalMsMedian"));
      }
    }
    return 0;
  }

  /** The dax.mode given with --dax-mode or -o dax.mode=..., else auto: the mapping of the block rows' BTT file. */
  private String daxModeOption() {
    return open.daxMode != null ? open.daxMode : open.options.getOrDefault("dax.mode", "auto");
  }

  /**
   * One operation on {@code threads} threads through the phases (seconds each, the first a warm-up)
   * on the same threads: a block operation on {@code blocks}, else on the region. One row per phase.
   */
  private static List<Map<String, Object>> run(Region region, BlockBench blocks, Op op, int threads, double[] phases,
      IntConsumer phaseDone) throws Exception {
    List<BenchHarness.Result> results;
    long uncounted = 0;
    LongAdder verified = new LongAdder();
    if (op.isBlock()) {
      results = blocks.run(op.write, threads, phases, phaseDone);
    } else {
      long need = threads * op.framesPerThread();
      long free = region.stats().freeFrames();
      if (need > free) {
        throw new IllegalArgumentException(op + " on " + threads + " thread(s) needs about " + need + " free 4 KiB frames ("
            + Sizes.format(need * BenchRegionWork.FRAME) + "), the region has " + free + " ("
            + Sizes.format(free * BenchRegionWork.FRAME) + "); give a larger --size");
      }
      results = BenchHarness.run(threads, phases, () -> {
        RegionStats s = region.stats();
        return new long[] {s.fences(), s.flushes()};
      }, id -> BenchRegionWork.create(region, op, verified), phaseDone);
      // link cleanup (one free per operation, outside the timed part: one flush and one fence) is
      // excluded from the counts as well
      uncounted = op == Op.TX_ALLOC_4K_LINK ? 1 : 0;
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    for (BenchHarness.Result r : results) {
      Map<String, Object> row = r.row(op.toString(), threads, uncounted);
      if (op.rewriteBytes > 0) {
        // every thread's frames, read back after its last transaction (BenchRegionWork.Rewrite)
        row.put("bytesPerOp", op.rewriteBytes);
        row.put("verifiedBytes", verified.sum());
      }
      rows.add(row);
    }
    return rows;
  }
}
