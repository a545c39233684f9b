package io.nvframe.backend.btt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeIOException;
import io.nvframe.spi.Medium;
import io.nvframe.tck.TestMedia;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The libpmemblk 1.12.1 fixture pool (shared/fixtures/btt) reads back exactly as its README lists. */
class PmemBlkFixtureTest {
  private static Optional<byte[]> pool() {
    return Support.fixturePool();
  }

  @Test
  void locatesTheBttAfterThePoolHeader() {
    Optional<byte[]> img = pool();
    assumeTrue(img.isPresent(), "fixture absent");
    try (Medium m = TestMedia.heapWith(img.get())) {
      BttLocation loc = BttLocation.find(m);
      assertTrue(loc.pool());
      assertTrue(loc.laidOut());
      assertEquals(8192, loc.offset());
      assertEquals(4096, loc.poolBlockSize());
      Btt btt = Btt.open(m, loc.offset(), loc.rawSize(), loc.options(true));
      assertEquals(1, btt.arenaCount());
      BttInfo i = btt.arenaInfo(0);
      assertEquals(1, i.major());
      assertEquals(1, i.minor());
      assertEquals(7919, i.externalNlba());
      assertEquals(8175, i.internalNlba());
      assertEquals(256, i.nfree());
      assertEquals(33550336L, loc.offset() + i.infoOff(), "backup info offset");
      assertEquals(7919, btt.blockCount());
      // the checksum pmempool info prints for the fixture
      byte[] raw = new byte[4096];
      m.read(8192, raw, 0, raw.length);
      assertEquals(0x55d7299dd7b19707L, Fletcher64.compute(raw, 4096, BttInfo.CHECKSUM_OFFSET));
      BttCheck.Report r = BttCheck.check(m, loc.offset(), loc.rawSize(), loc.options(true));
      assertTrue(r.consistent(), r.problems().toString());
    }
  }

  @Test
  void everyBlockReadsAsTheReadmeLists() {
    Optional<byte[]> img = pool();
    assumeTrue(img.isPresent(), "fixture absent");
    try (Medium m = TestMedia.heapWith(img.get())) {
      BttLocation loc = BttLocation.find(m);
      Btt btt = Btt.open(m, loc.offset(), loc.rawSize(), loc.options(true));
      byte[] buf = new byte[4096];
      int errors = 0;
      for (int i = 0; i < 7919; i++) {
        byte[] want = Support.fixtureExpected(i);
        if (want == null) {
          int lba = i;
          NvframeIOException e = assertThrows(NvframeIOException.class, () -> btt.read(lba, buf, 0));
          assertEquals(ErrorCode.MEDIA_ERROR, e.code());
          assertTrue(e.getMessage().contains("block " + i + " (arena 0"), e.getMessage());
          errors++;
        } else {
          btt.read(i, buf, 0);
          assertArrayEquals(want, buf, "block " + i);
        }
      }
      assertTrue(errors > 300, "error blocks seen: " + errors);
      assertEquals("zero", btt.blockState(13));
      assertEquals("initial", btt.blockState(11));
      assertEquals("error", btt.blockState(17));
      assertEquals("normal", btt.blockState(1));
    }
  }

  @Test
  void aWriteClearsAnErrorBlockAndEverythingElseStays() {
    Optional<byte[]> img = pool();
    assumeTrue(img.isPresent(), "fixture absent");
    try (Medium m = TestMedia.heapWith(img.get())) {
      BttLocation loc = BttLocation.find(m);
      Btt btt = Btt.open(m, loc.offset(), loc.rawSize(), loc.options(false));
      assertEquals(java.util.List.of(), btt.recoveryActions());
      btt.write(17, Support.pattern(17, 9, 4096), 0);
      assertArrayEquals(Support.pattern(17, 9, 4096), Support.read(btt, 17));
      btt.setError(34);
      assertThrows(NvframeIOException.class, () -> Support.read(btt, 34));
      btt.setZero(1);
      assertArrayEquals(new byte[4096], Support.read(btt, 1));
      Btt again = Btt.open(m, loc.offset(), loc.rawSize(), loc.options(true));
      assertArrayEquals(Support.pattern(17, 9, 4096), Support.read(again, 17));
      assertNotNull(Support.fixtureExpected(2));
      assertArrayEquals(Support.fixtureExpected(2), Support.read(again, 2));
      assertTrue(BttCheck.check(m, loc.offset(), loc.rawSize(), loc.options(true)).consistent());
    }
  }
}
