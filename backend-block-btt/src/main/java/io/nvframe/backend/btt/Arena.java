package io.nvframe.backend.btt;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Run-time state of one arena: absolute offsets, the per-lane free list rebuilt from the flog, the
 * read-tracking table and the map locks.
 */
final class Arena {
  /** RTT value of a lane that reads nothing. */
  static final int RTT_IDLE = -1;

  final int index;
  final long start;
  final BttInfo info;
  final long dataBase;
  final long mapBase;
  final long flogBase;
  /** Byte offset of a slot's second entry: 16 for the (0,1) layout, 32 for (0,2). */
  final int secondEntry;
  final long firstLba;
  /** Per flog slot: the lane's free block (post-map, no flags). */
  final int[] freeBlock;
  /** Per flog slot: which entry (0 or 1) the next write of the lane goes to. */
  final int[] nextEntry;
  /** Per flog slot: the sequence number of the next write. */
  final int[] nextSeq;
  /** Ints from one RTT slot to the next: 64 bytes, so that two readers never share a cache line. */
  static final int RTT_STRIDE = 16;

  /**
   * The read-tracking table: per slot, the post-map block a reader is copying, or {@link #RTT_IDLE}.
   * As many slots as lanes, slot {@code i} at index {@code i * RTT_STRIDE} (the ints between stay
   * idle); readers claim slots with {@link #trackRead}, writers scan them all.
   */
  final AtomicIntegerArray rtt;
  /** Map locks, striped by the map entry's cache line. */
  final ReentrantLock[] mapLocks;
  /**
   * Map entries rolled forward in memory only (a read-only open that found a committed flog entry
   * whose map write was lost): pre-map -> new entry.
   */
  final ConcurrentHashMap<Integer, Integer> volatileMap = new ConcurrentHashMap<>();
  /**
   * True when {@link #volatileMap} holds an entry; set only while the BTT is opened (before the
   * {@code Btt} that publishes this arena through a final field exists), so a plain read suffices.
   */
  boolean rolledForwardInMemory;
  /** Why the arena is read-only, or null. */
  volatile String error;

  Arena(int index, long start, BttInfo info, int secondEntry, long firstLba, int lanes) {
    this.index = index;
    this.start = start;
    this.info = info;
    this.dataBase = start + info.dataOff();
    this.mapBase = start + info.mapOff();
    this.flogBase = start + info.flogOff();
    this.secondEntry = secondEntry;
    this.firstLba = firstLba;
    this.freeBlock = new int[info.nfree()];
    this.nextEntry = new int[info.nfree()];
    this.nextSeq = new int[info.nfree()];
    this.rtt = new AtomicIntegerArray(lanes * RTT_STRIDE);
    for (int i = 0; i < rtt.length(); i++) {
      rtt.set(i, RTT_IDLE);
    }
    this.mapLocks = new ReentrantLock[info.nfree()];
    for (int i = 0; i < mapLocks.length; i++) {
      mapLocks[i] = new ReentrantLock();
    }
  }

  /**
   * Claims an idle RTT slot for a reader of post-map block {@code post} and returns its index in
   * {@link #rtt}: one compare-and-set from {@link #RTT_IDLE} to {@code post} (claim and publication
   * in one volatile write), starting at the slot {@code threadId mod slots} so that threads spread
   * over the slots. When every slot is busy it spins, then yields, until a reader frees one (slots
   * are held only for one block copy). The caller frees the slot with a release store of {@link
   * #RTT_IDLE}.
   */
  int trackRead(int post) {
    int n = rtt.length() / RTT_STRIDE;
    int start = (int) (Thread.currentThread().threadId() % n);
    for (int round = 0; ; round++) {
      for (int k = 0; k < n; k++) {
        int i = (start + k < n ? start + k : start + k - n) * RTT_STRIDE;
        if (rtt.get(i) == RTT_IDLE && rtt.compareAndSet(i, RTT_IDLE, post)) {
          return i;
        }
      }
      if (round < 64) {
        Thread.onSpinWait();
      } else {
        Thread.yield();
      }
    }
  }

  long externalNlba() {
    return Integer.toUnsignedLong(info.externalNlba());
  }

  long mapEntryOffset(int premap) {
    return mapBase + 4L * premap;
  }

  long blockOffset(int postmap) {
    return dataBase + (long) postmap * info.internalLbaSize();
  }

  long entryOffset(int slot, int entry) {
    return flogBase + (long) slot * Flog.SLOT + (entry == 0 ? 0 : secondEntry);
  }

  /** The map lock of {@code premap}: one per 64-byte line of map entries, modulo nfree. */
  ReentrantLock mapLock(int premap) {
    return mapLocks[(int) ((premap * 4L / 64) % mapLocks.length)];
  }
}
