package io.nvframe.backend.dax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nvframe.spi.PersistStats;
import io.nvframe.spi.ProviderConfig;
import io.nvframe.tck.ChildJvm;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two write-back paths of {@code emulate} mode (see {@link CacheLineWriteback}): with only the
 * documented export (this JVM, surefire's argLine) every flush writes back and fences; with the
 * package also opened (a child JVM) flushes only start write-back and the one fence completes them.
 * Both count one flush per flush call and one fence per fence call, and both get the data into the
 * file.
 */
class SplitWritebackTest {
  private static final long SIZE = 1 << 20;

  @TempDir Path tmp;

  @Test
  void exportOnlyUsesPerFlushWritebackAndSaysWhichFlagWouldSplit() {
    assumeTrue(CacheLineWriteback.available(), "needs the write-back export");
    assumeTrue(!Object.class.getModule().isOpen(CacheLineWriteback.INTERNAL_PACKAGE, getClass().getModule()),
        "this JVM opens the package; the child-JVM test covers that case");
    assertFalse(CacheLineWriteback.split());
    assertTrue(CacheLineWriteback.notSplitReason().contains("--add-opens java.base/jdk.internal.misc=ALL-UNNAMED"),
        CacheLineWriteback.notSplitReason());
    try (MappedMedium m = (MappedMedium) new DaxBackendProvider()
        .create(new ProviderConfig(tmp.resolve("e.nvf"), SIZE, false, Map.of(DaxBackendProvider.MODE, "emulate")))) {
      assertFalse(m.splitWriteback());
      assertEquals("per-flush", m.properties().get(MappedMedium.WRITEBACK_PROPERTY));
      for (int i = 0; i < 3; i++) {
        m.storeLong(i * 4096L, i);
        m.flush(i * 4096L, 8);
      }
      m.fence();
      assertEquals(new PersistStats(3, 24, 3, 24, 1), m.stats());
      assertEquals(3, m.writebackRanges());
    }
  }

  @Test
  void otherModesHaveNoWritebackProperty() {
    try (MappedMedium m = (MappedMedium) new DaxBackendProvider()
        .create(new ProviderConfig(tmp.resolve("m.nvf"), SIZE, false, Map.of(DaxBackendProvider.MODE, "msync")))) {
      assertFalse(m.splitWriteback());
      assertFalse(m.properties().containsKey(MappedMedium.WRITEBACK_PROPERTY));
    }
  }

  @Test
  void openedPackageSplitsWritebackAndFenceWithTheSameCountsAndDurableData(@TempDir Path logs) {
    assumeTrue(CacheLineWriteback.available(), "needs the write-back export (and a CPU with write-back)");
    List<String> command = ChildJvm.classPathCommand(
        List.of("-Xmx64m", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"),
        SplitWritebackMain.class.getName(), List.of(tmp.toString()));
    ChildJvm.Finished run = ChildJvm.run(command, logs, "split", 120);
    assertEquals(0, run.exitCode(), run::describe);
    List<String> lines = run.stdout().lines().toList();
    assertTrue(lines.contains("SPLIT true"), run::describe);
    assertTrue(lines.contains("REASON null"), run::describe);
    assertTrue(lines.contains("PROPERTY split"), run::describe);
    assertTrue(lines.contains("STATS stores=3 flushes=3 fences=1"), "1 flush per flush call, 1 fence: " + run.describe());
    assertTrue(lines.contains("RANGES 3 192"), "three one-line write-backs: " + run.describe());
    assertTrue(lines.contains("FILE 102030405060708 20406080a0c0e10 306090c0f121518"),
        "every flushed word is in the file: " + run.describe());
  }
}
