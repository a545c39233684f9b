package io.nvframe.core;

import io.nvframe.api.Frame;
import io.nvframe.redo.WriteSet;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** The fields of a {@link TxScratch}, between {@link LinePadding} and the scratch's padding after them. */
abstract class TxScratchFields extends LinePadding {
  final WriteSet writes;
  /** Frames allocated in the transaction, by pfn (released ones included until the end). */
  final LongMap<TxScratch.Reservation> reserved = new LongMap<>();
  /** Reservations handed out since the last {@link TxScratch#clear} are {@code pool[0, pooled)}. */
  TxScratch.Reservation[] pool = new TxScratch.Reservation[8];
  int pooled;
  /** Frames freed in the transaction, by pfn. */
  final LongMap<Frame> freed = new LongMap<>();
  /** Lock keys held (pfns and {@link FrameLocks#ROOTS}); values unused. */
  final LongMap<Object> locked = new LongMap<>();
  final Map<String, TxScratch.RootChange> rootChanges = new HashMap<>();
  boolean inUse;
  /** The handle {@link RedoTransaction#reusable} hands out again with this scratch; null until first used. */
  RedoTransaction handle;
  /** The {@link FrameLocks} owner of the transactions that use this scratch (one at a time). */
  final long lockOwner = FrameLocks.newOwner();
  /** The thread whose cached scratch this is; null for a nested transaction's scratch, which does not count. */
  final Thread owner;
  @SuppressWarnings("unused") // through COMMITS
  long commits;

  TxScratchFields(WriteSet writes, Thread owner) {
    this.writes = writes;
    this.owner = owner;
  }
}

/**
 * The reusable bookkeeping of one thread's transactions on one region ({@link TxContext#scratch}):
 * the write set, the frames reserved and freed, the locks held and the root changes. Empty whenever
 * {@code inUse} is false; {@link RedoTransaction} explains how it is handed out and reused.
 *
 * <p>A thread's cached scratch also counts the transactions it committed ({@link #commits()}),
 * written by that thread only, with opaque stores: no atomic instruction and no cache line shared
 * with another thread on the commit path. {@link TxContext#commitCount()} sums them. The fields are
 * padded in front ({@link LinePadding}): the region keeps every thread's scratch in one list,
 * so a copying collector tends to place one thread's scratch right after another thread's objects,
 * and the fields each transaction writes ({@code inUse}, the commit count) must stay off their
 * cache lines; 64 bytes of padding after the fields keep them off the lines of what follows.
 */
final class TxScratch extends TxScratchFields {
  private static final VarHandle COMMITS;

  static {
    try {
      COMMITS = MethodHandles.lookup().findVarHandle(TxScratchFields.class, "commits", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The fields of a {@link Reservation}, between {@link LinePadding} and its padding after them. */
  abstract static class ReservationFields extends LinePadding {
    /**
     * The reserved frame's pfn, order and generation, kept as numbers: storing the {@code Frame}
     * (a new object) into this pooled, long-lived one would cost a collector write barrier on every
     * allocation in a transaction.
     */
    long pfn;
    int order;
    int generation;
    long owner;
    long originalWord;
    long dirtyFrom;
    long dirtyTo;
    /** Freed again in the same transaction: not published; returned to the allocator at the end. */
    boolean released;
  }

  /**
   * A frame reserved by a transaction and the extent of direct writes into it; pooled per scratch
   * and written on every allocation, so padded on both sides.
   */
  static final class Reservation extends ReservationFields {
    @SuppressWarnings("unused")
    private long q0, q1, q2, q3, q4, q5, q6, q7;

    private Reservation set(Frame frame, long owner, long originalWord) {
      this.pfn = frame.pfn();
      this.order = frame.order();
      this.generation = frame.generation();
      this.owner = owner;
      this.originalWord = originalWord;
      this.dirtyFrom = Long.MAX_VALUE;
      this.dirtyTo = Long.MIN_VALUE;
      this.released = false;
      return this;
    }

    /** Whether this reserves {@code frame} (same pfn, order and generation; the region is the transaction's). */
    boolean holds(Frame frame) {
      return pfn == frame.pfn() && order == frame.order() && generation == frame.generation();
    }

    /** Records a direct write of {@code [at, at + length)}, flushed before the commit point. */
    void dirty(long at, long length) {
      dirtyFrom = Math.min(dirtyFrom, at);
      dirtyTo = Math.max(dirtyTo, at + length);
    }
  }

  /** A root change: {@code frame == null} removes. */
  record RootChange(int slot, Frame frame) {}

  /** Most reservations kept for reuse. */
  static final int POOL_MAX = 256;
  @SuppressWarnings("unused")
  private long q0, q1, q2, q3, q4, q5, q6, q7;

  TxScratch(WriteSet writes, Thread owner) {
    super(writes, owner);
  }

  /** Counts a committed transaction. Only by {@link #owner}. */
  void countCommit() {
    COMMITS.setOpaque(this, (long) COMMITS.getOpaque(this) + 1);
  }

  /** Transactions committed with this scratch; any thread. */
  long commits() {
    return (long) COMMITS.getOpaque(this);
  }

  /**
   * A reservation of {@code frame} for the transaction using this scratch: a pooled object, reused
   * after {@link #clear} (no allocation per allocated frame once the pool has grown); past {@value
   * #POOL_MAX} in one transaction a new one, so a huge transaction does not leave a huge pool.
   */
  Reservation reservation(Frame frame, long owner, long originalWord) {
    if (pooled == POOL_MAX) {
      return new Reservation().set(frame, owner, originalWord); // a large transaction's: not kept
    }
    if (pooled == pool.length) {
      pool = Arrays.copyOf(pool, Math.max(8, pool.length * 2));
    }
    Reservation r = pool[pooled];
    if (r == null) {
      r = new Reservation();
      pool[pooled] = r;
    }
    pooled++;
    return r.set(frame, owner, originalWord);
  }

  void clear() {
    pooled = 0;
    reserved.clear();
    freed.clear();
    locked.clear();
    if (!rootChanges.isEmpty()) {
      rootChanges.clear();
    }
    writes.clear();
  }
}
