package io.nvframe.tck.crash;

import io.nvframe.spi.Capability;
import io.nvframe.spi.DelegatingMedium;
import io.nvframe.spi.Medium;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.Set;

/**
 * A medium that forwards every call to another; subclasses override what they change (mutants of
 * real protocols, read checks). The byte view is hidden so that every access goes through the
 * methods, and {@link #persist} and {@link #writeAndFlush} are this medium's own calls ({@link
 * #flush} then {@link #fence}; {@link #write} then {@link #flush}), so subclasses see each step.
 */
public abstract class ForwardingMedium extends DelegatingMedium {
  /** Wraps {@code delegate}. */
  protected ForwardingMedium(Medium delegate) {
    super(delegate);
  }

  @Override
  public Set<Capability> capabilities() {
    Set<Capability> caps = new java.util.HashSet<>(delegate.capabilities());
    caps.remove(Capability.BYTE_ADDRESSABLE);
    return Set.copyOf(caps);
  }

  @Override
  public void persist(long offset, long length) {
    flush(offset, length);
    fence();
  }

  @Override
  public void writeAndFlush(long offset, byte[] src, int srcOffset, int length) {
    write(offset, src, srcOffset, length);
    flush(offset, length);
  }

  @Override
  public Optional<MemorySegment> segment() {
    return Optional.empty();
  }

  @Override
  public String description() {
    return getClass().getSimpleName() + "(" + delegate.description() + ")";
  }
}
