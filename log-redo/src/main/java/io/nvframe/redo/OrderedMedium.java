package io.nvframe.redo;

import io.nvframe.spi.DelegatingMedium;
import io.nvframe.spi.Medium;

/**
 * The medium of a {@link RedoLog} for everyone who writes it outside the log (the allocator, direct
 * frame writes, the root directory): every {@link #fence()} and {@link #persist} first flushes the
 * header lines of lanes whose invalidation is deferred ({@link PendingInvalidations}) and whose
 * records may target a byte that the calling thread flushed through this medium since its last
 * fence here (or the persisted range), so nothing made durable through this medium can be undone
 * by replaying an applied record (log-redo/README.md, "Deferred invalidation"). {@link #flush} and
 * {@link #writeAndFlush} note their range for that; everything else is the wrapped medium's.
 */
final class OrderedMedium extends DelegatingMedium {
  private final RedoLog log;

  OrderedMedium(Medium medium, RedoLog log) {
    super(medium);
    this.log = log;
  }

  @Override
  public void flush(long offset, long length) {
    log.flushOrdered(offset, length);
  }

  @Override
  public void writeAndFlush(long offset, byte[] src, int srcOffset, int length) {
    log.writeAndFlushOrdered(offset, src, srcOffset, length);
  }

  @Override
  public void fence() {
    log.fenceOrdered();
  }

  @Override
  public void persist(long offset, long length) {
    log.persistOrdered(offset, length);
  }

  /** Makes the deferred invalidations durable, then closes the wrapped medium. */
  @Override
  public void close() {
    if (delegate.isOpen()) {
      log.persistInvalidations();
    }
    delegate.close();
  }
}
