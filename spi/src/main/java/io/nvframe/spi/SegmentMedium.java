package io.nvframe.spi;

import io.nvframe.api.AlreadyClosedException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link Medium} over one {@link MemorySegment} (an off-heap arena, a file mapping, ...). It does
 * the bounds and alignment checks, the atomic little-endian accesses and the counting; subclasses
 * supply what persistence means ({@link #doFlush}, {@link #doFence}) and how to release the memory
 * ({@link #doClose}).
 *
 * <p>8-byte and 4-byte accesses use acquire/release var-handle modes on aligned addresses, which
 * are single-copy atomic.
 */
public abstract class SegmentMedium implements Medium {
  private static final ValueLayout.OfLong LONG_LE =
      ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt INT_LE =
      ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_HANDLE = LONG_LE.varHandle();
  private static final VarHandle INT_HANDLE = INT_LE.varHandle();

  /** The whole medium. Subclasses must not use it after {@link #doClose()}. */
  protected final MemorySegment segment;

  private final long size;
  private final String description;
  private final PersistCounters counters = new PersistCounters();
  private volatile boolean open = true;

  protected SegmentMedium(MemorySegment segment, String description) {
    this.segment = Objects.requireNonNull(segment, "segment");
    this.size = segment.byteSize();
    this.description = Objects.requireNonNull(description, "description");
  }

  @Override
  public final long size() {
    return size;
  }

  @Override
  public int atomicWriteUnit() {
    return 8;
  }

  @Override
  public int flushGranularity() {
    return 64;
  }

  @Override
  public final long loadLong(long offset) {
    ensureOpen();
    checkAtomic(offset, 8);
    return (long) LONG_HANDLE.getAcquire(segment, offset);
  }

  @Override
  public final void storeLong(long offset, long value) {
    ensureWritable();
    checkAtomic(offset, 8);
    LONG_HANDLE.setRelease(segment, offset, value);
    counters.store(8);
  }

  @Override
  public final int loadInt(long offset) {
    ensureOpen();
    checkAtomic(offset, 4);
    return (int) INT_HANDLE.getAcquire(segment, offset);
  }

  @Override
  public final void storeInt(long offset, int value) {
    ensureWritable();
    checkAtomic(offset, 4);
    INT_HANDLE.setRelease(segment, offset, value);
    counters.store(4);
  }

  @Override
  public final void read(long offset, byte[] dst, int dstOffset, int length) {
    ensureOpen();
    Objects.checkFromIndexSize(dstOffset, length, dst.length);
    Objects.checkFromIndexSize(offset, length, size);
    MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, dst, dstOffset, length);
  }

  @Override
  public final void read(long offset, MemorySegment dst) {
    ensureOpen();
    Objects.checkFromIndexSize(offset, dst.byteSize(), size);
    MemorySegment.copy(segment, offset, dst, 0, dst.byteSize());
  }

  @Override
  public final void write(long offset, byte[] src, int srcOffset, int length) {
    ensureWritable();
    Objects.checkFromIndexSize(srcOffset, length, src.length);
    Objects.checkFromIndexSize(offset, length, size);
    MemorySegment.copy(src, srcOffset, segment, ValueLayout.JAVA_BYTE, offset, length);
    counters.store(length);
  }

  @Override
  public final void write(long offset, MemorySegment src) {
    ensureWritable();
    Objects.checkFromIndexSize(offset, src.byteSize(), size);
    MemorySegment.copy(src, 0, segment, offset, src.byteSize());
    counters.store(src.byteSize());
  }

  @Override
  public final void writeAndFlush(long offset, byte[] src, int srcOffset, int length) {
    ensureWritable();
    Objects.checkFromIndexSize(srcOffset, length, src.length);
    Objects.checkFromIndexSize(offset, length, size);
    if (length > 0) {
      doWriteAndFlush(offset, src, srcOffset, length);
    }
    counters.store(length);
    counters.flush(length);
  }

  @Override
  public final void fill(long offset, long length, byte value) {
    ensureWritable();
    Objects.checkFromIndexSize(offset, length, size);
    segment.asSlice(offset, length).fill(value);
    counters.store(length);
  }

  @Override
  public final void flush(long offset, long length) {
    ensureOpen();
    Objects.checkFromIndexSize(offset, length, size);
    counters.flush(length);
    if (length > 0) {
      doFlush(offset, length);
    }
  }

  @Override
  public final void fence() {
    ensureOpen();
    counters.fence();
    doFence();
  }

  @Override
  public Optional<MemorySegment> segment() {
    ensureOpen();
    return Optional.of(segment);
  }

  @Override
  public final PersistStats stats() {
    return counters.snapshot();
  }

  @Override
  public final String description() {
    return description;
  }

  @Override
  public final boolean isOpen() {
    return open;
  }

  @Override
  public final void close() {
    if (open) {
      synchronized (counters) {
        if (!open) {
          return;
        }
        open = false;
        doClose();
      }
    }
  }

  /** True when writes are refused ({@link io.nvframe.api.ErrorCode#READ_ONLY}). */
  protected boolean readOnly() {
    return false;
  }

  /** Starts write-back of {@code [offset, offset + length)}; bounds are already checked. */
  protected abstract void doFlush(long offset, long length);

  /**
   * Copies {@code src[srcOffset, srcOffset + length)} to {@code offset} and starts its write-back;
   * bounds are already checked, {@code length > 0}. This copies through {@link MemorySegment#copy}
   * and calls {@link #doFlush}; a subclass may copy in a way that needs no separate write-back.
   */
  protected void doWriteAndFlush(long offset, byte[] src, int srcOffset, int length) {
    MemorySegment.copy(src, srcOffset, segment, ValueLayout.JAVA_BYTE, offset, length);
    doFlush(offset, length);
  }

  /** Completes every write-back this thread started. */
  protected abstract void doFence();

  /** Releases the memory; called once. */
  protected abstract void doClose();

  /** Throws {@link AlreadyClosedException} after close. */
  protected final void ensureOpen() {
    if (!open) {
      throw new AlreadyClosedException("medium " + description + " is closed");
    }
  }

  private void ensureWritable() {
    ensureOpen();
    if (readOnly()) {
      throw new NvframeReadOnly(description).exception();
    }
  }

  private void checkAtomic(long offset, int width) {
    Objects.checkFromIndexSize(offset, width, size);
    if ((offset & (width - 1)) != 0) {
      throw new IllegalArgumentException(
          width + "-byte atomic access at offset " + offset + " of " + description
              + " is not " + width + "-byte aligned");
    }
  }

  /** Builds the read-only error lazily (keeps the hot path small). */
  private record NvframeReadOnly(String description) {
    io.nvframe.api.NvframeIOException exception() {
      return new io.nvframe.api.NvframeIOException(
          io.nvframe.api.ErrorCode.READ_ONLY,
          "medium " + description + " is open read-only; reopen it writable to change it");
    }
  }
}
