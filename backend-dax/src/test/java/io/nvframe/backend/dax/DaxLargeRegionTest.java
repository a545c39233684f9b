package io.nvframe.backend.dax;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import io.nvframe.spi.ProviderConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 5 GiB sparse region: 64-bit offsets work across the 2 GiB and 4 GiB marks (where an int offset
 * or a single MappedByteBuffer would break) and up to the last byte, and persist there.
 */
class DaxLargeRegionTest {
  private static final long GIB = 1L << 30;
  private static final long SIZE = 5 * GIB;

  @TempDir Path tmp;

  @Test
  void fiveGibSparseRegionAcrossTheTwoAndFourGibMarks() throws IOException {
    assumeTrue(Files.getFileStore(tmp).getUsableSpace() > 64L << 20, "needs a little real space for touched pages");
    Path file = tmp.resolve("large.nvf");
    Map<String, String> options =
        Map.of(DaxBackendProvider.PREALLOCATE, "false", DaxBackendProvider.MODE, DaxBackendProvider.MODE_MSYNC);
    long[] longs = {0, (1L << 31) - 8, 1L << 31, (1L << 32) - 8, 1L << 32, SIZE - 8};
    long[] spans = {(1L << 31) - 100, (1L << 32) - 3, SIZE - 777};
    SplittableRandom random = new SplittableRandom(5);
    byte[][] data = new byte[spans.length][];
    try (Medium m = new DaxBackendProvider().create(new ProviderConfig(file, SIZE, false, options))) {
      assertEquals(SIZE, m.size());
      assertEquals(SIZE, m.segment().orElseThrow().byteSize());
      PersistStats before = m.stats();
      for (int i = 0; i < spans.length; i++) {
        data[i] = new byte[(int) Math.min(777, SIZE - spans[i])];
        for (int j = 0; j < data[i].length; j++) {
          data[i][j] = (byte) random.nextInt();
        }
        m.write(spans[i], data[i], 0, data[i].length);
        m.persist(spans[i], data[i].length);
      }
      // 8-byte stores right at the marks, inside the spans: patch the expected span bytes too
      for (long off : longs) {
        m.storeLong(off, ~off);
        m.persist(off, 8);
        for (int i = 0; i < spans.length; i++) {
          for (int b = 0; b < 8; b++) {
            long at = off + b - spans[i];
            if (at >= 0 && at < data[i].length) {
              data[i][(int) at] = (byte) (~off >>> (8 * b));
            }
          }
        }
      }
      m.storeInt(SIZE - 12, 0x600D);
      m.persist(SIZE - 12, 4);
      for (int i = 0; i < spans.length; i++) {
        for (int b = 0; b < 4; b++) {
          long at = SIZE - 12 + b - spans[i];
          if (at >= 0 && at < data[i].length) {
            data[i][(int) at] = (byte) (0x600D >>> (8 * b));
          }
        }
      }
      PersistStats d = m.stats().minus(before);
      assertEquals(longs.length + 1 + spans.length, d.flushes(), "one flush per persist");
      assertEquals(longs.length + 1 + spans.length, d.fences(), "one fence per persist");
      MappedMedium mm = (MappedMedium) m;
      assertEquals(longs.length + 1 + spans.length, mm.writebackRanges(), "one msync range per persist");
    }
    assertEquals(SIZE, Files.size(file));
    assertTrue(TestFs.allocatedBytes(file) < 64L << 20, "the file stays sparse: " + TestFs.allocatedBytes(file));

    try (Medium m = new DaxBackendProvider().open(new ProviderConfig(file, 0, false, Map.of()))) {
      assertEquals(SIZE, m.size(), "open takes the file size");
      for (long off : longs) {
        assertEquals(~off, m.loadLong(off), "long at " + off);
      }
      assertEquals(0x600D, m.loadInt(SIZE - 12), "int near the end");
      for (int i = 0; i < spans.length; i++) {
        byte[] back = new byte[data[i].length];
        m.read(spans[i], back, 0, back.length);
        assertArrayEquals(data[i], back, "bytes across offset " + spans[i]);
      }
      assertEquals(0, m.loadLong(3 * GIB), "untouched sparse pages read as zero");
    }
  }
}
