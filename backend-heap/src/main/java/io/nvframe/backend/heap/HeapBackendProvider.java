package io.nvframe.backend.heap;

import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.ErrorCode;
import io.nvframe.spi.Availability;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import java.util.Set;

/**
 * The {@code heap} backend: volatile memory from a shared {@link java.lang.foreign.Arena}. Nothing
 * survives {@code close}; flush and fence only count. Useful for tests, benchmarks and caches. It
 * is never chosen implicitly.
 */
public final class HeapBackendProvider implements BackendProvider {
  /** The selection key. */
  public static final String NAME = "heap";

  public HeapBackendProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<Capability> capabilities() {
    return HeapMedium.CAPABILITIES;
  }

  @Override
  public Availability probe(ProviderConfig config) {
    return Availability.available("volatile off-heap memory; always available");
  }

  @Override
  public Medium create(ProviderConfig config) {
    if (config.capacity() <= 0) {
      throw new NvframeConfigurationException(
          ErrorCode.CONFIG_INVALID,
          "heap backend needs a capacity > 0 bytes to create a medium; set it with capacity(...)");
    }
    return new HeapMedium(config.capacity());
  }

  @Override
  public Medium open(ProviderConfig config) {
    throw new NvframeConfigurationException(
        ErrorCode.CONFIG_INVALID,
        "the heap backend is volatile: there is nothing to reopen"
            + (config.path() == null ? "" : " at " + config.path())
            + "; create a new heap region, or use a durable backend (dax) for data that must survive");
  }

  @Override
  public String description() {
    return "volatile off-heap memory (Arena); nothing survives close";
  }
}
