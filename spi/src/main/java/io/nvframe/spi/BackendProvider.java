package io.nvframe.spi;

import java.util.Set;

/**
 * A storage backend, found with {@link java.util.ServiceLoader} and selected by {@link #name()}.
 *
 * <p>Implementations must:
 *
 * <ul>
 *   <li>be {@code public final} with a public no-arg constructor, registered both with {@code
 *       provides io.nvframe.spi.BackendProvider with ...} and in {@code
 *       META-INF/services/io.nvframe.spi.BackendProvider};
 *   <li>return a stable, short name of ASCII {@code [a-z0-9-]}, under 32 characters;
 *   <li>report truthful {@link #capabilities()} (the TCK checks them);
 *   <li>answer {@link #probe} cheaply and without side effects, with a reason when unavailable;
 *       nvframe probes before {@link #create} (so that nothing is created that cannot be used) and
 *       when it chooses a backend itself, but calls {@link #open} directly;
 *   <li>in {@link #create}, refuse to overwrite existing storage and leave nothing that looks valid
 *       behind when creation fails; in {@link #open}, modify nothing before the caller writes, and
 *       refuse what cannot work here (a mode the platform lacks, a missing JVM flag) with a {@link
 *       io.nvframe.api.BackendUnavailableException} or {@link
 *       io.nvframe.api.NvframeConfigurationException} that says why and what to do;
 *   <li>hold storage exclusively while a medium is open (a second opener gets {@link
 *       io.nvframe.api.RegionLockedException});
 *   <li>be thread-safe: nvframe discovers the providers of a class loader once and uses the same
 *       instance for every region created or opened through that loader.
 * </ul>
 */
public interface BackendProvider {
  /** Current SPI version; bumped on incompatible SPI changes. */
  int SPI_VERSION = 1;

  /** The selection key, e.g. {@code heap}, {@code dax}, {@code btt}. */
  String name();

  /** Capabilities of the media this provider creates. */
  Set<Capability> capabilities();

  /** Whether this backend can work with {@code config} here; never throws for expected cases. */
  Availability probe(ProviderConfig config);

  /** Creates new storage of {@code config.capacity()} bytes. */
  Medium create(ProviderConfig config);

  /** Opens existing storage. */
  Medium open(ProviderConfig config);

  /** SPI version this provider was built against. */
  default int spiVersion() {
    return SPI_VERSION;
  }

  /** One line for {@code nvframe backends}. */
  default String description() {
    return name();
  }
}
