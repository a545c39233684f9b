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
 * bytes themselves over seeded random range sets of every size class); two exact footprints (a few
 * ranges each) overlap only then, and the hash sets of a few small ranges far apart usually do not,
 * so two threads changing different data do not flush each other's lane.
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
    Lane lane = Lane.create(0, 0, 4096, TestMedia.heap(1 << 16), 1);
    int sharing = 0;
    int exactDisjoint = 0;
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
      Footprint fa = footprint(a);
      Footprint fb = footprint(b);
      lane.publish(trial + 1, fa, false, 0, -1, 0);
      final int t = trial;
      if (shareAByte(a, b)) {
        sharing++;
        assertTrue(fa.overlaps(fb) && fb.overlaps(fa) && lane.mayTarget(fb),
            () -> "seed " + seed + " trial " + t + ": ranges share a byte but the footprints do not overlap: " + fa + " / " + fb);
      } else if (a.length <= Footprint.EXACT && b.length <= Footprint.EXACT) {
        exactDisjoint++;
        assertFalse(fa.overlaps(fb) || fb.overlaps(fa) || lane.mayTarget(fb),
            () -> "seed " + seed + " trial " + t + ": exact footprints share no byte but overlap: " + fa + " / " + fb);
      }
    }
    assertTrue(sharing > 1_000, "seed " + seed + ": only " + sharing + " sharing pairs generated");
    assertTrue(exactDisjoint > 1_000, "seed " + seed + ": only " + exactDisjoint + " exact disjoint pairs generated");
  }

  /**
   * A lane's page summary ({@link LaneSummary}) after every publish: any range sharing a byte with
   * the published record passes {@link Lane#mayTouchPages} (so a flusher that skips a lane on the
   * summary never skips a record it conflicts with), the summary holds at most {@link
   * LaneSummary#RESET_BITS} bits or exactly the last record's pages, it does not change while the
   * records stay in pages it holds (except at a prune: every {@link LaneSummary#PRUNE_EVERY}th
   * record it becomes that record's pages alone), and a full one shrinks to the next record's pages.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void aLaneSummaryCoversItsPublishedRecord(long seed) {
    Random rnd = new Random(seed);
    Lane lane = Lane.create(0, 0, 4096, TestMedia.heap(1 << 16), 1);
    int published = 0;
    for (int trial = 0; trial < 2_000; trial++) {
      long[][] a = ranges(rnd);
      Footprint fa = footprint(a);
      lane.publish(trial + 1, fa, false, 0, -1, 0);
      published++;
      long summary = lane.summary;
      final int t = trial;
      assertEquals(fa.pages, summary & fa.pages, () -> "seed " + seed + " trial " + t + ": summary misses pages");
      assertTrue(Long.bitCount(summary) <= LaneSummary.RESET_BITS || summary == fa.pages,
          () -> "seed " + seed + " trial " + t + ": " + Long.bitCount(lane.summary) + " bits");
      for (int k = 0; k < 5; k++) {
        long[][] b = ranges(rnd);
        long[] x = a[rnd.nextInt(a.length)];
        b[0] = new long[] {x[0] + rnd.nextLong(x[1]), 1};
        assertTrue(lane.mayTouchPages(footprint(b)),
            () -> "seed " + seed + " trial " + t + ": a range sharing a byte is not seen");
      }
      if (fa.pageCount >= 0) {
        // the exact pages hold the record's pages, and a footprint in other pages passes only
        // when one of its pages is among them and shares a bit with the page-bit summary (both
        // hold every page of the last record; they may differ in older records' pages)
        assertTrue(lane.pageCount >= 0 && lane.pageCount <= Footprint.PAGES, () -> "seed " + seed + " trial " + t);
        for (int i = 0; i < fa.pageCount; i++) {
          long page = fa.exactPage(i);
          assertTrue(LongStream.range(0, lane.pageCount).anyMatch(k -> lane.page((int) k) == page),
              () -> "seed " + seed + " trial " + t + ": exact pages miss page " + page);
        }
        Footprint c = footprint(new long[][] {{rnd.nextLong(SPACE - 8), 8}});
        boolean held = LongStream.range(0, lane.pageCount).anyMatch(k -> lane.page((int) k) == c.exactPage(0));
        boolean bit = (lane.summary & c.pages) != 0;
        assertEquals(held && bit, lane.mayTouchPages(c), () -> "seed " + seed + " trial " + t + ": exact page test");
      } else {
        assertEquals(-1, lane.pageCount, () -> "seed " + seed + " trial " + t + ": inexact record, exact pages kept");
      }
      Footprint one = footprint(new long[][] {{a[0][0], 1}});
      lane.publish(trial + 1, one, false, 0, -1, 0);
      if (++published % LaneSummary.PRUNE_EVERY == 0) {
        assertEquals(one.pages, lane.summary, () -> "seed " + seed + " trial " + t + ": a prune keeps other pages");
        assertEquals(1, lane.pageCount, () -> "seed " + seed + " trial " + t + ": a prune keeps other exact pages");
        assertEquals(one.exactPage(0), lane.page(0), () -> "seed " + seed + " trial " + t);
      } else if (Long.bitCount(summary) <= LaneSummary.RESET_BITS) {
        assertEquals(summary, lane.summary, () -> "seed " + seed + " trial " + t + ": a page already held rewrote it");
      } else {
        assertEquals(footprint(new long[][] {{a[0][0], 1}}).pages, lane.summary, "a full summary shrinks");
      }
    }
  }

  /**
   * One record in another page (another thread's, taken on this lane while the owner's lane was
   * locked) stays in the lane's summary only until the next prune: then a footprint in that page
   * passes the lane by without reading its pending line, while one in the owner's page still does
   * not.
   */
  @Test
  void aPageNoLongerUsedLeavesTheSummaryAtTheNextPrune() {
    Lane lane = Lane.create(0, 0, 4096, TestMedia.heap(1 << 16), 1);
    long own = 5 * 4096L;
    long other = 9 * 4096L;
    Footprint foreign = footprint(new long[][] {{other + 128, 64}});
    lane.publish(1, foreign, false, 0, -1, 0);
    int published = 1;
    for (long g = 2; published < LaneSummary.PRUNE_EVERY - 1; g++, published++) {
      lane.publish(g, footprint(new long[][] {{own + (g * 64) % 4096, 64}}), false, 0, -1, 0);
      assertTrue(lane.mayTouchPages(foreign), "record " + g + ": the other page is still held before the prune");
    }
    Footprint mine = footprint(new long[][] {{own, 64}});
    lane.publish(LaneSummary.PRUNE_EVERY, mine, false, 0, -1, 0);
    assertFalse(lane.mayTouchPages(foreign), "the prune dropped the page no record uses");
    assertEquals(mine.pages, lane.summary);
    assertEquals(1, lane.pageCount);
    assertTrue(lane.mayTouchPages(footprint(new long[][] {{own + 4000, 8}})), "the owner's page is kept");
    long before = lane.summary;
    for (int k = 1; k < LaneSummary.PRUNE_EVERY; k++) {
      lane.publish(LaneSummary.PRUNE_EVERY + k, footprint(new long[][] {{own + k * 8L, 8}}), false, 0, -1, 0);
      assertEquals(before, lane.summary, "records in the same page leave the summary's line alone");
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
   * Two transactions of a 64-byte update each, at random lines: exact, they never overlap; their
   * hash sets alone (what a footprint of more ranges uses) overlap only when they collide in the
   * 128-bit hash (expected about 1 in 128): at most 3 % of disjoint pairs here, over a fixed seed.
   */
  @Test
  void smallDisjointFootprintsRarelyOverlap() {
    Random rnd = new Random(11);
    int disjoint = 0;
    int overlapping = 0;
    int exactOverlaps = 0;
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
        exactOverlaps++;
      }
      if (hashesOverlap(fa, fb)) {
        overlapping++;
      }
    }
    assertTrue(overlapping * 100 <= disjoint * 3, overlapping + " of " + disjoint);
    assertEquals(0, exactOverlaps, "exact footprints of disjoint lines");
  }

  /**
   * Two 8-byte words of one line (the frame words of neighbouring frames, say): exact, they never
   * overlap; their hash sets alone overlap only when their word hashes collide: at most 3 % of such
   * pairs here, over a fixed seed.
   */
  @Test
  void neighbouringWordsOfOneLineRarelyOverlap() {
    Random rnd = new Random(13);
    int overlapping = 0;
    int exactOverlaps = 0;
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
        exactOverlaps++;
      }
      if (hashesOverlap(fa, fb)) {
        overlapping++;
      }
    }
    assertTrue(overlapping * 100 <= pairs * 3, overlapping + " of " + pairs);
    assertEquals(0, exactOverlaps, "exact footprints of neighbouring words");
  }

  /** The hash sets' test alone (what two footprints that are not both exact use). */
  private static boolean hashesOverlap(Footprint a, Footprint b) {
    return a.overlaps(b.words0, b.words1, b.runs0, b.runs1, b.lines0, b.lines1, b.pages, b.bigPages);
  }

  /**
   * A footprint keeps up to {@link Footprint#EXACT} ranges exactly and their pages up to {@link
   * Footprint#PAGES}; one more range, or a range over more pages, makes it inexact (hash sets only).
   */
  @Test
  void exactUpToItsLimits() {
    Footprint f = new Footprint();
    for (int i = 0; i < Footprint.EXACT; i++) {
      f.add(i * 8192L + 8, 8);
    }
    assertEquals(Footprint.EXACT, f.exactCount);
    assertEquals(Footprint.EXACT, f.pageCount);
    f.add(4096, 8); // page 1, a fifth range
    assertEquals(-1, f.exactCount);
    assertEquals(-1, f.pageCount);
    assertTrue(f.overlaps(footprint(new long[][] {{8, 1}})), "inexact footprints still overlap on shared bytes");
    Footprint wide = footprint(new long[][] {{100, Footprint.PAGES * 4096L}});
    assertEquals(1, wide.exactCount);
    assertEquals(-1, wide.pageCount, "a range over more than PAGES pages");
    assertTrue(wide.overlaps(footprint(new long[][] {{100 + Footprint.PAGES * 4096L - 1, 1}})));
    assertFalse(wide.overlaps(footprint(new long[][] {{100 + Footprint.PAGES * 4096L, 1}})));
    Footprint pagesFull = footprint(new long[][] {{0, 3 * 4096L}, {8 * 4096L, 3 * 4096L}, {20 * 4096L, 8}});
    assertEquals(3, pagesFull.exactCount);
    assertEquals(-1, pagesFull.pageCount, "seven distinct pages");
    f.clear();
    assertEquals(0, f.exactCount);
    assertEquals(0, f.pageCount);
    assertEquals(-1, Footprint.everything().exactCount);
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
