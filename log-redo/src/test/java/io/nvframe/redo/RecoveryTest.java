package io.nvframe.redo;

import static io.nvframe.redo.LogFixture.AREA;
import static io.nvframe.redo.LogFixture.AREA_END;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.NvframeIOException;
import io.nvframe.spi.Medium;
import io.nvframe.tck.FaultInjectingMedium;
import io.nvframe.tck.FaultInjectingMedium.CrashImage;
import io.nvframe.tck.FaultInjectingMedium.Event;
import io.nvframe.tck.TestMedia;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Recovery after a crash past the commit point, idempotence, and the log's guard rails. */
class RecoveryTest {
  private static final long WORD = AREA_END + 256;
  private static final long DATA = AREA_END + 2000;
  private static final byte[] PAYLOAD = "redo makes this durable".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /**
   * Commits a two-entry transaction on a fault-injecting medium that crashes at its first apply
   * store (store 2; the record is store 1), right after the commit point.
   */
  private static byte[] crashAfterCommitPoint(CrashImage kind) {
    try (Medium base = LogFixture.formatted(11)) {
      FaultInjectingMedium f = new FaultInjectingMedium(base);
      RedoLog log = LogFixture.openRecovered(f);
      WriteSet ws = log.newWriteSet();
      ws.putLong(WORD, 0xCAFE);
      ws.write(DATA, PAYLOAD, 0, PAYLOAD.length);
      f.crashAt(Event.STORE, f.count(Event.STORE) + 2);
      assertThrows(FaultInjectingMedium.SimulatedCrash.class, () -> log.commit(ws));
      assertTrue(f.crashed());
      return f.image(kind);
    }
  }

  @Test
  void crashAfterFenceOneIsReplayedAndRecoveryIsIdempotent() {
    byte[] image = crashAfterCommitPoint(CrashImage.PERSISTED_ONLY);
    try (Medium m = TestMedia.heapWith(image)) {
      assertFalse(m.loadLong(WORD) == 0xCAFE, "the crash image must not hold the applied change yet");
      RedoLog log = LogFixture.open(m);
      WriteSet ws = log.newWriteSet();
      ws.putLong(AREA_END + 4096, 1);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> log.commit(ws));
      assertTrue(e.getMessage().contains("recover()"), e.getMessage());

      RecoveryResult r = log.recover();
      assertEquals(1, r.recordsReplayed());
      assertEquals(0, r.recordsIgnored());
      assertEquals(2, r.entriesApplied());
      assertEquals(0xCAFE, m.loadLong(WORD));
      byte[] got = new byte[PAYLOAD.length];
      m.read(DATA, got, 0, got.length);
      assertArrayEquals(PAYLOAD, got);
      assertTrue(log.verify().isEmpty(), log.verify().toString());
      assertEquals(1, log.stats().recordsReplayed());

      byte[] once = LogFixture.image(m);
      RecoveryResult again = log.recover();
      assertEquals(0, again.recordsReplayed());
      assertArrayEquals(once, LogFixture.image(m), "recover twice == recover once");
      RecoveryResult reopened = LogFixture.open(m).recover();
      assertEquals(0, reopened.recordsReplayed());
      assertArrayEquals(once, LogFixture.image(m), "recover after reopen == recover once");

      log.commit(ws); // now allowed
      assertEquals(1, m.loadLong(AREA_END + 4096));
    }
  }

  @Test
  void allIssuedImageAfterCommitPointRecoversToTheSameState() {
    byte[] persisted = crashAfterCommitPoint(CrashImage.PERSISTED_ONLY);
    byte[] issued = crashAfterCommitPoint(CrashImage.ALL_ISSUED);
    try (Medium a = TestMedia.heapWith(persisted); Medium b = TestMedia.heapWith(issued)) {
      LogFixture.open(a).recover();
      LogFixture.open(b).recover();
      assertArrayEquals(LogFixture.image(a), LogFixture.image(b));
    }
  }

  @Test
  void failedCommitBlocksFurtherCommitsUntilRecover() {
    try (Medium base = LogFixture.formatted(11)) {
      FaultInjectingMedium f = new FaultInjectingMedium(base);
      RedoLog log = LogFixture.openRecovered(f);
      WriteSet ws = log.newWriteSet();
      ws.putLong(WORD, 1);
      ws.putLong(WORD + 512, 2);
      f.crashAt(Event.STORE, f.count(Event.STORE) + 2); // the record is store 1, the first apply store 2
      assertThrows(FaultInjectingMedium.SimulatedCrash.class, () -> log.commit(ws));
      NvframeIOException e = assertThrows(NvframeIOException.class, () -> log.commit(ws));
      assertEquals(ErrorCode.IO_ERROR, e.code());
      assertTrue(e.getMessage().contains("recover()"), e.getMessage());
    }
  }

  /**
   * {@code m}, counting reads of lane headers (at a lane start) in {@code reads}, and throwing
   * once, at the {@code failAt}-th store (storeLong, storeInt, write, fill) when that is positive.
   */
  private static Medium observed(Medium m, java.util.concurrent.atomic.AtomicInteger reads,
      java.util.concurrent.atomic.AtomicInteger failAt) {
    return (Medium) java.lang.reflect.Proxy.newProxyInstance(Medium.class.getClassLoader(),
        new Class<?>[] {Medium.class}, (proxy, method, args) -> {
          String name = method.getName();
          if (name.equals("read") && args[0] instanceof Long offset && offset >= AREA
              && offset < AREA_END && (offset - AREA) % LogFixture.LANE_SIZE == 0) {
            reads.incrementAndGet();
          }
          if ((name.startsWith("store") || name.equals("write") || name.equals("fill"))
              && failAt.get() > 0 && failAt.decrementAndGet() == 0) {
            throw new NvframeIOException(ErrorCode.IO_ERROR, "injected write failure");
          }
          try {
            return method.invoke(m, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Test
  void afterAFailedCommitRecoveryReadsTheLanesAgainAndReplays() {
    try (Medium base = LogFixture.formatted(11)) {
      var reads = new java.util.concurrent.atomic.AtomicInteger();
      var failAt = new java.util.concurrent.atomic.AtomicInteger();
      Medium m = observed(base, reads, failAt);
      RedoLog log = LogFixture.open(m); // all lanes clean
      WriteSet ws = log.newWriteSet();
      ws.putLong(WORD, 1);
      ws.putLong(WORD + 512, 2);
      failAt.set(3); // the first store that applies the committed record (as in the test above)
      assertThrows(NvframeIOException.class, () -> log.commit(ws));
      RecoveryResult r = log.recover();
      assertEquals(1, r.recordsReplayed(), "the record committed before the failure is replayed: " + r);
      assertEquals(2 * LogFixture.LANES, reads.get(), "recover read every lane again");
      assertEquals(1, m.loadLong(WORD));
      assertEquals(2, m.loadLong(WORD + 512));
      ws.clear();
      ws.putLong(WORD, 3);
      ws.putLong(WORD + 512, 4);
      log.commit(ws);
      assertEquals(3, m.loadLong(WORD), "commits work again after recover()");
    }
  }

  @Test
  void recoveryRightAfterACleanOpenDoesNotReadTheLanesAgain() {
    try (Medium base = LogFixture.formatted(11)) {
      var reads = new java.util.concurrent.atomic.AtomicInteger();
      Medium m = observed(base, reads, new java.util.concurrent.atomic.AtomicInteger());
      RedoLog log = LogFixture.open(m);
      assertEquals(LogFixture.LANES, reads.get(), "open reads every lane header once");
      assertEquals(new RecoveryResult(LogFixture.LANES, 0, 0, 0, java.util.List.of()), log.recover());
      assertEquals(LogFixture.LANES, reads.get(), "recover trusts open's scan: nothing was written since");

      WriteSet ws = log.newWriteSet();
      ws.putLong(WORD, 5);
      ws.putLong(WORD + 512, 6);
      log.commit(ws);
      assertEquals(new RecoveryResult(LogFixture.LANES, 0, 0, 0, java.util.List.of()), log.recover());
      assertEquals(2 * LogFixture.LANES, reads.get(), "after a logged commit, recover reads every lane again");
    }
  }

  @Test
  void verifyReportsUnappliedAndDamagedHeaders() {
    byte[] image = crashAfterCommitPoint(CrashImage.PERSISTED_ONLY);
    // the commit used the thread's preferred lane; put garbage that is not a record in the other
    int recordLane = RecordFormat.getInt(image, (int) LogFixture.laneOffset(0)) == RecordFormat.MAGIC ? 0 : 1;
    int junkLane = 1 - recordLane;
    byte[] junk = new byte[64];
    Arrays.fill(junk, (byte) 0x3C);
    System.arraycopy(junk, 0, image, (int) LogFixture.laneOffset(junkLane), 64);
    try (Medium m = TestMedia.heapWith(image)) {
      RedoLog log = LogFixture.open(m);
      var problems = log.verify();
      assertEquals(2, problems.size(), problems.toString());
      String unapplied = problems.get(recordLane);
      String damaged = problems.get(junkLane);
      assertTrue(unapplied.contains("lane " + recordLane) && unapplied.contains("unapplied record")
          && unapplied.contains("L1"), unapplied);
      assertTrue(damaged.contains("lane " + junkLane) && damaged.contains("bad magic"), damaged);
      RecoveryResult r = log.recover();
      assertEquals(1, r.recordsReplayed());
      assertEquals(1, r.recordsIgnored());
      assertEquals(2, r.details().size());
      assertTrue(log.verify().isEmpty(), log.verify().toString());
      LogFixture.Header clean = LogFixture.header(m, junkLane);
      assertEquals(RecordFormat.FLAG_APPLIED, clean.flags());
      assertEquals(0, clean.entryCount());
      assertTrue(clean.generation() > LogFixture.header(m, recordLane).generation(),
          "the rewritten header takes a fresh generation");
    }
  }

  @Test
  void recoveryOfACleanLogWritesNothing() {
    try (Medium m = LogFixture.formatted(11)) {
      var before = m.stats();
      RecoveryResult r = LogFixture.open(m).recover();
      assertEquals(new RecoveryResult(LogFixture.LANES, 0, 0, 0, java.util.List.of()), r);
      assertEquals(0, m.stats().minus(before).stores());
      assertEquals(0, m.stats().minus(before).fences());
    }
  }

  @Test
  void formatZeroesHeadersAndPersists() {
    try (Medium m = TestMedia.heap(LogFixture.SIZE)) {
      m.fill(0, LogFixture.SIZE, (byte) 0x77);
      var before = m.stats();
      RedoLog.format(m, AREA, LogFixture.LANES, LogFixture.LANE_SIZE);
      var cost = m.stats().minus(before);
      assertEquals(1, cost.fences());
      assertEquals(1, cost.flushes());
      for (int lane = 0; lane < LogFixture.LANES; lane++) {
        byte[] h = new byte[64];
        m.read(LogFixture.laneOffset(lane), h, 0, 64);
        assertArrayEquals(new byte[64], h, "lane " + lane);
      }
      assertEquals(0x7777777777777777L, m.loadLong(AREA - 8), "bytes before the area are untouched");
      RedoLog log = LogFixture.open(m);
      assertTrue(log.verify().isEmpty());
      assertEquals(AREA, log.areaOffset());
      assertEquals(2L * 4096, log.areaBytes());
      assertEquals(LogFixture.LANES, log.lanes());
      assertEquals(LogFixture.LANE_SIZE, log.laneSize());
    }
  }

  @Test
  void invalidGeometryIsAConfigurationError() {
    try (Medium m = TestMedia.heap(LogFixture.SIZE)) {
      assertEquals(ErrorCode.CONFIG_INVALID,
          assertThrows(NvframeConfigurationException.class, () -> RedoLog.format(m, AREA, 2, 1000)).code());
      assertThrows(NvframeConfigurationException.class, () -> RedoLog.open(m, AREA, 0, 4096));
      assertThrows(NvframeConfigurationException.class, () -> RedoLog.open(m, AREA + 8, 2, 4096));
      NvframeConfigurationException tooBig =
          assertThrows(NvframeConfigurationException.class, () -> RedoLog.open(m, AREA, 64, 4096));
      assertTrue(tooBig.getMessage().contains("does not fit"), tooBig.getMessage());
    }
  }

  /**
   * A returned commit leaves its record VALID on the media and its lane open (targets not flushed,
   * APPLIED word not stored): replaying it is harmless, and {@code persistInvalidations()} (what
   * closing the region's ordered medium calls) closes the lane (one fence) and makes its APPLIED
   * word durable (one more), so nothing is left to replay.
   */
  @Test
  void persistInvalidationsLeavesNothingToReplay() {
    try (Medium base = LogFixture.formatted(11)) {
      FaultInjectingMedium f = new FaultInjectingMedium(base);
      RedoLog log = LogFixture.openRecovered(f);
      WriteSet ws = log.newWriteSet();
      ws.putLong(WORD, 42);
      ws.write(DATA, PAYLOAD, 0, PAYLOAD.length);
      log.commit(ws);
      try (Medium m = TestMedia.heapWith(f.image(CrashImage.PERSISTED_ONLY))) {
        assertEquals(1, LogFixture.open(m).recover().recordsReplayed(), "applied, still VALID on the media");
        assertEquals(42, m.loadLong(WORD));
      }
      long fences = f.count(Event.FENCE);
      log.persistInvalidations();
      assertEquals(fences + 2, f.count(Event.FENCE));
      try (Medium m = TestMedia.heapWith(f.image(CrashImage.PERSISTED_ONLY))) {
        assertEquals(0, LogFixture.open(m).recover().recordsReplayed());
        assertEquals(42, m.loadLong(WORD));
      }
      log.persistInvalidations(); // the same record seen pending a second time: fenced and retired
      assertEquals(fences + 3, f.count(Event.FENCE));
      log.persistInvalidations(); // nothing pending: no fence
      assertEquals(fences + 3, f.count(Event.FENCE));
    }
  }
}
