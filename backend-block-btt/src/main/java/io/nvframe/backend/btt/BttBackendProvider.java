package io.nvframe.backend.btt;

import io.nvframe.api.BackendUnavailableException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.spi.Availability;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code btt} backend: a Block Translation Table on a byte-addressable medium of another
 * backend (found through {@link ServiceLoader} by the name in {@value #MEDIUM}, default {@code dax}),
 * seen as a {@link BttMedium} whose atomic write unit is the block. Options (everything else is passed
 * to the medium's backend):
 *
 * <ul>
 *   <li>{@value #MEDIUM}: backend of the bytes underneath ({@code dax}, {@code heap} in tests);
 *   <li>{@value #BLOCK_SIZE}: external block size on create (default 4096; a multiple of 8);
 *   <li>{@value #OFFSET}: where the BTT starts; on create default {@value #REGION_PREFIX}: the file
 *       starts with an 8 KiB prefix that mirrors the first 8 KiB of the BTT namespace (the region's
 *       two header copies), then the BTT; on open default: found (after a libpmemblk pool header, or
 *       the first BTT info on a 4 KiB boundary);
 *   <li>{@value #NFREE}: free blocks per arena on create (default 256).
 * </ul>
 */
public final class BttBackendProvider implements BackendProvider {
  /** The selection key. */
  public static final String NAME = "btt";
  public static final String MEDIUM = "btt.medium";
  public static final String BLOCK_SIZE = "btt.blockSize";
  public static final String OFFSET = "btt.offset";
  public static final String NFREE = "btt.nfree";
  /** Bytes before the BTT in files this provider creates (mirrors of the region header copies). */
  public static final long REGION_PREFIX = 8192;
  private static final Set<String> OPTIONS = Set.of(MEDIUM, BLOCK_SIZE, OFFSET, NFREE);

  public BttBackendProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.DURABLE, Capability.ATOMIC_BLOCK_WRITE);
  }

  @Override
  public String description() {
    return "Block Translation Table (UEFI 2.10 section 6, libpmemblk/Linux layout): atomic block writes on a "
        + "byte-addressable backend (btt.medium, default dax)";
  }

  @Override
  public Availability probe(ProviderConfig config) {
    String name = config.option(MEDIUM, "dax");
    if (NAME.equals(name)) {
      return Availability.unavailable("btt.medium cannot be btt itself");
    }
    BackendProvider p = find(name);
    if (p == null) {
      return Availability.unavailable("no backend named '" + name + "' for btt.medium is installed");
    }
    Availability inner = p.probe(innerConfig(config, config.capacity()));
    return inner.available()
        ? Availability.available("BTT on " + name + ": " + inner.reason())
        : Availability.unavailable("BTT needs backend '" + name + "': " + inner.reason());
  }

  @Override
  public Medium create(ProviderConfig config) {
    if (config.capacity() <= 0) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "the btt backend needs a capacity > 0 bytes to create a medium; set it with capacity(...)");
    }
    BackendProvider p = innerProvider(config);
    int bs = intOption(config, BLOCK_SIZE, 4096);
    int nfree = intOption(config, NFREE, BttFormat.DEFAULT_NFREE);
    long offset = longOption(config, OFFSET, REGION_PREFIX);
    if (bs % 8 != 0) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "btt.blockSize " + bs + " is not a multiple of 8; a region on BTT needs 8-byte aligned atomic words");
    }
    BttFormat f;
    long raw;
    try {
      f = BttFormat.of(bs).withNfree(nfree);
      raw = f.rawSizeFor(config.capacity());
    } catch (IllegalArgumentException e) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID, "btt cannot offer " + config.capacity()
          + " bytes of " + bs + "-byte blocks: " + e.getMessage());
    }
    // the file holds the prefix and a namespace sized so that the medium offers the capacity asked for
    Medium inner = p.create(innerConfig(config, offset + raw));
    try {
      try {
        Btt btt = Btt.format(inner, offset, inner.size() - offset, f, Btt.Options.defaults());
        return new BttMedium(btt, Map.of("btt.backend", p.name()), Math.min(offset, REGION_PREFIX));
      } catch (IllegalArgumentException e) {
        throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID, "cannot lay out a BTT in "
            + inner.description() + ": " + e.getMessage());
      }
    } catch (RuntimeException e) {
      inner.close();
      throw e;
    }
  }

  @Override
  public Medium open(ProviderConfig config) {
    BackendProvider p = innerProvider(config);
    // the file is larger than the medium it carries: open it whole, compare the capacity below
    Medium inner = p.open(innerConfig(config, 0));
    try {
      String off = config.options().get(OFFSET);
      BttLocation loc = off == null ? BttLocation.find(inner) : BttLocation.raw(inner, longOption(config, OFFSET, 0));
      Btt btt = Btt.open(inner, loc.offset(), loc.rawSize(), loc.options(config.readOnly()));
      long mirror = loc.pool() ? 0 : Math.min(loc.offset(), REGION_PREFIX);
      BttMedium medium = new BttMedium(btt, Map.of("btt.backend", p.name(), "btt.pool", loc.pool() ? "libpmemblk" : "raw"), mirror);
      if (config.capacity() != 0 && medium.size() != config.capacity()) {
        throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID, "the BTT in " + inner.description()
            + " offers " + medium.size() + " bytes but capacity " + config.capacity() + " was requested; pass capacity 0 "
            + "to use what the BTT holds");
      }
      return medium;
    } catch (RuntimeException e) {
      inner.close();
      throw e;
    }
  }

  private static BackendProvider innerProvider(ProviderConfig config) {
    String name = config.option(MEDIUM, "dax");
    if (NAME.equals(name)) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID, "btt.medium cannot be 'btt' itself; use dax or heap");
    }
    BackendProvider p = find(name);
    if (p == null) {
      throw new BackendUnavailableException(ErrorCode.BACKEND_UNKNOWN, "btt.medium names backend '" + name
          + "', which is not installed; installed: " + installed());
    }
    return p;
  }

  /** The installed provider named {@code name} (other than this one), or null. */
  static BackendProvider find(String name) {
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class, BttBackendProvider.class.getClassLoader())) {
      if (p.name().equals(name) && !(p instanceof BttBackendProvider)) {
        return p;
      }
    }
    return null;
  }

  private static Set<String> installed() {
    Set<String> names = new TreeSet<>();
    ServiceLoader.load(BackendProvider.class, BttBackendProvider.class.getClassLoader()).forEach(p -> names.add(p.name()));
    return names;
  }

  private static ProviderConfig innerConfig(ProviderConfig config, long capacity) {
    Map<String, String> rest = new HashMap<>();
    config.options().forEach((k, v) -> {
      if (!OPTIONS.contains(k)) {
        rest.put(k, v);
      }
    });
    return new ProviderConfig(config.path(), capacity, config.readOnly(), rest);
  }

  private static int intOption(ProviderConfig c, String key, int def) {
    long v = longOption(c, key, def);
    if (v > Integer.MAX_VALUE) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID, key + " " + v + " is too large");
    }
    return (int) v;
  }

  private static long longOption(ProviderConfig c, String key, long def) {
    String s = c.options().get(key);
    if (s == null) {
      return def;
    }
    try {
      long v = Long.parseLong(s.trim());
      if (v < 0) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID, key + " must be a non-negative integer, got '" + s + "'");
    }
  }
}
