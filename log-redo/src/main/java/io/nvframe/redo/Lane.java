package io.nvframe.redo;

import io.nvframe.spi.Medium;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * One lane of a {@link RedoLog}: its place on the medium, the lock a commit holds from writing the
 * record to invalidating it, and the scratch state reused by every commit on the lane (record
 * buffer, CRC, flush plan). Everything but {@link #id}, {@link #offset} and {@link #lock} is used
 * only under the lock.
 */
final class Lane {
  final int id;
  final long offset;
  final ReentrantLock lock = new ReentrantLock();
  final CRC32C crc = new CRC32C();
  final FlushPlan plan;
  /** Sequence number of the lane's last generation ({@code generation = sequence * lanes + id}). */
  long sequence;
  private final int size;
  private byte[] buffer;

  Lane(int id, long offset, int size, Medium medium, long sequence) {
    this.id = id;
    this.offset = offset;
    this.size = size;
    this.plan = new FlushPlan(medium);
    this.sequence = sequence;
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
