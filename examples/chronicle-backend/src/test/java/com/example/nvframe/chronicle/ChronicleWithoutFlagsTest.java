package com.example.nvframe.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.BackendUnavailableException;
import io.nvframe.api.ErrorCode;
import io.nvframe.spi.Availability;
import io.nvframe.spi.ProviderConfig;
import io.nvframe.tck.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In a JVM started without Chronicle's flags the backend says so: probe is unavailable with the
 * flags in its reason, create refuses with BACKEND_UNAVAILABLE and leaves no file. With the flags
 * (this test JVM) probe is available.
 */
class ChronicleWithoutFlagsTest {
  @Test
  void probeIsAvailableWithTheFlags(@TempDir Path dir) {
    Availability a = new ChronicleBackendProvider().probe(new ProviderConfig(dir.resolve("r.nvf"), 1 << 20, false, Map.of()));
    assertTrue(a.available(), "this JVM has the flags from the pom: " + a.reason());
  }

  @Test
  void theFlagsComeFromTheBuild() {
    assertTrue(ChronicleBackendProvider.REQUIRED_FLAGS.contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"),
        ChronicleBackendProvider.REQUIRED_FLAGS);
  }

  @Test
  void withoutTheFlagsProbeAndCreateExplain(@TempDir Path dir) {
    Path file = dir.resolve("r.nvf");
    List<String> command = ChildJvm.classPathCommand(List.of("-Xmx128m"), Child.class.getName(), List.of(file.toString()));
    ChildJvm.Finished run = ChildJvm.run(command, dir, "no-flags", 120);
    assertEquals(0, run.exitCode(), run::describe);
    assertTrue(run.stdout().contains("probe false Chronicle Bytes needs the JVM flags --add-opens=java.base/sun.nio.ch"),
        run::describe);
    assertTrue(run.stdout().contains("create " + ErrorCode.BACKEND_UNAVAILABLE), run::describe);
    assertFalse(Files.exists(file), "a refused create leaves no file");
  }

  /** Runs in the child JVM: prints the probe's answer and what create throws. */
  public static final class Child {
    public static void main(String[] args) {
      ChronicleBackendProvider p = new ChronicleBackendProvider();
      ProviderConfig config = new ProviderConfig(Path.of(args[0]), 1 << 20, false, Map.of());
      Availability a = p.probe(config);
      System.out.println("probe " + a.available() + " " + a.reason());
      try {
        p.create(config).close();
        System.out.println("create succeeded");
      } catch (BackendUnavailableException e) {
        System.out.println("create " + e.code() + " " + e.getMessage());
      }
    }
  }
}
