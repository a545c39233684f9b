package io.nvframe.core;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Exclusive per-frame locks held by transactions from first touch to commit or rollback (strict
 * two-phase locking), keyed by exact pfn so unrelated frames never conflict. A waiter that cannot
 * get a lock within the timeout gives up, which also breaks deadlocks between transactions.
 */
final class FrameLocks {
  /** Key of the root directory's lock. */
  static final long ROOTS = -1L;

  private static final long PARK_NANOS = 20_000;

  private final ConcurrentHashMap<Long, Object> owners = new ConcurrentHashMap<>();

  /** Takes the lock for {@code owner}; true if held (re-entrant), false after {@code timeoutNanos}. */
  boolean acquire(long key, Object owner, long timeoutNanos) {
    Object current = owners.putIfAbsent(key, owner);
    if (current == null || current == owner) {
      return true;
    }
    long deadline = System.nanoTime() + timeoutNanos;
    while (true) {
      current = owners.putIfAbsent(key, owner);
      if (current == null || current == owner) {
        return true;
      }
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      LockSupport.parkNanos(PARK_NANOS);
    }
  }

  void release(long key, Object owner) {
    owners.remove(key, owner);
  }

  int held() {
    return owners.size();
  }
}
