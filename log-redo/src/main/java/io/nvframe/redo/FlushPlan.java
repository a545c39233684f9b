package io.nvframe.redo;

import io.nvframe.spi.Medium;
import java.util.Arrays;

/**
 * Collects byte ranges to flush, widens each to whole flush lines ({@link
 * Medium#flushGranularity()}) and issues one {@link Medium#flush} per maximal run of overlapping or
 * adjacent lines. Ranges added in ascending order (the encoded entries of a record are sorted by
 * offset) merge on the fly; unsorted input is sorted once in {@link #flush}. Reusable; not
 * thread-safe (one per lane, used under the lane lock).
 */
final class FlushPlan extends LinePadding {
  private final long line;
  private final long limit;
  private long[] starts = new long[16];
  private long[] ends = new long[16];
  private int count;
  private boolean sorted = true;
  /**
   * Whether ranges were written with {@link Medium#writeAndFlush} since the last reset (by {@link
   * RecordFormat#writeCopy}): they are not in the plan, and only a fence of the writing thread
   * completes them.
   */
  boolean wroteAndFlushed;

  FlushPlan(Medium medium) {
    this.line = medium.flushGranularity();
    this.limit = medium.size();
  }

  /** The flush granularity: ranges are widened to multiples of it. */
  long line() {
    return line;
  }

  void reset() {
    count = 0;
    sorted = true;
    wroteAndFlushed = false;
  }

  boolean isEmpty() {
    return count == 0;
  }

  /** Adds {@code [offset, offset + length)}; empty ranges are ignored. */
  void add(long offset, long length) {
    if (length <= 0) {
      return;
    }
    long start = Math.floorDiv(offset, line) * line;
    long end = Math.min(limit, Math.ceilDiv(offset + length, line) * line);
    if (count > 0) {
      int last = count - 1;
      if (start >= starts[last] && start <= ends[last]) {
        ends[last] = Math.max(ends[last], end);
        return;
      }
      if (start < starts[last]) {
        sorted = false;
      }
    }
    if (count == starts.length) {
      starts = Arrays.copyOf(starts, count * 2);
      ends = Arrays.copyOf(ends, count * 2);
    }
    starts[count] = start;
    ends[count] = end;
    count++;
  }

  /** Issues the merged flushes and returns how many flush calls were made. Resets the plan. */
  int flush(Medium medium) {
    int n = issue(medium);
    reset();
    return n;
  }

  /**
   * Issues the merged flushes and keeps the plan (an open lane's targets: reset only once a fence
   * of the flushing thread followed, so whoever closes the lane after a failure flushes them again).
   */
  int issue(Medium medium) {
    if (!sorted) {
      sortAndMerge();
    }
    for (int i = 0; i < count; i++) {
      medium.flush(starts[i], ends[i] - starts[i]);
    }
    return count;
  }

  private void sortAndMerge() {
    Integer[] order = new Integer[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Long.compare(starts[a], starts[b]));
    long[] s = new long[Math.max(16, count)];
    long[] e = new long[s.length];
    int n = 0;
    for (int idx : order) {
      if (n > 0 && starts[idx] <= e[n - 1]) {
        e[n - 1] = Math.max(e[n - 1], ends[idx]);
      } else {
        s[n] = starts[idx];
        e[n] = ends[idx];
        n++;
      }
    }
    starts = s;
    ends = e;
    count = n;
    sorted = true;
  }
}
