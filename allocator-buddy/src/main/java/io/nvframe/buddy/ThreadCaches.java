package io.nvframe.buddy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The per-thread caches of free blocks of orders {@code 0..maxOrder} (Linux per-CPU lists), and
 * the registry through which other threads reach them.
 *
 * <pre>
 *   thread A: FrameCache --refill/absorb--+     +-- zone 0
 *   thread B: FrameCache --refill/absorb--+-----+-- zone 1
 *   (orders 0..maxOrder; batches of cacheBatch >> order blocks)  +-- ...
 * </pre>
 *
 * <p>A thread gets its cache on its first allocation or free, with a home zone assigned
 * round-robin. A cache that runs empty is refilled with a batch from the zones; a cache that is
 * full returns its oldest batch to the zones before taking the new block. Cached blocks are
 * persistently free, so a crash loses none of them.
 *
 * <p>Every cache of a platform thread is registered, so that {@link #drainAll()}, {@link
 * AllocatorVerifier} and {@link BuddyAllocator#stats()} can reach it. When a new thread attaches,
 * the caches of dead threads are drained and dropped; {@link #drainAll()} also drops them. Virtual
 * threads get {@link FrameCache#DISABLED} (one cache per virtual thread would hoard frames), and
 * with caching configured off every thread gets a cache that holds no blocks and only carries its
 * home zone.
 */
final class ThreadCaches {
  private final Zones zones;
  /** Largest cached order, -1 when caching is off. */
  private final int maxOrder;
  private final int high;
  private final int batch;
  private final AtomicInteger nextHomeZone = new AtomicInteger();
  private final ThreadLocal<FrameCache> current = new ThreadLocal<>();
  private final CopyOnWriteArrayList<FrameCache> registry = new CopyOnWriteArrayList<>();

  /**
   * Caches of orders {@code 0..maxOrder} ({@code -1}: none), holding at most {@code high >> k}
   * blocks of order {@code k} and moving {@code batch >> k} at a time.
   */
  ThreadCaches(Zones zones, int maxOrder, int high, int batch) {
    this.zones = zones;
    this.maxOrder = maxOrder;
    this.high = high;
    this.batch = batch;
  }

  /** The calling thread's cache, attached on first use. */
  FrameCache current() {
    FrameCache c = current.get();
    return c != null ? c : attach();
  }

  private FrameCache attach() {
    Thread t = Thread.currentThread();
    FrameCache c;
    if (t.isVirtual()) {
      c = FrameCache.DISABLED; // one cache per virtual thread would hoard frames
    } else {
      int home = Math.floorMod(nextHomeZone.getAndIncrement(), zones.count());
      c = new FrameCache(t, home, maxOrder, high, batch);
      if (c.enabled) {
        reclaimDeadCaches();
        registry.add(c);
      }
    }
    current.set(c);
    return c;
  }

  /**
   * Takes a block of {@code order} from the calling thread's enabled cache {@code c}, refilling it
   * from the zones when it is empty; returns -1 if the zones have none either.
   */
  long take(FrameCache c, int order) {
    long pfn;
    c.lock();
    try {
      pfn = c.poll(order);
      if (pfn == BuddyAllocator.NO_FRAME) {
        pfn = zones.refill(c, order);
      }
    } finally {
      c.unlock();
    }
    return pfn;
  }

  /**
   * Puts a block whose frame word is durably free into the calling thread's cache, first returning
   * the oldest batch to the zones if the cache is full. Returns false, doing nothing, if the thread
   * has no caching cache.
   */
  boolean offer(long pfn, int order) {
    FrameCache c = current();
    if (!c.enabled) {
      return false;
    }
    c.lock();
    try {
      if (c.full(order)) {
        zones.absorb(c, order, c.batch(order));
      }
      c.push(order, pfn);
    } finally {
      c.unlock();
    }
    return true;
  }

  private void reclaimDeadCaches() {
    for (FrameCache c : registry) {
      if (c.ownerDead()) {
        drain(c);
        registry.remove(c);
      }
    }
  }

  /**
   * Drains every registered cache into the zones and drops those of dead threads; returns the
   * frames moved. A cache is dropped only if its owner was dead before the drain began: a thread
   * observed alive may still free a block into its cache and then die, and dropping that cache
   * after the drain would lose the block (termination observed through {@code isAlive()}
   * happens-before the drain, so a cache seen dead first is complete when drained).
   */
  long drainAll() {
    long drained = 0;
    for (FrameCache c : registry) {
      boolean deadBefore = c.ownerDead();
      drained += drain(c);
      if (deadBefore) {
        registry.remove(c);
      }
    }
    return drained;
  }

  private long drain(FrameCache c) {
    c.lock();
    try {
      long frames = 0;
      for (int k = 0; k <= c.maxCachedOrder(); k++) {
        frames += zones.absorb(c, k, Integer.MAX_VALUE);
      }
      return frames;
    } finally {
      c.unlock();
    }
  }

  /** Adds the blocks of every registered cache, per order, to {@code perOrder}, one at a time. */
  void countCached(long[] perOrder) {
    for (FrameCache c : registry) {
      c.lock();
      try {
        for (int k = 0; k <= c.maxCachedOrder(); k++) {
          perOrder[k] += c.count(k);
        }
      } finally {
        c.unlock();
      }
    }
  }

  /** The registered caches, in registration order (a snapshot; their contents may change). */
  List<FrameCache> registered() {
    return List.copyOf(registry);
  }
}
