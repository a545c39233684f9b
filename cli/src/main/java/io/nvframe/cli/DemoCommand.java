package io.nvframe.cli;

import io.nvframe.api.Region;
import io.nvframe.api.RegionInfo;
import io.nvframe.api.RegionStats;
import io.nvframe.core.Regions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The main job: a persistent key-value table on a region file, a worker process killed with SIGKILL
 * in the middle of its transactions, recovery, verification and a summary.
 */
@Command(name = "demo", description = {
    "Create (or reopen) a region in ./data, run a key-value workload in a child process, kill it",
    "with SIGKILL mid-transaction, recover, verify every reported transaction and print a summary."})
final class DemoCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--path", description = "Region file (default ${DEFAULT-VALUE}).") Path path = Path.of("data", "demo.nvf");

  @Option(names = "--backend", description = "Backend for a new region (default ${DEFAULT-VALUE}).") String backend = "dax";

  @Option(names = "--size", converter = Sizes.class, description = "Capacity of a new region (default 64MiB).")
  long size = 64L << 20;

  @Option(names = "--seed", description = "Seed of the workload and of the kill moment (default ${DEFAULT-VALUE}).")
  long seed = 42;

  @Option(names = "--run-ms", description = "How long the worker runs before SIGKILL; default: 1000-2000 ms chosen from the seed.")
  Long runMillis;

  @CommandLine.Mixin OpenOptions open = new OpenOptions();

  @Option(names = "--ops", description = "Operations run in this process after recovery (default ${DEFAULT-VALUE}).")
  int ops = 1000;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Files.createDirectories(path.toAbsolutePath().getParent());
    boolean existed = Files.exists(path);
    long startOps;
    try (Region region = existed
        ? open.open(path)
        : open.apply(Regions.builder().backend(backend).path(path).capacity(size)).create()) {
      RegionInfo info = region.info();
      KvTable table = KvTable.open(region, seed);
      startOps = table.appliedOps();
      out.printf("nvframe demo: %s region %s (%s, %s, %d frames of %d bytes, mode %s)%n",
          existed ? "reopened" : "created", path, info.backend(), Sizes.format(info.capacity()),
          info.frameCount(), info.frameSize(), info.medium().getOrDefault("dax.mode", "-"));
      out.printf("  key-value table under root '%s': %d operations applied so far%n", KvTable.ROOT, startOps);
    }
    out.flush();

    // 1. a worker process runs transactions and is killed with SIGKILL mid-flight
    long run = runMillis != null ? runMillis : 1000 + new SplittableRandom(seed + startOps).nextLong(1000);
    KillHarness.Outcome outcome;
    try (ProgressBar bar = bar("worker (SIGKILL after " + run + " ms)", -1)) {
      outcome = KillHarness.runAndKill(path, seed, run, n -> bar.stepTo(n - startOps), open.asArguments());
    }
    if (outcome.reportedOps() < 0) {
      throw new IllegalStateException("the worker never started: " + String.join(" | ", outcome.stderr()));
    }
    out.printf("  worker process: committed operations %d..%d (%d transactions), then %s%n",
        outcome.startOps(), outcome.reportedOps() - 1, outcome.reportedOps() - outcome.startOps(),
        outcome.killed() ? "killed with SIGKILL" : "exited with code " + outcome.exitCode());

    // 2. recover and verify
    long openStart = System.nanoTime();
    try (Region region = open.open(path)) {
      double openMs = (System.nanoTime() - openStart) / 1e6;
      RegionInfo info = region.info();
      KvTable table = KvTable.open(region, seed);
      long applied = table.appliedOps();
      long inFlight = applied - outcome.reportedOps();
      if (inFlight != 0 && inFlight != 1) {
        throw new IllegalStateException("recovered table holds " + applied + " operations but the worker reported "
            + outcome.reportedOps() + ": a committed transaction was lost or an unreported one half-applied");
      }
      Map<Long, Long> expected = KvTable.expected(table.seed(), applied);
      Map<Long, Long> actual = table.contents();
      if (!expected.equals(actual)) {
        throw new IllegalStateException("recovered table differs from the replay of " + applied + " operations: expected "
            + expected.size() + " keys, found " + actual.size());
      }
      String ballast = table.ballastProblem(applied);
      if (ballast != null) {
        throw new IllegalStateException("recovered table's large transactions are wrong: " + ballast);
      }
      var report = region.check();
      if (!report.consistent()) {
        throw new IllegalStateException("region inconsistent after recovery: " + report.problems());
      }
      out.printf(Locale.ROOT, "  recovery: open took %.2f ms (the region's own part %s ms), replayed %s committed "
              + "record(s); table holds %d operations (all %d reported + %d in flight)%n",
          openMs, info.medium().get("open.ms"), info.medium().getOrDefault("recovery.recordsReplayed", "0"),
          applied, outcome.reportedOps(), inFlight);
      out.printf("  verified: %d keys equal the replay of %d operations; check: consistent (%d invariant groups)%n",
          actual.size(), applied, report.checks().size());

      // 3. more work in this process, with costs
      RegionStats before = region.stats();
      long t0 = System.nanoTime();
      try (ProgressBar bar = bar("in-process transactions", ops)) {
        for (int i = 0; i < ops; i++) {
          table.apply(applied + i);
          if ((i & 63) == 0) {
            bar.stepTo(i);
          }
        }
        bar.stepTo(ops);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      RegionStats after = region.stats();
      long txs = after.transactionsCommitted() - before.transactionsCommitted();
      out.printf("  in-process: %d transactions in %.2f s (%.0f tx/s), %.2f fences/tx, %.2f flushes/tx, %d log records%n",
          txs, seconds, txs / seconds, (after.fences() - before.fences()) / (double) txs,
          (after.flushes() - before.flushes()) / (double) txs, after.logRecordsWritten() - before.logRecordsWritten());
      StringBuilder perOrder = new StringBuilder();
      for (int k = 0; k < after.freeBlocksPerOrder().size(); k++) {
        perOrder.append(' ').append(k).append(':').append(after.freeBlocksPerOrder().get(k));
      }
      out.printf("  frames: %d of %d in use (order-0 buckets and the directory); free blocks per order%s%n",
          after.frameCount() - after.freeFrames(), after.frameCount(), perOrder);
      out.printf("  run it again to continue from operation %d, or inspect: ./nvframe info %s%n",
          table.appliedOps(), path);
    }
    return 0;
  }

  private static ProgressBar bar(String task, long max) {
    return new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(max)
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(200)
        .setConsumer(new ConsoleProgressBarConsumer(System.err))
        .build();
  }
}
