package io.nvframe.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link PersistCounters} counts exactly, whichever threads count: platform threads (own cells),
 * virtual threads (shared adders), threads that terminated (folded into the retired totals), and
 * more live threads than the cell table has slots (threads whose slot another thread holds find
 * their cell through the ThreadLocal).
 */
class PersistCountersTest {
  static LongStream seeds() {
    return LongStream.rangeClosed(1, 12);
  }

  /** Runs a seeded mix of counting calls and adds what it did to {@code expected}. */
  private static long[] work(PersistCounters c, long seed) {
    Random r = new Random(seed);
    long[] done = new long[5];
    int n = 1 + r.nextInt(20_000);
    for (int i = 0; i < n; i++) {
      int bytes = r.nextInt(4097);
      switch (r.nextInt(3)) {
        case 0 -> {
          c.store(bytes);
          done[0]++;
          done[1] += bytes;
        }
        case 1 -> {
          c.flush(bytes);
          done[2]++;
          done[3] += bytes;
        }
        default -> {
          c.fence();
          done[4]++;
        }
      }
    }
    return done;
  }

  private static PersistStats stats(long[] t) {
    return new PersistStats(t[0], t[1], t[2], t[3], t[4]);
  }

  private static void add(long[] into, long[] more) {
    for (int i = 0; i < into.length; i++) {
      into[i] += more[i];
    }
  }

  @Test
  void oneThreadCountsEveryCall() {
    PersistCounters c = new PersistCounters();
    assertEquals(PersistStats.ZERO, c.snapshot());
    c.store(8);
    c.store(100);
    c.flush(64);
    c.fence();
    assertEquals(new PersistStats(2, 108, 1, 64, 1), c.snapshot());
    c.flush(0);
    c.fence();
    assertEquals(new PersistStats(2, 108, 2, 64, 2), c.snapshot());
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void concurrentPlatformThreadsCountExactly(long seed) throws Exception {
    PersistCounters c = new PersistCounters();
    Random r = new Random(seed);
    int threads = 2 + r.nextInt(7);
    long[][] done = new long[threads][];
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> ts = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      int id = i;
      long s = seed * 1000 + i;
      ts.add(Thread.ofPlatform().start(() -> {
        try {
          start.await();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        done[id] = work(c, s);
      }));
    }
    long[] expected = work(c, seed); // the test thread counts too, and stays alive
    for (Thread t : ts) {
      t.join();
    }
    for (long[] d : done) {
      add(expected, d);
    }
    assertEquals(stats(expected), c.snapshot(), "seed " + seed + ", " + threads + " threads");
    assertEquals(stats(expected), c.snapshot(), "seed " + seed + ": a second snapshot (after folding) is the same");
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void manyShortLivedThreadsAreFoldedWithoutLosingCounts(long seed) throws Exception {
    PersistCounters c = new PersistCounters();
    long[] expected = new long[5];
    PersistStats previous = PersistStats.ZERO;
    for (int i = 0; i < 40; i++) {
      long s = seed * 100_000 + i;
      long[][] box = new long[1][];
      Thread t = Thread.ofPlatform().start(() -> box[0] = work(c, s));
      t.join();
      add(expected, box[0]);
      if (i % 7 == 0) {
        PersistStats now = c.snapshot();
        assertEquals(stats(expected), now, "seed " + seed + " after thread " + i);
        assertTrue(now.fences() >= previous.fences(), "seed " + seed + ": totals never go down");
        previous = now;
      }
    }
    assertEquals(stats(expected), c.snapshot(), "seed " + seed);
  }

  @Test
  void virtualThreadsCountExactly() throws Exception {
    PersistCounters c = new PersistCounters();
    long[] expected = new long[5];
    long[][] done = new long[16][];
    List<Thread> ts = new ArrayList<>();
    for (int i = 0; i < done.length; i++) {
      int id = i;
      ts.add(Thread.ofVirtual().start(() -> done[id] = work(c, 77 + id)));
    }
    for (Thread t : ts) {
      t.join();
    }
    for (long[] d : done) {
      add(expected, d);
    }
    assertEquals(stats(expected), c.snapshot());
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void moreLiveThreadsThanSlotsCountExactly(long seed) throws Exception {
    PersistCounters c = new PersistCounters();
    Random r = new Random(seed);
    // 64 slots; 100..160 threads alive at once share every slot with at least one other thread
    int threads = 100 + r.nextInt(61);
    long[][] done = new long[threads][];
    CyclicBarrier start = new CyclicBarrier(threads);
    CyclicBarrier end = new CyclicBarrier(threads);
    List<Thread> ts = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      int id = i;
      long s = seed * 7919 + i;
      ts.add(Thread.ofPlatform().start(() -> {
        try {
          start.await();
          long[] first = work(c, s);
          end.await(); // every thread has counted while all were alive; then count again
          long[] second = work(c, s + 1_000_000);
          add(first, second);
          done[id] = first;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    for (Thread t : ts) {
      t.join();
    }
    long[] expected = new long[5];
    for (int i = 0; i < threads; i++) {
      assertTrue(done[i] != null, "seed " + seed + ": thread " + i + " failed");
      add(expected, done[i]);
    }
    assertEquals(stats(expected), c.snapshot(), "seed " + seed + ", " + threads + " threads");
  }

  @Test
  void aThreadTakingOverADeadThreadsSlotKeepsBothCounts() throws Exception {
    PersistCounters c = new PersistCounters();
    long[] expected = new long[5];
    // successive threads get successive ids, so 200 short-lived threads reuse every slot about
    // three times, while this thread keeps counting in its own slot
    for (int i = 0; i < 200; i++) {
      long s = 4242L + i;
      long[][] box = new long[1][];
      Thread t = Thread.ofPlatform().start(() -> box[0] = work(c, s));
      t.join();
      add(expected, box[0]);
      add(expected, work(c, -s));
    }
    assertEquals(stats(expected), c.snapshot());
  }
}
