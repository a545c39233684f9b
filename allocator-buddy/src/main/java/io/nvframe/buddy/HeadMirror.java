package io.nvframe.buddy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The head mirror: the volatile state of every live block, one {@code int} entry per frame.
 *
 * <pre>
 *  entry of a live head (every other entry is 0):
 *
 *   31   30       23 22   21 20      16 15                 0
 *  +----+-----------+-------+----------+--------------------+
 *  |LIVE|  unused   | state |  order   |     generation     |
 *  +----+-----------+-------+----------+--------------------+
 *    1        8         2        5               16          bits
 *
 *  chunks:  [0] -> int[CHUNK_ENTRIES]   entries of frames [0, 4096)
 *           [1] -> null                 no block has been live in [4096, 8192) since open
 *           [2] -> int[CHUNK_ENTRIES]   ...
 * </pre>
 *
 * <p>Entries are kept in chunks of {@link #CHUNK_ENTRIES} created only where a block has been live
 * since open, so the mirror's memory follows use, not the region's size. A chunk, once created, is
 * published by compare-and-set and stays until the allocator is reopened. Free frames have no
 * entry: their generation is in the table only.
 *
 * <p>The state of a live head is {@link #STATE_ALLOCATED}, {@link #STATE_RESERVED} (a transaction
 * holds the block and the table still says free) or {@link #STATE_FREEING} (a free is in progress
 * and the table may say either). Every state change is a compare-and-set on the entry, so two
 * threads freeing one handle cannot both win. Entries are read with acquire and written with
 * release: the frames of a block published as live are visible to whoever sees the entry.
 */
final class HeadMirror {
  /** Width of the generation field of an entry (the frame word's). */
  private static final int ENTRY_GENERATION_BITS = FrameWord.GENERATION_BITS;
  /** Width of the order field of an entry (the frame word's). */
  private static final int ENTRY_ORDER_BITS = FrameWord.ORDER_BITS;
  /** Width of the state field of an entry. */
  private static final int ENTRY_STATE_BITS = 2;

  private static final int ENTRY_GENERATION_SHIFT = 0;
  private static final int ENTRY_ORDER_SHIFT = ENTRY_GENERATION_SHIFT + ENTRY_GENERATION_BITS;
  private static final int STATE_SHIFT = ENTRY_ORDER_SHIFT + ENTRY_ORDER_BITS;
  private static final int LIVE_SHIFT = Integer.SIZE - 1;

  private static final int ENTRY_GENERATION_MASK = (1 << ENTRY_GENERATION_BITS) - 1;
  private static final int ENTRY_ORDER_MASK = (1 << ENTRY_ORDER_BITS) - 1;
  /** Mask of the state field in place. */
  static final int STATE_MASK = ((1 << ENTRY_STATE_BITS) - 1) << STATE_SHIFT;

  /** Set in every live entry; it is the sign bit, so a live entry is negative. */
  static final int LIVE = 1 << LIVE_SHIFT;

  /** The block is allocated: its head word in the table is durable. */
  static final int STATE_ALLOCATED = 0;
  /** A transaction has reserved the block; the table still holds a free word. */
  static final int STATE_RESERVED = 1 << STATE_SHIFT;
  /** A free of the block is in progress; the table holds the head word or the next free word. */
  static final int STATE_FREEING = 2 << STATE_SHIFT;

  static {
    assert STATE_SHIFT + ENTRY_STATE_BITS <= LIVE_SHIFT : "head-mirror entry fields overlap LIVE";
  }

  /** log2 of {@link #CHUNK_ENTRIES}. */
  static final int CHUNK_SHIFT = 12;

  /** Entries per chunk (16 KiB of {@code int}). */
  static final int CHUNK_ENTRIES = 1 << CHUNK_SHIFT;

  private static final int CHUNK_MASK = CHUNK_ENTRIES - 1;

  private static final VarHandle CHUNKS = MethodHandles.arrayElementVarHandle(int[][].class);
  private static final VarHandle ENTRY = MethodHandles.arrayElementVarHandle(int[].class);

  /**
   * The chunks, null where no block has been live since open. The open scan fills them directly
   * (before the allocator is shared); afterwards they are read and created through the methods
   * below.
   */
  final int[][] chunks;

  /** An empty mirror for {@code frameCount} frames: no chunk exists yet. */
  HeadMirror(long frameCount) {
    this.chunks = new int[(int) ((frameCount + CHUNK_MASK) >>> CHUNK_SHIFT)][];
  }

  // ---------------------------------------------------------------- entries

  /** The entry of a live head without its state: {@code LIVE | order | generation}. */
  static int live(int order, int generation) {
    return LIVE | (order << ENTRY_ORDER_SHIFT) | (generation << ENTRY_GENERATION_SHIFT);
  }

  static boolean isLive(int entry) {
    return entry < 0;
  }

  static int order(int entry) {
    return (entry >>> ENTRY_ORDER_SHIFT) & ENTRY_ORDER_MASK;
  }

  static int generation(int entry) {
    return (entry >>> ENTRY_GENERATION_SHIFT) & ENTRY_GENERATION_MASK;
  }

  static int state(int entry) {
    return entry & STATE_MASK;
  }

  /** Whether {@code entry} is live with {@code order} and {@code state}. */
  static boolean hasState(int entry, int order, int state) {
    return isLive(entry) && order(entry) == order && (entry & STATE_MASK) == state;
  }

  /** Readable form of the live entry of the head {@code pfn}. */
  static String describe(long pfn, int entry) {
    int state = entry & STATE_MASK;
    String s = state == STATE_ALLOCATED ? "allocated"
        : state == STATE_RESERVED ? "reserved"
        : state == STATE_FREEING ? "free pending"
        : "state " + (state >>> STATE_SHIFT);
    return s + " block pfn " + pfn + " order " + order(entry) + " gen " + generation(entry);
  }

  // ---------------------------------------------------------------- chunks

  /** The index of {@code pfn}'s entry in its chunk. */
  static int slot(long pfn) {
    return (int) (pfn & CHUNK_MASK);
  }

  /** The chunk holding {@code pfn}'s entry, or null if no block there has been live. */
  int[] chunk(long pfn) {
    return (int[]) CHUNKS.getAcquire(chunks, (int) (pfn >>> CHUNK_SHIFT));
  }

  /** The chunk holding {@code pfn}'s entry, created (and published by CAS) if absent. */
  int[] chunkFor(long pfn) {
    int index = (int) (pfn >>> CHUNK_SHIFT);
    int[] chunk = (int[]) CHUNKS.getAcquire(chunks, index);
    if (chunk == null) {
      int[] fresh = new int[CHUNK_ENTRIES];
      chunk = (int[]) CHUNKS.compareAndExchange(chunks, index, (int[]) null, fresh);
      if (chunk == null) {
        chunk = fresh;
      }
    }
    return chunk;
  }

  /** The entry of {@code pfn}: 0 unless a live block starts there. */
  int entry(long pfn) {
    int[] chunk = chunk(pfn);
    return chunk == null ? 0 : (int) ENTRY.getAcquire(chunk, slot(pfn));
  }

  /** Chunks created so far (package-private, for tests). */
  int chunksCreated() {
    int count = 0;
    for (int i = 0; i < chunks.length; i++) {
      if (CHUNKS.getAcquire(chunks, i) != null) {
        count++;
      }
    }
    return count;
  }

  // ---------------------------------------------------------------- state changes

  /** Publishes {@code entry} at {@code slot} of {@code chunk} (a release store). */
  static void set(int[] chunk, int slot, int entry) {
    ENTRY.setRelease(chunk, slot, entry);
  }

  /**
   * Whether {@code pfn} heads a live block of {@code order} and {@code generation}, in any state.
   * The caller has checked that {@code pfn} is in the table and that order and generation fit
   * their fields.
   */
  boolean holds(long pfn, int order, int generation) {
    int[] chunk = chunks[(int) (pfn >>> CHUNK_SHIFT)];
    return chunk != null
        && ((int) ENTRY.getAcquire(chunk, slot(pfn)) & ~STATE_MASK) == live(order, generation);
  }

  /**
   * CAS of {@code pfn}'s entry from ALLOCATED to FREEING at {@code order} and {@code generation}
   * (which the caller has range-checked); returns the chunk, or null if the entry was not that.
   */
  int[] beginFree(long pfn, int order, int generation) {
    int[] chunk = chunk(pfn);
    int live = live(order, generation);
    if (chunk != null && ENTRY.compareAndSet(chunk, slot(pfn),
        live | STATE_ALLOCATED, live | STATE_FREEING)) {
      return chunk;
    }
    return null;
  }

  /**
   * CAS of {@code pfn}'s entry from {@code from} to {@code to} at {@code order} and {@code
   * generation}; false (and nothing changed) if the entry was not {@code from} or the generation
   * is out of range.
   */
  boolean change(long pfn, int order, int generation, int from, int to) {
    int live = live(order, generation & ENTRY_GENERATION_MASK);
    int[] chunk = chunk(pfn);
    return generation >= 0 && generation <= ENTRY_GENERATION_MASK && chunk != null
        && ENTRY.compareAndSet(chunk, slot(pfn), live | from, live | to);
  }

  /**
   * CAS of {@code pfn}'s entry from live at {@code order} in {@code state} to 0; returns the entry
   * removed, or 0 (nothing changed) if it was not in that state.
   */
  int remove(long pfn, int order, int state) {
    int[] chunk = chunk(pfn);
    int slot = slot(pfn);
    int e = chunk == null ? 0 : (int) ENTRY.getAcquire(chunk, slot);
    return hasState(e, order, state) && ENTRY.compareAndSet(chunk, slot, e, 0) ? e : 0;
  }
}
