package io.nvframe.buddy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A non-reentrant test-and-test-and-set lock for very short critical sections (tens of
 * nanoseconds: popping or pushing a few blocks). Uncontended, {@link #lock()} is one CAS and
 * {@link #unlock()} one release store. A waiter spins with {@link Thread#onSpinWait()} for a
 * while, then yields between attempts, so a descheduled holder on an oversubscribed machine is
 * not starved; it never parks, which would cost microseconds per hand-off (the reason it replaces
 * {@code ReentrantLock} on the allocator's paths).
 */
final class SpinLock {
  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(SpinLock.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Spins before the waiter starts yielding. */
  private static final int SPINS = 128;

  @SuppressWarnings("unused") // accessed through STATE
  private volatile int state;

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

  /** Whether some thread holds the lock (a racy snapshot, for assertions). */
  boolean isLocked() {
    return (int) STATE.getOpaque(this) != 0;
  }
}
