package io.nvframe.core;

import io.nvframe.spi.Availability;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;

/** Providers and class loaders for registry tests. */
final class TestProviders {
  private TestProviders() {}

  /** A provider that reuses the name of the real heap backend. */
  public static final class SecondHeapProvider implements BackendProvider {
    public SecondHeapProvider() {}

    @Override
    public String name() {
      return "heap";
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
      throw new IllegalStateException("test provider");
    }

    @Override
    public Medium open(ProviderConfig config) {
      throw new IllegalStateException("test provider");
    }
  }

  /** A durable provider that is never available. */
  public static final class UnavailableProvider implements BackendProvider {
    public UnavailableProvider() {}

    @Override
    public String name() {
      return "never";
    }

    @Override
    public Set<Capability> capabilities() {
      return Set.of(Capability.DURABLE);
    }

    @Override
    public Availability probe(ProviderConfig config) {
      return Availability.unavailable("no such hardware in tests");
    }

    @Override
    public Medium create(ProviderConfig config) {
      throw new IllegalStateException("unavailable");
    }

    @Override
    public Medium open(ProviderConfig config) {
      throw new IllegalStateException("unavailable");
    }
  }

  /** A provider whose constructor fails. */
  public static final class BrokenProvider implements BackendProvider {
    public BrokenProvider() {
      throw new IllegalStateException("broken on purpose");
    }

    @Override
    public String name() {
      return "broken";
    }

    @Override
    public Set<Capability> capabilities() {
      return Set.of();
    }

    @Override
    public Availability probe(ProviderConfig config) {
      return Availability.unavailable("broken");
    }

    @Override
    public Medium create(ProviderConfig config) {
      throw new IllegalStateException("broken");
    }

    @Override
    public Medium open(ProviderConfig config) {
      throw new IllegalStateException("broken");
    }
  }

  /**
   * A class loader that sees the test class path plus extra provider registrations, and optionally
   * hides the real registrations.
   */
  static ClassLoader withProviders(Path dir, boolean keepReal, Class<?>... extra) {
    try {
      Path services = dir.resolve("META-INF/services");
      Files.createDirectories(services);
      Path file = services.resolve(BackendProvider.class.getName());
      StringBuilder sb = new StringBuilder();
      for (Class<?> c : extra) {
        sb.append(c.getName()).append('\n');
      }
      Files.writeString(file, sb.toString());
      URL url = file.toUri().toURL();
      ClassLoader parent = TestProviders.class.getClassLoader();
      return new ClassLoader(parent) {
        @Override
        public Enumeration<URL> getResources(String name) throws IOException {
          if (!name.equals("META-INF/services/" + BackendProvider.class.getName())) {
            return super.getResources(name);
          }
          List<URL> urls = new ArrayList<>();
          if (keepReal) {
            urls.addAll(Collections.list(super.getResources(name)));
          }
          urls.add(url);
          return Collections.enumeration(urls);
        }
      };
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
