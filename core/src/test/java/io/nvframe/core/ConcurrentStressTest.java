package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.Frame;
import io.nvframe.api.Region;
import io.nvframe.api.TransactionConflictException;
import io.nvframe.tck.RegionCheckExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many threads committing overlapping and disjoint transactions on one region, then a model check
 * (heap backend; with {@code -Plong} also on a dax file, checked again after a reopen). Each transaction picks (seeded per thread) 1-3 of 8 shared frames and
 * writes one value into 16 words of each (spread over four cache lines) and increments the frame's
 * counter; it also counts itself in the thread's own frame (disjoint), and every 16th one rewrites
 * the thread's own 16 KiB block whole (a record larger than a lane, through extension frames).
 * Model: in every shared frame the 16 words are equal (no transaction half-applied or interleaved)
 * and the counter equals the number of committed transactions that touched it; every thread's
 * counter and 16 KiB block equal its last committed transaction's; no extension frame is leaked.
 */
class ConcurrentStressTest {
  static final int THREADS = 8;
  static final int PER_THREAD = 250;
  static final int SHARED = 8;
  static final int BIG = 16 << 10;
  @TempDir Path dir;
  @RegisterExtension final RegionCheckExtension regions = new RegionCheckExtension();

  @Test
  void overlappingAndDisjointTransactionsFromManyThreadsMatchTheModel() throws Exception {
    stress(false);
  }

  /** The same on a dax file (every fence an msync or a write-back), checked again after a reopen. */
  @org.junit.jupiter.api.Tag("long")
  @Test
  void onADaxFileAndAfterReopen() throws Exception {
    stress(true);
  }

  private void stress(boolean dax) throws Exception {
    long seed = Long.getLong("nvframe.stress.seed", 20261127L);
    Path file = dir.resolve("stress.nvf");
    var builder = Regions.builder().backend(dax ? "dax" : "heap").capacity(32L << 20).lanes(4)
        .lockTimeout(Duration.ofMillis(200));
    if (dax) {
      builder.path(file);
    }
    Region r = regions.track(builder.create());
    List<Frame> shared = new ArrayList<>();
    List<Frame> own = new ArrayList<>();
    List<Frame> big = new ArrayList<>();
    for (int i = 0; i < SHARED; i++) {
      shared.add(r.allocate(0));
    }
    for (int t = 0; t < THREADS; t++) {
      own.add(r.allocate(0));
      big.add(r.allocate(2));
    }
    long free = r.stats().freeFrames();
    long[][] touched = new long[THREADS][SHARED];
    ExecutorService pool = Executors.newFixedThreadPool(THREADS, Thread.ofPlatform().name("stress-", 0).factory());
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          Random rnd = new Random(seed + thread);
          for (int i = 0; i < PER_THREAD; i++) {
            int n = 1 + rnd.nextInt(3);
            int[] frames = rnd.ints(0, SHARED).distinct().limit(n).sorted().toArray(); // consistent lock order
            long value = rnd.nextLong();
            int op = i;
            while (true) {
              try {
                r.transact(tx -> {
                  for (int s : frames) {
                    Frame f = shared.get(s);
                    for (int w = 1; w <= 16; w++) {
                      tx.putLong(f, 16L * w, value);
                    }
                    tx.putLong(f, 0, tx.getLong(f, 0) + 1);
                  }
                  tx.putLong(own.get(thread), 0, op + 1);
                  if (op % 16 == 15) {
                    tx.write(big.get(thread), 0, bigPattern(thread, op));
                  }
                });
                break;
              } catch (TransactionConflictException e) {
                // another thread holds one of the frames: retry the same transaction
              }
            }
            for (int s : frames) {
              touched[thread][s]++;
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    check(r, shared, own, big, touched, free, seed);
    if (!dax) {
      return;
    }
    r.close();
    Region again = regions.track(Regions.builder().path(file).open());
    check(again, shared, own, big, touched, free, seed);
    assertTrue(again.check().consistent(), again.check().problems().toString());
  }

  private static void check(Region r, List<Frame> shared, List<Frame> own, List<Frame> big, long[][] touched,
      long free, long seed) {
    String where = "seed " + seed;
    for (int s = 0; s < SHARED; s++) {
      long expected = 0;
      for (long[] t : touched) {
        expected += t[s];
      }
      Frame f = shared.get(s);
      assertEquals(expected, r.getLong(f, 0), where + ": shared frame " + s + " counter");
      long first = r.getLong(f, 16);
      for (int w = 2; w <= 16; w++) {
        assertEquals(first, r.getLong(f, 16L * w), where + ": shared frame " + s + " word " + w + " (torn transaction)");
      }
    }
    for (int t = 0; t < THREADS; t++) {
      assertEquals(PER_THREAD, r.getLong(own.get(t), 0), where + ": thread " + t);
      byte[] got = new byte[BIG];
      r.read(big.get(t), 0, got);
      assertArrayEquals(bigPattern(t, PER_THREAD - 1 - (PER_THREAD % 16)), got, where + ": thread " + t + " block");
    }
    assertEquals(free, r.stats().freeFrames(), where + ": extension frames leaked");
  }

  static byte[] bigPattern(int thread, int op) {
    byte[] b = new byte[BIG];
    new Random(thread * 1_000_003L + op).nextBytes(b);
    return b;
  }
}
