package io.nvframe.backend.btt;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.nvframe.api.NvframeException;
import io.nvframe.spi.Medium;
import io.nvframe.tck.TestMedia;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded random damage (bit flips, zeroed 64-byte lines, truncation) of a 3-arena BTT: check, open,
 * reading every block and writing some give either results, a check report or a coded {@link
 * NvframeException}; nothing else (no IndexOutOfBounds, no hang). The seed is in the test name and in
 * every failure message.
 */
class BttRandomDamageTest {
  private static final int BS = 512;
  private static byte[] base;

  static LongStream seeds() {
    return LongStream.rangeClosed(1, 60);
  }

  private static synchronized byte[] base() {
    if (base == null) {
      try (Medium m = Support.heap(10 * Support.MIB + Support.MIB / 2)) {
        Btt btt = Btt.format(m, 0, m.size(), Support.small(BS), Support.smallOptions());
        for (long lba = 0; lba < btt.blockCount(); lba += 7) {
          btt.write(lba, Support.pattern(lba, 1, BS), 0);
        }
        btt.setZero(14);
        btt.setError(21);
        base = Support.image(m);
      }
    }
    return base;
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void damageGivesACheckReportOrACodedException(long seed) {
    byte[] img = base().clone();
    Random r = new Random(seed);
    String what;
    // metadata lives in the info blocks and the tails of the 4 MiB arenas (map, flog, backup info)
    long[] hot = {0, 4L << 20, 8L << 20, (4L << 20) - 40960, (8L << 20) - 40960, img.length - 40960L};
    switch ((int) (seed % 3)) {
      case 0 -> {
        int flips = 1 + r.nextInt(20);
        for (int i = 0; i < flips; i++) {
          long at = hot[r.nextInt(hot.length)] + r.nextInt(40960);
          img[(int) Math.min(at, img.length - 1)] ^= (byte) (1 << r.nextInt(8));
        }
        what = flips + " bit flips";
      }
      case 1 -> {
        int lines = 1 + r.nextInt(8);
        for (int i = 0; i < lines; i++) {
          long at = (hot[r.nextInt(hot.length)] + r.nextInt(40960)) & ~63L;
          Arrays.fill(img, (int) at, (int) Math.min(at + 64, img.length), (byte) 0);
        }
        what = lines + " zeroed lines";
      }
      default -> {
        int len = 4096 + r.nextInt(img.length - 4096);
        img = Arrays.copyOf(img, len);
        what = "truncated to " + len + " bytes";
      }
    }
    String ctx = "seed " + seed + " (" + what + ")";
    try (Medium m = TestMedia.heapWith(img)) {
      try {
        BttCheck.Report rep = BttCheck.check(m, 0, m.size(), Support.smallOptions());
        assertNotNull(rep);
      } catch (NvframeException expected) {
        // coded
      }
      Btt b;
      try {
        b = Btt.open(m, 0, m.size(), Support.smallOptions());
      } catch (NvframeException expected) {
        return;
      }
      byte[] buf = new byte[BS];
      for (long lba = 0; lba < b.blockCount(); lba++) {
        try {
          b.read(lba, buf, 0);
        } catch (NvframeException expected) {
          // media error, corrupted entry
        }
      }
      for (long lba = 0; lba < b.blockCount(); lba += 97) {
        try {
          b.write(lba, Support.pattern(lba, 2, BS), 0);
        } catch (NvframeException expected) {
          // read-only arena, corrupted entry
        }
      }
      BttCheck.repair(m, 0, m.size(), Support.smallOptions());
    } catch (NvframeException expected) {
      // coded
    } catch (Throwable t) {
      fail(ctx + ": " + t, t);
    }
  }
}
