package io.nvframe.tck;

import io.nvframe.api.CheckReport;
import io.nvframe.api.Region;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Checks every region a test opened, after the test: register one per test instance and pass each
 * region the test opens through {@link #track}.
 *
 * <pre>{@code
 * @RegisterExtension final RegionCheckExtension regions = new RegionCheckExtension();
 *
 * @Test void something() {
 *   Region r = regions.track(Regions.builder().backend("heap").capacity(8L << 20).create());
 *   ...
 * }
 * }</pre>
 *
 * <p>After each test, every tracked region that is still open is checked with {@link
 * Region#check()} and then closed, in the order tracked; regions the test closed itself are
 * skipped. All regions are closed even when one fails. The test fails with an {@link
 * AssertionError} listing every region whose report has problems (or whose check threw), with the
 * whole report. Failures of the test itself are reported by JUnit as usual; this failure is then
 * added as a suppressed one.
 */
public final class RegionCheckExtension implements AfterEachCallback {
  private final List<Region> tracked = new ArrayList<>();

  /** Creates an extension that tracks no region yet. */
  public RegionCheckExtension() {}

  /** Remembers {@code region} for the check after this test; returns it. */
  public <R extends Region> R track(R region) {
    tracked.add(Objects.requireNonNull(region, "region"));
    return region;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    List<Region> regions = new ArrayList<>(tracked);
    tracked.clear();
    StringBuilder failures = new StringBuilder();
    Throwable firstCause = null;
    for (Region region : regions) {
      if (!region.isOpen()) {
        continue;
      }
      try {
        CheckReport report = region.check();
        if (!report.consistent()) {
          failures.append(describe(region, report));
        }
      } catch (RuntimeException e) {
        failures.append("\n  ").append(region).append(": check() threw ").append(e);
        firstCause = firstCause == null ? e : firstCause;
      } finally {
        try {
          region.close();
        } catch (RuntimeException e) {
          failures.append("\n  ").append(region).append(": close() threw ").append(e);
          firstCause = firstCause == null ? e : firstCause;
        }
      }
    }
    if (!failures.isEmpty()) {
      throw new AssertionError(
          context.getDisplayName() + " left an inconsistent region:" + failures, firstCause);
    }
  }

  private static String describe(Region region, CheckReport report) {
    StringBuilder sb = new StringBuilder("\n  ").append(region).append(": ")
        .append(report.problems().size()).append(" problem(s)");
    for (CheckReport.Problem p : report.problems()) {
      sb.append("\n    ").append(p);
    }
    sb.append("\n    (checked: ").append(String.join("; ", report.checks())).append(')');
    return sb.toString();
  }
}
