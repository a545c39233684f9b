package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nvframe.spi.Medium;
import io.nvframe.tck.TestMedia;
import java.util.Map;
import java.util.TreeMap;

/** Helpers shared by the allocator tests, including an oracle independent of the allocator. */
final class BuddyTestSupport {
  private BuddyTestSupport() {}

  /** A zeroed heap medium holding a table of {@code frames} words at {@code tableOffset}. */
  static Medium formatted(long tableOffset, long frames) {
    Medium m = TestMedia.heap(tableOffset + BuddyAllocator.tableBytes(frames) + 64);
    BuddyAllocator.format(m, tableOffset, frames);
    return m;
  }

  /**
   * The fully coalesced free blocks for the frames not in use, by definition rather than by the
   * greedy rule: block {@code (x, k)} is free iff all its frames are free and it has no parent at
   * order {@code k + 1 <= maxOrder} inside the table whose frames are all free.
   */
  static TreeMap<Long, Integer> coalesced(boolean[] inUse, int maxOrder) {
    int n = inUse.length;
    long[] usedPrefix = new long[n + 1];
    for (int i = 0; i < n; i++) {
      usedPrefix[i + 1] = usedPrefix[i] + (inUse[i] ? 1 : 0);
    }
    TreeMap<Long, Integer> blocks = new TreeMap<>();
    for (int k = 0; k <= maxOrder; k++) {
      long size = 1L << k;
      for (long x = 0; x + size <= n; x += size) {
        if (!allFree(usedPrefix, x, size)) {
          continue;
        }
        long parent = x & -(size << 1);
        boolean parentFree = k < maxOrder && parent + (size << 1) <= n
            && allFree(usedPrefix, parent, size << 1);
        if (!parentFree) {
          blocks.put(x, k);
        }
      }
    }
    return blocks;
  }

  private static boolean allFree(long[] usedPrefix, long x, long size) {
    return usedPrefix[(int) (x + size)] - usedPrefix[(int) x] == 0;
  }

  /** Marks the blocks of {@code live} (pfn to order) in use. */
  static boolean[] inUse(long frames, Map<Long, Integer> live) {
    boolean[] used = new boolean[(int) frames];
    live.forEach((pfn, order) -> {
      for (long f = pfn; f < pfn + (1L << order); f++) {
        used[(int) f] = true;
      }
    });
    return used;
  }

  /** The raw table bytes. */
  static byte[] tableBytes(Medium m, long tableOffset, long frames) {
    byte[] b = new byte[(int) BuddyAllocator.tableBytes(frames)];
    m.read(tableOffset, b, 0, b.length);
    return b;
  }

  /**
   * A5: after draining, the incremental state equals the state rebuilt from the same table.
   * Requires no reservations or pending frees.
   */
  static void assertRebuildEquals(BuddyAllocator a, Medium m, String context) {
    a.drainCaches();
    BuddyAllocator b = BuddyAllocator.open(m, a.tableOffset(), a.frameCount(), a.maxOrder(),
        a.config());
    b.checkInvariants();
    assertEquals(b.zones.freeBlocks(), a.zones.freeBlocks(),
        context + ": free blocks rebuilt from the table differ from the incremental ones (A5)");
    assertEquals(b.stats(), a.stats(), context + ": stats differ after rebuild (A5)");
  }
}
