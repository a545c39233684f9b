package io.nvframe.core;

import io.nvframe.api.Frame;
import io.nvframe.redo.WriteSet;
import java.util.HashMap;
import java.util.Map;

/**
 * The reusable bookkeeping of one thread's transactions on one region ({@link TxContext#scratch}):
 * the write set, the frames reserved and freed, the locks held and the root changes. Empty whenever
 * {@code inUse} is false; {@link RedoTransaction} explains how it is handed out and reused.
 */
final class TxScratch {
  /** A frame reserved by a transaction and the extent of direct writes into it. */
  static final class Reservation {
    final Frame frame;
    final long owner;
    final long originalWord;
    long dirtyFrom = Long.MAX_VALUE;
    long dirtyTo = Long.MIN_VALUE;
    /** Freed again in the same transaction: not published; returned to the allocator at the end. */
    boolean released;

    Reservation(Frame frame, long owner, long originalWord) {
      this.frame = frame;
      this.owner = owner;
      this.originalWord = originalWord;
    }

    /** Records a direct write of {@code [at, at + length)}, flushed before the commit point. */
    void dirty(long at, long length) {
      dirtyFrom = Math.min(dirtyFrom, at);
      dirtyTo = Math.max(dirtyTo, at + length);
    }
  }

  /** A root change: {@code frame == null} removes. */
  record RootChange(int slot, Frame frame) {}

  final WriteSet writes;
  /** Frames allocated in the transaction, by pfn (released ones included until the end). */
  final LongMap<Reservation> reserved = new LongMap<>();
  /** Frames freed in the transaction, by pfn. */
  final LongMap<Frame> freed = new LongMap<>();
  /** Lock keys held (pfns and {@link FrameLocks#ROOTS}); values unused. */
  final LongMap<Object> locked = new LongMap<>();
  final Map<String, RootChange> rootChanges = new HashMap<>();
  boolean inUse;

  TxScratch(WriteSet writes) {
    this.writes = writes;
  }

  void clear() {
    reserved.clear();
    freed.clear();
    locked.clear();
    if (!rootChanges.isEmpty()) {
      rootChanges.clear();
    }
    writes.clear();
  }
}
