package io.nvframe.cli;

import io.nvframe.api.Region;
import java.io.PrintWriter;
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

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (Region region = open.open(path)) {
      KvTable table = KvTable.open(region, seed);
      long op = table.appliedOps();
      out.println("ready " + op);
      out.flush();
      for (; op < maxOps; op++) {
        table.apply(op);
        out.println("committed " + (op + 1));
        out.flush();
      }
    }
    return 0;
  }
}
