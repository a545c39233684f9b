package io.nvframe.examples.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.Frame;
import io.nvframe.api.Region;
import io.nvframe.core.Regions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the example on a temporary directory, twice, and checks what it prints and leaves behind. */
class HelloFramesTest {
  @Test
  void printsHelloAndKeepsOneRootAcrossRuns(@TempDir Path dir) {
    Path file = dir.resolve("region.nvf");
    assertEquals("hello", run(file), "first run: creates the region and stores the greeting");
    assertTrue(Files.isRegularFile(file), "the region file exists after the first run");
    long freeAfterFirst;
    Frame first;
    try (Region region = Regions.open(file)) {
      first = region.root("greeting").orElseThrow();
      freeAfterFirst = region.stats().freeFrames();
    }
    assertEquals("hello", run(file), "second run: reopens the region and finds the greeting");
    try (Region region = Regions.open(file)) {
      Map<String, Frame> roots = region.roots();
      assertEquals(Map.of("greeting", first), roots, "the second run reuses the root instead of allocating again");
      assertEquals(freeAfterFirst, region.stats().freeFrames(), "the second run allocates no frame");
      byte[] bytes = new byte[5];
      region.read(first, 0, bytes);
      assertEquals("hello", new String(bytes, StandardCharsets.UTF_8), "the frame's content on disk");
    }
  }

  /** Runs {@link HelloFrames#main} on {@code file} and returns what it printed, trimmed. */
  private static String run(Path file) {
    PrintStream saved = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      HelloFrames.main(new String[] {file.toString()});
    } finally {
      System.setOut(saved);
    }
    return out.toString(StandardCharsets.UTF_8).trim();
  }
}
