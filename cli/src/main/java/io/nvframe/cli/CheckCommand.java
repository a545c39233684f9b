package io.nvframe.cli;

import io.nvframe.api.CheckReport;
import io.nvframe.api.NvframeException;
import io.nvframe.api.Region;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "check",
    description = "Verify every invariant of a region (read-only). Exit 0 if consistent, 1 if not. "
        + "With --repair, a damaged or stale header copy is rewritten from the good one first.")
final class CheckCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PATH") Path path;

  @CommandLine.Mixin OpenOptions open = new OpenOptions();

  @Option(names = "--json", description = "Machine-readable output.") boolean json;

  @Option(names = "--repair", description = "Rewrite a damaged or stale header copy from the good copy (opens the "
      + "region writable, which also replays committed redo-log records), say what was done, then check again. "
      + "Exit 0 if the region is consistent afterwards.")
  boolean repair;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    CheckReport report = checkReadOnly();
    List<String> repairs = new ArrayList<>();
    if (repair && !report.consistent()) {
      repairs = repairHeader(report);
      if (!repairs.isEmpty()) {
        report = checkReadOnly();
      }
    }
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("path", path.toString());
      m.put("consistent", report.consistent());
      if (repair) {
        m.put("repairs", repairs);
      }
      m.put("checks", report.checks());
      List<Object> problems = new ArrayList<>();
      report.problems().forEach(p -> problems.add(Map.of("component", p.component(), "message", p.message())));
      m.put("problems", problems);
      out.println(Json.write(m));
    } else {
      repairs.forEach(r -> out.println("repaired  " + r));
      if (repair && repairs.isEmpty() && !report.consistent()) {
        spec.commandLine().getErr().println("nothing repaired: --repair rewrites a damaged header copy from the good one;"
            + " the problems below are not of that kind (nothing was written)");
      }
      report.checks().forEach(c -> out.println("ok    " + c));
      report.problems().forEach(p -> spec.commandLine().getErr().println("FAIL  " + p));
      out.println(report.consistent() ? path + ": consistent" : path + ": INCONSISTENT (" + report.problems().size() + " problem(s))");
    }
    return report.consistent() ? 0 : Main.FAILED;
  }

  /** Opens {@link #path} read-only and checks it; a region that cannot be opened is reported as a problem. */
  private CheckReport checkReadOnly() {
    try (Region region = open.openReadOnly(path)) {
      return region.check();
    } catch (NvframeException e) {
      // a region that cannot even be opened is inconsistent: report it the same way
      return new CheckReport(List.of(), List.of(new CheckReport.Problem("open", e.getMessage())));
    }
  }

  /**
   * Rewrites a bad header copy when the read-only check found one and the region opened read-only
   * (so one copy is good): a writable open rewrites the bad copy (core's RegionOpener) and says which
   * in its info. Returns what was done; empty, with nothing written, when there is no header problem
   * or the region could not be opened read-only (both copies bad, size mismatch, ...).
   */
  private List<String> repairHeader(CheckReport before) {
    boolean headerProblem = before.problems().stream().anyMatch(p -> p.component().equals("header"));
    boolean opened = before.problems().stream().noneMatch(p -> p.component().equals("open"));
    List<String> done = new ArrayList<>();
    if (!headerProblem || !opened) {
      return done;
    }
    try (Region region = open.open(path)) {
      Map<String, String> props = region.info().medium();
      String copy = props.get("recovery.headerCopyRewritten");
      if (copy != null) {
        done.add("header copy " + copy + " (offset " + ("A".equals(copy) ? 0 : 4096) + ") rewritten from copy "
            + ("A".equals(copy) ? "B" : "A"));
      }
      String replayed = props.get("recovery.recordsReplayed");
      if (replayed != null && !replayed.equals("0")) {
        done.add("redo log: replayed " + replayed + " committed transaction record(s)");
      }
    } catch (NvframeException e) {
      spec.commandLine().getErr().println("repair failed: " + e.getMessage());
    }
    return done;
  }
}
