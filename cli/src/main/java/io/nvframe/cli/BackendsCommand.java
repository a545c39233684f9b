package io.nvframe.cli;

import io.nvframe.core.BackendInfo;
import io.nvframe.core.Regions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "backends", description = "List installed backends: capabilities and availability.")
final class BackendsCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--json", description = "Machine-readable output.") boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    List<BackendInfo> backends = Regions.availableBackends();
    if (json) {
      List<Object> list = new ArrayList<>();
      for (BackendInfo b : backends) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", b.name());
        m.put("capabilities", new TreeSet<>(b.capabilities().stream().map(Enum::name).toList()));
        m.put("available", b.available());
        m.put("reason", b.reason());
        m.put("description", b.description());
        m.put("provider", b.providerClass());
        list.add(m);
      }
      out.println(Json.write(list));
      return 0;
    }
    for (BackendInfo b : backends) {
      out.printf("%-8s %-11s %s%n", b.name(), b.available() ? "available" : "unavailable", b.description());
      out.printf("         capabilities: %s%n", new TreeSet<>(b.capabilities().stream().map(Enum::name).toList()));
      out.printf("         %s%n", b.reason());
    }
    return 0;
  }
}
