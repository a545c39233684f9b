package io.nvframe.backend.dax;

/**
 * What {@link MappedMedium#flush} calls to write a range back, and the unit it widens the range to
 * (see the flush table in {@link MappedMedium}).
 */
enum FlushPrimitive {
  /** {@code force()} of the 64-byte-aligned slice of a MAP_SYNC file mapping: the JDK writes back each line and fences. */
  FORCE_LINES(64),
  /** {@code force()} of the page-aligned slice of a plain file mapping: {@code msync(MS_SYNC)}. */
  FORCE_PAGES(4096),
  /** Cache-line write-back through {@link CacheLineWriteback} (emulate mode, device DAX). */
  WRITEBACK_LINES(64),
  /** Nothing: mode none (eADR) and read-only media. */
  NOTHING(64);

  /** Bytes the flushed range is widened to: a page for msync, else a cache line. */
  final long unit;

  FlushPrimitive(long unit) {
    this.unit = unit;
  }
}
