package io.nvframe.redo;

import static io.nvframe.redo.LogFixture.AREA_END;
import static io.nvframe.redo.LogFixture.LANES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * Generations ({@code sequence * lanes + laneId}) increase within a lane, are unique, are never
 * reused, and continue above every generation on the medium after reopen.
 */
class GenerationTest {
  /** Commits one logged transaction and returns the lane it used and the generation it wrote. */
  private static long[] commitLogged(RedoLog log, Medium m, long value) {
    long[] before = generations(m);
    WriteSet ws = log.newWriteSet();
    ws.putLong(AREA_END, value);
    ws.putLong(AREA_END + 512, value);
    log.commit(ws);
    long[] after = generations(m);
    for (int lane = 0; lane < LANES; lane++) {
      if (after[lane] != before[lane]) {
        return new long[] {lane, after[lane]};
      }
    }
    throw new AssertionError("no lane header changed");
  }

  private static long[] generations(Medium m) {
    long[] g = new long[LANES];
    for (int lane = 0; lane < LANES; lane++) {
      g[lane] = LogFixture.header(m, lane).generation();
    }
    return g;
  }

  private static long maxOnMedium(Medium m) {
    long max = 0;
    for (long g : generations(m)) {
      max = Math.max(max, g);
    }
    return max;
  }

  @Test
  void generationsIncreaseByOneSequencePerRecordOfALane() {
    try (Medium m = LogFixture.formatted(1)) {
      RedoLog log = LogFixture.openRecovered(m);
      long[] first = commitLogged(log, m, 1);
      int lane = (int) first[0];
      assertEquals(LANES + lane, first[1], "first generation of a fresh log: sequence 1");
      long prev = first[1];
      for (int i = 2; i <= 5; i++) {
        long[] c = commitLogged(log, m, i);
        assertEquals(lane, c[0], "one thread keeps its preferred lane");
        assertEquals(prev + LANES, c[1], "commit " + i);
        prev = c[1];
      }
    }
  }

  @Test
  void generationsOfDifferentLanesNeverCollide() throws Exception {
    try (Medium m = LogFixture.formatted(1)) {
      RedoLog log = LogFixture.openRecovered(m);
      // two threads commit concurrently; whichever lanes they get, generations stay per-lane
      List<Long> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread[] threads = new Thread[2];
      for (int t = 0; t < 2; t++) {
        long base = AREA_END + 1024L * t;
        threads[t] = Thread.ofPlatform().name("gen-" + t).start(() -> {
          WriteSet ws = log.newWriteSet();
          for (int i = 0; i < 200; i++) {
            ws.clear();
            ws.putLong(base, i);
            ws.putLong(base + 256, i);
            log.commit(ws);
          }
        });
      }
      for (Thread t : threads) {
        t.join();
      }
      long[] g = generations(m);
      for (int lane = 0; lane < LANES; lane++) {
        if (g[lane] != 0) {
          assertEquals(lane, g[lane] % LANES, "lane " + lane + " generation " + g[lane]);
          seen.add(g[lane]);
        }
      }
      // a lane's sequence grows by at least one per record (more when a commit moves above
      // another lane's deferred invalidation)
      assertEquals(400, log.stats().recordsWritten());
      long sequences = seen.stream().mapToLong(x -> x / LANES).sum();
      assertTrue(sequences >= 400, "at least one sequence per record: " + sequences);
    }
  }

  @Test
  void reopenContinuesAboveTheLargestGenerationInAnyLane() {
    try (Medium m = LogFixture.formatted(1)) {
      RedoLog log = LogFixture.openRecovered(m);
      int used = (int) commitLogged(log, m, 1)[0];
      // put a header with a much larger generation in the other lane
      byte[] h = new byte[64];
      RecordFormat.writeCleanHeader(h, 1 - used, 1001, new CRC32C());
      m.write(LogFixture.laneOffset(1 - used), h, 0, 64);
      RedoLog reopened = LogFixture.openRecovered(m);
      long[] c = commitLogged(reopened, m, 2);
      assertEquals(used, c[0]);
      assertEquals((1001 / LANES + 1) * LANES + used, c[1]);
      assertTrue(c[1] > 1001, "new records get higher generations than any on the medium");
      assertEquals(List.of(), reopened.verify());
    }
  }

  @Test
  void generationWordOfATornHeaderIsNotReused() {
    try (Medium m = LogFixture.formatted(1)) {
      // lane 0: a header whose generation word reached the media but whose CRC did not
      byte[] h = new byte[64];
      RecordFormat.writeCleanHeader(h, 0, 5000, new CRC32C());
      RecordFormat.putInt(h, RecordFormat.CRC_OFFSET, 12345);
      m.write(LogFixture.laneOffset(0), h, 0, 64);
      RedoLog log = LogFixture.open(m);
      RecoveryResult r = log.recover();
      assertEquals(1, r.recordsIgnored());
      assertEquals(5002, LogFixture.header(m, 0).generation(), "the rewritten header takes a fresh generation");
      long[] c = commitLogged(log, m, 1);
      assertTrue(c[1] > 5002, "generation " + c[1]);
      assertEquals(c[1], maxOnMedium(m));
      assertEquals(List.of(), log.verify());
    }
  }

  @Test
  void verifyFlagsAGenerationAboveTheLanesSequence() {
    try (Medium m = LogFixture.formatted(1)) {
      RedoLog log = LogFixture.openRecovered(m);
      byte[] h = new byte[64];
      RecordFormat.writeCleanHeader(h, 1, 99, new CRC32C()); // written behind the log's back
      m.write(LogFixture.laneOffset(1), h, 0, 64);
      List<String> problems = log.verify();
      assertEquals(1, problems.size(), problems.toString());
      assertTrue(problems.get(0).contains("generation 99"), problems.get(0));
    }
  }

  @Test
  void singleWordCommitsUseNoGeneration() {
    try (Medium m = LogFixture.formatted(1)) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet ws = log.newWriteSet();
      ws.putLong(AREA_END, 1);
      log.commit(ws);
      assertEquals(0, maxOnMedium(m));
    }
  }

  @Test
  void formatStartsAFreshLog() {
    try (Medium m = LogFixture.formatted(1)) {
      RedoLog log = LogFixture.openRecovered(m);
      commitLogged(log, m, 1);
      commitLogged(log, m, 2);
      RedoLog.format(m, LogFixture.AREA, LANES, LogFixture.LANE_SIZE);
      assertEquals(0, maxOnMedium(m));
      long[] c = commitLogged(LogFixture.openRecovered(m), m, 3);
      assertEquals(LANES + c[0], c[1], "sequence 1 again");
    }
  }

  /**
   * A record committed after another lane's record whose invalidation is still deferred gets a
   * higher generation, whatever the two lanes' sequences: recovery replays in generation order, so
   * if both are on the media, the later one is replayed last.
   */
  @Test
  void aRecordAfterAnotherLanesPendingRecordHasAHigherGeneration() {
    try (Medium m = LogFixture.formatted(3)) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet ws = log.newWriteSet();
      for (int i = 0; i < 5; i++) {
        ws.clear();
        ws.putLong(AREA_END + 64, i);
        ws.putLong(AREA_END + 1024, i);
        log.commit(ws, 0);
      }
      long lane0 = generations(m)[0];
      assertEquals(5 * LANES, lane0, "five records on lane 0");
      log.commit(ws, 1);
      long lane1 = generations(m)[1];
      assertTrue(lane1 > lane0, "lane 1's first record " + lane1 + " after lane 0's " + lane0);
      assertEquals(1, lane1 % LANES);
      // lane 0's pending word was made durable by that commit: lane 1's next record needs no jump
      log.commit(ws, 1);
      assertEquals(lane1 + LANES, generations(m)[1]);
    }
  }
}
