package io.nvframe.tck.crash;

import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A medium that forwards every call to another; subclasses override what they change (mutants of
 * real protocols, read checks). The byte view is hidden so that every access goes through the
 * methods.
 */
public abstract class ForwardingMedium implements Medium {
  /** The wrapped medium. */
  protected final Medium delegate;

  /** Wraps {@code delegate}. */
  protected ForwardingMedium(Medium delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public long size() {
    return delegate.size();
  }

  @Override
  public int atomicWriteUnit() {
    return delegate.atomicWriteUnit();
  }

  @Override
  public int flushGranularity() {
    return delegate.flushGranularity();
  }

  @Override
  public Set<Capability> capabilities() {
    Set<Capability> caps = new java.util.HashSet<>(delegate.capabilities());
    caps.remove(Capability.BYTE_ADDRESSABLE);
    return Set.copyOf(caps);
  }

  @Override
  public long loadLong(long offset) {
    return delegate.loadLong(offset);
  }

  @Override
  public void storeLong(long offset, long value) {
    delegate.storeLong(offset, value);
  }

  @Override
  public int loadInt(long offset) {
    return delegate.loadInt(offset);
  }

  @Override
  public void storeInt(long offset, int value) {
    delegate.storeInt(offset, value);
  }

  @Override
  public void read(long offset, byte[] dst, int dstOffset, int length) {
    delegate.read(offset, dst, dstOffset, length);
  }

  @Override
  public void read(long offset, MemorySegment dst) {
    delegate.read(offset, dst);
  }

  @Override
  public void write(long offset, byte[] src, int srcOffset, int length) {
    delegate.write(offset, src, srcOffset, length);
  }

  @Override
  public void write(long offset, MemorySegment src) {
    delegate.write(offset, src);
  }

  @Override
  public void fill(long offset, long length, byte value) {
    delegate.fill(offset, length, value);
  }

  @Override
  public void flush(long offset, long length) {
    delegate.flush(offset, length);
  }

  @Override
  public void fence() {
    delegate.fence();
  }

  @Override
  public void persist(long offset, long length) {
    flush(offset, length);
    fence();
  }

  @Override
  public Optional<MemorySegment> segment() {
    return Optional.empty();
  }

  @Override
  public PersistStats stats() {
    return delegate.stats();
  }

  @Override
  public String description() {
    return getClass().getSimpleName() + "(" + delegate.description() + ")";
  }

  @Override
  public Map<String, String> properties() {
    return delegate.properties();
  }

  @Override
  public boolean isOpen() {
    return delegate.isOpen();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
