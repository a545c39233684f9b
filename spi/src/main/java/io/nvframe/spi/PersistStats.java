package io.nvframe.spi;

/**
 * Counters of a {@link Medium} since it was opened. Flush and fence counts are deterministic for a
 * given sequence of operations, so tests may assert them.
 *
 * @param stores store calls (8-byte, 4-byte and bulk)
 * @param bytesWritten bytes stored
 * @param flushes flush calls (each {@code persist} counts one flush and one fence)
 * @param bytesFlushed bytes covered by flush calls
 * @param fences fence calls
 */
public record PersistStats(long stores, long bytesWritten, long flushes, long bytesFlushed, long fences) {
  /** All zero. */
  public static final PersistStats ZERO = new PersistStats(0, 0, 0, 0, 0);

  /** The difference {@code this - earlier}, for counting the cost of an operation. */
  public PersistStats minus(PersistStats earlier) {
    return new PersistStats(
        stores - earlier.stores,
        bytesWritten - earlier.bytesWritten,
        flushes - earlier.flushes,
        bytesFlushed - earlier.bytesFlushed,
        fences - earlier.fences);
  }
}
