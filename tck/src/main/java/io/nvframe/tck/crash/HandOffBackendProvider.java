package io.nvframe.tck.crash;

import io.nvframe.spi.Availability;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import java.util.Set;

/**
 * A backend named {@code crashsim} that hands out the medium last given to {@link #hand(Medium)}
 * on create and open: it lets a layer that opens its medium through the backend registry (a
 * region) run on the simulator's recording medium and on crash images. It is not registered; a test
 * registers it (or a subclass) with a {@code META-INF/services/io.nvframe.spi.BackendProvider} file
 * seen through the class loader it gives the registry. One medium at a time: scenarios using it
 * must not run concurrently.
 */
public final class HandOffBackendProvider implements BackendProvider {
  private static volatile Medium next;

  /** The registry instantiates it. */
  public HandOffBackendProvider() {}

  /** The next create or open returns {@code medium}. */
  public static void hand(Medium medium) {
    next = medium;
  }

  /**
   * {@code medium} behind a close that does nothing: the component closes the medium it opened, the
   * simulator still owns it.
   */
  public static Medium keepOpen(Medium medium) {
    return new ForwardingMedium(medium) {
      @Override
      public void close() {
        // the simulator owns the medium
      }
    };
  }

  @Override
  public String name() {
    return "crashsim";
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.VOLATILE);
  }

  @Override
  public Availability probe(ProviderConfig config) {
    return Availability.available("test");
  }

  @Override
  public Medium create(ProviderConfig config) {
    return handed();
  }

  @Override
  public Medium open(ProviderConfig config) {
    return handed();
  }

  private static Medium handed() {
    Medium m = next;
    if (m == null) {
      throw new IllegalStateException("crashsim backend: no medium handed over (call HandOffBackendProvider.hand first)");
    }
    return m;
  }
}
