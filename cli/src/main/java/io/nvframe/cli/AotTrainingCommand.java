package io.nvframe.cli;

import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * A short run of the commands' real code paths in one JVM, for the {@code ./nvframe} launcher to
 * record as the JVM's ahead-of-time cache ({@code -XX:AOTCacheOutput}, JEP 483/514/515): later
 * launches start with those classes already loaded and linked and with their method profiles, so a
 * command reaches its work sooner (docs/decisions.md, "AOT cache for the launcher"). Nothing here
 * measures anything; the output of the commands is discarded.
 */
@Command(name = "aot-training", hidden = true,
    description = "Run every command briefly on scratch regions in DIR (the launcher records this run as its AOT cache).")
final class AotTrainingCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DIR", description = "An empty scratch folder; removed files are left to the caller.")
  Path dir;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(dir)) {
      throw new CommandLine.ParameterException(spec.commandLine(), dir + " is not a folder");
    }
    String region = dir.resolve("training.nvf").toString();
    List<List<String>> steps = new ArrayList<>();
    steps.add(List.of("create", region, "--backend", "dax", "--size", "64MiB"));
    steps.add(List.of("demo-worker", region, "--ops", "3000"));
    for (String command : List.of("info", "check", "stats", "roots")) {
      steps.add(List.of(command, region));
    }
    steps.add(List.of("info", region, "--json"));
    steps.add(List.of("backends"));
    steps.add(List.of("bench", "--dir", dir.toString(), "--size", "64MiB", "--seconds", "0.2", "--warmup", "0.1",
        "--threads", "1"));
    for (String mode : List.of("auto", "emulate")) {
      steps.add(List.of("bench", "--dax-mode", mode, "--size", "32MiB", "--open-repeats", "20",
          "--open-region", dir.resolve("open-" + mode + ".nvf").toString()));
    }
    PrintWriter discard = new PrintWriter(Writer.nullWriter());
    PrintWriter err = spec.commandLine().getErr();
    for (List<String> step : steps) {
      int code = Main.run(step.toArray(String[]::new), discard, discard);
      // emulate needs the write-back flag, which the launcher passes; without it that step may fail
      if (code != 0 && !step.contains("emulate")) {
        err.println("nvframe aot-training: step '" + String.join(" ", step) + "' exited with " + code);
        return Main.FAILED;
      }
    }
    return 0;
  }
}
