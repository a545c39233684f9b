package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link FrameLocks}: exclusive, re-entrant, exact keys, timeouts, release only by the owner. */
class FrameLocksTest {
  static LongStream seeds() {
    return LongStream.rangeClosed(1, 8);
  }

  @Test
  void reentrantForTheOwnerExclusiveForOthers() {
    FrameLocks locks = new FrameLocks();
    long a = FrameLocks.newOwner();
    long b = FrameLocks.newOwner();
    assertTrue(locks.acquire(42, a, 0));
    assertTrue(locks.acquire(42, a, 0), "re-entrant");
    assertFalse(locks.acquire(42, b, TimeUnit.MILLISECONDS.toNanos(5)), "held by a: b times out");
    assertTrue(locks.acquire(43, b, 0), "another key is independent");
    assertTrue(locks.acquire(FrameLocks.ROOTS, b, 0));
    assertEquals(3, locks.held());
    locks.release(42, b);
    assertEquals(3, locks.held(), "release by a non-owner does nothing");
    locks.release(42, a);
    assertTrue(locks.acquire(42, b, 0), "free again");
    locks.release(42, b);
    locks.release(43, b);
    locks.release(FrameLocks.ROOTS, b);
    assertEquals(0, locks.held());
  }

  @Test
  void manyKeysInOneStripeAreAllExact() {
    FrameLocks locks = new FrameLocks();
    long a = FrameLocks.newOwner();
    long b = FrameLocks.newOwner();
    for (long k = 0; k < 5000; k++) {
      assertTrue(locks.acquire(k, (k & 1) == 0 ? a : b, 0), "key " + k);
    }
    assertEquals(5000, locks.held());
    for (long k = 0; k < 5000; k++) {
      assertFalse(locks.acquire(k, (k & 1) == 0 ? b : a, 0), "key " + k + " is held by the other owner");
    }
    for (long k = 4999; k >= 0; k -= 2) {
      locks.release(k, b);
    }
    assertEquals(2500, locks.held());
    for (long k = 1; k < 5000; k += 2) {
      assertTrue(locks.acquire(k, a, 0), "key " + k + " was released");
    }
    assertEquals(5000, locks.held());
  }

  @Test
  void aWaiterGetsTheLockWhenTheHolderReleasesIt() throws Exception {
    FrameLocks locks = new FrameLocks();
    long holder = FrameLocks.newOwner();
    assertTrue(locks.acquire(7, holder, 0));
    AtomicReference<Boolean> got = new AtomicReference<>();
    Thread waiter = Thread.ofPlatform().start(() -> got.set(locks.acquire(7, FrameLocks.threadOwner(Thread.currentThread()), TimeUnit.SECONDS.toNanos(30))));
    Thread.sleep(20);
    locks.release(7, holder);
    waiter.join();
    assertEquals(Boolean.TRUE, got.get());
  }

  /** Threads lock random keys from a small set; a per-key occupancy counter must never exceed 1. */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void concurrentOwnersNeverShareAKey(long seed) throws Exception {
    FrameLocks locks = new FrameLocks();
    int keys = 1 + new Random(seed).nextInt(40);
    AtomicInteger[] inside = new AtomicInteger[keys];
    for (int i = 0; i < keys; i++) {
      inside[i] = new AtomicInteger();
    }
    AtomicReference<String> violation = new AtomicReference<>();
    runThreads(4, seed * 31, r -> {
      long me = FrameLocks.newOwner();
      for (int i = 0; i < 20_000 && violation.get() == null; i++) {
        int k = r.nextInt(keys);
        long key = k * 4096L + 3; // spread over stripes like pfns
        if (!locks.acquire(key, me, TimeUnit.SECONDS.toNanos(30))) {
          violation.set("seed " + seed + ": timed out on key " + key);
          return;
        }
        if (inside[k].incrementAndGet() != 1) {
          violation.set("seed " + seed + ": two owners inside key " + key);
        }
        inside[k].decrementAndGet();
        locks.release(key, me);
      }
    });
    assertEquals(null, violation.get());
    assertEquals(0, locks.held(), "seed " + seed + ": every lock released");
  }

  /** {@code n} distinct keys that all fall into the stripe of key 1 (and so share its segments). */
  static long[] keysOfOneStripe(int n) {
    long[] keys = new long[n];
    int stripe = FrameLocks.index(1);
    int found = 0;
    for (long k = 1; found < n; k++) {
      if (FrameLocks.index(k) == stripe) {
        keys[found++] = k;
      }
    }
    return keys;
  }

  /** Keys of one stripe spread over several segments: freed slots are reused, exactness holds. */
  @Test
  void slotsOfOneStripeAreReusedAndExact() {
    FrameLocks locks = new FrameLocks();
    long[] k = keysOfOneStripe(11);
    long a = FrameLocks.newOwner();
    long b = FrameLocks.newOwner();
    for (int i = 0; i < 9; i++) {
      assertTrue(locks.acquire(k[i], a, 0), "key " + i);
    }
    assertEquals(9, locks.held());
    locks.release(k[2], a);
    locks.release(k[5], a);
    locks.release(k[5], a); // twice: nothing more
    locks.release(k[6], b); // not b's: nothing
    assertEquals(7, locks.held());
    assertTrue(locks.acquire(k[9], b, 0), "takes a freed slot");
    assertTrue(locks.acquire(k[10], b, 0), "takes the other freed slot");
    assertTrue(locks.acquire(k[2], b, 0), "released key, new segment");
    assertEquals(10, locks.held());
    for (int i = 0; i < 9; i++) {
      boolean aHolds = i != 2 && i != 5;
      assertEquals(!aHolds, locks.acquire(k[i], b, 0), "key " + i + " for b");
      assertEquals(aHolds, locks.acquire(k[i], a, 0), "key " + i + " for a (re-entrant, or held by b)");
    }
    for (int i = 0; i < 11; i++) {
      locks.release(k[i], a);
      locks.release(k[i], b);
    }
    assertEquals(0, locks.held());
  }

  /**
   * Threads each hold several keys of one stripe at a time (taken in key order, released in a
   * random order, so releases race with takes in the same segments); a per-key occupancy counter
   * must never exceed 1 and every lock is free at the end.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void concurrentOwnersInOneStripeNeverShareAKey(long seed) throws Exception {
    FrameLocks locks = new FrameLocks();
    long[] keys = keysOfOneStripe(10);
    AtomicInteger[] inside = new AtomicInteger[keys.length];
    for (int i = 0; i < keys.length; i++) {
      inside[i] = new AtomicInteger();
    }
    AtomicReference<String> violation = new AtomicReference<>();
    runThreads(4, seed * 131, r -> {
      for (int round = 0; round < 5_000 && violation.get() == null; round++) {
        long me = FrameLocks.newOwner();
        List<Integer> mine = new ArrayList<>();
        for (int i = 0; i < keys.length; i++) {
          if (r.nextInt(4) == 0) {
            mine.add(i);
          }
        }
        for (int i : mine) {
          if (!locks.acquire(keys[i], me, TimeUnit.SECONDS.toNanos(30))) {
            violation.set("seed " + seed + ": timed out on key " + keys[i]);
            return;
          }
          if (inside[i].incrementAndGet() != 1) {
            violation.set("seed " + seed + ": two owners inside key " + keys[i]);
          }
        }
        java.util.Collections.shuffle(mine, r);
        for (int i : mine) {
          inside[i].decrementAndGet();
          locks.release(keys[i], me);
        }
      }
    });
    assertEquals(null, violation.get());
    assertEquals(0, locks.held(), "seed " + seed + ": every lock released");
  }

  /** Runs {@code body} on {@code threads} platform threads started together, thread t with {@code new Random(seed + t)}; waits for all. */
  static void runThreads(int threads, long seed, java.util.function.Consumer<Random> body) throws InterruptedException {
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Random r = new Random(seed + t);
      ts.add(Thread.ofPlatform().start(() -> {
        try {
          start.await();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        body.accept(r);
      }));
    }
    for (Thread t : ts) {
      t.join();
    }
  }
}
