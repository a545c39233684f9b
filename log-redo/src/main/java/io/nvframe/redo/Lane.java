package io.nvframe.redo;

import io.nvframe.spi.Medium;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * One lane of a {@link RedoLog}: its place on the medium, the lock a commit holds from writing the
 * record to invalidating it, and the scratch state reused by every commit on the lane (record
 * buffer, CRC, flush plan) and the lane's record counters. Everything but {@link #id}, {@link
 * #offset} and {@link #lock} is written only under the lock. The counters are written by the lock
 * holder with opaque stores (no atomic instruction on the commit path, no counter shared by all
 * lanes) and summed over the lanes by {@link RedoLog#stats()}.
 */
final class Lane {
  private static final VarHandle RECORDS;
  private static final VarHandle BYTES;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      RECORDS = l.findVarHandle(Lane.class, "records", long.class);
      BYTES = l.findVarHandle(Lane.class, "bytes", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final int id;
  final long offset;
  final ReentrantLock lock = new ReentrantLock();
  final CRC32C crc = new CRC32C();
  final FlushPlan plan;
  /** Sequence number of the lane's last generation ({@code generation = sequence * lanes + id}). */
  long sequence;
  private final int size;
  private byte[] buffer;
  @SuppressWarnings("unused") // through RECORDS
  private long records;
  @SuppressWarnings("unused") // through BYTES
  private long bytes;

  Lane(int id, long offset, int size, Medium medium, long sequence) {
    this.id = id;
    this.offset = offset;
    this.size = size;
    this.plan = new FlushPlan(medium);
    this.sequence = sequence;
  }

  /** Counts one record of {@code recordBytes} written on this lane. Under the lock. */
  void countRecord(long recordBytes) {
    assert lock.isHeldByCurrentThread();
    RECORDS.setOpaque(this, (long) RECORDS.getOpaque(this) + 1);
    BYTES.setOpaque(this, (long) BYTES.getOpaque(this) + recordBytes);
  }

  /** Records written on this lane since open. */
  long records() {
    return (long) RECORDS.getOpaque(this);
  }

  /** Record bytes written on this lane since open. */
  long bytes() {
    return (long) BYTES.getOpaque(this);
  }

  /** The record buffer ({@code laneSize} bytes), allocated on first use. */
  byte[] buffer() {
    assert lock.isHeldByCurrentThread();
    byte[] b = buffer;
    if (b == null) {
      b = new byte[size];
      buffer = b;
    }
    return b;
  }
}
