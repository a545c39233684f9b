package io.nvframe.core;

import io.nvframe.spi.Capability;
import java.util.Set;

/**
 * An installed backend as diagnostics see it ({@code nvframe backends}).
 *
 * @param name the selection key
 * @param capabilities what its media can do
 * @param available whether it can work here (probed without a path)
 * @param reason why, in words
 * @param description one line from the provider
 * @param providerClass the implementing class
 */
public record BackendInfo(
    String name,
    Set<Capability> capabilities,
    boolean available,
    String reason,
    String description,
    String providerClass) {
  public BackendInfo {
    capabilities = Set.copyOf(capabilities);
  }
}
