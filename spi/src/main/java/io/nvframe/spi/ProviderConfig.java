package io.nvframe.spi;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link BackendProvider} needs to create or open a {@link Medium}.
 *
 * @param path the file or device, or {@code null} for backends without one (heap)
 * @param capacity bytes to create; on open, 0 means "whatever the file or device holds"
 * @param readOnly open without write access (validation, {@code info}, {@code check})
 * @param options backend-specific settings; keys are dotted and prefixed with the backend name
 *     ({@code dax.mode}) or {@code file.} for settings shared by file backends ({@link #FILE_MODE})
 */
public record ProviderConfig(Path path, long capacity, boolean readOnly, Map<String, String> options) {
  /** POSIX permissions of created files, e.g. {@code rw-------} (the default). */
  public static final String FILE_MODE = "file.mode";

  public ProviderConfig {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must be >= 0, got " + capacity);
    }
    options = Map.copyOf(Objects.requireNonNull(options, "options"));
  }

  /** The path, if the backend uses one. */
  public Optional<Path> optionalPath() {
    return Optional.ofNullable(path);
  }

  /** The option's value, or {@code defaultValue} when unset. */
  public String option(String key, String defaultValue) {
    return options.getOrDefault(key, defaultValue);
  }
}
