package io.nvframe.backend.btt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Many more threads than cores and lanes doing random 50/50 reads and writes (like PMDK's
 * blk_rw_mt) on few blocks, so that lanes, the RTT and the map locks are contended. Every block
 * carries {@code lba, stamp} and a pattern derived from both; a read must see a whole block of one
 * write (never a mix, never a reused block) with a stamp that was issued. Even lbas are written under
 * a test lock so their final stamp is known exactly; odd lbas are written by racing writers. Then B1-B5.
 */
class BttConcurrencyTest {
  private static final int BS = 512;

  static byte[] stamped(long lba, long stamp) {
    byte[] b = new byte[BS];
    Le.put64(b, 0, lba);
    Le.put64(b, 8, stamp);
    for (int j = 16; j < BS; j++) {
      b[j] = (byte) (lba * 131 + stamp * 17 + j);
    }
    return b;
  }

  static String verify(byte[] b, long lba, long maxStamp) {
    long l = Le.i64(b, 0);
    long s = Le.i64(b, 8);
    if (l == 0 && s == 0 && java.util.Arrays.equals(b, new byte[BS])) {
      return null;
    }
    if (l != lba) {
      return "block of lba " + lba + " holds lba " + l;
    }
    if (s < 1 || s > maxStamp) {
      return "lba " + lba + " holds stamp " + s + ", issued up to " + maxStamp;
    }
    if (!java.util.Arrays.equals(b, stamped(lba, s))) {
      return "lba " + lba + " stamp " + s + ": torn or mixed content";
    }
    return null;
  }

  @ParameterizedTest(name = "{0} threads, {1} lanes, {2} blocks, seed {3}")
  @CsvSource({"32, 4, 16, 1", "64, 2, 64, 2", "16, 16, 8, 3"})
  void randomReadsAndWritesStayAtomic(int threads, int lanes, int blocks, long seed) throws Exception {
    try (Medium m = Support.heap(2 * Support.MIB)) {
      Btt btt = Btt.format(m, 0, m.size(), Support.small(BS), Support.smallOptions().withLanes(lanes));
      AtomicLongArray issued = new AtomicLongArray(blocks);
      long[] lastExclusive = new long[blocks];
      ReentrantLock[] exclusive = new ReentrantLock[blocks];
      for (int i = 0; i < blocks; i++) {
        exclusive[i] = new ReentrantLock();
      }
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> ts = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Random r = new Random(seed * 1000 + t);
        ts.add(Thread.ofPlatform().start(() -> {
          try {
            start.await();
            byte[] buf = new byte[BS];
            // half the reads go through Btt.read(long, MemorySegment), into a native buffer that
            // this thread owns
            java.lang.foreign.MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(BS, 64);
            for (int op = 0; op < 1500 && failures.isEmpty(); op++) {
              int lba = r.nextInt(blocks);
              if (r.nextBoolean()) {
                if (lba % 2 == 0) {
                  exclusive[lba].lock();
                  try {
                    long s = issued.incrementAndGet(lba);
                    btt.write(lba, stamped(lba, s), 0);
                    lastExclusive[lba] = s;
                  } finally {
                    exclusive[lba].unlock();
                  }
                } else {
                  btt.write(lba, stamped(lba, issued.incrementAndGet(lba)), 0);
                }
              } else {
                long max = issued.get(lba);
                if (r.nextBoolean()) {
                  btt.read(lba, buf, 0);
                } else {
                  btt.read(lba, seg);
                  java.lang.foreign.MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, buf, 0, BS);
                }
                String bad = verify(buf, lba, Math.max(max, issued.get(lba)));
                if (bad != null) {
                  failures.add("seed " + seed + ": " + bad);
                }
              }
            }
          } catch (Throwable e) {
            failures.add("seed " + seed + ": " + e);
          }
        }));
      }
      start.countDown();
      for (Thread t : ts) {
        t.join();
      }
      assertTrue(failures.isEmpty(), () -> failures.peek());
      assertTrue(btt.idle(), "B5: no lane held, every RTT slot idle");
      Set<Integer> free = new HashSet<>();
      for (int f : btt.freeBlocks(0)) {
        assertTrue(free.add(f), "B5: free block " + f + " twice");
      }
      byte[] buf = new byte[BS];
      for (int lba = 0; lba < blocks; lba++) {
        btt.read(lba, buf, 0);
        String bad = verify(buf, lba, issued.get(lba));
        if (bad != null) {
          fail(bad);
        }
        if (lba % 2 == 0 && issued.get(lba) > 0) {
          assertEquals(lastExclusive[lba], Le.i64(buf, 8), "seed " + seed + ": lba " + lba + " final stamp");
        }
      }
      BttCheck.Report r = BttCheck.check(m, 0, m.size(), Support.smallOptions());
      assertTrue(r.consistent(), "seed " + seed + ": " + r.problems());
      Btt again = Btt.open(Support.copy(m), 0, m.size(), Support.smallOptions());
      assertEquals(List.of(), again.recoveryActions(), "a quiet BTT needs no recovery");
    }
  }
}
