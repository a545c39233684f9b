package io.nvframe.buddy;

import java.lang.ref.WeakReference;

/**
 * One thread's cache of free blocks of orders {@code 0..maxCachedOrder} (Linux {@code
 * per_cpu_pages}). Each order has a FIFO ring of block pfns: allocation takes the oldest block, a
 * free appends, so back-to-back allocate/free pairs rotate through the cached blocks instead of
 * storing to and flushing the same frame word's cache line again and again.
 *
 * <p>The owning thread takes and puts blocks ({@link ThreadCaches#take}, {@link
 * ThreadCaches#offer}). Other threads lock the cache too: to drain it into the zones when any
 * thread calls {@link BuddyAllocator#drainCaches()} or finds no free block anywhere (the last
 * resort before {@link BuddyAllocator#NO_FRAME}); to drain and drop it when its owner has died and
 * another thread attaches a new cache; and to read it in {@link BuddyAllocator#verify()} and {@link
 * BuddyAllocator#stats()} (so also {@code toString()}). A {@link SpinLock} (one CAS to take it
 * uncontended, a release store to drop it) makes those visits safe without a heavier lock on the
 * owner's path. Lock order: a cache lock before a zone lock; only {@code verify()} holds more than
 * one cache lock, taking them in registry order before the zone locks.
 *
 * <p>All blocks in a cache are persistently free (their frame words say free) and are in no
 * zone's free lists. A cache also carries its thread's home zone; with caching configured off it
 * holds no blocks and only does that.
 */
final class FrameCache extends FrameCachePadding {
  /**
   * Placeholder for virtual threads: never caches, and has no home zone (the allocator derives one
   * from the thread id).
   */
  static final FrameCache DISABLED = new FrameCache();

  /** Whether this cache holds blocks; false when caching is configured off, or for DISABLED. */
  final boolean enabled;
  /** The zone this thread allocates from first, or -1 for {@link #DISABLED}. */
  final int homeZone;
  private final WeakReference<Thread> owner;
  private final String ownerName;
  private final int maxCachedOrder;
  private final int ringCapacity;
  private final int ringMask;
  /**
   * Ring of order k at {@code rings[RING_AT + k * ringCapacity ...]}; head and count of order k
   * at {@code ends[END_AT + 2k]} and {@code ends[END_AT + 2k + 1]}. Both arrays, written on every
   * allocation and free, keep 64 unused bytes on either side of their entries, so no other
   * object's data shares a line with them wherever the collector moves them.
   */
  private final long[] rings;
  private final int[] ends;
  private static final int RING_AT = 8;
  private static final int END_AT = 16;
  private final int[] high;
  private final int[] batch;

  private final SpinLock lock = new SpinLock();

  private FrameCache() {
    this.enabled = false;
    this.homeZone = -1;
    this.owner = new WeakReference<>(null);
    this.ownerName = "none";
    this.maxCachedOrder = -1;
    this.ringCapacity = 0;
    this.ringMask = 0;
    this.rings = new long[0];
    this.ends = new int[0];
    this.high = new int[0];
    this.batch = new int[0];
  }

  /**
   * A cache for {@code owner}; with {@code maxCachedOrder == -1} it caches nothing and only
   * carries the home zone.
   */
  FrameCache(Thread owner, int homeZone, int maxCachedOrder, int highFrames, int batchFrames) {
    this.enabled = maxCachedOrder >= 0;
    this.homeZone = homeZone;
    this.owner = new WeakReference<>(owner);
    this.ownerName = owner.getName();
    this.maxCachedOrder = maxCachedOrder;
    int orders = maxCachedOrder + 1;
    this.high = new int[orders];
    this.batch = new int[orders];
    int largest = 1;
    for (int k = 0; k < orders; k++) {
      high[k] = Math.max(1, highFrames >> k);
      batch[k] = Math.max(1, Math.min(high[k], batchFrames >> k));
      largest = Math.max(largest, high[k]);
    }
    this.ringCapacity = largest == 1 ? 1 : Integer.highestOneBit(largest - 1) << 1;
    this.ringMask = ringCapacity - 1;
    this.rings = new long[RING_AT + orders * ringCapacity + RING_AT];
    this.ends = new int[END_AT + 2 * orders + END_AT];
  }

  void lock() {
    lock.lock();
  }

  void unlock() {
    lock.unlock();
  }

  /** Whether the owning thread has terminated (its cache can be drained and dropped). */
  boolean ownerDead() {
    Thread t = owner.get();
    return t == null || !t.isAlive();
  }

  String ownerName() {
    return ownerName;
  }

  int maxCachedOrder() {
    return maxCachedOrder;
  }

  /** Blocks of {@code order} held; caller holds the lock. */
  int count(int order) {
    return ends[END_AT + 2 * order + 1];
  }

  /** Per-order limit in blocks. */
  int high(int order) {
    return high[order];
  }

  /** Per-order refill/drain size in blocks. */
  int batch(int order) {
    return batch[order];
  }

  /** Whether a push of {@code order} would exceed the limit; caller holds the lock. */
  boolean full(int order) {
    return count(order) >= high[order];
  }

  /** Takes the oldest block of {@code order}, or -1; caller holds the lock. */
  long poll(int order) {
    int e = END_AT + 2 * order;
    int n = ends[e + 1];
    if (n == 0) {
      return -1;
    }
    int h = ends[e];
    long pfn = rings[RING_AT + order * ringCapacity + h];
    ends[e] = (h + 1) & ringMask;
    ends[e + 1] = n - 1;
    return pfn;
  }

  /** Appends a block of {@code order}; the caller holds the lock and checked {@link #full}. */
  void push(int order, long pfn) {
    int e = END_AT + 2 * order;
    int n = ends[e + 1];
    assert n < high[order] : "cache of order " + order + " is full";
    rings[RING_AT + order * ringCapacity + ((ends[e] + n) & ringMask)] = pfn;
    ends[e + 1] = n + 1;
  }

  /** Total frames held; caller holds the lock. */
  long frames() {
    long sum = 0;
    for (int k = 0; k <= maxCachedOrder; k++) {
      sum += (long) count(k) << k;
    }
    return sum;
  }

  /** Visits every cached block; caller holds the lock. */
  void forEach(FreeLists.BlockVisitor visitor) {
    for (int k = 0; k <= maxCachedOrder; k++) {
      int head = ends[END_AT + 2 * k];
      for (int i = 0, n = count(k); i < n; i++) {
        visitor.visit(rings[RING_AT + k * ringCapacity + ((head + i) & ringMask)], k);
      }
    }
  }

  @Override
  public String toString() {
    return "FrameCache(thread " + ownerName + ", home zone " + homeZone
        + (enabled ? "" : ", not caching") + ")";
  }
}

/**
 * 64 bytes before {@link FrameCache}'s fields (the JVM lays out a superclass's fields first): the
 * allocator keeps every thread's cache in one registry, so a copying collector tends to place one
 * thread's cache right after another thread's cache arrays, which that thread writes on every
 * allocation; the padding keeps this cache's fields, read on every allocation, off those lines.
 * What follows a cache in memory is its own arrays, copied after it.
 */
@SuppressWarnings("unused")
abstract class FrameCachePadding {
  /**
   * Takes the 4 bytes after the object header (with compressed class pointers), where the JVM
   * would otherwise place an {@code int} field of a subclass: in front of the padding, on the
   * line of whatever object precedes this one (see {@code PaddingLayoutTest}).
   */
  private int gap;
  private long p0, p1, p2, p3, p4, p5, p6, p7;
}
