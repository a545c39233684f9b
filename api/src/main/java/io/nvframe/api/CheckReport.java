package io.nvframe.api;

import java.util.List;
import java.util.Objects;

/**
 * Result of {@link Region#check()}: which invariants were verified and which failed.
 *
 * @param checks one line per verified invariant group, e.g. {@code "header: A/B copies valid"}
 * @param problems every violation found; empty when the region is consistent
 */
public record CheckReport(List<String> checks, List<Problem> problems) {
  public CheckReport {
    checks = List.copyOf(checks);
    problems = List.copyOf(problems);
  }

  /** True when no problem was found. */
  public boolean consistent() {
    return problems.isEmpty();
  }

  /** One violated invariant. */
  public record Problem(String component, String message) {
    public Problem {
      Objects.requireNonNull(component, "component");
      Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
      return component + ": " + message;
    }
  }
}
