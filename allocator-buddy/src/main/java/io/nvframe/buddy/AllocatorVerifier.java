package io.nvframe.buddy;

import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.List;

/**
 * The invariant checker behind {@link BuddyAllocator#verify()}: compares the frame table on the
 * medium with the head mirror, the zones' free lists and the thread caches. The invariants A1–A4
 * and A6 are stated in {@code allocator-buddy/README.md}, "Invariants" (A5 is asserted by the
 * tests, A7 belongs to the core module).
 *
 * <p>It takes every registered cache's lock (registry order), then every zone lock (zone order),
 * reads the whole table, and walks each structure once, marking the frames each block covers in a
 * bitmap: a frame marked twice is an overlap, a frame never marked a leak. The answer is exact only
 * while no other thread is allocating or freeing.
 */
final class AllocatorVerifier {
  /** Problems listed at most; the rest are counted. */
  private static final int MAX_PROBLEMS = 100;

  private final Medium medium;
  private final long tableOffset;
  private final long frameCount;
  private final int maxOrder;
  private final HeadMirror mirror;
  private final Zones zones;
  private final ThreadCaches caches;
  private final FrameDiagnosis diagnosis;

  AllocatorVerifier(Medium medium, long tableOffset, long frameCount, int maxOrder,
      HeadMirror mirror, Zones zones, ThreadCaches caches, FrameDiagnosis diagnosis) {
    this.medium = medium;
    this.tableOffset = tableOffset;
    this.frameCount = frameCount;
    this.maxOrder = maxOrder;
    this.mirror = mirror;
    this.zones = zones;
    this.caches = caches;
    this.diagnosis = diagnosis;
  }

  /** The problems found, each naming the frames involved; empty when everything holds. */
  List<String> verify() {
    Problems problems = new Problems();
    List<FrameCache> snapshot = caches.registered();
    Zones.Zone[] all = zones.zones;
    int locked = 0;
    try {
      for (FrameCache c : snapshot) {
        c.lock();
        locked++;
      }
      int zonesLocked = 0;
      try {
        for (Zones.Zone z : all) {
          z.lock.lock();
          zonesLocked++;
        }
        verifyLocked(snapshot, problems);
      } finally {
        for (int z = 0; z < zonesLocked; z++) {
          all[z].lock.unlock();
        }
      }
    } finally {
      for (int j = 0; j < locked; j++) {
        snapshot.get(j).unlock();
      }
    }
    return problems.list();
  }

  private void verifyLocked(List<FrameCache> snapshot, Problems problems) {
    long[] table = new long[(int) frameCount];
    FrameTableScan.readWords(medium, tableOffset, table, table.length);
    Coverage coverage = new Coverage(frameCount);
    long inUse = checkHeads(table, coverage, problems);
    long sharedFree = checkZones(table, coverage, problems);
    long cached = checkCaches(snapshot, table, coverage, problems);
    // A2: nothing leaked
    coverage.forEachUncovered((a, b) -> problems.add(
        "A2: frames [" + a + ", " + b + ") are neither allocated, reserved, free nor cached"
            + " (leaked)"));
    // A4
    if (sharedFree + cached + inUse != frameCount) {
      problems.add("A4: free " + sharedFree + " + cached " + cached + " + in use " + inUse
          + " = " + (sharedFree + cached + inUse) + " frames, expected " + frameCount);
    }
    for (Zones.Zone z : zones.zones) {
      List<String> bookkeeping = new ArrayList<>();
      z.free.verifyBookkeeping(bookkeeping);
      for (String s : bookkeeping) {
        problems.add("A4: zone " + z.index + " (frames from " + z.base + "): " + s);
      }
    }
  }

  /**
   * A1 and the agreement of table and head mirror: every live block in the mirror, every word in
   * the table. Returns the frames in use.
   */
  private long checkHeads(long[] table, Coverage coverage, Problems problems) {
    int n = (int) frameCount;
    long inUse = 0;
    for (int p = 0; p < n; p++) {
      long w = table[p];
      int m = mirror.entry(p);
      if (!FrameWord.isWellFormed(w)) {
        problems.add("A1: frame word of pfn " + p + " is malformed: 0x" + Long.toHexString(w));
      }
      if (!HeadMirror.isLive(m)) {
        if (m != 0) {
          problems.add("A1: frame pfn " + p + ": the head mirror holds the invalid entry 0x"
              + Integer.toHexString(m));
        } else if (FrameWord.isHead(w)) {
          problems.add("A1: frame pfn " + p + ": the table holds " + FrameWord.toString(w)
              + " but the allocator has no live block there");
        }
        continue;
      }
      int order = HeadMirror.order(m);
      int gen = HeadMirror.generation(m);
      int state = HeadMirror.state(m);
      long size = 1L << order;
      if (order > maxOrder || (p & (size - 1)) != 0 || p + size > frameCount) {
        problems.add("A1: block at pfn " + p + " (" + HeadMirror.describe(p, m) + ") is"
            + " misaligned, above maxOrder " + maxOrder + " or past the last frame "
            + (frameCount - 1));
        continue;
      }
      long overlap = coverage.mark(p, size);
      if (overlap >= 0) {
        problems.add("A1: block at pfn " + p + " (" + HeadMirror.describe(p, m) + ") overlaps"
            + " another allocated block at frame " + overlap);
      }
      inUse += size;
      boolean tableAllocated = FrameWord.isHead(w) && FrameWord.order(w) == order
          && FrameWord.generation(w) == gen;
      boolean ok;
      if (state == HeadMirror.STATE_ALLOCATED) {
        ok = tableAllocated;
      } else if (state == HeadMirror.STATE_RESERVED) {
        ok = tableAllocated || w == FrameWord.free(gen);
      } else if (state == HeadMirror.STATE_FREEING) {
        ok = tableAllocated || w == FrameWord.free(FrameWord.nextGeneration(gen));
      } else {
        ok = false;
      }
      if (!ok) {
        problems.add("A1: block at pfn " + p + " is " + HeadMirror.describe(p, m)
            + " but the table holds " + FrameWord.toString(w));
      }
    }
    return inUse;
  }

  /** A2 and A3 over the zones' free blocks. Returns the frames free in the zones. */
  private long checkZones(long[] table, Coverage coverage, Problems problems) {
    long[] sharedFree = {0};
    for (Zones.Zone z : zones.zones) {
      z.free.forEach((local, order) -> {
        long pfn = z.base + local;
        sharedFree[0] += 1L << order;
        long overlap = coverage.mark(pfn, 1L << order);
        if (overlap >= 0) {
          problems.add("A2: free block pfn " + pfn + " order " + order
              + " overlaps a block already accounted for at frame " + overlap);
        }
        if (FrameWord.isHead(table[(int) pfn])) {
          problems.add("A2: free block pfn " + pfn + " order " + order + " has an allocated head "
              + FrameWord.toString(table[(int) pfn]) + " in the table");
        }
        long buddy = local ^ (1L << order);
        if (order < maxOrder && local < buddy && z.free.isFree(buddy, order)) {
          problems.add("A3: free blocks pfn " + pfn + " and its buddy " + (z.base + buddy)
              + " (order " + order + ") are both free but not merged");
        }
      });
    }
    return sharedFree[0];
  }

  /** A6 over the cached blocks. Returns the frames cached. */
  private long checkCaches(List<FrameCache> snapshot, long[] table, Coverage coverage,
      Problems problems) {
    long cached = 0;
    for (FrameCache c : snapshot) {
      long[] sum = {0};
      c.forEach((pfn, order) -> {
        sum[0] += 1L << order;
        if (pfn < 0 || pfn >= frameCount || (pfn & ((1L << order) - 1)) != 0
            || pfn + (1L << order) > frameCount) {
          problems.add("A6: cache of thread " + c.ownerName() + " holds an invalid block pfn "
              + pfn + " order " + order);
          return;
        }
        long w = table[(int) pfn];
        if (FrameWord.isHead(w) || HeadMirror.isLive(mirror.entry(pfn))) {
          problems.add("A6: cache of thread " + c.ownerName() + " holds block pfn " + pfn
              + " order " + order + " but its frame word is " + FrameWord.toString(w)
              + " (allocator: " + diagnosis.describe(pfn) + ")");
        }
        long overlap = coverage.mark(pfn, 1L << order);
        if (overlap >= 0) {
          problems.add("A6: cached block pfn " + pfn + " order " + order + " (thread "
              + c.ownerName() + ") overlaps a block already accounted for at frame " + overlap);
        }
      });
      cached += sum[0];
    }
    return cached;
  }

  /** Collects at most {@link #MAX_PROBLEMS} messages. */
  private static final class Problems {
    private final List<String> list = new ArrayList<>();
    private int dropped;

    void add(String problem) {
      if (list.size() < MAX_PROBLEMS) {
        list.add(problem);
      } else {
        dropped++;
      }
    }

    List<String> list() {
      if (dropped > 0) {
        List<String> all = new ArrayList<>(list);
        all.add("... and " + dropped + " more problems");
        return List.copyOf(all);
      }
      return List.copyOf(list);
    }
  }

  /** One bit per frame: which frames some block already covers. */
  private static final class Coverage {
    private final long frameCount;
    private final long[] bits;

    Coverage(long frameCount) {
      this.frameCount = frameCount;
      this.bits = new long[(int) ((frameCount + 63) >>> 6)];
    }

    /** Marks {@code [start, start + length)}; returns the first frame already marked, or -1. */
    long mark(long start, long length) {
      long first = -1;
      for (long f = start; f < start + length; f++) {
        int w = (int) (f >>> 6);
        long bit = 1L << f;
        if ((bits[w] & bit) != 0 && first < 0) {
          first = f;
        }
        bits[w] |= bit;
      }
      return first;
    }

    void forEachUncovered(RangeVisitor visitor) {
      long f = 0;
      while (f < frameCount) {
        if ((bits[(int) (f >>> 6)] & (1L << f)) != 0) {
          f++;
          continue;
        }
        long a = f;
        while (f < frameCount && (bits[(int) (f >>> 6)] & (1L << f)) == 0) {
          f++;
        }
        visitor.visit(a, f);
      }
    }

    @FunctionalInterface
    interface RangeVisitor {
      void visit(long from, long to);
    }
  }
}
