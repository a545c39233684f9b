package io.nvframe.redo;

import static io.nvframe.redo.LogFixture.AREA_END;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** Generations increase within a lane, are never reused, and continue across reopen. */
class GenerationTest {
  /** Commits one logged transaction and returns the generation written to its lane. */
  private static long commitLogged(RedoLog log, Medium m, long value) {
    WriteSet ws = log.newWriteSet();
    ws.putLong(AREA_END, value);
    ws.putLong(AREA_END + 512, value);
    log.commit(ws);
    return maxOnMedium(m); // generations only grow, so the largest is the one just written
  }

  private static long maxOnMedium(Medium m) {
    long max = 0;
    for (int lane = 0; lane < LogFixture.LANES; lane++) {
      max = Math.max(max, LogFixture.header(m, lane).generation());
    }
    return max;
  }

  @Test
  void generationsIncreaseAndContinueAfterReopen() {
    try (Medium m = LogFixture.formatted(1)) {
      RedoLog log = LogFixture.openRecovered(m);
      long prev = 0;
      for (int i = 1; i <= 5; i++) {
        long g = commitLogged(log, m, i);
        assertEquals(prev + 1, g, "commit " + i);
        prev = g;
      }
      assertEquals(5, log.lastGeneration());
      RedoLog reopened = LogFixture.openRecovered(m);
      assertEquals(5, reopened.lastGeneration());
      assertEquals(6, commitLogged(reopened, m, 6));
    }
  }

  @Test
  void reopenContinuesFromTheLargestGenerationInAnyLane() {
    try (Medium m = LogFixture.formatted(1)) {
      RedoLog log = LogFixture.openRecovered(m);
      commitLogged(log, m, 1);
      // whichever lane the commit used, put a header with a much larger generation in the other
      int used = LogFixture.header(m, 0).generation() == 1 ? 0 : 1;
      byte[] h = new byte[64];
      RecordFormat.writeCleanHeader(h, 1 - used, 1000, new CRC32C());
      m.write(LogFixture.laneOffset(1 - used), h, 0, 64);
      RedoLog reopened = LogFixture.openRecovered(m);
      assertEquals(1000, reopened.lastGeneration());
      long g = commitLogged(reopened, m, 2);
      assertEquals(1001, g);
      assertTrue(g > 1000, "new records get higher generations than any on the medium");
    }
  }

  @Test
  void generationWordOfATornHeaderIsNotReused() {
    try (Medium m = LogFixture.formatted(1)) {
      // a header whose generation word reached the media but whose CRC did not
      byte[] h = new byte[64];
      RecordFormat.writeCleanHeader(h, 0, 5000, new CRC32C());
      RecordFormat.putInt(h, RecordFormat.CRC_OFFSET, 12345);
      m.write(LogFixture.laneOffset(0), h, 0, 64);
      RedoLog log = LogFixture.open(m);
      assertEquals(5000, log.lastGeneration());
      RecoveryResult r = log.recover();
      assertEquals(1, r.recordsIgnored());
      assertEquals(5001, LogFixture.header(m, 0).generation(), "the rewritten header takes a fresh generation");
      assertEquals(5002, commitLogged(log, m, 1));
      assertEquals(5002, maxOnMedium(m));
    }
  }

  @Test
  void singleWordCommitsUseNoGeneration() {
    try (Medium m = LogFixture.formatted(1)) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet ws = log.newWriteSet();
      ws.putLong(AREA_END, 1);
      log.commit(ws);
      assertEquals(0, log.lastGeneration());
      assertEquals(0, maxOnMedium(m));
    }
  }

  @Test
  void formatStartsAFreshLog() {
    try (Medium m = LogFixture.formatted(1)) {
      RedoLog log = LogFixture.openRecovered(m);
      commitLogged(log, m, 1);
      RedoLog.format(m, LogFixture.AREA, LogFixture.LANES, LogFixture.LANE_SIZE);
      assertEquals(0, LogFixture.open(m).lastGeneration());
    }
  }
}
