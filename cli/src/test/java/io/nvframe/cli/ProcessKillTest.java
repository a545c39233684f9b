package io.nvframe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.CheckReport;
import io.nvframe.api.Region;
import io.nvframe.core.Regions;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real process crashes: a child JVM runs key-value transactions on a region file, printing each
 * operation number after {@code commit()} returns, and is killed with SIGKILL at a seeded random
 * moment. After every kill the region is reopened (recovery) and must hold every reported
 * operation, at most one more (the one in flight, all or nothing), and pass {@code check}. Every
 * 16th operation is a large transaction (a 64 KiB rewrite, continued in extension frames), whose
 * content is checked too.
 */
class ProcessKillTest {
  @TempDir Path dir;

  @Test
  void killedWorkersLoseNoCommittedTransaction() {
    rounds(Long.getLong("nvframe.kill.seed", 20261122L), Integer.getInteger("nvframe.kill.rounds", 4), dir);
  }

  @Test
  @Tag("long")
  void soakHundredsOfKills() {
    Path where = Path.of(System.getProperty("nvframe.kill.dir", dir.toString()));
    rounds(Long.getLong("nvframe.kill.seed", 7L), Integer.getInteger("nvframe.kill.soakRounds", 200), where);
  }

  static void rounds(long seed, int rounds, Path where) {
    SplittableRandom random = new SplittableRandom(seed);
    Path file = where.resolve("kill-" + seed + ".nvf");
    try (Region r = Regions.builder().backend("dax").path(file).capacity(16L << 20).lanes(8).create()) {
      KvTable.open(r, seed);
    }
    long total = 0;
    for (int round = 0; round < rounds; round++) {
      long runMillis = random.nextLong(20, 300);
      String where1 = "seed " + seed + ", round " + round + " (run " + runMillis + " ms)";
      KillHarness.Outcome o = KillHarness.runAndKill(file, seed, runMillis, n -> {}, java.util.List.of());
      assertTrue(o.reportedOps() >= 0, where1 + ": worker did not start: " + o.stderr());
      assertTrue(o.killed(), where1 + ": worker exited by itself (code " + o.exitCode() + "): " + o.stderr());
      try (Region r = Regions.open(file)) {
        KvTable table = KvTable.open(r, seed);
        long applied = table.appliedOps();
        assertTrue(applied == o.reportedOps() || applied == o.reportedOps() + 1,
            where1 + ": table holds " + applied + " operations, worker reported " + o.reportedOps());
        Map<Long, Long> expected = KvTable.expected(seed, applied);
        assertEquals(expected, table.contents(), where1 + ": contents differ from the replay of " + applied + " ops");
        assertEquals(null, table.ballastProblem(applied), where1);
        CheckReport report = r.check();
        assertTrue(report.consistent(), where1 + ": " + report.problems());
        total += applied - o.startOps();
      }
    }
    assertTrue(total > 0, "no operation ever committed in " + rounds + " rounds");
  }
}
