package io.nvframe.buddy;

import java.util.TreeMap;

/**
 * The shared free blocks, split into at most {@link #MAX_ZONES} contiguous zones of {@code
 * 2^shift >= 2^maxOrder} frames, each with its own {@link FreeLists} and {@link SpinLock}.
 *
 * <pre>
 *   zone 0: FreeLists + lock   frames [0, 2^shift)
 *   zone 1: FreeLists + lock   frames [2^shift, 2 * 2^shift)
 *   ...                        the last zone may be shorter
 * </pre>
 *
 * <p>The zone count depends on {@code frameCount} and {@code maxOrder} only, so the same table
 * always gets the same zones. A block never crosses a zone boundary (zones are aligned to {@code
 * 2^maxOrder}), so zones do not change which blocks can merge. Each thread starts in its home zone
 * and falls back to the next zones in turn (Linux's zonelist), so two threads rarely share a lock.
 * Critical sections are a few bitmap operations; at most one zone lock is held at a time, except
 * by {@link AllocatorVerifier}, which takes them all in zone order.
 */
final class Zones {
  /** Most zones a table is split into. */
  static final int MAX_ZONES = 8;

  /**
   * One zone: the frames {@code [base, base + frames)}, {@code base} a multiple of {@code 2^shift},
   * with its own free lists (frames numbered from {@code base}) and lock.
   */
  static final class Zone {
    final int index;
    final long base;
    final long frames;
    final FreeLists free;
    final SpinLock lock = new SpinLock();

    Zone(int index, long base, long frames, int maxOrder) {
      this.index = index;
      this.base = base;
      this.frames = frames;
      this.free = new FreeLists(frames, maxOrder);
    }
  }

  /** The zones in frame order. */
  final Zone[] zones;
  private final int shift;
  private final int maxOrder;

  /** Empty zones (no free block yet) for the geometry. */
  Zones(long frameCount, int maxOrder) {
    this.maxOrder = maxOrder;
    this.shift = shift(frameCount, maxOrder);
    int count = (int) Math.max(1, ((frameCount - 1) >>> shift) + 1);
    this.zones = new Zone[count];
    for (int z = 0; z < count; z++) {
      long base = (long) z << shift;
      zones[z] = new Zone(z, base, Math.min(1L << shift, frameCount - base), maxOrder);
    }
  }

  /**
   * log2 of the frames per zone: {@code min(MAX_ZONES, ceil(frameCount / 2^maxOrder))} zones of
   * equal power-of-two size, at least {@code 2^maxOrder} frames each.
   */
  static int shift(long frameCount, int maxOrder) {
    long maxBlocks = Math.max(1, ((frameCount - 1) >>> maxOrder) + 1);
    long wanted = Math.min(MAX_ZONES, maxBlocks);
    long perZone = (frameCount + wanted - 1) / wanted;
    int shift = perZone <= 1 ? 0 : 64 - Long.numberOfLeadingZeros(perZone - 1);
    return Math.max(maxOrder, shift);
  }

  /** Number of zones. */
  int count() {
    return zones.length;
  }

  /** log2 of the frames per zone. */
  int shift() {
    return shift;
  }

  /** The zone holding {@code pfn}. */
  Zone of(long pfn) {
    return zones[(int) (pfn >>> shift)];
  }

  /**
   * Adds the free run {@code [start, end)} as the largest aligned blocks, greedily: at {@code x}
   * the order is {@code min(maxOrder, ctz(x), floor(log2(end - x)))}. For a maximal run between
   * allocated blocks this is the fully coalesced buddy state. Each block lies inside one zone.
   * Takes no lock: only the open scan calls it, before the allocator is shared.
   */
  void addFreeRun(long start, long end) {
    long x = start;
    while (x < end) {
      int k = Math.min(maxOrder, Math.min(Long.numberOfTrailingZeros(x),
          63 - Long.numberOfLeadingZeros(end - x)));
      Zone z = zones[(int) (x >>> shift)];
      z.free.add(x - z.base, k);
      x += 1L << k;
    }
  }

  // ---------------------------------------------------------------- taking and returning blocks

  /**
   * Takes a block of {@code order} from the home zone of {@code c}'s thread, else from the next
   * zones in turn, or returns -1.
   */
  long take(int order, FrameCache c) {
    int z = c.homeZone >= 0 ? c.homeZone
        : (int) Math.floorMod(Thread.currentThread().threadId(), (long) zones.length);
    for (int i = 0; i < zones.length; i++) {
      Zone zone = zones[z];
      long local;
      zone.lock.lock();
      try {
        local = zone.free.allocate(order);
      } finally {
        zone.lock.unlock();
      }
      if (local >= 0) {
        return zone.base + local;
      }
      z = z + 1 == zones.length ? 0 : z + 1;
    }
    return BuddyAllocator.NO_FRAME;
  }

  /**
   * Refills the empty list of {@code order} of the cache {@code c} (whose lock the caller holds)
   * with up to a batch of blocks from the first zone, home zone first, that has any; returns one
   * more block for the caller, or -1.
   */
  long refill(FrameCache c, int order) {
    int z = c.homeZone;
    for (int i = 0; i < zones.length; i++) {
      Zone zone = zones[z];
      zone.lock.lock();
      try {
        long first = zone.free.allocate(order);
        if (first >= 0) {
          for (int j = 1; j < c.batch(order); j++) {
            long local = zone.free.allocate(order);
            if (local < 0) {
              break;
            }
            c.push(order, zone.base + local);
          }
          return zone.base + first;
        }
      } finally {
        zone.lock.unlock();
      }
      z = z + 1 == zones.length ? 0 : z + 1;
    }
    return BuddyAllocator.NO_FRAME;
  }

  /** Frees a block into its zone, merging it with its free buddies. */
  void free(long pfn, int order) {
    Zone z = of(pfn);
    z.lock.lock();
    try {
      z.free.free(pfn - z.base, order);
    } finally {
      z.lock.unlock();
    }
  }

  /**
   * Moves up to {@code count} of the oldest blocks of {@code order} of the cache {@code c} (whose
   * lock the caller holds) into their zones, where they merge; consecutive blocks of one zone share
   * one lock hold. Returns the frames moved.
   */
  long absorb(FrameCache c, int order, int count) {
    Zone held = null;
    long frames = 0;
    try {
      for (int j = 0; j < count; j++) {
        long pfn = c.poll(order);
        if (pfn == BuddyAllocator.NO_FRAME) {
          break;
        }
        Zone z = of(pfn);
        if (z != held) {
          if (held != null) {
            held.lock.unlock();
          }
          held = z;
          z.lock.lock();
        }
        z.free.free(pfn - z.base, order);
        frames += 1L << order;
      }
    } finally {
      if (held != null) {
        held.lock.unlock();
      }
    }
    return frames;
  }

  /** Adds the free blocks of every zone, per order, to {@code perOrder}, a zone at a time. */
  void countFree(long[] perOrder) {
    for (Zone z : zones) {
      z.lock.lock();
      try {
        for (int k = 0; k <= maxOrder; k++) {
          perOrder[k] += z.free.nrFree(k);
        }
      } finally {
        z.lock.unlock();
      }
    }
  }

  // ---------------------------------------------------------------- test hooks

  /** The free blocks of every zone, pfn to order (package-private, for tests of A5). */
  TreeMap<Long, Integer> freeBlocks() {
    TreeMap<Long, Integer> blocks = new TreeMap<>();
    for (Zone z : zones) {
      z.lock.lock();
      try {
        z.free.forEach((local, order) -> blocks.put(z.base + local, order));
      } finally {
        z.lock.unlock();
      }
    }
    return blocks;
  }

  /**
   * Adds ({@code add}) or removes a free block without any check (package-private: lets tests
   * damage the volatile state to prove that {@link AllocatorVerifier} notices).
   */
  void damage(long pfn, int order, boolean add) {
    Zone z = of(pfn);
    z.lock.lock();
    try {
      if (add) {
        z.free.add(pfn - z.base, order);
      } else {
        z.free.remove(pfn - z.base, order);
      }
    } finally {
      z.lock.unlock();
    }
  }
}
