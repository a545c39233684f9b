package io.nvframe.spi;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Thread-safe counters a {@link Medium} implementation can use to produce {@link PersistStats}.
 *
 * <h2>Why not one atomic per counter</h2>
 *
 * The counters sit on the persistence path: a {@code persist} counts a flush and a fence between
 * the cache-line write-back instructions and the store fence that completes them. An atomic
 * read-modify-write there (a {@code LOCK}-prefixed instruction on x86, as in {@link LongAdder}) is
 * itself a store fence, so it would wait for the write-backs and turn "write back several ranges,
 * fence once" into one wait per flush. So each platform thread counts into its own {@link Cell}
 * with plain (opaque) stores: no atomic instruction, no cache line shared with another thread.
 *
 * <pre>
 *   platform thread t --slots[t.threadId() & 63], owner == t--> Cell {stores, bytesWritten, flushes,
 *                     (else) --ThreadLocal-------------------->      bytesFlushed, fences}
 *                                                                (written only by its thread,
 *                                                                 opaque stores)
 *   virtual thread  ----------------------------------------->  shared LongAdders (one cell per
 *                                                                 thread would be garbage)
 *   snapshot() = retired + sum(cells of registered threads) + LongAdders
 * </pre>
 *
 * <p>Finding the cell is on every counted call, so the common case avoids the {@link ThreadLocal}
 * map: a thread's cell is also put into the slot {@code threadId & 63} of a small table when that
 * slot is free or its owner has terminated; the hot path reads the slot and compares its {@code
 * owner} (a final field, so a racy read of the slot sees a fully built cell). Only a thread whose
 * slot belongs to another live thread looks its cell up in the {@link ThreadLocal}. The table is
 * written under the lock, never by the hot path.
 *
 * <p>Cells are registered on a thread's first count. A cell whose thread has terminated is folded
 * into {@code retired} and dropped, by {@link #snapshot()} and whenever the registry has doubled
 * since the last sweep, so the registry stays proportional to the live threads that count. A
 * snapshot is exact once the counting threads are quiescent and a happens-before edge (join, a
 * barrier, a lock) orders their counts before it; while they run it may miss their latest counts,
 * like {@link LongAdder#sum()}.
 */
public final class PersistCounters {
  private static final VarHandle STORES;
  private static final VarHandle BYTES_WRITTEN;
  private static final VarHandle FLUSHES;
  private static final VarHandle BYTES_FLUSHED;
  private static final VarHandle FENCES;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      STORES = l.findVarHandle(CellFields.class, "stores", long.class);
      BYTES_WRITTEN = l.findVarHandle(CellFields.class, "bytesWritten", long.class);
      FLUSHES = l.findVarHandle(CellFields.class, "flushes", long.class);
      BYTES_FLUSHED = l.findVarHandle(CellFields.class, "bytesFlushed", long.class);
      FENCES = l.findVarHandle(CellFields.class, "fences", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** 64 bytes before a {@link Cell}'s fields (the JVM lays out a superclass's fields first). */
  @SuppressWarnings("unused")
  private abstract static class CellPadding {
    /**
     * Takes the 4 bytes after the object header (with compressed class pointers), where the JVM
     * would otherwise place an {@code int} field of a subclass: in front of the padding, on the
     * line of whatever object precedes this one (see {@code PaddingLayoutTest}).
     */
    private int gap;
    private long p0, p1, p2, p3, p4, p5, p6, p7;
  }

  /** A cell's fields, between {@link CellPadding} and the 64 bytes of {@link Cell}'s own. */
  private abstract static class CellFields extends CellPadding {
    final Thread owner;
    long stores;
    long bytesWritten;
    long flushes;
    long bytesFlushed;
    long fences;

    CellFields(Thread owner) {
      this.owner = owner;
    }
  }

  /**
   * One thread's counts; written only by {@link #owner}, read by snapshots. Padded by 64 bytes on
   * both sides: the registry keeps the cells in one list, so a copying collector tends to place
   * them next to each other, and two threads' counts must not share a cache line wherever they end
   * up.
   */
  @SuppressWarnings("unused") // q0..q7: padding
  private static final class Cell extends CellFields {
    private long q0, q1, q2, q3, q4, q5, q6, q7;

    Cell(Thread owner) {
      super(owner);
    }
  }

  /** Slots of the per-thread cell table (a power of two). */
  private static final int SLOTS = 64;

  private final ThreadLocal<Cell> cell = new ThreadLocal<>();
  /** {@code slots[threadId & (SLOTS - 1)]}: a registered cell, found without the ThreadLocal. */
  private final Cell[] slots = new Cell[SLOTS];
  /** Guards the registry and the retired totals. */
  private final Object lock = new Object();
  private final List<Cell> registry = new ArrayList<>();
  private int sweepAt = 8;
  private long retiredStores;
  private long retiredBytesWritten;
  private long retiredFlushes;
  private long retiredBytesFlushed;
  private long retiredFences;
  // virtual threads
  private final LongAdder vStores = new LongAdder();
  private final LongAdder vBytesWritten = new LongAdder();
  private final LongAdder vFlushes = new LongAdder();
  private final LongAdder vBytesFlushed = new LongAdder();
  private final LongAdder vFences = new LongAdder();

  /** Counts one store call of {@code bytes} bytes. */
  public void store(long bytes) {
    Cell c = cell();
    if (c == null) {
      vStores.increment();
      vBytesWritten.add(bytes);
      return;
    }
    STORES.setOpaque(c, c.stores + 1);
    BYTES_WRITTEN.setOpaque(c, c.bytesWritten + bytes);
  }

  /** Counts one flush call over {@code bytes} bytes. */
  public void flush(long bytes) {
    Cell c = cell();
    if (c == null) {
      vFlushes.increment();
      vBytesFlushed.add(bytes);
      return;
    }
    FLUSHES.setOpaque(c, c.flushes + 1);
    BYTES_FLUSHED.setOpaque(c, c.bytesFlushed + bytes);
  }

  /** Counts one fence call. */
  public void fence() {
    Cell c = cell();
    if (c == null) {
      vFences.increment();
      return;
    }
    FENCES.setOpaque(c, c.fences + 1);
  }

  /** The totals so far (see the class comment for when they are exact). */
  public PersistStats snapshot() {
    long stores;
    long bytesWritten;
    long flushes;
    long bytesFlushed;
    long fences;
    synchronized (lock) {
      sweep();
      stores = retiredStores;
      bytesWritten = retiredBytesWritten;
      flushes = retiredFlushes;
      bytesFlushed = retiredBytesFlushed;
      fences = retiredFences;
      for (Cell c : registry) {
        stores += (long) STORES.getOpaque(c);
        bytesWritten += (long) BYTES_WRITTEN.getOpaque(c);
        flushes += (long) FLUSHES.getOpaque(c);
        bytesFlushed += (long) BYTES_FLUSHED.getOpaque(c);
        fences += (long) FENCES.getOpaque(c);
      }
    }
    return new PersistStats(
        stores + vStores.sum(),
        bytesWritten + vBytesWritten.sum(),
        flushes + vFlushes.sum(),
        bytesFlushed + vBytesFlushed.sum(),
        fences + vFences.sum());
  }

  /** This platform thread's cell (registered on first use), or null on a virtual thread. */
  private Cell cell() {
    Thread t = Thread.currentThread();
    Cell c = slots[(int) t.threadId() & (SLOTS - 1)];
    if (c != null && c.owner == t) {
      return c;
    }
    return slowCell(t);
  }

  /** {@link #cell()} when the thread's slot holds another thread's cell or none. */
  private Cell slowCell(Thread t) {
    if (t.isVirtual()) {
      return null;
    }
    Cell c = cell.get();
    int slot = (int) t.threadId() & (SLOTS - 1);
    Cell holder = slots[slot];
    if (c != null && holder != null && holder.owner.isAlive()) {
      return c; // the slot belongs to another live thread
    }
    boolean created = c == null;
    synchronized (lock) {
      if (created) {
        c = new Cell(t);
        registry.add(c);
        if (registry.size() >= sweepAt) {
          sweep();
          sweepAt = Math.max(8, registry.size() * 2);
        }
      }
      holder = slots[slot];
      if (holder == null || !holder.owner.isAlive()) {
        slots[slot] = c;
      }
    }
    if (created) {
      cell.set(c);
    }
    return c;
  }

  /**
   * Folds the cells of terminated threads into the retired totals and frees their table slots.
   * Under {@link #lock}. A thread's termination happens-before {@code isAlive()} returns false, so
   * its last counts are visible.
   */
  private void sweep() {
    for (int i = 0; i < SLOTS; i++) {
      if (slots[i] != null && !slots[i].owner.isAlive()) {
        slots[i] = null;
      }
    }
    registry.removeIf(
        c -> {
          if (c.owner.isAlive()) {
            return false;
          }
          retiredStores += (long) STORES.getOpaque(c);
          retiredBytesWritten += (long) BYTES_WRITTEN.getOpaque(c);
          retiredFlushes += (long) FLUSHES.getOpaque(c);
          retiredBytesFlushed += (long) BYTES_FLUSHED.getOpaque(c);
          retiredFences += (long) FENCES.getOpaque(c);
          return true;
        });
  }
}
