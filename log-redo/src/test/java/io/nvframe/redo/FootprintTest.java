package io.nvframe.redo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.tck.TestMedia;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Footprint}: two footprints whose ranges share a byte always overlap (checked against the
 * bytes themselves over seeded random range sets of every size class), and footprints of a few
 * small ranges far apart usually do not, so two threads changing different data rarely flush
 * each other's lane.
 */
class FootprintTest {
  private static final int SPACE = 1 << 22;

  static LongStream seeds() {
    return LongStream.range(0, 40).map(i -> 0xF00D_0000L + i * 65537);
  }

  /**
   * Random ranges in a 4 MiB space: bytes of one aligned word, small ranges (1..300 bytes), some
   * over many lines or pages.
   */
  private static long[][] ranges(Random rnd) {
    int n = 1 + rnd.nextInt(6);
    long[][] r = new long[n][];
    for (int i = 0; i < n; i++) {
      int kind = rnd.nextInt(10);
      if (kind < 4) {
        long word = rnd.nextLong(SPACE >> 3) << 3;
        int from = rnd.nextInt(8);
        r[i] = new long[] {word + from, 1 + rnd.nextInt(8 - from)};
        continue;
      }
      long length = kind < 7 ? 1 + rnd.nextInt(300) : kind < 9 ? 300 + rnd.nextInt(20_000) : 1 + rnd.nextInt(600_000);
      long offset = rnd.nextLong(SPACE - length);
      r[i] = new long[] {offset, length};
    }
    return r;
  }

  private static Footprint footprint(long[][] ranges) {
    Footprint f = new Footprint();
    for (long[] r : ranges) {
      f.add(r[0], r[1]);
    }
    return f;
  }

  private static boolean shareAByte(long[][] a, long[][] b) {
    for (long[] x : a) {
      for (long[] y : b) {
        if (x[0] < y[0] + y[1] && y[0] < x[0] + x[1]) {
          return true;
        }
      }
    }
    return false;
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void rangesSharingAByteAlwaysOverlap(long seed) {
    Random rnd = new Random(seed);
    int sharing = 0;
    for (int trial = 0; trial < 5_000; trial++) {
      long[][] a = ranges(rnd);
      long[][] b = ranges(rnd);
      if (rnd.nextInt(3) == 0) {
        // make them share a byte: b gets a range through a random byte of one of a's ranges
        long[] x = a[rnd.nextInt(a.length)];
        long at = x[0] + rnd.nextLong(x[1]);
        long before = rnd.nextInt(200);
        long start = Math.max(0, at - before);
        b[0] = new long[] {start, at - start + 1 + rnd.nextInt(200)};
      }
      if (shareAByte(a, b)) {
        sharing++;
        Footprint fa = footprint(a);
        Footprint fb = footprint(b);
        final int t = trial;
        assertTrue(fa.overlaps(fb) && fb.overlaps(fa),
            () -> "seed " + seed + " trial " + t + ": ranges share a byte but the footprints do not overlap: " + fa + " / " + fb);
      }
    }
    assertTrue(sharing > 1_000, "seed " + seed + ": only " + sharing + " sharing pairs generated");
  }

  /**
   * A lane's page summary ({@link LaneSummary}) after every publish: any range sharing a byte with
   * the published record passes {@link Lane#mayTouchPages} (so a flusher that skips a lane on the
   * summary never skips a record it conflicts with), the summary holds at most {@link
   * LaneSummary#RESET_BITS} bits or exactly the last record's pages, it does not change while the
   * records stay in pages it holds, and a full one shrinks to the next record's pages.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void aLaneSummaryCoversItsPublishedRecord(long seed) {
    Random rnd = new Random(seed);
    Lane lane = Lane.create(0, 0, 4096, TestMedia.heap(1 << 16), 1);
    for (int trial = 0; trial < 2_000; trial++) {
      long[][] a = ranges(rnd);
      Footprint fa = footprint(a);
      lane.publish(trial + 1, fa, false, 0, -1, 0);
      long summary = lane.summary;
      final int t = trial;
      assertEquals(fa.pages, summary & fa.pages, () -> "seed " + seed + " trial " + t + ": summary misses pages");
      assertTrue(Long.bitCount(summary) <= LaneSummary.RESET_BITS || summary == fa.pages,
          () -> "seed " + seed + " trial " + t + ": " + Long.bitCount(lane.summary) + " bits");
      for (int k = 0; k < 5; k++) {
        long[][] b = ranges(rnd);
        long[] x = a[rnd.nextInt(a.length)];
        b[0] = new long[] {x[0] + rnd.nextLong(x[1]), 1};
        assertTrue(lane.mayTouchPages(footprint(b).pages),
            () -> "seed " + seed + " trial " + t + ": a range sharing a byte is not seen");
      }
      lane.publish(trial + 1, footprint(new long[][] {{a[0][0], 1}}), false, 0, -1, 0);
      if (Long.bitCount(summary) <= LaneSummary.RESET_BITS) {
        assertEquals(summary, lane.summary, () -> "seed " + seed + " trial " + t + ": a page already held rewrote it");
      } else {
        assertEquals(footprint(new long[][] {{a[0][0], 1}}).pages, lane.summary, "a full summary shrinks");
      }
    }
  }

  @Test
  void everythingOverlapsAnyRangeAndNothingOverlapsTheEmptyFootprint() {
    Random rnd = new Random(7);
    Footprint empty = new Footprint();
    for (int i = 0; i < 1_000; i++) {
      Footprint f = footprint(ranges(rnd));
      assertTrue(Footprint.everything().overlaps(f) && f.overlaps(Footprint.everything()), f::toString);
      assertFalse(empty.overlaps(f), f::toString);
    }
  }

  /**
   * Two transactions of a 64-byte update each, at random lines: they overlap only when they share
   * the line or collide in the 128-bit hash (expected about 1 in 128); at most 3 % of disjoint pairs
   * overlap here, over a fixed seed.
   */
  @Test
  void smallDisjointFootprintsRarelyOverlap() {
    Random rnd = new Random(11);
    int disjoint = 0;
    int overlapping = 0;
    for (int i = 0; i < 20_000; i++) {
      long a = rnd.nextInt(SPACE >> 6) * 64L;
      long b = rnd.nextInt(SPACE >> 6) * 64L;
      if (a == b) {
        continue;
      }
      disjoint++;
      Footprint fa = new Footprint();
      fa.add(a, 64);
      Footprint fb = new Footprint();
      fb.add(b, 64);
      if (fa.overlaps(fb)) {
        overlapping++;
      }
    }
    assertTrue(overlapping * 100 <= disjoint * 3, overlapping + " of " + disjoint);
  }

  /**
   * Two 8-byte words of one line (the frame words of neighbouring frames, say) overlap only when
   * their word hashes collide: at most 3 % of such pairs here, over a fixed seed.
   */
  @Test
  void neighbouringWordsOfOneLineRarelyOverlap() {
    Random rnd = new Random(13);
    int overlapping = 0;
    int pairs = 20_000;
    for (int i = 0; i < pairs; i++) {
      long line = rnd.nextInt(SPACE >> 6) * 64L;
      int a = rnd.nextInt(8);
      int b = (a + 1 + rnd.nextInt(7)) % 8;
      Footprint fa = new Footprint();
      fa.add(line + a * 8L, 8);
      Footprint fb = new Footprint();
      fb.add(line + b * 8L, 8);
      if (fa.overlaps(fb)) {
        overlapping++;
      }
    }
    assertTrue(overlapping * 100 <= pairs * 3, overlapping + " of " + pairs);
  }

  @Test
  void clearForgetsEveryRange() {
    Footprint a = new Footprint();
    a.add(4096, 64);
    a.add(1 << 20, 1 << 16);
    Footprint b = new Footprint();
    b.add(4096 + 8, 8);
    b.add((1 << 20) + 4096, 64);
    assertTrue(a.overlaps(b));
    b.clear();
    assertFalse(a.overlaps(b));
    assertEquals(new Footprint().toString(), b.toString());
  }
}
