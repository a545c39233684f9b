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

@Command(name = "check", description = "Verify every invariant of a region (read-only). Exit 0 if consistent, 1 if not.")
final class CheckCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PATH") Path path;

  @CommandLine.Mixin OpenOptions open = new OpenOptions();

  @Option(names = "--json", description = "Machine-readable output.") boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    CheckReport report;
    try (Region region = open.openReadOnly(path)) {
      report = region.check();
    } catch (NvframeException e) {
      // a region that cannot even be opened is inconsistent: report it the same way
      report = new CheckReport(List.of(), List.of(new CheckReport.Problem("open", e.getMessage())));
    }
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("path", path.toString());
      m.put("consistent", report.consistent());
      m.put("checks", report.checks());
      List<Object> problems = new ArrayList<>();
      report.problems().forEach(p -> problems.add(Map.of("component", p.component(), "message", p.message())));
      m.put("problems", problems);
      out.println(Json.write(m));
    } else {
      report.checks().forEach(c -> out.println("ok    " + c));
      report.problems().forEach(p -> spec.commandLine().getErr().println("FAIL  " + p));
      out.println(report.consistent() ? path + ": consistent" : path + ": INCONSISTENT (" + report.problems().size() + " problem(s))");
    }
    return report.consistent() ? 0 : Main.FAILED;
  }
}
