package io.nvframe.spi;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Byte-addressed persistent (or volatile) storage: everything above the SPI reads, writes and
 * persists through this interface only, so a recording or fault-injecting medium can wrap any
 * backend.
 *
 * <p>Implementations must:
 *
 * <ul>
 *   <li>make {@link #storeLong} at an 8-byte aligned offset single-copy atomic for concurrent
 *       readers and failure-atomic (never torn by a crash); likewise {@link #storeInt} at 4-byte
 *       aligned offsets;
 *   <li>guarantee that data covered by {@link #flush} is durable once a later {@link #fence} on the
 *       same thread returns (an implementation may make it durable earlier); {@link #persist} is
 *       flush followed by fence;
 *   <li>give no ordering guarantee between the bytes of one bulk {@link #write};
 *   <li>throw {@link IndexOutOfBoundsException} for accesses outside {@code [0, size())}, {@link
 *       IllegalArgumentException} for misaligned atomic accesses, {@link
 *       io.nvframe.api.AlreadyClosedException} after {@link #close()};
 *   <li>count every store, flush and fence in {@link #stats()} (one flush and one fence per
 *       {@code persist}), even where the operation is a no-op (volatile media);
 *   <li>be safe for concurrent use by many threads.
 * </ul>
 */
public interface Medium extends AutoCloseable {
  /** Size in bytes. */
  long size();

  /** Bytes written failure-atomically: 8 on DAX and heap, the block size on BTT. */
  int atomicWriteUnit();

  /** Granularity of flushes: 64 (cache line) or the block size. */
  int flushGranularity();

  /** What this medium can do. */
  Set<Capability> capabilities();

  /** Atomic 8-byte little-endian load at an 8-byte aligned offset. */
  long loadLong(long offset);

  /** Atomic 8-byte little-endian store at an 8-byte aligned offset. */
  void storeLong(long offset, long value);

  /** Atomic 4-byte little-endian load at a 4-byte aligned offset. */
  int loadInt(long offset);

  /** Atomic 4-byte little-endian store at a 4-byte aligned offset. */
  void storeInt(long offset, int value);

  /** Bulk read into {@code dst[dstOffset, dstOffset + length)}. */
  void read(long offset, byte[] dst, int dstOffset, int length);

  /** Bulk read of {@code dst.byteSize()} bytes. */
  void read(long offset, MemorySegment dst);

  /** Bulk write; no ordering between its bytes. */
  void write(long offset, byte[] src, int srcOffset, int length);

  /** Bulk write of {@code src.byteSize()} bytes; no ordering between its bytes. */
  void write(long offset, MemorySegment src);

  /** Sets {@code length} bytes to {@code value} (a bulk write). */
  default void fill(long offset, long length, byte value) {
    byte[] chunk = new byte[(int) Math.min(length, 1 << 16)];
    if (value != 0) {
      java.util.Arrays.fill(chunk, value);
    }
    for (long done = 0; done < length; ) {
      int n = (int) Math.min(chunk.length, length - done);
      write(offset + done, chunk, 0, n);
      done += n;
    }
  }

  /**
   * {@link #write(long, byte[], int, int)} then {@link #flush} of the same range, counted as one
   * store and one flush. A medium may do both in one pass (the {@code dax} backend can copy with
   * non-temporal stores, which need no write-back of their own); the range is durable after the next
   * {@link #fence()} of this thread, as with write then flush.
   */
  default void writeAndFlush(long offset, byte[] src, int srcOffset, int length) {
    write(offset, src, srcOffset, length);
    flush(offset, length);
  }

  /** Requests write-back of the range; durable after the next {@link #fence()} of this thread. */
  void flush(long offset, long length);

  /** Waits until everything this thread flushed is durable. */
  void fence();

  /** {@link #flush} then {@link #fence}. */
  default void persist(long offset, long length) {
    flush(offset, length);
    fence();
  }

  /** A direct view of the whole medium when {@link Capability#BYTE_ADDRESSABLE}. */
  Optional<MemorySegment> segment();

  /** Counters since open. */
  PersistStats stats();

  /** Where the medium lives, e.g. {@code /data/region.nvf} or {@code heap}. */
  String description();

  /** Backend facts shown by {@code nvframe info}, e.g. {@code dax.mode=msync}. */
  default Map<String, String> properties() {
    return Map.of();
  }

  /** False after {@link #close()}. */
  boolean isOpen();

  /** Unmaps or frees the medium and releases its lock. Idempotent. */
  @Override
  void close();
}
