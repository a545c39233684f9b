package io.nvframe.core;

import io.nvframe.api.AlreadyClosedException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.Frame;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.Transaction;
import io.nvframe.api.TransactionConflictException;
import io.nvframe.buddy.BuddyAllocator;
import io.nvframe.core.TxScratch.Reservation;
import io.nvframe.core.TxScratch.RootChange;
import io.nvframe.redo.WriteSet;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The fields of a {@link RedoTransaction}, between {@link LinePadding} and the handle's 64 bytes
 * after them (a thread's reused handle is written by each of its transactions).
 */
abstract class RedoTransactionFields extends LinePadding {
  final TxContext ctx;
  final FrameAccess frames;
  final BuddyAllocator allocator;
  final TxScratch scratch;
  final WriteSet writes;
  final Thread thread = Thread.currentThread();
  boolean active = true;

  RedoTransactionFields(TxContext ctx, TxScratch scratch) {
    this.ctx = ctx;
    this.frames = ctx.frames;
    this.allocator = ctx.allocator;
    scratch.inUse = true;
    this.scratch = scratch;
    this.writes = scratch.writes;
  }
}

/**
 * A transaction on a {@link FrameRegion}, committed through the redo log. It sees the region
 * through a {@link TxContext}.
 *
 * <ol>
 *   <li>Frames allocated here are reserved in the allocator's volatile state and their frame words
 *       go into the write set; their data is written straight to the medium (nothing can reach
 *       them before commit) and flushed before the commit point.
 *   <li>Writes to existing frames, frees (a free frame word with the next generation) and root
 *       changes (whole 64-byte directory slots) go into the write set; reads overlay it.
 *   <li>Every existing frame touched is locked exclusively until the end (strict 2PL; the root
 *       directory has one lock). A lock not obtained within the region's timeout fails with
 *       {@link TransactionConflictException}.
 *   <li>Commit hands the write set to the redo log (1 fence for a single 8-byte change, else 3),
 *       then publishes reservations and releases frees in the allocator. Close without commit
 *       returns reservations and cancels pending frees; nothing was written for them.
 * </ol>
 *
 * <h2>Bookkeeping without garbage</h2>
 *
 * A transaction's bookkeeping (write set, reservations, frees, held locks, root changes) lives in
 * a {@link TxScratch} that the region keeps per thread and hands to the next transaction of that
 * thread once this one has ended and cleared it; a thread that nests transactions gets a fresh one
 * for the inner transaction. {@link FrameRegion#transact} also reuses the scratch's handle (this
 * object) for each of the thread's transactions ({@link #reusable}), so the common path allocates
 * only the frames it returns; frame locks are owned by the scratch's number, not by an object, so
 * taking one stores no reference. Reservations, frees and locks are {@link LongMap}s keyed by pfn: a
 * linear scan while a transaction touches at most {@value LongMap#LINEAR_MAX} frames (the common
 * case, no hashing and no boxing), an open-addressing index beyond. Nothing is removed from them
 * one by one: a frame allocated and freed in the same transaction keeps its reservation, marked
 * {@code released}, and is returned to the allocator when the transaction ends.
 */
final class RedoTransaction extends RedoTransactionFields implements Transaction {
  @SuppressWarnings("unused")
  private long q0, q1, q2, q3, q4, q5, q6, q7;

  RedoTransaction(TxContext ctx) {
    this(ctx, ctx.takeScratch());
  }

  private RedoTransaction(TxContext ctx, TxScratch scratch) {
    super(ctx, scratch);
  }

  /**
   * A transaction for {@link FrameRegion#transact}, whose handle does not outlive the call: the
   * thread's cached scratch keeps one handle and reopens it for each of the thread's transactions
   * (no allocation per transaction); a nested transaction, whose scratch is fresh, gets a new one.
   */
  static RedoTransaction reusable(TxContext ctx) {
    TxScratch s = ctx.takeScratch();
    if (s.owner == null) {
      return new RedoTransaction(ctx, s);
    }
    RedoTransaction tx = s.handle;
    if (tx == null) {
      tx = new RedoTransaction(ctx, s);
      s.handle = tx;
    } else {
      assert !tx.active && tx.thread == Thread.currentThread();
      s.inUse = true;
      tx.active = true;
    }
    return tx;
  }

  // ---------------------------------------------------------------- allocation

  @Override
  public Frame allocate(int order) {
    return allocate(order, 0);
  }

  @Override
  public Frame allocate(int order, long owner) {
    ensureActive();
    frames.checkOrder(order);
    if (owner < 0 || owner > BuddyAllocator.MAX_OWNER) {
      throw new IllegalArgumentException(
          "owner tag " + owner + " is outside [0, " + BuddyAllocator.MAX_OWNER + "]");
    }
    long h = allocator.reserve(order);
    if (h == BuddyAllocator.NO_FRAME) {
      throw ctx.outOfFrames(order);
    }
    long pfn = BuddyAllocator.handlePfn(h);
    int gen = BuddyAllocator.handleGeneration(h);
    Frame frame = new Frame(pfn, order, gen, frames.regionId);
    scratch.reserved.put(pfn, scratch.reservation(frame, owner, allocator.word(pfn)));
    writes.putLong(allocator.wordOffset(pfn), BuddyAllocator.publishedWord(order, gen, owner));
    return frame;
  }

  @Override
  public void free(Frame frame) {
    ensureActive();
    frames.checkRegion(frame);
    Reservation r = reservation(frame);
    if (r != null) {
      // allocated and freed in this transaction: restore the word, return it at the end
      writes.putLong(allocator.wordOffset(frame.pfn()), r.originalWord);
      r.released = true;
      scratch.freed.put(frame.pfn(), frame);
      return;
    }
    if (scratch.freed.containsKey(frame.pfn())) {
      throw new InvalidFrameException(
          ErrorCode.FRAME_DOUBLE_FREE, frame + " is already freed in this transaction");
    }
    lock(frame.pfn(), frame);
    allocator.beginFree(frame.pfn(), frame.order(), frame.generation());
    scratch.freed.put(frame.pfn(), frame);
    writes.putLong(allocator.wordOffset(frame.pfn()), BuddyAllocator.freedWord(frame.generation()));
  }

  // ---------------------------------------------------------------- data

  /**
   * Admits {@code frame} to this transaction: returns its reservation when this transaction
   * allocated it; otherwise locks it (until the end) and validates it against the allocator, and
   * returns null.
   */
  private Reservation lockAndValidate(Frame frame) {
    ensureActive();
    frames.checkRegion(frame);
    Reservation r = reservation(frame);
    if (r != null) {
      return r;
    }
    if (scratch.freed.containsKey(frame.pfn())) {
      throw new InvalidFrameException(
          ErrorCode.FRAME_STALE, frame + " was freed earlier in this transaction");
    }
    lock(frame.pfn(), frame);
    allocator.validate(frame.pfn(), frame.order(), frame.generation());
    return null;
  }

  /** This transaction's live (not released) reservation of exactly {@code frame}, or null. */
  private Reservation reservation(Frame frame) {
    if (scratch.reserved.size() == 0) {
      return null;
    }
    Reservation r = scratch.reserved.get(frame.pfn());
    return r != null && !r.released && r.holds(frame) ? r : null;
  }

  @Override
  public void write(Frame frame, long offset, byte[] src) {
    write(frame, offset, src, 0, src.length);
  }

  @Override
  public void write(Frame frame, long offset, byte[] src, int srcOffset, int length) {
    Objects.checkFromIndexSize(srcOffset, length, src.length);
    Reservation r = lockAndValidate(frame);
    long at = frames.checkedAddress(frame, offset, length);
    if (r != null) {
      frames.medium.write(at, src, srcOffset, length);
      r.dirty(at, length);
    } else {
      writes.write(at, src, srcOffset, length);
    }
  }

  @Override
  public void putLong(Frame frame, long offset, long value) {
    Reservation r = lockAndValidate(frame);
    long at = frames.checkedAddress(frame, offset, 8);
    if (r != null) {
      frames.writeLong(at, value);
      r.dirty(at, 8);
    } else {
      writes.putLong(at, value);
    }
  }

  @Override
  public long getLong(Frame frame, long offset) {
    Reservation r = lockAndValidate(frame);
    long at = frames.checkedAddress(frame, offset, 8);
    if (r != null) {
      return frames.readLong(at);
    }
    if ((at & 7) == 0) {
      return writes.getLong(at, frames.medium);
    }
    byte[] b = new byte[8];
    writes.read(at, b, 0, 8, frames.medium);
    return FrameAccess.decodeLong(b);
  }

  @Override
  public void read(Frame frame, long offset, byte[] dst) {
    read(frame, offset, dst, 0, dst.length);
  }

  @Override
  public void read(Frame frame, long offset, byte[] dst, int dstOffset, int length) {
    Objects.checkFromIndexSize(dstOffset, length, dst.length);
    Reservation r = lockAndValidate(frame);
    long at = frames.checkedAddress(frame, offset, length);
    if (r != null) {
      frames.medium.read(at, dst, dstOffset, length);
    } else {
      writes.read(at, dst, dstOffset, length, frames.medium);
    }
  }

  // ---------------------------------------------------------------- roots

  @Override
  public void setRoot(String name, Frame frame) {
    ensureActive();
    RootDirectory.validateName(name);
    Objects.requireNonNull(frame, "frame");
    lockAndValidate(frame);
    lock(FrameLocks.ROOTS, null);
    int slot = slotFor(name);
    writes.write(ctx.roots.slotOffset(slot), RootDirectory.encodeSlot(name, frame), 0, RootDirectory.SLOT_BYTES);
    scratch.rootChanges.put(name, new RootChange(slot, frame));
  }

  @Override
  public void removeRoot(String name) {
    ensureActive();
    RootDirectory.validateName(name);
    lock(FrameLocks.ROOTS, null);
    Optional<Frame> current = root(name);
    if (current.isEmpty()) {
      return;
    }
    int slot = slotFor(name);
    writes.write(ctx.roots.slotOffset(slot), RootDirectory.encodeSlot(name, null), 0, RootDirectory.SLOT_BYTES);
    scratch.rootChanges.put(name, new RootChange(slot, null));
  }

  private int slotFor(String name) {
    RootChange mine = scratch.rootChanges.get(name);
    if (mine != null) {
      return mine.slot();
    }
    Optional<RootDirectory.Entry> existing = ctx.roots.get(name);
    if (existing.isPresent()) {
      return existing.get().slot();
    }
    Set<Integer> claimed = new HashSet<>();
    scratch.rootChanges.values().forEach(c -> claimed.add(c.slot()));
    int slot = ctx.roots.freeSlot(claimed);
    if (slot < 0) {
      throw new NvframeConfigurationException(
          ErrorCode.ROOT_DIRECTORY_FULL,
          "cannot add root '" + name + "': all " + RootDirectory.SLOTS + " root slots of region "
              + ctx.location() + " are used; remove a root or keep several frames under one root frame");
    }
    return slot;
  }

  @Override
  public Optional<Frame> root(String name) {
    ensureActive();
    RootDirectory.validateName(name);
    RootChange mine = scratch.rootChanges.get(name);
    if (mine != null) {
      return Optional.ofNullable(mine.frame());
    }
    return ctx.roots.get(name).map(RootDirectory.Entry::frame);
  }

  // ---------------------------------------------------------------- end

  @Override
  public void commit() {
    ensureActive();
    boolean done = false;
    try {
      ctx.ensureWritable();
      LongMap<Reservation> reserved = scratch.reserved;
      for (int i = 0; i < reserved.size(); i++) {
        Reservation r = reserved.value(i);
        if (!r.released && r.dirtyTo > r.dirtyFrom) {
          writes.addDurableRange(r.dirtyFrom, r.dirtyTo - r.dirtyFrom);
        }
      }
      if (!writes.isEmpty()) {
        ctx.log.commit(writes);
      }
      done = true;
    } finally {
      if (done) {
        publish();
      }
      end(!done);
    }
  }

  private void publish() {
    LongMap<Reservation> reserved = scratch.reserved;
    for (int i = 0; i < reserved.size(); i++) {
      Reservation r = reserved.value(i);
      if (!r.released) {
        allocator.commitReserved(r.pfn, r.order, r.generation, r.owner);
      }
    }
    LongMap<Frame> freed = scratch.freed;
    for (int i = 0; i < freed.size(); i++) {
      Frame f = freed.value(i);
      if (!isReleasedReservation(f)) {
        allocator.completeFree(f.pfn(), f.order());
      }
    }
    if (!scratch.rootChanges.isEmpty()) {
      scratch.rootChanges.forEach((name, change) -> ctx.roots.applyCommitted(name, change.slot(), change.frame()));
    }
    ctx.countCommit(scratch);
  }

  /** True when {@code f} was allocated in this transaction and freed again. */
  private boolean isReleasedReservation(Frame f) {
    if (scratch.reserved.size() == 0) {
      return false;
    }
    Reservation r = scratch.reserved.get(f.pfn());
    return r != null && r.released && r.holds(f);
  }

  @Override
  public boolean isActive() {
    return active;
  }

  @Override
  public void close() {
    if (active) {
      end(true);
    }
  }

  /** Ends the transaction; on rollback returns reservations and cancels frees. Releases locks. */
  private void end(boolean rollback) {
    active = false;
    try {
      LongMap<Reservation> reserved = scratch.reserved;
      for (int i = 0; i < reserved.size(); i++) {
        Reservation r = reserved.value(i);
        if (rollback || r.released) {
          allocator.unreserve(r.pfn, r.order);
        }
      }
      if (rollback) {
        LongMap<Frame> freed = scratch.freed;
        for (int i = 0; i < freed.size(); i++) {
          Frame f = freed.value(i);
          if (!isReleasedReservation(f)) {
            allocator.abortFree(f.pfn(), f.order(), f.generation());
          }
        }
      }
    } finally {
      LongMap<Object> locked = scratch.locked;
      for (int i = 0; i < locked.size(); i++) {
        ctx.locks.release(locked.key(i), scratch.lockOwner);
      }
      scratch.clear();
      scratch.inUse = false;
    }
  }

  private void lock(long key, Frame frame) {
    if (scratch.locked.containsKey(key)) {
      return;
    }
    if (!ctx.locks.acquire(key, scratch.lockOwner, ctx.lockTimeoutNanos)) {
      String what = key == FrameLocks.ROOTS ? "the root directory" : String.valueOf(frame);
      throw new TransactionConflictException(
          "transaction on " + thread.getName() + " could not lock " + what + " within "
              + TimeUnit.NANOSECONDS.toMillis(ctx.lockTimeoutNanos)
              + " ms: another transaction holds it. Retry the transaction, or touch frames in a consistent order to avoid deadlocks");
    }
    scratch.locked.put(key, null);
  }

  private void ensureActive() {
    if (!active) {
      throw new AlreadyClosedException("transaction is already committed or closed");
    }
    if (Thread.currentThread() != thread) {
      throw new IllegalStateException(
          "transaction started on thread " + thread.getName() + " used from " + Thread.currentThread().getName()
              + "; a transaction is confined to its thread");
    }
    ctx.ensureOpen();
  }
}
