package io.nvframe.tck.crash;

import java.util.List;

/**
 * A crash point: the crash happens just before trace event {@link #traceIndex()} (a fence, or the
 * end of the trace). Each dirty line independently persists one of its {@link DirtyLine#candidates()}.
 *
 * @param ordinal 0-based number of the point within its trace
 * @param traceIndex events before this index happened
 * @param durable the durable image at this point (shared, valid during the visit only; never modify)
 * @param dirty lines whose content is not certain, in ascending line order
 */
public record CrashPoint(int ordinal, int traceIndex, byte[] durable, List<DirtyLine> dirty) {
  /** Number of distinct images: the product of the candidate counts, saturating at Long.MAX_VALUE. */
  public long imageCount() {
    long n = 1;
    for (DirtyLine d : dirty) {
      n = Math.multiplyHigh(n, d.candidates().size()) != 0 ? Long.MAX_VALUE : n * d.candidates().size();
    }
    return n;
  }

  /**
   * One line whose crash content is uncertain.
   *
   * @param line line number (offset / line size)
   * @param candidates the possible contents, de-duplicated; index 0 is the durable content, the
   *     last one holds every issued store
   * @param stores for each candidate, the trace indexes of the pending stores it contains
   */
  public record DirtyLine(long line, List<byte[]> candidates, List<int[]> stores) {}
}
