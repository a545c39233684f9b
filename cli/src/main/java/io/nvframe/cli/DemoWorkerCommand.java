package io.nvframe.cli;

import io.nvframe.api.Region;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The child process of {@code nvframe demo}: applies key-value operations until killed. */
@Command(name = "demo-worker", hidden = true, description = "Run the demo workload until killed (used by demo and tests).")
final class DemoWorkerCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PATH") Path path;

  @CommandLine.Mixin OpenOptions open = new OpenOptions();

  @Option(names = "--seed", description = "Seed of the operation sequence for a new table.") long seed = 42;

  @Option(names = "--ops", description = "Stop after this many operations in total (default: run until killed).")
  long maxOps = Long.MAX_VALUE;

  @Option(names = "--report", description = "Also append each line to this file, one unbuffered write per line"
      + " (it survives SIGKILL, unlike data in flight through a pipe).")
  Path report;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    try (Region region = open.open(path);
        FileChannel log = report == null ? null : FileChannel.open(report,
            StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      KvTable table = KvTable.open(region, seed);
      long op = table.appliedOps();
      say(out, log, "ready " + op);
      for (; op < maxOps; op++) {
        table.apply(op);
        say(out, log, "committed " + (op + 1));
      }
    }
    return 0;
  }

  private static void say(PrintWriter out, FileChannel log, String line) throws IOException {
    if (log != null) {
      ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII));
      while (b.hasRemaining()) {
        log.write(b);
      }
    }
    out.println(line);
    out.flush();
  }
}
