package io.nvframe.api;

import java.util.List;

/**
 * A snapshot of allocator, log and persistence counters.
 *
 * @param frameCount page frames in the region
 * @param freeFrames free page frames
 * @param freeBlocksPerOrder number of free blocks at each order 0..maxOrder
 * @param largestFreeOrder largest order with a free block, or -1 when none is free
 * @param freeFramesOutsideMaxOrderBlocks free frames not part of a free max-order block
 *     (a fragmentation measure)
 * @param transactionsCommitted transactions committed since open
 * @param logRecordsWritten redo records written since open (single-word transactions write none)
 * @param stores 8-byte and bulk stores issued to the medium since open
 * @param bytesWritten bytes written to the medium since open
 * @param flushes flush calls issued since open
 * @param fences fences issued since open
 */
public record RegionStats(
    long frameCount,
    long freeFrames,
    List<Long> freeBlocksPerOrder,
    int largestFreeOrder,
    long freeFramesOutsideMaxOrderBlocks,
    long transactionsCommitted,
    long logRecordsWritten,
    long stores,
    long bytesWritten,
    long flushes,
    long fences) {

  public RegionStats {
    freeBlocksPerOrder = List.copyOf(freeBlocksPerOrder);
  }

  /** Fraction of free frames outside free max-order blocks, 0 when nothing is free. */
  public double fragmentation() {
    return freeFrames == 0 ? 0.0 : (double) freeFramesOutsideMaxOrderBlocks / freeFrames;
  }
}
