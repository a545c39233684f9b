package io.nvframe.backend.dax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.spi.PersistStats;
import io.nvframe.spi.ProviderConfig;
import io.nvframe.tck.ChildJvm;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code writeAndFlush} and option {@value DaxBackendProvider#COPY}: both copies ({@code java},
 * libpmem's non-temporal {@code pmem_memcpy}) put every byte of aligned, unaligned, short and long
 * ranges into the file and count one store and one flush per call; libpmem's copy replaces the
 * line write-back of whole-line ranges. The libpmem case runs in a child JVM with the split
 * write-back primitives and is skipped, with the reason, where libpmem.so.1 is not installed.
 */
class NonTemporalCopyTest {
  private static final long SIZE = 1 << 20;
  /** Ranges of {@link NonTemporalCopyMain#RANGES} that libpmem copies: whole aligned lines, at least 512 bytes. */
  private static final int ELIGIBLE = 7;

  @TempDir Path tmp;

  private static ChildJvm.Finished child(Path dir, Path logs, String copy, long seed) {
    List<String> command = ChildJvm.classPathCommand(
        List.of("-Xmx64m", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--enable-native-access=ALL-UNNAMED"),
        NonTemporalCopyMain.class.getName(), List.of(dir.toString(), copy, Long.toString(seed)));
    ChildJvm.Finished run = ChildJvm.run(command, logs, "nt-" + copy, 120);
    assertEquals(0, run.exitCode(), run::describe);
    return run;
  }

  private static void assertRoundTrip(ChildJvm.Finished run, long seed) {
    List<String> lines = run.stdout().lines().toList();
    int n = NonTemporalCopyMain.RANGES.length;
    long bytes = 0;
    for (long[] r : NonTemporalCopyMain.RANGES) {
      bytes += r[1];
    }
    assertTrue(lines.contains("STATS stores=" + n + " bytes=" + bytes + "/" + bytes + " flushes=" + n + " fences=1"),
        "seed " + seed + ": one store and one flush per writeAndFlush: " + run.describe());
    assertTrue(lines.contains("MEDIUM true"), "seed " + seed + ": every range reads back: " + run.describe());
    assertTrue(lines.contains("FILE true"), "seed " + seed + ": every range is in the file: " + run.describe());
  }

  @ParameterizedTest(name = "seed {0}")
  @CsvSource({"1", "2"})
  void libpmemCopiesWholeLinesWithoutWritebackAndTheRestThroughTheCache(long seed, @TempDir Path logs) {
    assumeTrue(CacheLineWriteback.available(), "needs the write-back export (and a CPU with write-back)");
    ChildJvm.Finished run = child(tmp, logs, "auto", seed);
    List<String> lines = run.stdout().lines().toList();
    assumeTrue(lines.contains("AVAILABLE true"), () -> "libpmem's copy is not usable here: " + run.stdout());
    assertTrue(lines.contains("PROPERTY libpmem"), run::describe);
    assertRoundTrip(run, seed);
    long eligibleBytes = 0;
    for (long[] r : NonTemporalCopyMain.RANGES) {
      eligibleBytes += NonTemporalCopy.eligible(r[0], (int) r[1]) ? r[1] : 0;
    }
    // eligible ranges: libpmem, no write-back; the others: copy, then one write-back range each
    assertTrue(lines.contains("RANGES " + (NonTemporalCopyMain.RANGES.length - ELIGIBLE) + " NT " + eligibleBytes),
        run::describe);
  }

  @ParameterizedTest(name = "seed {0}")
  @CsvSource({"3", "4"})
  void javaCopyIsTheSameBytesThroughTheCache(long seed, @TempDir Path logs) {
    assumeTrue(CacheLineWriteback.available(), "needs the write-back export (and a CPU with write-back)");
    ChildJvm.Finished run = child(tmp, logs, "java", seed);
    assertTrue(run.stdout().lines().toList().contains("PROPERTY java"), run::describe);
    assertTrue(run.stdout().lines().toList().contains("RANGES " + NonTemporalCopyMain.RANGES.length + " NT 0"),
        run::describe);
    assertRoundTrip(run, seed);
  }

  @Test
  void withoutTheSplitPrimitivesTheCopyIsJava() {
    assumeTrue(!CacheLineWriteback.split(), "this JVM opens jdk.internal.misc; the child-JVM tests cover it");
    try (MappedMedium m = (MappedMedium) new DaxBackendProvider()
        .create(new ProviderConfig(tmp.resolve("e.nvf"), SIZE, false, Map.of(DaxBackendProvider.MODE, "emulate")))) {
      assertEquals("java", m.properties().get(DaxBackendProvider.COPY));
      byte[] b = new byte[4096];
      b[7] = 42;
      m.writeAndFlush(4096, b, 0, 4096);
      assertEquals(new PersistStats(1, 4096, 1, 4096, 0), m.stats());
      byte[] back = new byte[4096];
      m.read(4096, back, 0, back.length);
      assertEquals(42, back[7]);
    }
  }

  @Test
  void writeAndFlushChecksBoundsAndReadOnlyLikeWrite() {
    Path file = tmp.resolve("b.nvf");
    try (MappedMedium m = (MappedMedium) new DaxBackendProvider()
        .create(new ProviderConfig(file, SIZE, false, Map.of(DaxBackendProvider.MODE, "emulate")))) {
      byte[] b = new byte[4096];
      assertThrows(IndexOutOfBoundsException.class, () -> m.writeAndFlush(SIZE - 4095, b, 0, 4096));
      assertThrows(IndexOutOfBoundsException.class, () -> m.writeAndFlush(0, b, 1, 4096));
      assertThrows(IndexOutOfBoundsException.class, () -> m.writeAndFlush(-64, b, 0, 64));
      assertEquals(PersistStats.ZERO, m.stats(), "a refused call counts nothing");
    }
    try (MappedMedium ro = (MappedMedium) new DaxBackendProvider()
        .open(new ProviderConfig(file, SIZE, true, Map.of(DaxBackendProvider.MODE, "emulate")))) {
      io.nvframe.api.NvframeIOException e =
          assertThrows(io.nvframe.api.NvframeIOException.class, () -> ro.writeAndFlush(0, new byte[512], 0, 512));
      assertEquals(ErrorCode.READ_ONLY, e.code());
    }
  }

  @Test
  void anUnknownCopyValueIsAConfigurationError() {
    NvframeConfigurationException e = assertThrows(NvframeConfigurationException.class, () -> new DaxBackendProvider()
        .create(new ProviderConfig(tmp.resolve("x.nvf"), SIZE, false, Map.of(DaxBackendProvider.COPY, "fast"))));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertTrue(e.getMessage().contains("auto, libpmem or java"), e.getMessage());
  }

  @Test
  void libpmemsNoFlushAndNoMovntVariablesTurnTheCopyOff() {
    assumeTrue(NonTemporalCopy.unavailable(Map.of()) == null, "platform or native access rule it out already");
    assertTrue(NonTemporalCopy.unavailable(Map.of("PMEM_NO_FLUSH", "1")).contains("PMEM_NO_FLUSH=1"));
    assertTrue(NonTemporalCopy.unavailable(Map.of("PMEM_NO_MOVNT", "1")).contains("PMEM_NO_MOVNT=1"));
    assertNull(NonTemporalCopy.unavailable(Map.of("PMEM_NO_FLUSH", "0")));
  }

  @Test
  void onlyWholeAlignedLinesOfAtLeast512BytesAreEligible() {
    assertTrue(NonTemporalCopy.eligible(4096, 4096));
    assertTrue(NonTemporalCopy.eligible(64, 512));
    assertTrue(!NonTemporalCopy.eligible(64, 448), "short");
    assertTrue(!NonTemporalCopy.eligible(32, 4096), "unaligned start");
    assertTrue(!NonTemporalCopy.eligible(4096, 4000), "partial last line");
    int eligible = 0;
    for (long[] r : NonTemporalCopyMain.RANGES) {
      eligible += NonTemporalCopy.eligible(r[0], (int) r[1]) ? 1 : 0;
    }
    assertEquals(ELIGIBLE, eligible, "the child program covers both paths");
  }
}
