package io.nvframe.buddy;

import java.util.List;

/**
 * The free lists of one zone of a {@link BuddyAllocator}: one bitmap per order with a summary
 * level, the per-order free counts, and the split/merge steps of the buddy system. Pfns are
 * relative to the zone's first frame, which is aligned to {@code 2^maxOrder}, so alignment and
 * buddies are the same as in absolute numbers. Not thread-safe: the zone's lock guards it.
 *
 * <p>Layout for order {@code k} ({@code blocks = frameCount >>> k} aligned blocks of {@code 2^k}
 * frames; a trailing partial block does not exist at that order):
 *
 * <pre>
 *   bits[k][w]     bit b set  &lt;=&gt;  block index (w * 64 + b) is free at order k,
 *                                   i.e. frames [idx << k, (idx + 1) << k) form one free block
 *   summary[k][s]  bit t set  &lt;=&gt;  bits[k][s * 64 + t] != 0
 *   hint[k]        no summary word below it is non-zero (find-first starts there)
 *   nrFree[k]      number of set bits in bits[k]
 * </pre>
 *
 * <p>A free frame belongs to exactly one free block; the blocks are kept fully coalesced: a block
 * and its buddy ({@code pfn ^ (1 << k)}) are never both free at order {@code k < maxOrder}.
 */
final class FreeLists {
  /** log2 of the bits in a bitmap word. */
  private static final int WORD_SHIFT = 6;

  private static final int WORD_MASK = (1 << WORD_SHIFT) - 1;

  private final long frameCount;
  private final int maxOrder;
  private final long[][] bits;
  private final long[][] summary;
  private final int[] hint;
  private final long[] nrFree;
  private final long[] blockCount;

  FreeLists(long frameCount, int maxOrder) {
    this.frameCount = frameCount;
    this.maxOrder = maxOrder;
    this.bits = new long[maxOrder + 1][];
    this.summary = new long[maxOrder + 1][];
    this.hint = new int[maxOrder + 1];
    this.nrFree = new long[maxOrder + 1];
    this.blockCount = new long[maxOrder + 1];
    for (int k = 0; k <= maxOrder; k++) {
      long blocks = frameCount >>> k;
      int words = (int) ((blocks + WORD_MASK) >>> WORD_SHIFT);
      blockCount[k] = blocks;
      bits[k] = new long[words];
      summary[k] = new long[(words + WORD_MASK) >>> WORD_SHIFT];
    }
  }

  int maxOrder() {
    return maxOrder;
  }

  long nrFree(int order) {
    return nrFree[order];
  }

  /** Frames in the free lists. */
  long freeFrames() {
    long sum = 0;
    for (int k = 0; k <= maxOrder; k++) {
      sum += nrFree[k] << k;
    }
    return sum;
  }

  /** Largest order with a free block, or -1. */
  int largestFreeOrder() {
    for (int k = maxOrder; k >= 0; k--) {
      if (nrFree[k] != 0) {
        return k;
      }
    }
    return -1;
  }

  /** Whether the block of order {@code order} at {@code pfn} exists and is free at that order. */
  boolean isFree(long pfn, int order) {
    long idx = pfn >>> order;
    if (idx >= blockCount[order]) {
      return false;
    }
    return (bits[order][(int) (idx >>> WORD_SHIFT)] & (1L << idx)) != 0;
  }

  /** Marks the block free at {@code order}; it must not be free already. */
  void add(long pfn, int order) {
    long idx = pfn >>> order;
    int w = (int) (idx >>> WORD_SHIFT);
    long[] b = bits[order];
    long old = b[w];
    assert (old & (1L << idx)) == 0 : "block pfn=" + pfn + " order=" + order + " already free";
    b[w] = old | (1L << idx);
    if (old == 0) {
      int s = w >>> WORD_SHIFT;
      summary[order][s] |= 1L << w;
      if (s < hint[order]) {
        hint[order] = s;
      }
    }
    nrFree[order]++;
  }

  /** Removes a free block from the list of {@code order}; it must be free. */
  void remove(long pfn, int order) {
    long idx = pfn >>> order;
    int w = (int) (idx >>> WORD_SHIFT);
    long[] b = bits[order];
    long now = b[w] & ~(1L << idx);
    assert now != b[w] : "block pfn=" + pfn + " order=" + order + " is not free";
    b[w] = now;
    if (now == 0) {
      summary[order][w >>> WORD_SHIFT] &= ~(1L << w);
    }
    nrFree[order]--;
  }

  /** Removes and returns the lowest free block of exactly {@code order}, or -1. */
  long pollFirst(int order) {
    if (nrFree[order] == 0) {
      return -1;
    }
    long[] s = summary[order];
    int i = hint[order];
    while (s[i] == 0) {
      i++;
    }
    hint[order] = i;
    int w = (i << WORD_SHIFT) | Long.numberOfTrailingZeros(s[i]);
    long word = bits[order][w];
    long idx = ((long) w << WORD_SHIFT) | Long.numberOfTrailingZeros(word);
    long pfn = idx << order;
    remove(pfn, order);
    return pfn;
  }

  /**
   * Allocation (Linux {@code __rmqueue_smallest} + {@code expand}): takes the lowest block of the
   * smallest order {@code k >= order} that has one, and splits it down, returning the upper halves
   * to the lists of orders {@code k-1 .. order}.
   *
   * @return the first frame of the block, or -1 when no block of {@code order} can be made
   */
  long allocate(int order) {
    for (int k = order; k <= maxOrder; k++) {
      if (nrFree[k] != 0) {
        long pfn = pollFirst(k);
        for (int j = k - 1; j >= order; j--) {
          add(pfn + (1L << j), j);
        }
        return pfn;
      }
    }
    return -1;
  }

  /**
   * Free with merge (Linux {@code __free_one_page}): while the buddy {@code pfn ^ (1 << k)} is a
   * free block of the same order, remove it and climb to the combined block; insert at the final
   * order.
   */
  void free(long pfn, int order) {
    while (order < maxOrder) {
      long buddy = pfn ^ (1L << order);
      if (!isFree(buddy, order)) {
        break;
      }
      remove(buddy, order);
      pfn &= buddy;
      order++;
    }
    add(pfn, order);
  }

  /** Visits every free block, by increasing order then address. */
  void forEach(BlockVisitor visitor) {
    for (int k = 0; k <= maxOrder; k++) {
      long[] b = bits[k];
      for (int w = 0; w < b.length; w++) {
        long word = b[w];
        while (word != 0) {
          long idx = ((long) w << WORD_SHIFT) | Long.numberOfTrailingZeros(word);
          visitor.visit(idx << k, k);
          word &= word - 1;
        }
      }
    }
  }

  /** Frames covered by block index limits: {@code frameCount >>> order}. */
  long blockCount(int order) {
    return blockCount[order];
  }

  /** Checks the bitmap bookkeeping (counts, summaries, hints, bits beyond the last block). */
  void verifyBookkeeping(List<String> problems) {
    for (int k = 0; k <= maxOrder; k++) {
      long[] b = bits[k];
      long[] s = summary[k];
      long count = 0;
      int firstNonEmpty = s.length;
      for (int w = 0; w < b.length; w++) {
        count += Long.bitCount(b[w]);
        boolean summaryBit = (s[w >>> WORD_SHIFT] & (1L << w)) != 0;
        if (summaryBit != (b[w] != 0)) {
          problems.add("free bitmap order " + k + ": summary bit of word " + w + " is " + summaryBit
              + " but the word is 0x" + Long.toHexString(b[w]));
        }
        if (b[w] != 0 && firstNonEmpty == s.length) {
          firstNonEmpty = w >>> WORD_SHIFT;
        }
      }
      if (b.length > 0) {
        int tailBits = (int) (blockCount[k] & WORD_MASK);
        if (tailBits != 0 && (b[b.length - 1] >>> tailBits) != 0) {
          problems.add("free bitmap order " + k + ": bits set beyond the last block (index "
              + blockCount[k] + ")");
        }
      }
      if (count != nrFree[k]) {
        problems.add("nrFree[" + k + "] = " + nrFree[k] + " but the bitmap holds " + count
            + " free blocks");
      }
      if (hint[k] > firstNonEmpty) {
        problems.add("find-first hint of order " + k + " is " + hint[k]
            + " but summary word " + firstNonEmpty + " is non-zero");
      }
    }
  }

  /** Receives one free block. */
  @FunctionalInterface
  interface BlockVisitor {
    void visit(long pfn, int order);
  }

  @Override
  public String toString() {
    return "FreeLists(frames=" + frameCount + ", free=" + freeFrames() + ")";
  }
}
