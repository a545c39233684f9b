package io.nvframe.examples.sortedmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.Region;
import io.nvframe.core.Regions;
import io.nvframe.tck.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM puts keys into the map on a dax region file (msync mode) and is killed with SIGKILL
 * at a random moment; the parent reopens the region (log replay), checks it, and verifies that
 * every acknowledged put is present with its value and that at most the one put in flight is
 * present beyond them. Several rounds on the same file, each child continuing where the map ends.
 */
class KillNineTest {
  private static final int ROUNDS = 4;

  @TempDir Path tmp;

  @Test
  void everyAcknowledgedPutSurvivesSigkill() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    Path dir = TestRegions.scratchDir(tmp);
    Path file = dir.resolve("kill.nvf");
    try {
      try (Region region = Regions.builder().backend("dax").path(file).capacity(64L << 20)
          .option("dax.mode", "msync").create()) {
        BTreeMap.open(region, "kill", Codecs.STRING, Codecs.STRING);
      }
      long present = 0;
      for (int round = 0; round < ROUNDS; round++) {
        String context = "round " + round + " (seed " + seed + ")";
        long killAfterMs = 200 + random.nextInt(800);
        long lastAck = runAndKill(file, present, killAfterMs, tmp, "child-" + round);
        assertTrue(lastAck >= present, context + ": the child acknowledged no put; see " + tmp);
        try (Region region = Regions.open(file)) {
          BTreeMap<String, String> map = BTreeMap.open(region, "kill", Codecs.STRING, Codecs.STRING);
          TestRegions.checkAll(region, map, context);
          for (long i = 0; i <= lastAck; i++) {
            assertEquals(KillChild.value(i), map.get(KillChild.key(i)), context + ": acknowledged key " + i);
          }
          long size = map.size();
          assertTrue(size == lastAck + 1 || size == lastAck + 2,
              context + ": " + size + " entries after " + (lastAck + 1) + " acknowledged puts");
          if (size == lastAck + 2) {
            assertEquals(KillChild.value(lastAck + 1), map.get(KillChild.key(lastAck + 1)),
                context + ": the put in flight");
          }
          assertEquals(KillChild.key(size - 1), map.lastKey(), context);
          System.out.printf("kill -9 %s: %d puts acknowledged in all, in-flight put %s, tree height %d%n",
              context, lastAck + 1, size == lastAck + 2 ? "present" : "absent", map.verifyTree().height());
          present = size;
        }
      }
    } finally {
      TestRegions.deleteScratch(dir);
    }
  }

  /** Runs a child from key {@code start}, kills it {@code killAfterMs} after it is ready; returns the last ack. */
  private static long runAndKill(Path file, long start, long killAfterMs, Path logDir, String name)
      throws IOException, InterruptedException {
    List<String> command = ChildJvm.classPathCommand(List.of("-Xmx256m", "--enable-native-access=ALL-UNNAMED"),
        KillChild.class.getName(), List.of(file.toString(), Long.toString(start)));
    Process child = ChildJvm.start(command, logDir, name);
    long lastAck = start - 1;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line = out.readLine();
      if (!"ready".equals(line)) {
        child.destroyForcibly().waitFor();
        throw new AssertionError("child did not start: " + line + "\n" + Files.readString(logDir.resolve(name + ".stderr")));
      }
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(killAfterMs);
      while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
        lastAck = Long.parseLong(line.substring(4));
      }
      // SIGKILL through the handle: Process.destroyForcibly would also close our end of the pipe
      child.toHandle().destroyForcibly();
      child.waitFor();
      while ((line = out.readLine()) != null) { // acks written before the kill
        lastAck = Long.parseLong(line.substring(4));
      }
    }
    return lastAck;
  }
}
