package io.nvframe.backend.btt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.spi.Medium;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Arena geometry, info-block encoding, format and reopen for every block size. */
class BttLayoutTest {
  @Test
  void geometryOfA16MiBArenaMatchesTheSpecExample() {
    // (16 MiB - 2 * 4096 - 16 KiB flog - 4096) / (4096 + 4) = 4085.0 -> 4085 blocks
    BttInfo i = BttFormat.of(4096).arenas(16L << 20).get(0);
    assertEquals(4085, i.internalNlba());
    assertEquals(3829, i.externalNlba());
    assertEquals(16384, i.infoOff() - i.flogOff(), "flog size");
    assertEquals(16384, i.flogOff() - i.mapOff(), "map size");
    assertEquals(4096, i.dataOff());
    assertEquals(0, i.nextOff());
  }

  @Test
  void geometryOfTheLibpmemblkFixturePool() {
    // a 32 MiB libpmemblk pool: the namespace is 32 MiB - 8192 (pmempool info of the fixture)
    BttInfo i = BttFormat.of(4096).withVersion(1, 1).arenas((32L << 20) - 8192).get(0);
    assertEquals(8175, i.internalNlba());
    assertEquals(7919, i.externalNlba());
    assertEquals(0x1ff1000L, i.mapOff());
    assertEquals(0x1ff9000L, i.flogOff());
    assertEquals(0x1ffd000L, i.infoOff());
  }

  @Test
  void largeMediaGetSeveral512GiBArenasAndASmallerLastOne() {
    List<BttInfo> a = BttFormat.of(4096).arenas((1L << 40) + (20L << 20));
    assertEquals(3, a.size());
    assertEquals(512L << 30, a.get(0).nextOff());
    assertEquals(512L << 30, a.get(1).nextOff());
    assertEquals(0, a.get(2).nextOff());
    assertEquals((20L << 20) - 4096, a.get(2).infoOff());
    // a remainder under 16 MiB stays unused
    assertEquals(2, BttFormat.of(4096).arenas((1L << 40) + (15L << 20)).size());
    assertEquals(0, BttFormat.of(4096).arenas((1L << 40) + (15L << 20)).get(1).nextOff());
    // 512-byte blocks in a full arena stay under the 2^30 post-map limit
    BttInfo big = BttFormat.of(512).arenas(512L << 30).get(0);
    assertTrue(big.internalNlba() > 1_000_000_000 && big.internalNlba() <= 1 << 30, "nlba " + big.internalNlba());
  }

  @Test
  void internalBlockSizeRoundsLikeLibpmemblk() {
    assertEquals(512, BttFormat.of(1).internalLbaSize());
    assertEquals(512, BttFormat.of(512).internalLbaSize());
    assertEquals(768, BttFormat.of(520).internalLbaSize());
    assertEquals(4096, BttFormat.of(4096).internalLbaSize());
    assertEquals(4352, BttFormat.of(4104).internalLbaSize());
    assertThrows(IllegalArgumentException.class, () -> BttFormat.of(0));
    assertThrows(IllegalArgumentException.class, () -> BttFormat.of(4096).arenas(8L << 20));
  }

  @Test
  void infoBlockRoundTripsAndItsChecksumCoversEveryField() {
    BttInfo i = BttFormat.of(4096).arenas(16L << 20).get(0);
    byte[] raw = i.encode();
    assertEquals(i, BttInfo.decode(raw));
    assertTrue(BttInfo.validate(raw, 16L << 20, null).isEmpty());
    raw[BttInfo.OFF_NFREE] ^= 1;
    assertTrue(BttInfo.validate(raw, 16L << 20, null).get(0).startsWith("INFO_CSUM"));
  }

  @ParameterizedTest(name = "block size {0}")
  @ValueSource(ints = {1, 100, 512, 520, 528, 1000, 4096, 4104, 4160, 4224, 8192, 65536})
  void everyBlockSizeFormatsWritesAndReopens(int bs) {
    try (Medium m = Support.heap(Math.max(17 * Support.MIB, 600L * (bs + 4) + Support.MIB))) {
      Btt btt = Btt.format(m, 0, m.size(), BttFormat.of(bs), Btt.Options.defaults());
      assertEquals(bs, btt.blockSize());
      long n = btt.blockCount();
      long[] lbas = {0, 1, n / 2, n - 1};
      for (long lba : lbas) {
        assertArrayEquals(new byte[bs], Support.read(btt, lba), "never written reads as zeros");
        btt.write(lba, Support.pattern(lba, 1, bs), 0);
      }
      btt.write(1, Support.pattern(1, 2, bs), 0);
      try (Medium copy = Support.copy(m)) {
        Btt again = Btt.open(copy, 0, copy.size(), Btt.Options.defaults());
        assertEquals(n, again.blockCount());
        for (long lba : lbas) {
          assertArrayEquals(Support.pattern(lba, lba == 1 ? 2 : 1, bs), Support.read(again, lba), "lba " + lba);
        }
        assertEquals(List.of(), again.recoveryActions());
        assertTrue(BttCheck.check(copy, 0, copy.size(), Btt.Options.defaults()).consistent());
      }
    }
  }

  @Test
  void severalArenasEachHoldTheirBlocks() {
    try (Medium m = Support.heap(10 * Support.MIB + Support.MIB / 2)) {
      Btt btt = Btt.format(m, 0, m.size(), Support.small(512), Support.smallOptions());
      assertEquals(3, btt.arenaCount());
      assertEquals(4 * Support.MIB, btt.arenaOffset(1));
      assertEquals(8 * Support.MIB, btt.arenaOffset(2));
      long n = btt.blockCount();
      for (long lba = 0; lba < n; lba += 97) {
        btt.write(lba, Support.pattern(lba, 3, 512), 0);
      }
      btt.write(n - 1, Support.pattern(n - 1, 3, 512), 0);
      Btt again = Btt.open(Support.copy(m), 0, m.size(), Support.smallOptions());
      for (long lba = 0; lba < n; lba += 97) {
        assertArrayEquals(Support.pattern(lba, 3, 512), Support.read(again, lba), "lba " + lba);
      }
      assertArrayEquals(Support.pattern(n - 1, 3, 512), Support.read(again, n - 1));
      assertTrue(BttCheck.check(m, 0, m.size(), Support.smallOptions()).consistent());
    }
  }

  @Test
  void aMediumWithoutLayoutIsRefusedWithACode() {
    try (Medium m = Support.heap(17 * Support.MIB)) {
      MediaCorruptedException e = assertThrows(MediaCorruptedException.class,
          () -> Btt.open(m, 0, m.size(), Btt.Options.defaults()));
      assertEquals(ErrorCode.NOT_A_REGION, e.code());
      assertThrows(MediaCorruptedException.class, () -> BttLocation.find(m));
    }
  }

  @Test
  void anInterruptedFormatLeavesNoLayout() {
    try (Medium m = Support.heap(17 * Support.MIB)) {
      Btt.format(m, 0, m.size(), BttFormat.of(4096), Btt.Options.defaults());
      byte[] img = Support.image(m);
      // the primary info of arena 0 is the last thing format writes: without it, no layout
      // unless the backup is valid, in which case open restores the primary
      java.util.Arrays.fill(img, 0, 4096, (byte) 0);
      try (Medium c = io.nvframe.tck.TestMedia.heapWith(img)) {
        Btt b = Btt.open(c, 0, c.size(), Btt.Options.defaults());
        assertTrue(b.recoveryActions().get(0).contains("primary info restored"), b.recoveryActions().toString());
      }
    }
  }
}
