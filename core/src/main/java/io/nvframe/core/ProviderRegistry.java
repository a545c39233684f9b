package io.nvframe.core;

import io.nvframe.api.BackendUnavailableException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.spi.Availability;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Capability;
import io.nvframe.spi.ProviderConfig;
import java.lang.ref.SoftReference;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backends visible from one class loader, by name. {@link #forLoader} keeps one registry per
 * class loader (weak key, soft value, so loaders and their providers can still be unloaded):
 * discovery runs once per loader instead of on every open (docs/decisions.md). Providers must
 * therefore be stateless or thread-safe, which the SPI already requires.
 *
 * <p>Loading isolates failures: a provider whose instantiation throws is recorded and skipped, and
 * the failure is shown in lookup errors. Two providers with one name fail fast, naming both classes
 * and where they were loaded from. Selection never picks the volatile {@code heap} backend implicitly.
 */
final class ProviderRegistry {
  private static final Logger logger = LoggerFactory.getLogger(ProviderRegistry.class);
  private static final Pattern NAME = Pattern.compile("[a-z0-9-]{1,31}");

  /** First-party backend names and the artifact that provides each. */
  static final Map<String, String> KNOWN_ARTIFACTS =
      Map.of(
          "heap", "io.nvframe:nvframe-backend-heap",
          "dax", "io.nvframe:nvframe-backend-dax",
          "btt", "io.nvframe:nvframe-backend-block-btt");

  private final Map<String, BackendProvider> providers;
  private final List<String> loadFailures;

  private ProviderRegistry(Map<String, BackendProvider> providers, List<String> loadFailures) {
    this.providers = providers;
    this.loadFailures = loadFailures;
  }

  /** Registries already discovered, by class loader. */
  private static final Map<ClassLoader, SoftReference<ProviderRegistry>> BY_LOADER =
      new WeakHashMap<>();

  /** The registry of {@code loader}: discovered on first use, then shared. */
  static ProviderRegistry forLoader(ClassLoader loader) {
    synchronized (BY_LOADER) {
      SoftReference<ProviderRegistry> ref = BY_LOADER.get(loader);
      ProviderRegistry known = ref == null ? null : ref.get();
      if (known != null) {
        return known;
      }
    }
    ProviderRegistry loaded = load(loader);
    synchronized (BY_LOADER) {
      BY_LOADER.put(loader, new SoftReference<>(loaded));
    }
    return loaded;
  }

  /** Discovers the providers visible from {@code loader} now (no cache). */
  static ProviderRegistry load(ClassLoader loader) {
    Map<String, BackendProvider> byName = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class, loader).iterator();
    while (true) {
      BackendProvider provider;
      try {
        if (!it.hasNext()) {
          break;
        }
        provider = it.next();
      } catch (ServiceConfigurationError e) {
        failures.add(e.getMessage() + (e.getCause() == null ? "" : " (cause: " + e.getCause() + ")"));
        logger.warn("Skipping a backend provider that failed to load", e);
        continue;
      }
      String name = provider.name();
      if (!isValidName(name)) {
        failures.add(
            provider.getClass().getName() + " declares the invalid name '" + name
                + "' (names are [a-z0-9-], 1 to 31 characters)");
        continue;
      }
      if (provider.spiVersion() > BackendProvider.SPI_VERSION) {
        failures.add(
            provider.getClass().getName() + " needs SPI version " + provider.spiVersion()
                + " but this nvframe provides " + BackendProvider.SPI_VERSION + "; upgrade nvframe-core");
        continue;
      }
      BackendProvider previous = byName.putIfAbsent(name, provider);
      if (previous != null && previous.getClass() != provider.getClass()) {
        throw new NvframeConfigurationException(
            ErrorCode.BACKEND_DUPLICATE,
            "two backends are named '" + name + "': " + origin(previous) + " and " + origin(provider)
                + ". Remove one of them from the class path or module path.");
      }
    }
    return new ProviderRegistry(java.util.Collections.unmodifiableMap(byName), List.copyOf(failures));
  }

  static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  Map<String, BackendProvider> providers() {
    return providers;
  }

  List<String> loadFailures() {
    return loadFailures;
  }

  /** The provider called {@code name}; throws with the available names when it is not installed. */
  BackendProvider require(String name) {
    BackendProvider p = providers.get(name);
    if (p != null) {
      return p;
    }
    StringBuilder msg = new StringBuilder();
    msg.append("no backend named '").append(name).append("' is installed; available: ")
        .append(providers.isEmpty() ? "none" : String.join(", ", providers.keySet())).append('.');
    String artifact = KNOWN_ARTIFACTS.get(name);
    if (artifact != null) {
      msg.append(" Add the artifact ").append(artifact).append(" to the class path or module path.");
    } else if (!isValidName(name)) {
      msg.append(" Backend names are lower-case [a-z0-9-].");
    }
    if (!loadFailures.isEmpty()) {
      msg.append(" Providers that failed to load: ").append(String.join("; ", loadFailures));
    }
    throw new NvframeConfigurationException(ErrorCode.BACKEND_UNKNOWN, msg.toString());
  }

  /** Looks up {@code name}, probes it with {@code config} and throws if it cannot work here. */
  BackendProvider select(String name, ProviderConfig config) {
    BackendProvider p = require(name);
    Availability a = p.probe(config);
    if (!a.available()) {
      throw new BackendUnavailableException(
          ErrorCode.BACKEND_UNAVAILABLE, "backend '" + name + "' cannot be used here: " + a.reason());
    }
    return p;
  }

  /**
   * Chooses a backend when none was named: the unique available provider with {@link
   * Capability#DURABLE}. Zero or several is an error listing the candidates.
   */
  BackendProvider autoSelect(ProviderConfig config) {
    Map<String, String> durable = new LinkedHashMap<>();
    List<BackendProvider> usable = new ArrayList<>();
    for (BackendProvider p : providers.values()) {
      if (!p.capabilities().contains(Capability.DURABLE)) {
        continue;
      }
      Availability a = p.probe(config);
      durable.put(p.name(), a.available() ? "available" : "unavailable: " + a.reason());
      if (a.available()) {
        usable.add(p);
      }
    }
    if (usable.size() == 1) {
      BackendProvider chosen = usable.get(0);
      logger.info(
          "No backend named; using '{}', the only available durable backend ({})",
          chosen.name(),
          chosen.getClass().getName());
      return chosen;
    }
    String candidates =
        durable.isEmpty()
            ? "none installed"
            : durable.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")").collect(Collectors.joining(", "));
    throw new NvframeConfigurationException(
        ErrorCode.BACKEND_AMBIGUOUS,
        "no backend was named and "
            + (usable.isEmpty() ? "no durable backend is available" : "several durable backends are available")
            + " (durable backends: " + candidates + "; all installed: "
            + String.join(", ", providers.keySet())
            + "). Name one with backend(\"...\") or -D" + Regions.BACKEND_PROPERTY
            + "=NAME; the volatile 'heap' backend is never chosen implicitly.");
  }

  private static String origin(BackendProvider p) {
    CodeSource source = p.getClass().getProtectionDomain().getCodeSource();
    return p.getClass().getName() + " (from " + (source == null ? "unknown location" : source.getLocation()) + ")";
  }
}
