package io.nvframe.cli;

import io.nvframe.api.Region;
import io.nvframe.api.RegionInfo;
import io.nvframe.core.RegionBuilder;
import io.nvframe.core.Regions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "create", description = "Create and format a new region.")
final class CreateCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PATH", description = "Region file to create (must not exist).")
  Path path;

  @Option(names = "--backend", required = true, paramLabel = "NAME", description = "Backend: dax, heap, btt or a third-party name.")
  String backend;

  @Option(names = "--size", required = true, paramLabel = "SIZE", converter = Sizes.class, description = "Capacity, e.g. 64MiB, 1GiB.")
  long size;

  @Option(names = "--frame-size", paramLabel = "N", description = "Bytes per frame (default ${DEFAULT-VALUE}).")
  int frameSize = RegionBuilder.DEFAULT_FRAME_SIZE;

  @Option(names = "--max-order", paramLabel = "N", description = "Largest allocation order (default ${DEFAULT-VALUE}).")
  int maxOrder = RegionBuilder.DEFAULT_MAX_ORDER;

  @Option(names = "--lanes", paramLabel = "N", description = "Redo-log lanes (default ${DEFAULT-VALUE}).")
  int lanes = RegionBuilder.DEFAULT_LANES;

  @Option(names = "--lane-size", paramLabel = "SIZE", converter = Sizes.class, description = "Bytes per lane (default 4KiB).")
  long laneSize = RegionBuilder.DEFAULT_LANE_SIZE;

  @CommandLine.Mixin OpenOptions open = new OpenOptions();

  @Override
  public Integer call() {
    if (laneSize > Integer.MAX_VALUE) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--lane-size too large");
    }
    RegionBuilder b =
        Regions.builder()
            .backend(backend)
            .path(path)
            .capacity(size)
            .frameSize(frameSize)
            .maxOrder(maxOrder)
            .lanes(lanes)
            .laneSize((int) laneSize);
    open.apply(b);
    try (Region region = b.create()) {
      RegionInfo info = region.info();
      spec.commandLine().getOut().printf(
          "created %s: backend %s, %s, %d frames of %d bytes, max order %d, %d lanes%n",
          info.location(), info.backend(), Sizes.format(info.capacity()), info.frameCount(),
          info.frameSize(), info.maxOrder(), info.lanes());
    }
    return 0;
  }
}
