package io.nvframe.backend.dax;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a mapping is made durable; the values of option {@value DaxBackendProvider#MODE}.
 *
 * <p>{@link #AUTO} is only ever requested: a medium reports the mode it resolved to.
 */
enum DaxMode {
  /** MAP_SYNC when the filesystem supports it, else {@link #MSYNC}. */
  AUTO,
  /** MAP_SYNC mapping; flush = cache-line write-back (the JDK's {@code force} on such a mapping). */
  SYNC,
  /** Plain shared mapping; flush = msync of the touched pages. */
  MSYNC,
  /** Plain mapping; flush = cache-line write-back through the JDK-internal write-back primitive. */
  EMULATE,
  /** eADR: caches are persistent; flush is a counted no-op, fence a memory fence. */
  NONE;

  /** The option value, e.g. {@code msync}. */
  String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses an option value, case-insensitively. */
  static DaxMode parse(String value) {
    for (DaxMode m : values()) {
      if (m.key().equalsIgnoreCase(value.trim())) {
        return m;
      }
    }
    throw new NvframeConfigurationException(
        ErrorCode.CONFIG_INVALID,
        "option " + DaxBackendProvider.MODE + "='" + value + "' is not a dax mapping mode; use one of "
            + Arrays.stream(values()).map(DaxMode::key).collect(Collectors.joining(", ")));
  }
}
