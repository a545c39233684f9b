package io.nvframe.spi;

import java.util.Objects;

/**
 * Whether a backend can work in this environment, and if not, why (installed is not usable).
 *
 * @param available true when the backend can be used with the probed configuration
 * @param reason a human-readable explanation, e.g. "'/mnt/pmem0' is not on a DAX filesystem"
 */
public record Availability(boolean available, String reason) {
  public Availability {
    Objects.requireNonNull(reason, "reason");
  }

  public static Availability available(String reason) {
    return new Availability(true, reason);
  }

  public static Availability unavailable(String reason) {
    return new Availability(false, reason);
  }
}
