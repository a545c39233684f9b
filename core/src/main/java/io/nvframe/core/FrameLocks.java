package io.nvframe.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * Exclusive per-frame locks held by transactions from first touch to commit or rollback (strict
 * two-phase locking), keyed by exact pfn so unrelated frames never conflict. A waiter that cannot
 * get a lock within the timeout gives up, which also breaks deadlocks between transactions.
 *
 * <h2>Table</h2>
 *
 * <pre>
 *   key (pfn, or ROOTS) --mix--> stripes[hash &amp; (STRIPES - 1)]   (a stripe is made on first use)
 *   stripe: spin flag | keys[0..count) | owners[0..count)       (held locks of this stripe only)
 * </pre>
 *
 * A stripe holds the locks currently held whose keys hash to it, as two small parallel arrays
 * (scan, append, remove by moving the last entry into the hole), guarded by a spin flag that is
 * held only for that scan: never while waiting for a frame lock. So taking or releasing a free
 * frame lock is one compare-and-set, a scan of a few entries and a release store, with no boxing
 * and no allocation. Keys are exact: two frames in one stripe never wait for each other, they only
 * share the stripe's flag for a few nanoseconds. There are many stripes ({@value #STRIPES}) because
 * each thread cycles through the frames of its allocator cache: with few stripes two threads'
 * current frames would often share one, and its flag's cache line would bounce between cores
 * (measured in benchmarks/results.md). Stripes are created on first use and padded, so a region that locks little costs little memory and open stays cheap.
 * A waiter for a held frame lock re-checks every {@value #PARK_NANOS} ns until its deadline.
 */
final class FrameLocks {
  /** Key of the root directory's lock. */
  static final long ROOTS = -1L;

  private static final long PARK_NANOS = 20_000;
  /** Number of stripes, a power of two; spreads unrelated keys over separate spin flags. */
  private static final int STRIPES = 4096;
  /** Entries of a stripe's arrays when its first lock is taken. */
  private static final int INITIAL_ENTRIES = 4;
  /** Spins on a busy stripe flag before yielding the processor. */
  private static final int SPINS_BEFORE_YIELD = 64;

  private static final VarHandle BUSY;
  private static final VarHandle STRIPE = MethodHandles.arrayElementVarHandle(Stripe[].class);

  static {
    try {
      BUSY = MethodHandles.lookup().findVarHandle(Stripe.class, "busy", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The held locks of one stripe; the arrays are used only while {@code busy} is held. */
  @SuppressWarnings("unused") // p0..p7 keep neighbouring stripes' fields off one cache line
  private static final class Stripe {
    long p0, p1, p2, p3, p4, p5, p6, p7;
    int busy;
    int count;
    /** Allocated by the first lock taken in this stripe (a region opens with no lock held). */
    long[] keys;
    Object[] owners;

    void lock() {
      int spins = 0;
      while (!BUSY.compareAndSet(this, 0, 1)) {
        if (++spins < SPINS_BEFORE_YIELD) {
          Thread.onSpinWait();
        } else {
          spins = 0;
          Thread.yield();
        }
      }
    }

    void unlock() {
      BUSY.setRelease(this, 0);
    }

    int indexOf(long key) {
      long[] k = keys;
      for (int i = 0, n = count; i < n; i++) {
        if (k[i] == key) {
          return i;
        }
      }
      return -1;
    }
  }

  private final Stripe[] stripes = new Stripe[STRIPES];

  /** Takes the lock for {@code owner}; true if held (re-entrant), false after {@code timeoutNanos}. */
  boolean acquire(long key, Object owner, long timeoutNanos) {
    Stripe s = stripe(key);
    if (tryAcquire(s, key, owner)) {
      return true;
    }
    long deadline = System.nanoTime() + timeoutNanos;
    while (true) {
      if (tryAcquire(s, key, owner)) {
        return true;
      }
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      LockSupport.parkNanos(PARK_NANOS);
    }
  }

  /** Releases {@code key} if {@code owner} holds it; otherwise does nothing. */
  void release(long key, Object owner) {
    Stripe s = (Stripe) STRIPE.getAcquire(stripes, index(key));
    if (s == null) {
      return; // nothing was ever locked there
    }
    s.lock();
    try {
      int i = s.indexOf(key);
      if (i >= 0 && s.owners[i] == owner) {
        int last = --s.count;
        s.keys[i] = s.keys[last];
        s.owners[i] = s.owners[last];
        s.owners[last] = null;
      }
    } finally {
      s.unlock();
    }
  }

  /** Number of locks held right now (exact only while no other thread locks or releases). */
  int held() {
    int n = 0;
    for (int i = 0; i < STRIPES; i++) {
      Stripe s = (Stripe) STRIPE.getAcquire(stripes, i);
      if (s == null) {
        continue;
      }
      s.lock();
      try {
        n += s.count;
      } finally {
        s.unlock();
      }
    }
    return n;
  }

  private static boolean tryAcquire(Stripe s, long key, Object owner) {
    s.lock();
    try {
      int i = s.indexOf(key);
      if (i >= 0) {
        return s.owners[i] == owner;
      }
      int n = s.count;
      if (s.keys == null) {
        s.keys = new long[INITIAL_ENTRIES];
        s.owners = new Object[INITIAL_ENTRIES];
      } else if (n == s.keys.length) {
        s.keys = Arrays.copyOf(s.keys, n * 2);
        s.owners = Arrays.copyOf(s.owners, n * 2);
      }
      s.keys[n] = key;
      s.owners[n] = owner;
      s.count = n + 1;
      return true;
    } finally {
      s.unlock();
    }
  }

  /** The stripe of {@code key}, made on first use. */
  private Stripe stripe(long key) {
    int i = index(key);
    Stripe s = (Stripe) STRIPE.getAcquire(stripes, i);
    if (s == null) {
      Stripe fresh = new Stripe();
      Stripe witness = (Stripe) STRIPE.compareAndExchange(stripes, i, (Stripe) null, fresh);
      s = witness == null ? fresh : witness;
    }
    return s;
  }

  private static int index(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h >>> 32) & (STRIPES - 1);
  }
}
