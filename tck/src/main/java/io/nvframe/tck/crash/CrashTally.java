package io.nvframe.tck.crash;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Adds up the reports of one suite (thread-safe) and states the figure line a build prints:
 * {@code crash-sim: <suite> points=<n> images=<n> images/s=<n>}, and for mutant suites {@code
 * crash-sim mutants: caught=<k> of <n>}.
 */
public final class CrashTally {
  private final String suite;
  private final List<CrashReport> reports = new ArrayList<>();
  private final List<String> mutants = new ArrayList<>();
  private int mutantsTried;

  /** A tally for {@code suite}. */
  public CrashTally(String suite) {
    this.suite = suite;
  }

  /** Adds a report and returns it. */
  public synchronized CrashReport add(CrashReport report) {
    reports.add(report);
    return report;
  }

  /** Runs and adds. */
  public <R> CrashReport run(CrashScenario<R> scenario, CrashOptions options) {
    return add(CrashSimulator.run(scenario, options));
  }

  /**
   * Runs a mutant, which must fail: returns the failure (and counts it as caught) or throws an
   * {@link AssertionError} saying the mutant survived.
   */
  public CrashFailure mutant(String name, Supplier<CrashReport> run) {
    synchronized (this) {
      mutantsTried++;
    }
    CrashReport survived;
    try {
      survived = run.get();
    } catch (CrashFailure f) {
      synchronized (this) {
        mutants.add(name + " caught by " + f.check());
      }
      return f;
    }
    throw new AssertionError("mutant '" + name + "' survived: " + survived);
  }

  /** Images checked so far. */
  public synchronized long images() {
    return reports.stream().mapToLong(CrashReport::images).sum();
  }

  /** The figure line of the scenarios run so far. */
  public synchronized String figureLine() {
    return CrashReport.figureLine(suite, reports.stream().mapToLong(CrashReport::points).sum(), images(),
        reports.stream().mapToLong(CrashReport::nanos).sum());
  }

  /** One line per caught mutant with its check, then {@code crash-sim mutants: caught=<k> of <n>}. */
  public synchronized String mutantLines() {
    StringBuilder sb = new StringBuilder();
    for (String m : mutants) {
      sb.append("crash-sim mutant: ").append(suite).append(' ').append(m).append('\n');
    }
    return sb.append("crash-sim mutants: caught=").append(mutants.size()).append(" of ").append(mutantsTried).toString();
  }

  /** Performance lint totals over the reports. */
  public synchronized java.util.Map<String, Long> performanceLints() {
    java.util.Map<String, Long> out = new java.util.TreeMap<>();
    for (CrashReport r : reports) {
      r.performanceLints().forEach((k, v) -> out.merge(k, v, Long::sum));
    }
    return out;
  }
}
