package io.nvframe.cli;

import io.nvframe.api.Frame;
import io.nvframe.api.Region;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "roots", description = "List the named roots of a region.")
final class RootsCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PATH") Path path;

  @CommandLine.Mixin OpenOptions open = new OpenOptions();

  @Override
  public Integer call() {
    try (Region region = open.openReadOnly(path)) {
      PrintWriter out = spec.commandLine().getOut();
      Map<String, Frame> roots = region.roots();
      if (roots.isEmpty()) {
        out.println("(no roots)");
      }
      roots.forEach((name, f) -> out.printf("%-48s pfn %d, order %d, generation %d%n", name, f.pfn(), f.order(), f.generation()));
      return 0;
    }
  }
}
