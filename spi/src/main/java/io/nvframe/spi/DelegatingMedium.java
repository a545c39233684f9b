package io.nvframe.spi;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A medium that forwards every call, default methods included, to another; subclasses override
 * what they change (an ordering rule before fences, a view without the byte segment, counting,
 * fault injection).
 */
public abstract class DelegatingMedium implements Medium {
  /** The wrapped medium. */
  protected final Medium delegate;

  /** Wraps {@code delegate}. */
  protected DelegatingMedium(Medium delegate) {
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
    return delegate.capabilities();
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
  public void writeAndFlush(long offset, byte[] src, int srcOffset, int length) {
    delegate.writeAndFlush(offset, src, srcOffset, length);
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
    delegate.persist(offset, length);
  }

  @Override
  public Optional<MemorySegment> segment() {
    return delegate.segment();
  }

  @Override
  public PersistStats stats() {
    return delegate.stats();
  }

  @Override
  public String description() {
    return delegate.description();
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
