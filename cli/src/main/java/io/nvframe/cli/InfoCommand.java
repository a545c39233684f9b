package io.nvframe.cli;

import io.nvframe.api.Region;
import io.nvframe.api.RegionInfo;
import io.nvframe.api.RegionStats;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "info", description = "Describe a region: identity, geometry, layout, free frames per order.")
final class InfoCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PATH") Path path;

  @CommandLine.Mixin OpenOptions open = new OpenOptions();

  @Option(names = "--json", description = "Machine-readable output.") boolean json;

  @Override
  public Integer call() {
    try (Region region = open.openReadOnly(path)) {
      RegionInfo info = region.info();
      RegionStats stats = region.stats();
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(Json.write(toMap(info, stats)));
        return 0;
      }
      out.printf("region        %s%n", info.location());
      out.printf("backend       %s%n", info.backend());
      out.printf("format        version %d, uuid %s%n", info.formatVersion(), info.uuid());
      out.printf("capacity      %s (%d bytes)%n", Sizes.format(info.capacity()), info.capacity());
      out.printf("frames        %d x %d bytes, max order %d (%s blocks)%n", info.frameCount(), info.frameSize(),
          info.maxOrder(), Sizes.format((long) info.frameSize() << info.maxOrder()));
      out.printf("lanes         %d x %s%n", info.lanes(), Sizes.format(info.laneSize()));
      out.printf("layout%n");
      for (RegionInfo.Area a : info.areas()) {
        out.printf("  %-15s offset %-12d length %d%n", a.name(), a.offset(), a.length());
      }
      out.printf("medium%n");
      info.medium().forEach((k, v) -> out.printf("  %-24s %s%n", k, v));
      printFree(out, stats);
      return 0;
    }
  }

  static void printFree(PrintWriter out, RegionStats stats) {
    out.printf("free frames   %d of %d (%.1f%%)%n", stats.freeFrames(), stats.frameCount(),
        stats.frameCount() == 0 ? 0.0 : 100.0 * stats.freeFrames() / stats.frameCount());
    out.printf("free blocks per order:");
    List<Long> perOrder = stats.freeBlocksPerOrder();
    for (int k = 0; k < perOrder.size(); k++) {
      out.printf(" %d:%d", k, perOrder.get(k));
    }
    out.println();
    out.printf("largest free order %d; fragmentation %.1f%% (%d free frames outside max-order blocks)%n",
        stats.largestFreeOrder(), 100 * stats.fragmentation(), stats.freeFramesOutsideMaxOrderBlocks());
  }

  static Map<String, Object> toMap(RegionInfo info, RegionStats stats) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("location", info.location());
    m.put("backend", info.backend());
    m.put("formatVersion", info.formatVersion());
    m.put("uuid", info.uuid().toString());
    m.put("capacity", info.capacity());
    m.put("frameSize", info.frameSize());
    m.put("frameCount", info.frameCount());
    m.put("maxOrder", info.maxOrder());
    m.put("lanes", info.lanes());
    m.put("laneSize", info.laneSize());
    m.put("byteAddressable", info.byteAddressable());
    List<Object> areas = new ArrayList<>();
    for (RegionInfo.Area a : info.areas()) {
      areas.add(Map.of("name", a.name(), "offset", a.offset(), "length", a.length()));
    }
    m.put("areas", areas);
    m.put("medium", info.medium());
    m.put("stats", StatsCommand.toMap(stats));
    return m;
  }
}
