package io.nvframe.core;

import java.util.Locale;

/**
 * When the phases of a region's open ended, in {@link System#nanoTime()}: reading and validating
 * the header, recovering the redo log, rebuilding the allocator, loading the roots.
 */
record OpenTimings(long start, long headerDone, long logDone, long allocatorDone, long rootsDone) {
  /** The whole open in milliseconds. */
  double totalMillis() {
    return (rootsDone - start) / 1e6;
  }

  /** {@code header 0.150, redo log 0.300, allocator 1.200, roots 0.030 ms}. */
  String phases() {
    return String.format(Locale.ROOT, "header %.3f, redo log %.3f, allocator %.3f, roots %.3f ms",
        (headerDone - start) / 1e6, (logDone - headerDone) / 1e6, (allocatorDone - logDone) / 1e6,
        (rootsDone - allocatorDone) / 1e6);
  }
}
