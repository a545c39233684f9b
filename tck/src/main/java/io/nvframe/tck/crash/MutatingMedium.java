package io.nvframe.tck.crash;

import io.nvframe.spi.Medium;
import java.util.Objects;

/**
 * Seeds a bug into a real protocol from below: wraps the medium it runs on and drops or changes
 * one persistence event. Used to prove the simulator catches each class of bug on the real code.
 */
public final class MutatingMedium extends ForwardingMedium {
  /** The mutation. */
  public enum Mutation {
    /** The {@code k}-th flush (1-based) is not issued. */
    DROP_FLUSH,
    /** The {@code k}-th fence (1-based) is not issued. */
    DROP_FENCE,
    /** Every fence directly before an atomic 8-byte store is dropped (commit word before its data). */
    DROP_FENCE_BEFORE_ATOMIC_STORE,
    /** The {@code k}-th atomic 8-byte store is issued as two 4-byte stores (torn multi-word update). */
    SPLIT_STORE
  }

  private final Mutation mutation;
  private final long k;
  private long flushes;
  private long fences;
  private long longStores;
  private boolean fenceHeld;
  private boolean active = true;

  /** Applies {@code mutation} (to the {@code k}-th event where it counts) on {@code delegate}. */
  public MutatingMedium(Medium delegate, Mutation mutation, long k) {
    super(delegate);
    this.mutation = Objects.requireNonNull(mutation, "mutation");
    this.k = k;
  }

  /** Stops mutating (e.g. before recovery runs on the same medium). */
  public void disarm() {
    releaseHeldFence();
    active = false;
  }

  @Override
  public void flush(long offset, long length) {
    releaseHeldFence();
    if (active && mutation == Mutation.DROP_FLUSH && ++flushes == k) {
      return;
    }
    delegate.flush(offset, length);
  }

  @Override
  public void fence() {
    if (active && mutation == Mutation.DROP_FENCE && ++fences == k) {
      return;
    }
    if (active && mutation == Mutation.DROP_FENCE_BEFORE_ATOMIC_STORE) {
      releaseHeldFence();
      fenceHeld = true; // issued before the next event unless that is an atomic 8-byte store
      return;
    }
    delegate.fence();
  }

  private void releaseHeldFence() {
    if (fenceHeld) {
      fenceHeld = false;
      delegate.fence();
    }
  }

  @Override
  public void storeLong(long offset, long value) {
    if (fenceHeld) {
      fenceHeld = false; // dropped: the data this store publishes is not ordered before it
    }
    if (active && mutation == Mutation.SPLIT_STORE && ++longStores == k) {
      delegate.storeInt(offset, (int) value);
      delegate.storeInt(offset + 4, (int) (value >>> 32));
      return;
    }
    delegate.storeLong(offset, value);
  }

  @Override
  public void storeInt(long offset, int value) {
    releaseHeldFence();
    delegate.storeInt(offset, value);
  }

  @Override
  public void write(long offset, byte[] src, int srcOffset, int length) {
    releaseHeldFence();
    delegate.write(offset, src, srcOffset, length);
  }

  @Override
  public void write(long offset, java.lang.foreign.MemorySegment src) {
    releaseHeldFence();
    delegate.write(offset, src);
  }

  @Override
  public void fill(long offset, long length, byte value) {
    releaseHeldFence();
    delegate.fill(offset, length, value);
  }

  @Override
  public void close() {
    releaseHeldFence();
    delegate.close();
  }
}
