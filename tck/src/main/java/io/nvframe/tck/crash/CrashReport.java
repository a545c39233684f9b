package io.nvframe.tck.crash;

import java.util.Map;

/**
 * What a simulation checked.
 *
 * @param scenario the scenario's name
 * @param points crash points visited
 * @param images crash images recovered and checked (including nested ones)
 * @param nestedImages of which images of crashes inside recovery
 * @param unrecoverable images whose recovery failed in a declared way
 * @param nanos wall time
 * @param lints the trace lints of the scenario's trace (correctness findings fail the run)
 * @param options the options used
 */
public record CrashReport(
    String scenario, long points, long images, long nestedImages, long unrecoverable, long nanos,
    TraceLints.Result lints, CrashOptions options) {
  /** Images per second. */
  public long imagesPerSecond() {
    return nanos == 0 ? 0 : images * 1_000_000_000L / nanos;
  }

  /** The performance lint counts. */
  public Map<String, Long> performanceLints() {
    return lints.performance();
  }

  /** {@code crash-sim: <suite> points=<n> images=<n> images/s=<n>} for these figures. */
  public static String figureLine(String suite, long points, long images, long nanos) {
    return "crash-sim: " + suite + " points=" + points + " images=" + images + " images/s="
        + (nanos == 0 ? 0 : images * 1_000_000_000L / nanos);
  }

  @Override
  public String toString() {
    return scenario + ": " + points + " points, " + images + " images (" + nestedImages + " nested, "
        + unrecoverable + " declared unrecoverable), " + imagesPerSecond() + " images/s, " + options.strategy()
        + "/" + options.mode() + ", seed " + options.seed() + ", performance lints " + lints.performance();
  }
}
