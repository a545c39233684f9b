package io.nvframe.cli;

import io.nvframe.api.Region;
import io.nvframe.api.RegionStats;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "stats", description = "Free frames per order and fragmentation of a region.")
final class StatsCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PATH") Path path;

  @CommandLine.Mixin OpenOptions open = new OpenOptions();

  @Option(names = "--json", description = "Machine-readable output.") boolean json;

  @Override
  public Integer call() {
    try (Region region = open.openReadOnly(path)) {
      RegionStats stats = region.stats();
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(Json.write(toMap(stats)));
      } else {
        InfoCommand.printFree(out, stats);
      }
      return 0;
    }
  }

  static Map<String, Object> toMap(RegionStats s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("frameCount", s.frameCount());
    m.put("freeFrames", s.freeFrames());
    m.put("freeBlocksPerOrder", s.freeBlocksPerOrder());
    m.put("largestFreeOrder", s.largestFreeOrder());
    m.put("freeFramesOutsideMaxOrderBlocks", s.freeFramesOutsideMaxOrderBlocks());
    m.put("fragmentation", s.fragmentation());
    m.put("transactionsCommitted", s.transactionsCommitted());
    m.put("logRecordsWritten", s.logRecordsWritten());
    m.put("stores", s.stores());
    m.put("bytesWritten", s.bytesWritten());
    m.put("flushes", s.flushes());
    m.put("fences", s.fences());
    return m;
  }
}
