package io.nvframe.redo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.tck.TestMedia;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The lane lock kept in {@link Lane}'s fields: exclusive, re-entrant, released by its holder only. */
class LaneLockTest {
  private final Lane lane = Lane.create(0, 0, 4096, TestMedia.heap(1 << 16), 1);

  @Test
  void reentersAndFreesAfterAsManyUnlocks() throws Exception {
    assertTrue(lane.tryLock());
    assertTrue(lane.tryLock(), "the holder takes it again");
    lane.lock();
    assertTrue(lane.isHeldByCurrentThread());
    lane.unlock();
    lane.unlock();
    assertTrue(lane.isHeldByCurrentThread(), "held until the last unlock");
    assertFalse(onAnotherThread(lane::tryLock), "another thread cannot take a held lock");
    lane.unlock();
    assertFalse(lane.isHeldByCurrentThread());
    assertTrue(onAnotherThread(() -> {
      boolean taken = lane.tryLock();
      lane.unlock();
      return taken;
    }), "free after the last unlock");
  }

  @Test
  void onlyTheHolderUnlocks() throws Exception {
    IllegalMonitorStateException free = assertThrows(IllegalMonitorStateException.class, lane::unlock);
    assertTrue(free.getMessage().contains("lane 0"), free.getMessage());
    lane.lock();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        lane.unlock();
      } catch (Throwable e) {
        thrown.set(e);
      }
    });
    t.start();
    t.join();
    assertTrue(thrown.get() instanceof IllegalMonitorStateException, String.valueOf(thrown.get()));
    assertTrue(lane.isHeldByCurrentThread(), "a failed unlock by another thread leaves it held");
    lane.unlock();
  }

  /** Threads incrementing a plain counter under the lock lose no increment; lock() waits, also past its spins and yields. */
  @Test
  @Timeout(60)
  void excludesOtherThreads() throws Exception {
    int threads = 4;
    int rounds = 20_000;
    long[] counter = new long[1];
    CountDownLatch start = new CountDownLatch(1);
    Thread[] ts = new Thread[threads];
    for (int i = 0; i < threads; i++) {
      ts[i] = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
        for (int r = 0; r < rounds; r++) {
          lane.lock();
          try {
            counter[0]++;
            if (r % 5_000 == 0) {
              Thread.sleep(0, 200_000); // hold it long enough for waiters to park
            }
          } catch (InterruptedException e) {
            throw new AssertionError(e);
          } finally {
            lane.unlock();
          }
        }
      });
      ts[i].start();
    }
    start.countDown();
    for (Thread t : ts) {
      t.join();
    }
    assertEquals((long) threads * rounds, counter[0]);
    AtomicBoolean waited = new AtomicBoolean();
    lane.lock();
    Thread waiter = new Thread(() -> {
      lane.lock();
      waited.set(true);
      lane.unlock();
    });
    waiter.start();
    waiter.join(50); // long past the spins and yields: the waiter parks
    assertFalse(waited.get(), "lock() returned while another thread held the lane");
    lane.unlock();
    waiter.join(TimeUnit.SECONDS.toMillis(10));
    assertTrue(waited.get(), "the waiter got the lane after it was released");
  }

  private static boolean onAnotherThread(java.util.function.BooleanSupplier body) throws Exception {
    boolean[] out = new boolean[1];
    Thread t = new Thread(() -> out[0] = body.getAsBoolean());
    t.start();
    t.join();
    return out[0];
  }
}
