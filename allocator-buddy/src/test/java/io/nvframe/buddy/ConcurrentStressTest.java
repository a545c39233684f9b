package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Four threads allocate and free random orders (standalone and transactional, some blocks freed by
 * another thread). Every frame of an allocated block is stamped with a unique token by CAS, so a
 * block handed to two owners, or overlapping another, fails the stamp. Afterwards the caches are
 * drained, the invariants checked and a reopened allocator must hold the same state (A5).
 */
class ConcurrentStressTest {
  private static final int THREADS = 4;
  private static final int OPS_PER_THREAD = 40_000;
  private static final long FRAMES = 4096;
  private static final int MAX_ORDER = 6;

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(1L, BuddyConfig.defaults()),
        Arguments.of(2L, new BuddyConfig(3, 8, 2)),
        Arguments.of(3L, BuddyConfig.noCache()),
        Arguments.of(4L, new BuddyConfig(1, 2, 1)));
  }

  private record Held(long handle, int order, int token) {}

  @ParameterizedTest(name = "seed {0} {1}")
  @MethodSource("cases")
  void noBlockIsEverHandedToTwoOwners(long seed, BuddyConfig config) throws Exception {
    Medium m = BuddyTestSupport.formatted(0, FRAMES);
    BuddyAllocator a = BuddyAllocator.open(m, 0, FRAMES, MAX_ORDER, config);
    AtomicIntegerArray stamps = new AtomicIntegerArray((int) FRAMES);
    AtomicInteger tokens = new AtomicInteger();
    Queue<Held> handoff = new ConcurrentLinkedQueue<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<List<Held>> kept = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      List<Held> held = new ArrayList<>();
      kept.add(held);
      Random rnd = new Random(seed * 1000 + t);
      String name = "stress-" + seed + "-" + t;
      threads.add(new Thread(() -> {
        try {
          for (int i = 0; i < OPS_PER_THREAD && failure.get() == null; i++) {
            int op = rnd.nextInt(100);
            if (op < 50 && held.size() < 64) {
              int order = Math.min(MAX_ORDER, Integer.numberOfTrailingZeros(rnd.nextInt() | 64));
              boolean tx = rnd.nextInt(8) == 0;
              long h = tx ? a.reserve(order) : a.allocate(order, 1 + i);
              if (h == BuddyAllocator.NO_FRAME) {
                continue;
              }
              long pfn = BuddyAllocator.handlePfn(h);
              int token = tokens.incrementAndGet();
              stamp(stamps, pfn, order, 0, token, name);
              if (tx) { // the redo log's part
                m.storeLong(a.wordOffset(pfn),
                    FrameWord.allocated(order, BuddyAllocator.handleGeneration(h), token));
                m.persist(a.wordOffset(pfn), 8);
                a.commitReserved(pfn, order, BuddyAllocator.handleGeneration(h), token);
              }
              held.add(new Held(h, order, token));
            } else if (op < 55 && !held.isEmpty()) {
              handoff.add(held.remove(rnd.nextInt(held.size())));
            } else if (op < 62) {
              Held x = handoff.poll();
              if (x != null) {
                release(a, m, stamps, x, rnd, name);
              }
            } else if (op < 70 && !held.isEmpty()) {
              Held x = held.get(rnd.nextInt(held.size()));
              a.validate(BuddyAllocator.handlePfn(x.handle), x.order,
                  BuddyAllocator.handleGeneration(x.handle));
            } else if (!held.isEmpty()) {
              release(a, m, stamps, held.remove(rnd.nextInt(held.size())), rnd, name);
            }
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }, name));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    if (failure.get() != null) {
      throw new AssertionError("seed " + seed + " " + config + ": " + failure.get(), failure.get());
    }
    a.drainCaches();
    assertEquals(0, a.stats().cachedFrames());
    a.checkInvariants();
    BuddyTestSupport.assertRebuildEquals(a, m, "seed " + seed + " " + config);
    BuddyAllocator b = BuddyAllocator.open(m, 0, FRAMES, MAX_ORDER, config);
    List<Held> all = new ArrayList<>(handoff);
    kept.forEach(all::addAll);
    for (Held x : all) {
      long pfn = BuddyAllocator.handlePfn(x.handle);
      b.validate(pfn, x.order, BuddyAllocator.handleGeneration(x.handle));
      assertEquals(x.order, FrameWord.order(b.word(pfn)));
      a.free(pfn, x.order, BuddyAllocator.handleGeneration(x.handle));
    }
    a.drainCaches();
    a.checkInvariants();
    assertEquals(BuddyTestSupport.coalesced(new boolean[(int) FRAMES], MAX_ORDER),
        a.zones.freeBlocks(), "seed " + seed + ": everything coalesces back");
  }

  private static void release(BuddyAllocator a, Medium m, AtomicIntegerArray stamps, Held x,
      Random rnd, String name) {
    long pfn = BuddyAllocator.handlePfn(x.handle);
    int gen = BuddyAllocator.handleGeneration(x.handle);
    stamp(stamps, pfn, x.order, x.token, 0, name);
    if (rnd.nextInt(6) == 0) { // transactional free
      a.beginFree(pfn, x.order, gen);
      m.storeLong(a.wordOffset(pfn), FrameWord.free(FrameWord.nextGeneration(gen)));
      m.persist(a.wordOffset(pfn), 8);
      a.completeFree(pfn, x.order);
    } else {
      a.free(pfn, x.order, gen);
    }
  }

  private static void stamp(AtomicIntegerArray stamps, long pfn, int order, int from, int to,
      String name) {
    for (long f = pfn; f < pfn + (1L << order); f++) {
      int seen = stamps.get((int) f);
      if (!stamps.compareAndSet((int) f, from, to)) {
        throw new AssertionError(name + ": frame " + f + " of block " + pfn + "/" + order
            + " is stamped " + stamps.get((int) f) + " (saw " + seen + "), expected " + from
            + ": handed to two owners or overlapping");
      }
    }
  }

  /** Two threads free the same handle at once: exactly one wins, the other gets DOUBLE_FREE. */
  @Test
  void concurrentDoubleFreeHasExactlyOneWinner() throws Exception {
    Medium m = BuddyTestSupport.formatted(0, 512);
    BuddyAllocator a = BuddyAllocator.open(m, 0, 512, 4);
    int rounds = 2000;
    CyclicBarrier barrier = new CyclicBarrier(3);
    AtomicReference<long[]> target = new AtomicReference<>();
    AtomicReferenceArray<Object> outcome = new AtomicReferenceArray<>(2);
    AtomicReference<Throwable> broken = new AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      int me = w;
      workers.add(new Thread(() -> {
        try {
          for (int r = 0; r < rounds; r++) {
            barrier.await();
            long[] t = target.get();
            long pfn = BuddyAllocator.handlePfn(t[0]);
            int gen = BuddyAllocator.handleGeneration(t[0]);
            int order = (int) t[1];
            try {
              if (me == 1 && (r & 1) == 1) {
                a.beginFree(pfn, order, gen);
                m.storeLong(a.wordOffset(pfn), FrameWord.free(FrameWord.nextGeneration(gen)));
                m.persist(a.wordOffset(pfn), 8);
                a.completeFree(pfn, order);
              } else {
                a.free(pfn, order, gen);
              }
              outcome.set(me, "ok");
            } catch (InvalidFrameException e) {
              outcome.set(me, e);
            }
            barrier.await();
          }
        } catch (Throwable e) {
          broken.compareAndSet(null, e);
          barrier.reset();
        }
      }, "double-free-" + w));
    }
    workers.forEach(Thread::start);
    Random rnd = new Random(99);
    for (int r = 0; r < rounds; r++) {
      int order = rnd.nextInt(3);
      long h = a.allocate(order, r + 1);
      assertNotEquals(BuddyAllocator.NO_FRAME, h);
      target.set(new long[] {h, order});
      outcome.set(0, null);
      outcome.set(1, null);
      barrier.await();
      barrier.await();
      int wins = 0;
      for (int w = 0; w < 2; w++) {
        Object o = outcome.get(w);
        if ("ok".equals(o)) {
          wins++;
        } else {
          InvalidFrameException e = (InvalidFrameException) o;
          assertEquals(ErrorCode.FRAME_DOUBLE_FREE, e.code(), "round " + r + ": " + e.getMessage());
        }
      }
      assertEquals(1, wins, "round " + r + ": exactly one free must succeed");
      assertEquals(FrameWord.free(BuddyAllocator.handleGeneration(h) + 1),
          a.word(BuddyAllocator.handlePfn(h)), "round " + r);
    }
    for (Thread t : workers) {
      t.join();
    }
    assertNull(broken.get());
    a.drainCaches();
    a.checkInvariants();
    assertEquals(512, a.stats().freeFrames());
    assertTrue(a.verify().isEmpty());
  }
}
