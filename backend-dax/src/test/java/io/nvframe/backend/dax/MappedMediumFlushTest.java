package io.nvframe.backend.dax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import io.nvframe.spi.ProviderConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Flush widening and coalescing: a flush is widened to whole pages (msync) or cache lines
 * (write-back) and handed to the primitive as ONE range, however many units it spans; in msync mode
 * with {@code dax.msync=merged} a thread's flushes are msynced as one range at its next fence, and
 * with {@code dax.msync=fdatasync} the same fence makes one fdatasync (FdatasyncTest has the rest).
 */
class MappedMediumFlushTest {
  private static final long SIZE = 1 << 20;

  @TempDir Path tmp;

  private MappedMedium create(String mode) {
    return (MappedMedium) new DaxBackendProvider()
        .create(new ProviderConfig(tmp.resolve(mode + ".nvf"), SIZE, false, Map.of(DaxBackendProvider.MODE, mode)));
  }

  private MappedMedium createMsync(String msync) {
    return (MappedMedium) new DaxBackendProvider().create(new ProviderConfig(tmp.resolve(msync + ".nvf"), SIZE, false,
        Map.of(DaxBackendProvider.MODE, "msync", DaxBackendProvider.MSYNC, msync)));
  }

  @ParameterizedTest(name = "{3}: flush({0}, {1}) then fence -> {2} bytes")
  @CsvSource({
    "0, 8, 4096, merged",
    "100, 10, 4096, merged",
    "4095, 2, 8192, merged",
    "0, 65536, 65536, merged",
    "1048575, 1, 4096, merged",
    "0, 8, 4096, fdatasync",
    "4095, 2, 8192, fdatasync",
    "1048575, 1, 4096, fdatasync",
  })
  void mergedSyncWaitsForTheFenceAndWidensToPages(long offset, long length, long expectedBytes, String kind) {
    try (MappedMedium m = createMsync(kind)) {
      assertEquals(kind, m.properties().get(DaxBackendProvider.MSYNC));
      m.flush(offset, length);
      assertEquals(0, m.writebackRanges(), "a flush only notes its pages");
      m.fence();
      assertEquals(1, m.writebackRanges(), "one sync call at the fence");
      assertEquals(expectedBytes, m.writebackBytes(), "page-aligned bytes");
      m.fence();
      assertEquals(1, m.writebackRanges(), "a fence with nothing flushed since the last calls nothing");
      assertEquals(new PersistStats(0, 0, 1, length, 2), m.stats(), "the SPI counts the calls");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"merged", "fdatasync"})
  void mergedSyncCoversEveryFlushOfTheThreadSinceItsLastFenceWithOneCall(String kind) {
    try (MappedMedium m = createMsync(kind)) {
      m.flush(700_000, 8); // page 170: [696320, 700416)
      m.flush(8192, 100); // page 2
      m.flush(4096 * 100, 4096 * 3); // pages 100 to 102, inside
      assertEquals(0, m.writebackRanges());
      m.fence();
      assertEquals(1, m.writebackRanges(), "one msync from the lowest to the highest page flushed");
      assertEquals(700_416 - 8192, m.writebackBytes());
      m.persist(0, 1); // a persist after the fence starts a new range: page 0 alone
      assertEquals(2, m.writebackRanges());
      assertEquals(700_416 - 8192 + 4096, m.writebackBytes());
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"merged", "fdatasync"})
  void anotherThreadsFenceDoesNotCountThisThreadsFlushes(String kind) throws Exception {
    try (MappedMedium m = createMsync(kind)) {
      m.flush(4096, 8);
      Thread other = Thread.ofPlatform().start(() -> {
        m.flush(65536, 8);
        m.fence();
      });
      other.join();
      assertEquals(1, m.writebackRanges(), "the other thread msynced its own page only");
      assertEquals(4096, m.writebackBytes());
      m.fence();
      assertEquals(2, m.writebackRanges(), "this thread's fence msyncs its page");
      assertEquals(8192, m.writebackBytes());
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"merged", "fdatasync"})
  void closeSyncsTheWholeMappingSoFlushesNoFenceFollowedAreWritten(String kind) {
    MappedMedium m = createMsync(kind);
    m.storeLong(8192, 42);
    m.flush(8192, 8);
    m.close();
    assertEquals(1, m.writebackRanges(), "close msyncs once");
    assertEquals(SIZE, m.writebackBytes(), "the whole mapping");
  }

  @Test
  void perFlushMsyncWritesEachFlushBackAtOnce() {
    try (MappedMedium m = createMsync("per-flush")) {
      assertEquals("per-flush", m.properties().get(DaxBackendProvider.MSYNC));
      m.flush(8192, 100);
      assertEquals(1, m.writebackRanges(), "msync at the flush");
      m.flush(700_000, 8);
      assertEquals(2, m.writebackRanges());
      m.fence();
      assertEquals(2, m.writebackRanges(), "nothing left for the fence");
      assertEquals(8192, m.writebackBytes());
    }
  }

  @Test
  void msyncOptionIsCheckedAndReportedOnlyForMsyncMedia() {
    NvframeConfigurationException e = assertThrows(NvframeConfigurationException.class, () -> createMsync("later"));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertTrue(e.getMessage().contains("dax.msync='later' must be auto, merged, fdatasync or per-flush"), e.getMessage());
    assertFalse(java.nio.file.Files.exists(tmp.resolve("later.nvf")), "nothing created");
    try (MappedMedium m = createMsync("PER-FLUSH")) {
      assertEquals("per-flush", m.properties().get(DaxBackendProvider.MSYNC), "case-insensitive");
    }
    try (MappedMedium m = create("none")) {
      assertFalse(m.properties().containsKey(DaxBackendProvider.MSYNC), "no msync in mode none");
    }
  }

  @ParameterizedTest(name = "msync per-flush flush({0}, {1}) -> {2} bytes")
  @CsvSource({
    "0, 8, 4096",
    "100, 10, 4096",
    "4095, 1, 4096",
    "4095, 2, 8192",
    "4000, 200, 8192",
    "0, 65536, 65536",
    "1048575, 1, 4096",
  })
  void msyncWidensToPagesInOneRange(long offset, long length, long expectedBytes) {
    try (MappedMedium m = createMsync("per-flush")) {
      m.flush(offset, length);
      assertEquals(1, m.writebackRanges(), "one msync call");
      assertEquals(expectedBytes, m.writebackBytes(), "page-aligned bytes");
      assertEquals(new PersistStats(0, 0, 1, length, 0), m.stats(), "the SPI counts the requested length");
    }
  }

  @org.junit.jupiter.api.Test
  void flushGranularityIsThePageInMsyncModeAndTheLineOtherwise() {
    try (MappedMedium m = create("msync")) {
      assertEquals(4096, m.flushGranularity(), "one msync writes back whole pages");
    }
    try (MappedMedium m = create("emulate")) {
      assertEquals(64, m.flushGranularity());
    }
  }

  @ParameterizedTest(name = "emulate flush({0}, {1}) -> {2} bytes")
  @CsvSource({
    "0, 8, 64",
    "60, 8, 128",
    "64, 64, 64",
    "63, 66, 192",
    "0, 4096, 4096",
    "1048575, 1, 64",
  })
  void writebackWidensToCacheLinesInOneRange(long offset, long length, long expectedBytes) {
    assumeTrue(CacheLineWriteback.available(), "needs the write-back export");
    try (MappedMedium m = create("emulate")) {
      m.flush(offset, length);
      assertEquals(1, m.writebackRanges(), "one write-back call");
      assertEquals(expectedBytes, m.writebackBytes(), "line-aligned bytes");
    }
  }

  @Test
  void persistOfAdjacentLinesIsOneRangeAndOneFence() {
    assumeTrue(CacheLineWriteback.available(), "needs the write-back export");
    try (MappedMedium m = create("emulate")) {
      for (int line = 0; line < 4; line++) {
        m.storeLong(line * 64L, line);
      }
      m.persist(0, 4 * 64);
      assertEquals(1, m.writebackRanges());
      assertEquals(256, m.writebackBytes());
      PersistStats s = m.stats();
      assertEquals(1, s.flushes());
      assertEquals(1, s.fences());
    }
  }

  @Test
  void emptyFlushAndModeNoneWriteNothingBackButCount() {
    try (MappedMedium msync = create("msync"); MappedMedium none = create("none")) {
      msync.flush(4096, 0);
      msync.fence();
      assertEquals(0, msync.writebackRanges(), "an empty flush writes nothing back");
      assertEquals(1, msync.stats().flushes(), "but is counted");
      none.persist(0, 4096);
      none.persist(8192, 64);
      assertEquals(0, none.writebackRanges());
      assertEquals(new PersistStats(0, 0, 2, 4160, 2), none.stats());
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"msync", "none", "emulate"})
  void flushedDataReachesTheFileInEveryMode(String mode) throws Exception {
    assumeTrue(!mode.equals("emulate") || CacheLineWriteback.available(), "emulate needs the write-back export");
    Path file = tmp.resolve(mode + ".nvf");
    try (Medium m = create(mode)) {
      m.storeLong(SIZE - 8, 0x1122334455667788L);
      m.persist(SIZE - 8, 8);
    }
    byte[] tail = new byte[8];
    try (var ch = java.nio.channels.FileChannel.open(file)) {
      ch.read(java.nio.ByteBuffer.wrap(tail), SIZE - 8);
    }
    assertEquals(0x1122334455667788L, java.nio.ByteBuffer.wrap(tail).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(),
        mode + ": the file holds the stored value, little-endian");
  }
}
