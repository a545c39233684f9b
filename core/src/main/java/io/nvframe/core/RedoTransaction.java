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
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
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
 *
 * <h2>Bookkeeping without garbage</h2>
 *
 * A transaction's bookkeeping (write set, reservations, frees, held locks, root changes) lives in
 * a {@link Scratch} that the region keeps per thread and hands to the next transaction of that
 * thread once this one has ended and cleared it; a thread that nests transactions gets a fresh one
 * for the inner transaction. Reservations, frees and locks are {@link LongMap}s keyed by pfn: a
 * linear scan while a transaction touches at most {@value LongMap#LINEAR_MAX} frames (the common
 * case, no hashing and no boxing), an open-addressing index beyond. Nothing is removed from them
 * one by one: a frame allocated and freed in the same transaction keeps its reservation, marked
 * {@code released}, and is returned to the allocator when the transaction ends.
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
    /** Freed again in this transaction: not published; returned to the allocator at the end. */
    boolean released;

    /** Records a direct write of {@code [at, at + length)}, flushed before the commit point. */
    void dirty(long at, long length) {
      dirtyFrom = Math.min(dirtyFrom, at);
      dirtyTo = Math.max(dirtyTo, at + length);
    }

    Reservation(Frame frame, long owner, long originalWord) {
      this.frame = frame;
      this.owner = owner;
      this.originalWord = originalWord;
    }
  }

  /** A root change: {@code frame == null} removes. */
  private record RootChange(int slot, Frame frame) {}

  /**
   * The reusable bookkeeping of one thread's transactions on one region ({@link
   * FrameRegion#txScratch}). Empty whenever {@code inUse} is false.
   */
  static final class Scratch {
    final WriteSet writes;
    /** Frames allocated here, by pfn (released ones included until the end). */
    final LongMap<Reservation> reserved = new LongMap<>();
    /** Frames freed here, by pfn. */
    final LongMap<Frame> freed = new LongMap<>();
    /** Lock keys held (pfns and {@link FrameLocks#ROOTS}); values unused. */
    final LongMap<Object> locked = new LongMap<>();
    final Map<String, RootChange> rootChanges = new HashMap<>();
    boolean inUse;

    Scratch(WriteSet writes) {
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

  private final FrameRegion region;
  private final BuddyAllocator allocator;
  private final Scratch s;
  private final WriteSet writes;
  private final Thread thread = Thread.currentThread();
  private boolean active = true;

  RedoTransaction(FrameRegion region) {
    this.region = region;
    this.allocator = region.allocator;
    Scratch cached = region.txScratch.get();
    Scratch mine = cached;
    if (mine == null || mine.inUse) {
      mine = new Scratch(region.log.newWriteSet());
      if (cached == null) {
        region.txScratch.set(mine);
      }
    }
    mine.inUse = true;
    this.s = mine;
    this.writes = mine.writes;
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
    s.reserved.put(pfn, new Reservation(frame, owner, allocator.word(pfn)));
    writes.putLong(allocator.wordOffset(pfn), FrameWord.allocated(order, gen, owner));
    return frame;
  }

  @Override
  public void free(Frame frame) {
    ensureActive();
    region.checkRegion(frame);
    Reservation r = reservation(frame);
    if (r != null) {
      // allocated and freed in this transaction: restore the word, return it at the end
      writes.putLong(allocator.wordOffset(frame.pfn()), r.originalWord);
      r.released = true;
      s.freed.put(frame.pfn(), frame);
      return;
    }
    if (s.freed.containsKey(frame.pfn())) {
      throw new InvalidFrameException(
          ErrorCode.FRAME_DOUBLE_FREE, frame + " is already freed in this transaction");
    }
    lock(frame.pfn(), frame);
    allocator.beginFree(frame.pfn(), frame.order(), frame.generation());
    s.freed.put(frame.pfn(), frame);
    writes.putLong(allocator.wordOffset(frame.pfn()), FrameWord.free(frame.generation() + 1));
  }


  // ---------------------------------------------------------------- data

  /** Validates {@code frame} for this transaction; returns its reservation when it is one of ours. */
  private Reservation touch(Frame frame) {
    ensureActive();
    region.checkRegion(frame);
    Reservation r = reservation(frame);
    if (r != null) {
      return r;
    }
    if (s.freed.containsKey(frame.pfn())) {
      throw new InvalidFrameException(
          ErrorCode.FRAME_STALE, frame + " was freed earlier in this transaction");
    }
    lock(frame.pfn(), frame);
    allocator.validate(frame.pfn(), frame.order(), frame.generation());
    return null;
  }

  /** This transaction's live (not released) reservation of exactly {@code frame}, or null. */
  private Reservation reservation(Frame frame) {
    if (s.reserved.size() == 0) {
      return null;
    }
    Reservation r = s.reserved.get(frame.pfn());
    return r != null && !r.released && r.frame.equals(frame) ? r : null;
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
      r.dirty(at, length);
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
      r.dirty(at, 8);
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
    s.rootChanges.put(name, new RootChange(slot, frame));
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
    s.rootChanges.put(name, new RootChange(slot, null));
  }

  private int slotFor(String name) {
    RootChange mine = s.rootChanges.get(name);
    if (mine != null) {
      return mine.slot();
    }
    Optional<RootDirectory.Entry> existing = region.roots.get(name);
    if (existing.isPresent()) {
      return existing.get().slot();
    }
    Set<Integer> claimed = new HashSet<>();
    s.rootChanges.values().forEach(c -> claimed.add(c.slot()));
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
    RootChange mine = s.rootChanges.get(name);
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
      LongMap<Reservation> reserved = s.reserved;
      for (int i = 0; i < reserved.size(); i++) {
        Reservation r = reserved.value(i);
        if (!r.released && r.dirtyTo > r.dirtyFrom) {
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
    LongMap<Reservation> reserved = s.reserved;
    for (int i = 0; i < reserved.size(); i++) {
      Reservation r = reserved.value(i);
      if (!r.released) {
        allocator.commitReserved(r.frame.pfn(), r.frame.order(), r.frame.generation(), r.owner);
      }
    }
    LongMap<Frame> freed = s.freed;
    for (int i = 0; i < freed.size(); i++) {
      Frame f = freed.value(i);
      if (!isReleasedReservation(f)) {
        allocator.completeFree(f.pfn(), f.order());
      }
    }
    if (!s.rootChanges.isEmpty()) {
      s.rootChanges.forEach((name, change) -> region.roots.applyCommitted(name, change.slot(), change.frame()));
    }
    region.committed();
  }

  /** True when {@code f} was allocated in this transaction and freed again. */
  private boolean isReleasedReservation(Frame f) {
    if (s.reserved.size() == 0) {
      return false;
    }
    Reservation r = s.reserved.get(f.pfn());
    return r != null && r.released && r.frame.equals(f);
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
      LongMap<Reservation> reserved = s.reserved;
      for (int i = 0; i < reserved.size(); i++) {
        Reservation r = reserved.value(i);
        if (rollback || r.released) {
          allocator.unreserve(r.frame.pfn(), r.frame.order());
        }
      }
      if (rollback) {
        LongMap<Frame> freed = s.freed;
        for (int i = 0; i < freed.size(); i++) {
          Frame f = freed.value(i);
          if (!isReleasedReservation(f)) {
            allocator.abortFree(f.pfn(), f.order(), f.generation());
          }
        }
      }
    } finally {
      LongMap<Object> locked = s.locked;
      for (int i = 0; i < locked.size(); i++) {
        region.locks.release(locked.key(i), this);
      }
      s.clear();
      s.inUse = false;
    }
  }

  private void lock(long key, Frame frame) {
    if (s.locked.containsKey(key)) {
      return;
    }
    if (!region.locks.acquire(key, this, region.lockTimeoutNanos)) {
      String what = key == FrameLocks.ROOTS ? "the root directory" : String.valueOf(frame);
      throw new TransactionConflictException(
          "transaction on " + thread.getName() + " could not lock " + what + " within "
              + TimeUnit.NANOSECONDS.toMillis(region.lockTimeoutNanos)
              + " ms: another transaction holds it. Retry the transaction, or touch frames in a consistent order to avoid deadlocks");
    }
    s.locked.put(key, null);
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

  /**
   * An insertion-ordered map from {@code long} keys to values for the few frames one transaction
   * touches. Entries live in dense arrays ({@link #key}, {@link #value}, in insertion order). Up to
   * {@value #LINEAR_MAX} entries a lookup scans the keys; beyond that an open-addressing index
   * (linear probing, {@code slot -> entry + 1}, load at most 1/2) is built and then extended as
   * entries are added. There is no single-entry removal; {@link #clear} forgets everything and
   * keeps the arrays for the next transaction. Not thread-safe.
   */
  static final class LongMap<V> {
    /** Lookups scan the keys while the map holds at most this many entries. */
    static final int LINEAR_MAX = 8;

    private long[] keys = new long[LINEAR_MAX];
    private Object[] values = new Object[LINEAR_MAX];
    private int size;
    /** slot -> entry index + 1 (0 = empty slot); describes entries {@code [0, indexed)}. */
    private int[] index;
    private int indexed;

    int size() {
      return size;
    }

    long key(int i) {
      Objects.checkIndex(i, size);
      return keys[i];
    }

    @SuppressWarnings("unchecked")
    V value(int i) {
      Objects.checkIndex(i, size);
      return (V) values[i];
    }

    boolean containsKey(long key) {
      return find(key) >= 0;
    }

    /** The value of {@code key}, or null when absent (or mapped to null). */
    @SuppressWarnings("unchecked")
    V get(long key) {
      int i = find(key);
      return i < 0 ? null : (V) values[i];
    }

    /** Maps {@code key} to {@code value}, replacing the value of a present key in place. */
    void put(long key, V value) {
      int i = find(key);
      if (i >= 0) {
        values[i] = value;
        return;
      }
      if (size == keys.length) {
        keys = Arrays.copyOf(keys, size * 2);
        values = Arrays.copyOf(values, size * 2);
      }
      keys[size] = key;
      values[size] = value;
      size++;
    }

    /** Forgets every entry; keeps the arrays. */
    void clear() {
      Arrays.fill(values, 0, size, null);
      size = 0;
      if (indexed > 0) {
        Arrays.fill(index, 0);
        indexed = 0;
      }
    }

    private int find(long key) {
      if (size <= LINEAR_MAX) {
        for (int i = 0; i < size; i++) {
          if (keys[i] == key) {
            return i;
          }
        }
        return -1;
      }
      int[] table = indexAll();
      int mask = table.length - 1;
      for (int slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
        int e = table[slot];
        if (e == 0) {
          return -1;
        }
        if (keys[e - 1] == key) {
          return e - 1;
        }
      }
    }

    /** Brings the index up to date with every entry, growing it to keep the load at most 1/2. */
    private int[] indexAll() {
      if (index == null || index.length < 2 * size) {
        index = new int[Integer.highestOneBit(Math.max(2 * LINEAR_MAX, size) * 4 - 1)];
        indexed = 0;
      }
      int[] table = index;
      int mask = table.length - 1;
      for (; indexed < size; indexed++) {
        int slot = hash(keys[indexed]) & mask;
        while (table[slot] != 0) {
          slot = (slot + 1) & mask;
        }
        table[slot] = indexed + 1;
      }
      return table;
    }

    private static int hash(long key) {
      long h = key * 0x9E3779B97F4A7C15L;
      return (int) (h ^ (h >>> 32));
    }
  }
}
