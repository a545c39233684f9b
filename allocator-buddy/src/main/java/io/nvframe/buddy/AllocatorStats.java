package io.nvframe.buddy;

import java.util.Arrays;
import java.util.List;

/**
 * A snapshot of a {@link BuddyAllocator}'s free space.
 *
 * <p>{@code freeFrames = sum(freeBlocksPerOrder[k] << k) + cachedFrames}: blocks in threads' caches
 * are free but are counted only in {@code cachedFrames}. Reserved blocks (transactions not yet
 * committed) and blocks whose free is pending are not free.
 *
 * @param frameCount frames managed
 * @param freeFrames frames free, in the shared lists or in thread caches
 * @param freeBlocksPerOrder blocks in the shared free lists at each order {@code 0..maxOrder}
 * @param largestFreeOrder largest order of a free block (shared or cached), {@code -1} if none
 * @param freeFramesOutsideMaxOrderBlocks free frames not part of a free block of order {@code
 *     maxOrder} (a fragmentation measure)
 * @param cachedFrames free frames held in threads' caches
 */
public record AllocatorStats(
    long frameCount,
    long freeFrames,
    List<Long> freeBlocksPerOrder,
    int largestFreeOrder,
    long freeFramesOutsideMaxOrderBlocks,
    long cachedFrames) {

  public AllocatorStats {
    freeBlocksPerOrder = List.copyOf(freeBlocksPerOrder);
  }

  /** Frames not free: allocated, reserved or being freed. */
  public long usedFrames() {
    return frameCount - freeFrames;
  }

  /** Fraction of free frames outside free max-order blocks, 0 when nothing is free. */
  public double fragmentation() {
    return freeFrames == 0 ? 0.0 : (double) freeFramesOutsideMaxOrderBlocks / freeFrames;
  }

  /**
   * The stats of {@code frameCount} frames from the free blocks per order in the zones ({@code
   * free}) and in the thread caches ({@code cached}), both indexed {@code 0..maxOrder}.
   */
  static AllocatorStats of(long frameCount, long[] free, long[] cached) {
    int maxOrder = free.length - 1;
    long sharedFrames = 0;
    long cachedFrames = 0;
    int largest = -1;
    Long[] perOrder = new Long[maxOrder + 1];
    for (int k = 0; k <= maxOrder; k++) {
      perOrder[k] = free[k];
      sharedFrames += free[k] << k;
      cachedFrames += cached[k] << k;
      if (free[k] != 0 || cached[k] != 0) {
        largest = k;
      }
    }
    long freeFrames = sharedFrames + cachedFrames;
    long outside = freeFrames - (free[maxOrder] << maxOrder);
    return new AllocatorStats(frameCount, freeFrames, Arrays.asList(perOrder), largest, outside,
        cachedFrames);
  }
}
