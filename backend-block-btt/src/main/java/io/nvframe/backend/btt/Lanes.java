package io.nvframe.backend.btt;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lanes: a thread works in one lane at a time (its flog slot, its free block, its RTT slot). Each
 * thread has a preferred lane (round robin at first use); when it is busy the thread tries the
 * others once with {@code tryLock}, and when all are busy it waits on its preferred lane's lock
 * (the fallback when there are more threads than lanes).
 */
final class Lanes {
  private final ReentrantLock[] locks;
  private final AtomicInteger nextPreferred = new AtomicInteger();
  private final ThreadLocal<int[]> preferred;

  Lanes(int count) {
    locks = new ReentrantLock[count];
    for (int i = 0; i < count; i++) {
      locks[i] = new ReentrantLock();
    }
    preferred = ThreadLocal.withInitial(() -> new int[] {Math.floorMod(nextPreferred.getAndIncrement(), count)});
  }

  int count() {
    return locks.length;
  }

  /** Takes a lane; release it with {@link #release}. */
  int acquire() {
    int p = preferred.get()[0];
    if (locks[p].tryLock()) {
      return p;
    }
    for (int k = 1; k < locks.length; k++) {
      int lane = (p + k) % locks.length;
      if (locks[lane].tryLock()) {
        return lane;
      }
    }
    locks[p].lock();
    return p;
  }

  void release(int lane) {
    locks[lane].unlock();
  }

  /** True when some lane is held (for the idle-state checks of tests). */
  boolean anyHeld() {
    for (ReentrantLock l : locks) {
      if (l.isLocked()) {
        return true;
      }
    }
    return false;
  }
}
