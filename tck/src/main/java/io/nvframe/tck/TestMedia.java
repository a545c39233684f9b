package io.nvframe.tck;

import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Finds backends the way users do (ServiceLoader, by name) so tests of upper layers never import a
 * backend class.
 */
public final class TestMedia {
  private TestMedia() {}

  /** The installed provider called {@code name}; fails the test with the installed names if absent. */
  public static BackendProvider provider(String name) {
    StringBuilder seen = new StringBuilder();
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class, TestMedia.class.getClassLoader())) {
      if (p.name().equals(name)) {
        return p;
      }
      seen.append(' ').append(p.name());
    }
    throw new IllegalStateException(
        "backend '" + name + "' is not on the test class path (installed:" + seen
            + "); add its artifact with <scope>test</scope>");
  }

  /** A new volatile medium of {@code capacity} bytes from the {@code heap} backend. */
  public static Medium heap(long capacity) {
    return provider("heap").create(new ProviderConfig(null, capacity, false, Map.of()));
  }

  /** A new medium from the named backend, at {@code path} if the backend uses one. */
  public static Medium create(String backend, Path path, long capacity) {
    return provider(backend).create(new ProviderConfig(path, capacity, false, Map.of()));
  }

  /** A new heap medium holding {@code image}. */
  public static Medium heapWith(byte[] image) {
    Medium m = heap(image.length);
    m.write(0, image, 0, image.length);
    return m;
  }
}
