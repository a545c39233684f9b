package io.nvframe.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Runs the {@link KvTable} workload in a child JVM ({@code nvframe demo-worker}), which prints
 * {@code committed N} after each {@code commit()} returns, and kills it with SIGKILL at a chosen
 * moment. Used by {@code nvframe demo} and by the process-crash tests.
 */
final class KillHarness {
  /** What the child reported before it died. */
  record Outcome(long startOps, long reportedOps, boolean killed, int exitCode, List<String> stderr) {}

  private KillHarness() {}

  /**
   * Starts the worker on {@code region} (with extra command-line {@code workerOptions} such as
   * {@code --dax-mode emulate}), waits until it has committed at least one operation, lets it run
   * {@code runMillis} more, then kills it with SIGKILL.
   */
  static Outcome runAndKill(Path region, long seed, long runMillis, LongConsumer progress, List<String> workerOptions) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("--add-exports");
    command.add("java.base/jdk.internal.misc=ALL-UNNAMED");
    command.add("--add-opens"); // emulate mode: CLWB at flush, one fence at fence (see backend-dax)
    command.add("java.base/jdk.internal.misc=ALL-UNNAMED");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.add("demo-worker");
    command.add(region.toString());
    command.add("--seed");
    command.add(Long.toString(seed));
    Path reportFile;
    try {
      reportFile = Files.createTempFile("nvframe-worker-", ".report");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the worker's report file", e);
    }
    command.add("--report");
    command.add(reportFile.toString());
    command.addAll(workerOptions);
    Process child;
    try {
      child = new ProcessBuilder(command).redirectErrorStream(false).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the worker JVM: " + command, e);
    }
    AtomicLong start = new AtomicLong(-1);
    AtomicLong reported = new AtomicLong(-1);
    List<String> stderr = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread out = Thread.ofPlatform().name("demo-worker-stdout").daemon().start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
        for (String line; (line = r.readLine()) != null; ) {
          if (line.startsWith("ready ")) {
            start.set(Long.parseLong(line.substring(6).trim()));
            reported.compareAndSet(-1, start.get());
          } else if (line.startsWith("committed ")) {
            long n = Long.parseLong(line.substring(10).trim());
            reported.set(n);
            progress.accept(n);
          }
        }
      } catch (IOException | NumberFormatException e) {
        stderr.add("reading the worker's output failed: " + e);
      }
    });
    Thread err = Thread.ofPlatform().name("demo-worker-stderr").daemon().start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getErrorStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          stderr.add(line);
        }
      } catch (IOException e) {
        stderr.add("reading the worker's stderr failed: " + e);
      }
    });
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (reported.get() <= start.get() && child.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      if (child.isAlive()) {
        Thread.sleep(runMillis);
      }
      boolean killed = child.isAlive();
      child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no flushing
      child.waitFor(30, TimeUnit.SECONDS);
      out.join(10_000);
      err.join(10_000);
      // the pipe is for progress only: the report file is the record of what commit() returned
      long[] fromFile = readReport(reportFile);
      Files.deleteIfExists(reportFile);
      return new Outcome(fromFile[0], fromFile[1], killed, child.exitValue(), List.copyOf(stderr));
    } catch (InterruptedException e) {
      child.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running the worker", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the worker's report " + reportFile, e);
    }
  }

  /** {start, last committed} from complete lines of the report; -1 where absent. */
  private static long[] readReport(Path file) throws IOException {
    long start = -1;
    long last = -1;
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    int end = text.lastIndexOf('\n'); // a line cut by the kill is not complete: ignore it
    for (String line : text.substring(0, end + 1).split("\n")) {
      if (line.startsWith("ready ")) {
        start = Long.parseLong(line.substring(6).trim());
        last = Math.max(last, start);
      } else if (line.startsWith("committed ")) {
        last = Long.parseLong(line.substring(10).trim());
      }
    }
    return new long[] {start, last};
  }
}
