package io.nvframe.core;

import io.nvframe.api.AlreadyClosedException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeIOException;
import io.nvframe.api.OutOfFramesException;
import io.nvframe.buddy.AllocatorStats;
import io.nvframe.buddy.BuddyAllocator;
import io.nvframe.redo.RedoLog;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a {@link RedoTransaction} works with, shared with its {@link FrameRegion}: frame access, the
 * allocator, the redo log, the root directory, the frame locks, each thread's reusable transaction
 * bookkeeping, and whether the region is still open and writable. The region owns one; every
 * transaction of the region holds it.
 */
final class TxContext {
  final FrameAccess frames;
  final BuddyAllocator allocator;
  final RedoLog log;
  final RootDirectory roots;
  final FrameLocks locks = new FrameLocks();
  final long lockTimeoutNanos;
  final boolean readOnly;
  /** Each thread's reusable transaction bookkeeping, see {@link TxScratch}. */
  final ThreadLocal<TxScratch> scratch = new ThreadLocal<>();
  private final LongAdder commits = new LongAdder();
  private volatile boolean open = true;

  TxContext(
      FrameAccess frames,
      BuddyAllocator allocator,
      RedoLog log,
      RootDirectory roots,
      long lockTimeoutNanos,
      boolean readOnly) {
    this.frames = frames;
    this.allocator = allocator;
    this.log = log;
    this.roots = roots;
    this.lockTimeoutNanos = lockTimeoutNanos;
    this.readOnly = readOnly;
  }

  String location() {
    return frames.location;
  }

  /** Counts a committed transaction (reported as {@code RegionStats.transactionsCommitted}). */
  void countCommit() {
    commits.increment();
  }

  long commitCount() {
    return commits.sum();
  }

  boolean isOpen() {
    return open;
  }

  /** Marks the region closed; returns false when it already was. */
  boolean markClosed() {
    if (!open) {
      return false;
    }
    open = false;
    return true;
  }

  void ensureOpen() {
    if (!open) {
      throw new AlreadyClosedException("region " + location() + " is closed");
    }
  }

  void ensureWritable() {
    ensureOpen();
    if (readOnly) {
      throw new NvframeIOException(
          ErrorCode.READ_ONLY,
          "region " + location() + " is open read-only; open it with Regions.open(path) to change it");
    }
  }

  OutOfFramesException outOfFrames(int order) {
    AllocatorStats s = allocator.stats();
    return new OutOfFramesException(
        "no free block of order " + order + " (" + frames.blockBytes(order) + " bytes) in region "
            + location() + ": " + s.freeFrames() + " of " + s.frameCount()
            + " frames free, largest free order " + s.largestFreeOrder()
            + ". Free frames, ask for a smaller order, or create a larger region");
  }
}
