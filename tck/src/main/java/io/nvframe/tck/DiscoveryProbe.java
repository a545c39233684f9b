package io.nvframe.tck;

import io.nvframe.spi.BackendProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Main class run in a child JVM by {@link ProviderDiscoveryContractTest} to see which backends
 * {@link ServiceLoader} finds there (typically on the module path, where only {@code provides}
 * clauses count).
 *
 * <p>Usage: {@code DiscoveryProbe <output file>}. Writes one line per provider, {@code provider
 * <name> <class> <module>} ({@code <module>} is {@code unnamed} on the class path), and one line
 * {@code error <message>} per provider that failed to load. Exit code 0 when the file was written.
 */
public final class DiscoveryProbe {
  private DiscoveryProbe() {}

  /** Lists the providers into the file named by {@code args[0]}. */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: DiscoveryProbe <output file>");
    }
    List<String> lines = new ArrayList<>();
    Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class).iterator();
    while (true) {
      try {
        if (!it.hasNext()) {
          break;
        }
        BackendProvider provider = it.next();
        Module module = provider.getClass().getModule();
        lines.add(
            "provider " + provider.name() + " " + provider.getClass().getName() + " "
                + (module.isNamed() ? module.getName() : "unnamed"));
      } catch (ServiceConfigurationError e) {
        lines.add("error " + e.getMessage().replace('\n', ' '));
      }
    }
    Files.write(Path.of(args[0]), lines, StandardCharsets.UTF_8);
  }
}
