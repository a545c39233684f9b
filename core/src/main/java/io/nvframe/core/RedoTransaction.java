package io.nvframe.core;

import io.nvframe.api.AlreadyClosedException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.Frame;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.Transaction;
import io.nvframe.api.TransactionConflictException;
import io.nvframe.buddy.BuddyAllocator;
import io.nvframe.buddy.FrameWord;
import io.nvframe.redo.WriteSet;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A transaction on a {@link FrameRegion}, committed through the redo log.
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
 */
final class RedoTransaction implements Transaction {
  private static final ValueLayout.OfLong LONG_LE_UNALIGNED =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** A frame reserved by this transaction and the extent of direct writes into it. */
  private static final class Reservation {
    final Frame frame;
    final long owner;
    final long originalWord;
    long dirtyFrom = Long.MAX_VALUE;
    long dirtyTo = Long.MIN_VALUE;

    Reservation(Frame frame, long owner, long originalWord) {
      this.frame = frame;
      this.owner = owner;
      this.originalWord = originalWord;
    }
  }

  /** A root change: {@code frame == null} removes. */
  private record RootChange(int slot, Frame frame) {}

  private final FrameRegion region;
  private final BuddyAllocator allocator;
  private final WriteSet writes;
  private final Thread thread = Thread.currentThread();
  private final Map<Long, Reservation> reserved = new LinkedHashMap<>();
  private final Map<Long, Frame> freed = new LinkedHashMap<>();
  private final Set<Long> locked = new HashSet<>();
  private final Map<String, RootChange> rootChanges = new HashMap<>();
  /** Frames both allocated and freed here: returned to the allocator when the transaction ends. */
  private final List<Reservation> releaseReservationLater = new ArrayList<>();
  private boolean active = true;

  RedoTransaction(FrameRegion region) {
    this.region = region;
    this.allocator = region.allocator;
    this.writes = region.log.newWriteSet();
  }

  // ---------------------------------------------------------------- allocation

  @Override
  public Frame allocate(int order) {
    return allocate(order, 0);
  }

  @Override
  public Frame allocate(int order, long owner) {
    ensureActive();
    region.checkOrder(order);
    if (owner < 0 || owner > FrameWord.MAX_OWNER) {
      throw new IllegalArgumentException("owner tag " + owner + " is outside [0, " + FrameWord.MAX_OWNER + "]");
    }
    long h = allocator.reserve(order);
    if (h == BuddyAllocator.NO_FRAME) {
      throw region.outOfFrames(order);
    }
    long pfn = BuddyAllocator.handlePfn(h);
    int gen = BuddyAllocator.handleGeneration(h);
    Frame frame = new Frame(pfn, order, gen, region.regionId);
    reserved.put(pfn, new Reservation(frame, owner, allocator.word(pfn)));
    writes.putLong(allocator.wordOffset(pfn), FrameWord.allocated(order, gen, owner));
    return frame;
  }

  @Override
  public void free(Frame frame) {
    ensureActive();
    region.checkRegion(frame);
    Reservation r = reserved.get(frame.pfn());
    if (r != null && r.frame.equals(frame)) {
      // allocated and freed in this transaction: restore the word, return it at the end
      writes.putLong(allocator.wordOffset(frame.pfn()), r.originalWord);
      reserved.remove(frame.pfn());
      freed.put(frame.pfn(), frame);
      releaseReservationLater.add(r);
      return;
    }
    if (freed.containsKey(frame.pfn())) {
      throw new InvalidFrameException(
          ErrorCode.FRAME_DOUBLE_FREE, frame + " is already freed in this transaction");
    }
    lock(frame.pfn(), frame);
    allocator.beginFree(frame.pfn(), frame.order(), frame.generation());
    freed.put(frame.pfn(), frame);
    writes.putLong(allocator.wordOffset(frame.pfn()), FrameWord.free(frame.generation() + 1));
  }


  // ---------------------------------------------------------------- data

  /** Validates {@code frame} for this transaction; returns its reservation when it is one of ours. */
  private Reservation touch(Frame frame) {
    ensureActive();
    region.checkRegion(frame);
    Reservation r = reserved.get(frame.pfn());
    if (r != null && r.frame.equals(frame)) {
      return r;
    }
    if (freed.containsKey(frame.pfn())) {
      throw new InvalidFrameException(
          ErrorCode.FRAME_STALE, frame + " was freed earlier in this transaction");
    }
    lock(frame.pfn(), frame);
    allocator.validate(frame.pfn(), frame.order(), frame.generation());
    return null;
  }

  @Override
  public void write(Frame frame, long offset, byte[] src) {
    write(frame, offset, src, 0, src.length);
  }

  @Override
  public void write(Frame frame, long offset, byte[] src, int srcOffset, int length) {
    Objects.checkFromIndexSize(srcOffset, length, src.length);
    Reservation r = touch(frame);
    long at = region.checkedAddress(frame, offset, length);
    if (r != null) {
      region.medium.write(at, src, srcOffset, length);
      r.dirtyFrom = Math.min(r.dirtyFrom, at);
      r.dirtyTo = Math.max(r.dirtyTo, at + length);
    } else {
      writes.write(at, src, srcOffset, length);
    }
  }

  @Override
  public void putLong(Frame frame, long offset, long value) {
    Reservation r = touch(frame);
    long at = region.checkedAddress(frame, offset, 8);
    if (r != null) {
      region.writeLong(at, value);
      r.dirtyFrom = Math.min(r.dirtyFrom, at);
      r.dirtyTo = Math.max(r.dirtyTo, at + 8);
    } else {
      writes.putLong(at, value);
    }
  }

  @Override
  public long getLong(Frame frame, long offset) {
    Reservation r = touch(frame);
    long at = region.checkedAddress(frame, offset, 8);
    if (r != null) {
      return region.readLong(at);
    }
    if ((at & 7) == 0) {
      return writes.getLong(at, region.medium);
    }
    byte[] b = new byte[8];
    writes.read(at, b, 0, 8, region.medium);
    return MemorySegment.ofArray(b).get(LONG_LE_UNALIGNED, 0);
  }

  @Override
  public void read(Frame frame, long offset, byte[] dst) {
    read(frame, offset, dst, 0, dst.length);
  }

  @Override
  public void read(Frame frame, long offset, byte[] dst, int dstOffset, int length) {
    Objects.checkFromIndexSize(dstOffset, length, dst.length);
    Reservation r = touch(frame);
    long at = region.checkedAddress(frame, offset, length);
    if (r != null) {
      region.medium.read(at, dst, dstOffset, length);
    } else {
      writes.read(at, dst, dstOffset, length, region.medium);
    }
  }

  // ---------------------------------------------------------------- roots

  @Override
  public void setRoot(String name, Frame frame) {
    ensureActive();
    RootDirectory.validateName(name);
    Objects.requireNonNull(frame, "frame");
    touch(frame);
    lock(FrameLocks.ROOTS, null);
    int slot = slotFor(name);
    writes.write(region.roots.slotOffset(slot), RootDirectory.encodeSlot(name, frame), 0, RootDirectory.SLOT_BYTES);
    rootChanges.put(name, new RootChange(slot, frame));
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
    writes.write(region.roots.slotOffset(slot), RootDirectory.encodeSlot(name, null), 0, RootDirectory.SLOT_BYTES);
    rootChanges.put(name, new RootChange(slot, null));
  }

  private int slotFor(String name) {
    RootChange mine = rootChanges.get(name);
    if (mine != null) {
      return mine.slot();
    }
    Optional<RootDirectory.Entry> existing = region.roots.get(name);
    if (existing.isPresent()) {
      return existing.get().slot();
    }
    Set<Integer> claimed = new HashSet<>();
    rootChanges.values().forEach(c -> claimed.add(c.slot()));
    int slot = region.roots.freeSlot(claimed);
    if (slot < 0) {
      throw new NvframeConfigurationException(
          ErrorCode.ROOT_DIRECTORY_FULL,
          "cannot add root '" + name + "': all " + RootDirectory.SLOTS + " root slots of region "
              + region.location() + " are used; remove a root or keep several frames under one root frame");
    }
    return slot;
  }

  @Override
  public Optional<Frame> root(String name) {
    ensureActive();
    RootDirectory.validateName(name);
    RootChange mine = rootChanges.get(name);
    if (mine != null) {
      return Optional.ofNullable(mine.frame());
    }
    return region.roots.get(name).map(RootDirectory.Entry::frame);
  }

  // ---------------------------------------------------------------- end

  @Override
  public void commit() {
    ensureActive();
    boolean done = false;
    try {
      region.ensureWritable();
      for (Reservation r : reserved.values()) {
        if (r.dirtyTo > r.dirtyFrom) {
          writes.addDurableRange(r.dirtyFrom, r.dirtyTo - r.dirtyFrom);
        }
      }
      if (!writes.isEmpty()) {
        region.log.commit(writes);
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
    for (Reservation r : reserved.values()) {
      allocator.commitReserved(r.frame.pfn(), r.frame.order(), r.frame.generation(), r.owner);
    }
    for (Frame f : freed.values()) {
      if (!isReleasedReservation(f)) {
        allocator.completeFree(f.pfn(), f.order());
      }
    }
    rootChanges.forEach((name, change) -> region.roots.applyCommitted(name, change.slot(), change.frame()));
    region.committed();
  }

  private boolean isReleasedReservation(Frame f) {
    for (Reservation r : releaseReservationLater) {
      if (r.frame.equals(f)) {
        return true;
      }
    }
    return false;
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
      if (rollback) {
        for (Reservation r : reserved.values()) {
          allocator.unreserve(r.frame.pfn(), r.frame.order());
        }
        for (Frame f : freed.values()) {
          if (!isReleasedReservation(f)) {
            allocator.abortFree(f.pfn(), f.order(), f.generation());
          }
        }
      }
      for (Reservation r : releaseReservationLater) {
        allocator.unreserve(r.frame.pfn(), r.frame.order());
      }
    } finally {
      for (long key : locked) {
        region.locks.release(key, this);
      }
      locked.clear();
      reserved.clear();
      freed.clear();
      releaseReservationLater.clear();
      rootChanges.clear();
      writes.clear();
    }
  }

  private void lock(long key, Frame frame) {
    if (locked.contains(key)) {
      return;
    }
    if (!region.locks.acquire(key, this, region.lockTimeoutNanos)) {
      String what = key == FrameLocks.ROOTS ? "the root directory" : String.valueOf(frame);
      throw new TransactionConflictException(
          "transaction on " + thread.getName() + " could not lock " + what + " within "
              + TimeUnit.NANOSECONDS.toMillis(region.lockTimeoutNanos)
              + " ms: another transaction holds it. Retry the transaction, or touch frames in a consistent order to avoid deadlocks");
    }
    locked.add(key);
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
    region.ensureOpen();
  }
}
