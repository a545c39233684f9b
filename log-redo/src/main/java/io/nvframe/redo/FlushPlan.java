package io.nvframe.redo;

import io.nvframe.spi.Medium;
import java.util.Arrays;

/**
 * The fields of a {@link FlushPlan}, between {@link LinePadding} and the plan's 64 bytes after them
 * (a lane's plan is written on every commit of the lane).
 */
abstract class FlushPlanFields extends LinePadding {
  /** Unused longs on either side of the runs in {@link #runs}: one cache line. */
  static final int PAD = 8;
  final long line;
  final long limit;
  /** Run i is {@code [runs[PAD + 2i], runs[PAD + 2i + 1])}, for i below {@link #count}. */
  long[] runs = new long[PAD + 2 * 16 + PAD];
  int count;
  boolean sorted = true;
  /**
   * Whether ranges were written with {@link Medium#writeAndFlush} since the last reset (by {@link
   * RecordFormat#writeCopy}): they are not in the plan, and only a fence of the writing thread
   * completes them.
   */
  boolean wroteAndFlushed;

  FlushPlanFields(Medium medium) {
    this.line = medium.flushGranularity();
    this.limit = medium.size();
  }
}

/**
 * Collects byte ranges to flush, widens each to whole flush lines ({@link
 * Medium#flushGranularity()}) and issues one {@link Medium#flush} per maximal run of overlapping or
 * adjacent lines. Ranges added in ascending order (the encoded entries of a record are sorted by
 * offset) merge on the fly; unsorted input is sorted once in {@link #flush}. Reusable; not
 * thread-safe (one per lane, used under the lane lock).
 */
final class FlushPlan extends FlushPlanFields {
  @SuppressWarnings("unused")
  private long q0, q1, q2, q3, q4, q5, q6, q7;

  FlushPlan(Medium medium) {
    super(medium);
  }

  private long start(int i) {
    return runs[PAD + 2 * i];
  }

  private long end(int i) {
    return runs[PAD + 2 * i + 1];
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
      int last = PAD + 2 * (count - 1);
      if (start >= runs[last] && start <= runs[last + 1]) {
        runs[last + 1] = Math.max(runs[last + 1], end);
        return;
      }
      if (start < runs[last]) {
        sorted = false;
      }
    }
    if (PAD + 2 * count + 2 > runs.length - PAD) {
      runs = Arrays.copyOf(runs, PAD + 4 * count + PAD);
    }
    runs[PAD + 2 * count] = start;
    runs[PAD + 2 * count + 1] = end;
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
      medium.flush(start(i), end(i) - start(i));
    }
    return count;
  }

  private void sortAndMerge() {
    Integer[] order = new Integer[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Long.compare(start(a), start(b)));
    long[] r = new long[runs.length];
    int n = 0;
    for (int idx : order) {
      int at = PAD + 2 * n;
      if (n > 0 && start(idx) <= r[at - 1]) {
        r[at - 1] = Math.max(r[at - 1], end(idx));
      } else {
        r[at] = start(idx);
        r[at + 1] = end(idx);
        n++;
      }
    }
    runs = r;
    count = n;
    sorted = true;
  }
}
