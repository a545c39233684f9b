package io.nvframe.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
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
 *   stripe: spin flag | slots: Segment -> Segment -> ...        (segments of SLOTS_PER_SEGMENT
 *                                                                 (key, owner) slots, never moved)
 *   slot: owner == FREE (0): free (its key means nothing); otherwise key is held by owner
 * </pre>
 *
 * Taking a lock holds the stripe's spin flag (one compare-and-set) for a scan of the stripe's
 * slots: a slot with this key and an owner decides (re-entrant for the same owner, else held); if
 * there is none, the key goes into a free slot (key first, then the owner with a release store) or
 * into a new segment appended to the chain. Only flag holders write keys, claim slots and append
 * segments, so at most one slot per key has an owner.
 *
 * <p>Releasing does not take the flag: the owner finds its own slot (its key and owner, which no
 * one else changes while it is owned) and clears the owner with one release store, with no atomic
 * instruction. Segments never move or shrink, so that slot stays where the owner found it; a taker
 * that reads the owner with an acquire load and sees FREE has seen every write the releaser made
 * before the release, and one that still sees the owner waits and retries. Keys are exact: two
 * frames in one stripe never wait for each other, they only share the stripe's flag for a few
 * nanoseconds. There are many stripes ({@value #STRIPES}) because each thread cycles through the
 * frames of its allocator cache: with few stripes two threads' current frames would often share
 * one, and its flag's cache line would bounce between cores (measured in benchmarks/results.md).
 * Owners are numbers ({@link #newOwner}, {@link #threadOwner}), not objects: taking and releasing
 * a lock stores no reference, so the collector's write barrier stays out of the commit path and
 * no short-lived object is kept reachable from the table.
 * Stripes are created on first use and padded, so a region that locks little costs little memory
 * and open stays cheap. A waiter for a held frame lock re-checks every {@value #PARK_NANOS} ns
 * until its deadline.
 */
final class FrameLocks {
  /** Key of the root directory's lock. */
  static final long ROOTS = -1L;

  private static final long PARK_NANOS = 20_000;
  /** Number of stripes, a power of two; spreads unrelated keys over separate spin flags. */
  private static final int STRIPES = 4096;
  /** Slots of one segment of a stripe. */
  private static final int SLOTS_PER_SEGMENT = 4;
  /** Unused longs on either side of a segment's slots: one cache line. */
  private static final int PAD = 8;
  /** Spins on a busy stripe flag before yielding the processor. */
  private static final int SPINS_BEFORE_YIELD = 64;

  private static final VarHandle BUSY;
  private static final VarHandle FIRST;
  private static final VarHandle NEXT;
  private static final VarHandle OWNER = MethodHandles.arrayElementVarHandle(long[].class);
  /** Owner value of a free slot. */
  static final long FREE = 0;
  /** Source of {@link #newOwner} values: positive, never reused. */
  private static final AtomicLong OWNERS = new AtomicLong();
  private static final VarHandle STRIPE = MethodHandles.arrayElementVarHandle(Stripe[].class);

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      BUSY = l.findVarHandle(StripeFields.class, "busy", int.class);
      FIRST = l.findVarHandle(StripeFields.class, "first", Segment.class);
      NEXT = l.findVarHandle(Segment.class, "next", Segment.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * {@value #SLOTS_PER_SEGMENT} slots of a stripe in one array, {@code slots[PAD + 2i]} the key of
   * slot i and {@code slots[PAD + 2i + 1]} its owner, with {@value #PAD} unused longs (64 bytes) on
   * either side, so that no other object's data shares a cache line with them wherever the
   * collector moves the array (two threads taking locks of different frames then write different
   * lines). Keys are written by flag holders only, to free slots; owners through {@link #OWNER}:
   * set by flag holders (release), cleared by
   * the owner (release), read with acquire loads.
   */
  private static final class Segment {
    final long[] slots = new long[PAD + 2 * SLOTS_PER_SEGMENT + PAD];
    /** Appended by a flag holder (release store), read with acquire loads. */
    @SuppressWarnings("unused") // through NEXT
    Segment next;

    Segment next() {
      return (Segment) NEXT.getAcquire(this);
    }

    long key(int i) {
      return slots[PAD + 2 * i];
    }

    void setKey(int i, long key) {
      slots[PAD + 2 * i] = key;
    }

    long owner(int i) {
      return (long) OWNER.getAcquire(slots, PAD + 2 * i + 1);
    }

    void setOwner(int i, long owner) {
      OWNER.setRelease(slots, PAD + 2 * i + 1, owner);
    }
  }

  /** 64 bytes before a {@link Stripe}'s fields (the JVM lays out a superclass's fields first). */
  @SuppressWarnings("unused")
  private abstract static class StripePadding {
    /**
     * Takes the 4 bytes after the object header (with compressed class pointers), where the JVM
     * would otherwise place an {@code int} field of a subclass: in front of the padding, on the
     * line of whatever object precedes this one (see {@code PaddingLayoutTest}).
     */
    private int gap;
    long p0, p1, p2, p3, p4, p5, p6, p7;
  }

  /** A stripe's fields, between {@link StripePadding} and {@link Stripe}'s 64 bytes after them. */
  private abstract static class StripeFields extends StripePadding {
    int busy;
    /** Made by the first lock taken in this stripe (a region opens with no lock held). */
    Segment first;
  }

  /**
   * The slots of one stripe and the flag that serializes taking locks in it, padded by 64 bytes on
   * both sides so that no other object's fields share the flag's cache line.
   */
  @SuppressWarnings("unused") // q0..q7: padding
  private static final class Stripe extends StripeFields {
    long q0, q1, q2, q3, q4, q5, q6, q7;

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

    Segment first() {
      return (Segment) FIRST.getAcquire(this);
    }
  }

  private final Stripe[] stripes = new Stripe[STRIPES];

  /** A new owner, positive and distinct from every other one this JVM handed out. */
  static long newOwner() {
    return OWNERS.incrementAndGet();
  }

  /** The owner standing for {@code thread} outside a transaction: negative, so never a {@link #newOwner}. */
  static long threadOwner(Thread thread) {
    return -1 - thread.threadId();
  }

  /** Takes the lock for {@code owner}; true if held (re-entrant), false after {@code timeoutNanos}. */
  boolean acquire(long key, long owner, long timeoutNanos) {
    assert owner != FREE;
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

  /** Releases {@code key} if {@code owner} holds it; otherwise does nothing. No atomic instruction. */
  void release(long key, long owner) {
    Stripe s = (Stripe) STRIPE.getAcquire(stripes, index(key));
    if (s == null) {
      return; // nothing was ever locked there
    }
    for (Segment g = s.first(); g != null; g = g.next()) {
      for (int i = 0; i < SLOTS_PER_SEGMENT; i++) {
        // an owned slot's key is stable: only flag holders write keys, and only to free slots
        if (g.owner(i) == owner && g.key(i) == key) {
          g.setOwner(i, FREE);
          return;
        }
      }
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
      for (Segment g = s.first(); g != null; g = g.next()) {
        for (int j = 0; j < SLOTS_PER_SEGMENT; j++) {
          if (g.owner(j) != FREE) {
            n++;
          }
        }
      }
    }
    return n;
  }

  private static boolean tryAcquire(Stripe s, long key, long owner) {
    s.lock();
    try {
      Segment free = null;
      int freeSlot = -1;
      Segment last = null;
      for (Segment g = s.first; g != null; g = g.next) {
        for (int i = 0; i < SLOTS_PER_SEGMENT; i++) {
          long o = g.owner(i);
          if (o == FREE) {
            if (free == null) {
              free = g;
              freeSlot = i;
            }
          } else if (g.key(i) == key) {
            return o == owner;
          }
        }
        last = g;
      }
      if (free == null) {
        free = new Segment();
        freeSlot = 0;
        if (last == null) {
          FIRST.setRelease(s, free);
        } else {
          NEXT.setRelease(last, free);
        }
      }
      free.setKey(freeSlot, key);
      free.setOwner(freeSlot, owner);
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

  /** The stripe index of {@code key}. */
  static int index(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h >>> 32) & (STRIPES - 1);
  }
}
