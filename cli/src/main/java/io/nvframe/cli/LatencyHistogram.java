package io.nvframe.cli;

/**
 * Counts of nanosecond latencies in log-linear buckets: values below 128 exactly, larger ones in
 * 64 buckets per power of two (at most 1/64 relative error). One per thread, merged afterwards;
 * not thread-safe.
 */
final class LatencyHistogram {
  private static final int EXACT = 128;
  private static final int SUB = 64;
  private final long[] counts = new long[EXACT + (63 - 7) * SUB];
  private long total;

  void record(long nanos) {
    counts[index(Math.max(0, nanos))]++;
    total++;
  }

  void add(LatencyHistogram other) {
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
    total += other.total;
  }

  long count() {
    return total;
  }

  /** The smallest bucket value at or below which a fraction {@code q} of the samples lie; NaN when empty. */
  double quantile(double q) {
    if (total == 0) {
      return Double.NaN;
    }
    long rank = Math.max(1, (long) Math.ceil(q * total));
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return lowerBound(i);
      }
    }
    return lowerBound(counts.length - 1);
  }

  static int index(long v) {
    if (v < EXACT) {
      return (int) v;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(v); // >= 7
    int sub = (int) (v >>> (exponent - 6)) & (SUB - 1);
    return EXACT + (exponent - 7) * SUB + sub;
  }

  static long lowerBound(int index) {
    if (index < EXACT) {
      return index;
    }
    int exponent = (index - EXACT) / SUB + 7;
    int sub = (index - EXACT) % SUB;
    return (1L << exponent) + ((long) sub << (exponent - 6));
  }
}
