package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Per-thread caches: accounting (A6), draining, dead threads, limits, virtual threads. */
class ThreadCacheTest {
  private static void churn(BuddyAllocator a, int order, int count) {
    List<Long> hs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long h = a.allocate(order, 1);
      assertNotEquals(BuddyAllocator.NO_FRAME, h);
      hs.add(h);
    }
    for (long h : hs) {
      a.free(BuddyAllocator.handlePfn(h), order, BuddyAllocator.handleGeneration(h));
    }
  }

  @Test
  void deadThreadsCachesAreAccountedThenReclaimed() throws Exception {
    Medium m = BuddyTestSupport.formatted(0, 1024);
    BuddyAllocator a = BuddyAllocator.open(m, 0, 1024, 6);
    Thread t = new Thread(() -> churn(a, 0, 10), "short-lived");
    t.start();
    t.join();
    AllocatorStats s = a.stats();
    assertEquals(64, s.cachedFrames(), "one refill batch of 64 order-0 frames stays cached");
    assertEquals(1024, s.freeFrames(), "cached frames are free");
    assertEquals(1, a.caches.registered().size());
    a.checkInvariants(); // A6 accounts for the dead thread's cache
    churn(a, 1, 1); // this thread attaches its cache and reclaims the dead one
    assertEquals(1, a.caches.registered().size());
    assertEquals(32 * 2, a.stats().cachedFrames(), "only this thread's order-1 batch");
    a.checkInvariants();
    BuddyTestSupport.assertRebuildEquals(a, m, "after reclaim");
    assertEquals(0, a.stats().cachedFrames());
  }

  @Test
  void aLiveThreadsCacheIsDrainedWhenMemoryRunsOut() throws Exception {
    Medium m = BuddyTestSupport.formatted(0, 64);
    BuddyAllocator a = BuddyAllocator.open(m, 0, 64, 6); // one zone: the refill can take it all
    assertEquals(1, a.zones.count());
    CountDownLatch filled = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    Thread t = new Thread(() -> {
      churn(a, 0, 1); // the refill takes all 64 frames into this thread's cache
      filled.countDown();
      try {
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "hoarder");
    t.start();
    filled.await();
    assertEquals(64, a.stats().cachedFrames());
    assertTrue(a.zones.freeBlocks().isEmpty(), "shared lists are empty");
    long h = a.allocate(3, 9); // must drain the other thread's cache rather than fail
    assertNotEquals(BuddyAllocator.NO_FRAME, h);
    a.checkInvariants();
    done.countDown();
    t.join();
  }

  /**
   * Threads that free into their cache and die while another thread drains the caches: a drain
   * that finds the owner dead must drop the cache only if it was dead before the drain started,
   * or blocks pushed between the drain and the death are lost (a leak seen under stress).
   */
  @Test
  void cachesOfThreadsDyingDuringADrainAreNeverLost() throws Exception {
    Medium m = BuddyTestSupport.formatted(0, 512);
    BuddyAllocator a = BuddyAllocator.open(m, 0, 512, 6, new BuddyConfig(1, 4, 2));
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread drainer = new Thread(() -> {
      while (!stop.get()) {
        a.drainCaches();
      }
    }, "drainer");
    drainer.start();
    try {
      for (int round = 0; round < 3000; round++) {
        Thread t = new Thread(() -> churn(a, 0, 3), "dies-" + round);
        t.start();
        t.join();
      }
    } finally {
      stop.set(true);
      drainer.join();
    }
    a.drainCaches();
    assertEquals(0, a.stats().cachedFrames());
    assertEquals(0, a.caches.registered().size(),
        "every dead thread's cache is dropped once drained");
    a.checkInvariants(); // A2/A4: no frame lost
    assertEquals(512, a.stats().freeFrames());
  }

  @Test
  void cachesRespectTheirLimit() {
    Medium m = BuddyTestSupport.formatted(0, 256);
    BuddyAllocator a = BuddyAllocator.open(m, 0, 256, 5, new BuddyConfig(1, 8, 4));
    List<Long> hs = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      hs.add(a.allocate(i % 2, 1));
    }
    for (int i = 0; i < hs.size(); i++) {
      long h = hs.get(i);
      a.free(BuddyAllocator.handlePfn(h), i % 2, BuddyAllocator.handleGeneration(h));
      long cached = a.stats().cachedFrames();
      assertTrue(cached <= 8 + 8, "at most 8 frames per cached order, got " + cached);
      a.checkInvariants();
    }
    BuddyTestSupport.assertRebuildEquals(a, m, "limits");
  }

  @Test
  void virtualThreadsDoNotCache() throws Exception {
    Medium m = BuddyTestSupport.formatted(0, 256);
    BuddyAllocator a = BuddyAllocator.open(m, 0, 256, 5);
    Thread v = Thread.ofVirtual().start(() -> churn(a, 0, 20));
    v.join();
    assertEquals(0, a.stats().cachedFrames());
    assertEquals(0, a.caches.registered().size());
    a.checkInvariants();
  }
}
