package io.nvframe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example chronicle backend under nvframe's core, through the CLI: in JVMs started with the
 * flags the backend ships, create a region (header, redo lanes, frame table written through the
 * medium and fenced), then reopen it in new JVMs to list its roots, show its info and check it
 * (everything read back from the file). Workloads on it run in {@link BenchBackendsTest}.
 */
class ChronicleThroughTheCliTest {
  @TempDir Path dir;

  private record Run(int code, String out) {}

  private Run cli(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElseThrow());
    command.addAll(BackendComparison.inheritedJvmOptions());
    command.addAll(BackendComparison.backendJvmOptions("chronicle", getClass().getClassLoader()));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "cli-", ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("nvframe " + String.join(" ", args) + " did not finish in 120 s");
    }
    return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  @Test
  void createUseReopenAndCheckARegionOnChronicle() throws Exception {
    Path region = dir.resolve("chronicle.nvf");
    Run created = cli("create", region.toString(), "--backend", "chronicle", "--size", "16MiB");
    assertEquals(0, created.code(), created.out());
    Run roots = cli("roots", region.toString());
    assertEquals(0, roots.code(), roots.out());
    Run info = cli("info", region.toString());
    assertEquals(0, info.code(), info.out());
    assertTrue(info.out().contains("chronicle"), "info names the backend:\n" + info.out());
    Run check = cli("check", region.toString());
    assertEquals(0, check.code(), "a region made on chronicle is consistent after reopening:\n" + check.out());
  }
}
