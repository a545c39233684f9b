package io.nvframe.examples.sortedmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.CheckReport;
import io.nvframe.api.Region;
import io.nvframe.api.RegionStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Scratch places and checks shared by the tests. */
final class TestRegions {
  private TestRegions() {}

  /** A fresh directory on tmpfs ({@code /dev/shm}, where msync is cheap) if present, else under {@code fallback}. */
  static Path scratchDir(Path fallback) throws IOException {
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      return Files.createTempDirectory(shm, "nvframe-sorted-map-");
    }
    return fallback;
  }

  /** Deletes {@code dir} and its files (one level), if it is a scratch directory on tmpfs. */
  static void deleteScratch(Path dir) throws IOException {
    if (!dir.startsWith("/dev/shm")) {
      return;
    }
    try (var files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(dir);
  }

  /**
   * Region check, tree invariants, and no leaked frame: the map is the region's only user, so the
   * frames it reaches must be exactly the allocated ones.
   */
  static BTreeMap.TreeShape checkAll(Region region, BTreeMap<?, ?> map, String context) {
    CheckReport report = region.check();
    assertTrue(report.consistent(), context + ": region check: " + report.problems());
    BTreeMap.TreeShape shape = map.verifyTree();
    RegionStats stats = region.stats();
    assertEquals(stats.frameCount() - stats.freeFrames(), shape.frames(),
        context + ": allocated frames vs frames reachable from the map's root " + shape);
    return shape;
  }
}
