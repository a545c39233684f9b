package io.nvframe.buddy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A non-reentrant test-and-test-and-set lock for very short critical sections (a few bitmap
 * operations). Uncontended, {@link #lock()} is one CAS and {@link #unlock()} one release store. A
 * waiter spins with {@link Thread#onSpinWait()} for a while, then yields between attempts, so a
 * descheduled holder on an oversubscribed machine is not starved; it never parks, which would cost
 * microseconds per hand-off (why it is used instead of {@code ReentrantLock}).
 *
 * <p>The lock word is padded on both sides (fields of a superclass are laid out first), so locks
 * of different zones or threads never share a cache line.
 */
final class SpinLock extends SpinLockState {
  @SuppressWarnings("unused")
  private long q1, q2, q3, q4, q5, q6, q7, q8;

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(SpinLockState.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Spins before the waiter starts yielding. */
  private static final int SPINS = 128;

  void lock() {
    if (!STATE.compareAndSet(this, 0, 1)) {
      lockSlow();
    }
  }

  private void lockSlow() {
    int spins = 0;
    for (; ; ) {
      if ((int) STATE.getOpaque(this) == 0 && STATE.compareAndSet(this, 0, 1)) {
        return;
      }
      if (++spins < SPINS) {
        Thread.onSpinWait();
      } else {
        Thread.yield();
      }
    }
  }

  void unlock() {
    STATE.setRelease(this, 0);
  }
}

/** Padding laid out before the lock word. */
class SpinLockPadding {
  @SuppressWarnings("unused")
  /**
   * Takes the 4 bytes after the object header (with compressed class pointers), where the JVM
   * would otherwise place an {@code int} field of a subclass: in front of the padding, on the
   * line of whatever object precedes this one (see {@code PaddingLayoutTest}).
   */
  private int gap;
  private long p1, p2, p3, p4, p5, p6, p7, p8;
}

/** The lock word: 0 free, 1 held. */
class SpinLockState extends SpinLockPadding {
  @SuppressWarnings("unused") // accessed through SpinLock.STATE
  volatile int state;
}
