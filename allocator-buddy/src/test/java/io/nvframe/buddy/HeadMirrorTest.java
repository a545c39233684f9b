package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The head mirror holds live heads only, in chunks created where blocks live: its memory follows
 * use, not the region's size, and chunks created concurrently are never lost.
 */
class HeadMirrorTest {
  private static final int CHUNK = HeadMirror.CHUNK_ENTRIES;

  @Test
  void chunksExistOnlyWhereBlocksHaveLived() {
    long frames = 64L * CHUNK;
    Medium m = BuddyTestSupport.formatted(0, frames);
    BuddyAllocator a = BuddyAllocator.open(m, 0, frames, 10, BuddyConfig.noCache());
    assertEquals(0, a.mirror.chunksCreated(), "an empty table needs no mirror chunks");
    long h = a.allocate(0, 1);
    assertEquals(1, a.mirror.chunksCreated());
    a.free(BuddyAllocator.handlePfn(h), 0, BuddyAllocator.handleGeneration(h));
    assertEquals(1, a.mirror.chunksCreated(), "chunks stay until the allocator is reopened");
    // three heads in three chunks, written as a transaction's redo log would
    for (long pfn : new long[] {5L * CHUNK, 17L * CHUNK + 1024, 63L * CHUNK}) {
      m.storeLong(pfn * 8, FrameWord.allocated(0, 0, 2));
    }
    BuddyAllocator b = BuddyAllocator.open(m, 0, frames, 10, BuddyConfig.noCache());
    assertEquals(3, b.mirror.chunksCreated());
    b.validate(17L * CHUNK + 1024, 0, 0);
    b.checkInvariants();
  }

  /** The entry's fields, whose shifts are derived from their widths, hold their full ranges. */
  @Test
  void entryFieldsRoundTripWithoutOverlap() {
    int[] states =
        {HeadMirror.STATE_ALLOCATED, HeadMirror.STATE_RESERVED, HeadMirror.STATE_FREEING};
    for (int order = 0; order <= FrameWord.MAX_ORDER; order++) {
      for (int gen : new int[] {0, 1, 0x5555, 0xAAAA, FrameWord.MAX_GENERATION}) {
        for (int state : states) {
          int e = HeadMirror.live(order, gen) | state;
          assertTrue(HeadMirror.isLive(e));
          assertEquals(order, HeadMirror.order(e), "order of 0x" + Integer.toHexString(e));
          assertEquals(gen, HeadMirror.generation(e), "generation of 0x" + Integer.toHexString(e));
          assertEquals(state, HeadMirror.state(e), "state of 0x" + Integer.toHexString(e));
          assertTrue(HeadMirror.hasState(e, order, state));
        }
      }
    }
    int all = HeadMirror.live(FrameWord.MAX_ORDER, FrameWord.MAX_GENERATION);
    assertEquals(0, all & HeadMirror.STATE_MASK, "state bits apart from LIVE, order, generation");
    assertEquals(HeadMirror.STATE_MASK, HeadMirror.STATE_MASK
        & (HeadMirror.STATE_ALLOCATED | HeadMirror.STATE_RESERVED | HeadMirror.STATE_FREEING));
    assertEquals("reserved block pfn 8 order 3 gen 7",
        HeadMirror.describe(8, HeadMirror.live(3, 7) | HeadMirror.STATE_RESERVED));
  }

  /** One zone, so four threads allocate neighbouring frames and race to create each chunk. */
  @Test
  void concurrentFirstUseOfAChunkLosesNothing() throws Exception {
    int threads = 4;
    int perThread = 3000;
    long frames = 4L * CHUNK;
    for (int round = 0; round < 20; round++) {
      Medium m = BuddyTestSupport.formatted(0, frames);
      BuddyAllocator a = BuddyAllocator.open(m, 0, frames, 14, BuddyConfig.noCache());
      assertEquals(1, a.zones.count());
      CyclicBarrier start = new CyclicBarrier(threads);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<List<Long>> handles = new ArrayList<>();
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        List<Long> mine = new ArrayList<>();
        handles.add(mine);
        workers.add(new Thread(() -> {
          try {
            start.await();
            for (int i = 0; i < perThread; i++) {
              long h = a.allocate(0, 1);
              assertNotEquals(BuddyAllocator.NO_FRAME, h);
              a.validate(BuddyAllocator.handlePfn(h), 0, BuddyAllocator.handleGeneration(h));
              mine.add(h);
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        }));
      }
      workers.forEach(Thread::start);
      for (Thread w : workers) {
        w.join();
      }
      assertNull(failure.get(), () -> "round: " + failure.get());
      for (List<Long> mine : handles) {
        for (long h : mine) { // every entry survived the chunk races
          a.validate(BuddyAllocator.handlePfn(h), 0, BuddyAllocator.handleGeneration(h));
        }
      }
      a.checkInvariants();
      assertEquals(frames - (long) threads * perThread, a.stats().freeFrames());
    }
  }
}
