package io.nvframe.core;

import io.nvframe.api.Region;
import io.nvframe.spi.Availability;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.ProviderConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Entry point: create and open regions.
 *
 * <pre>{@code
 * try (Region region = Regions.builder()
 *         .backend("dax")
 *         .path(Path.of("data/region.nvf"))
 *         .capacity(1L << 30)
 *         .create()) {
 *   Frame f = region.allocate(0);
 *   ...
 * }
 * Region again = Regions.open(Path.of("data/region.nvf"));   // backend and geometry from the header
 * }</pre>
 */
public final class Regions {
  /** System property naming the backend when the builder names none. */
  public static final String BACKEND_PROPERTY = "nvframe.backend";

  private Regions() {}

  /** A builder with the defaults: frame size 4096, max order 10, 64 lanes of 4 KiB. */
  public static RegionBuilder builder() {
    return new RegionBuilder();
  }

  /** Opens an existing region read-write; the backend and geometry come from its header. */
  public static Region open(Path path) {
    return builder().path(path).open();
  }

  /** Opens an existing region read-only (no recovery is run; writes throw). */
  public static Region openReadOnly(Path path) {
    return builder().path(path).readOnly(true).open();
  }

  /** Every backend installed for this class loader, with capabilities and availability. */
  public static List<BackendInfo> availableBackends() {
    return availableBackends(Regions.class.getClassLoader());
  }

  /** Every backend visible from {@code loader}. */
  public static List<BackendInfo> availableBackends(ClassLoader loader) {
    Objects.requireNonNull(loader, "loader");
    ProviderRegistry registry = ProviderRegistry.load(loader);
    List<BackendInfo> out = new ArrayList<>();
    // probe as if creating a region in the working directory (nothing is created)
    ProviderConfig here = new ProviderConfig(Path.of("").toAbsolutePath().resolve("nvframe-probe.nvf"), 0, false, Map.of());
    for (BackendProvider p : registry.providers().values()) {
      Availability a = p.probe(here);
      out.add(
          new BackendInfo(
              p.name(), p.capabilities(), a.available(), a.reason(), p.description(), p.getClass().getName()));
    }
    return List.copyOf(out);
  }
}
