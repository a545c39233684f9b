package io.nvframe.cli;

import io.nvframe.api.Region;
import io.nvframe.core.RegionBuilder;
import io.nvframe.core.Regions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Backend options for commands that open a region: {@code -o KEY=VALUE} and {@code --dax-mode}. */
final class OpenOptions {
  @Option(names = {"-o", "--option"}, paramLabel = "KEY=VALUE", description = "Backend option, e.g. dax.mode=msync.")
  Map<String, String> options = new LinkedHashMap<>();

  @Option(names = "--dax-mode", paramLabel = "MODE",
      description = "DAX persistence mode: auto, sync (MAP_SYNC), msync, emulate (cache-line write-back on DRAM, like PMEM_IS_PMEM_FORCE=1), none (eADR).")
  String daxMode;

  RegionBuilder apply(RegionBuilder b) {
    options.forEach(b::option);
    if (daxMode != null) {
      b.option("dax.mode", daxMode);
    }
    return b;
  }

  /** These options as command-line arguments (for a child process). */
  java.util.List<String> asArguments() {
    java.util.List<String> args = new java.util.ArrayList<>();
    options.forEach((k, v) -> {
      args.add("-o");
      args.add(k + "=" + v);
    });
    if (daxMode != null) {
      args.add("--dax-mode");
      args.add(daxMode);
    }
    return args;
  }

  Region openReadOnly(Path path) {
    return apply(Regions.builder().path(path).readOnly(true)).open();
  }

  Region open(Path path) {
    return apply(Regions.builder().path(path)).open();
  }
}
