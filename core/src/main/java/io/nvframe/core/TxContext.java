package io.nvframe.core;

import io.nvframe.api.AlreadyClosedException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeIOException;
import io.nvframe.api.OutOfFramesException;
import io.nvframe.buddy.AllocatorStats;
import io.nvframe.buddy.BuddyAllocator;
import io.nvframe.redo.RedoLog;
import java.util.ArrayList;
import java.util.List;
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
  /**
   * Every thread's cached scratch, for {@link #commitCount()}; the scratches of terminated threads
   * are folded into {@link #retiredCommits} and dropped whenever the list has doubled since the
   * last sweep and at every count. Guarded by itself.
   */
  private final List<TxScratch> counted = new ArrayList<>();
  private long retiredCommits;
  private int sweepAt = 8;
  /** Commits of nested transactions, whose scratch is not cached. */
  private final LongAdder nestedCommits = new LongAdder();
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

  /**
   * This thread's cached scratch, made and registered on first use; a fresh, uncounted one when the
   * cached scratch is in use (a nested transaction).
   */
  TxScratch takeScratch() {
    TxScratch cached = scratch.get();
    if (cached != null && !cached.inUse) {
      return cached;
    }
    if (cached != null) {
      return new TxScratch(log.newWriteSet(), null);
    }
    TxScratch mine = new TxScratch(log.newWriteSet(), Thread.currentThread());
    scratch.set(mine);
    synchronized (counted) {
      counted.add(mine);
      if (counted.size() >= sweepAt) {
        sweep();
        sweepAt = Math.max(8, counted.size() * 2);
      }
    }
    return mine;
  }

  /**
   * Counts a transaction committed with {@code s} (reported as {@code
   * RegionStats.transactionsCommitted}).
   */
  void countCommit(TxScratch s) {
    if (s.owner != null) {
      s.countCommit();
    } else {
      nestedCommits.increment();
    }
  }

  /** Transactions committed since open; exact once the committing threads are quiescent. */
  long commitCount() {
    long n;
    synchronized (counted) {
      sweep();
      n = retiredCommits;
      for (TxScratch s : counted) {
        n += s.commits();
      }
    }
    return n + nestedCommits.sum();
  }

  /** Folds the counts of terminated threads' scratches into {@link #retiredCommits}. Under the lock. */
  private void sweep() {
    counted.removeIf(s -> {
      if (s.owner.isAlive()) {
        return false;
      }
      retiredCommits += s.commits(); // termination happens-before isAlive() returning false
      return true;
    });
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
