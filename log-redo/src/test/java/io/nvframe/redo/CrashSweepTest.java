package io.nvframe.redo;

import static io.nvframe.redo.LogFixture.AREA_END;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.nvframe.spi.Medium;
import io.nvframe.tck.FaultInjectingMedium;
import io.nvframe.tck.FaultInjectingMedium.CrashImage;
import io.nvframe.tck.FaultInjectingMedium.Event;
import io.nvframe.tck.FaultInjectingMedium.SimulatedCrash;
import io.nvframe.tck.TestMedia;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fault-injection sweep over whole transactions (log-redo/README.md, Tests): for each transaction shape and seed,
 * crash at every STORE, every FLUSH and every FENCE of the operation, take both crash images
 * (PERSISTED_ONLY and ALL_ISSUED), recover each on a fresh medium and check
 *
 * <ol>
 *   <li>all or nothing: the data area equals exactly the pre-state or exactly the post-state;
 *   <li>durability: when the crash came after the commit fence had completed, the post-state;
 *   <li>durable ranges (data written directly into fresh frames) are intact whenever the
 *       transaction is visible;
 *   <li>L1: {@link RedoLog#verify()} is empty after recovery;
 *   <li>idempotence: a second recovery replays nothing and changes no byte;
 *   <li>recovery is itself crash-safe: crashing at every event of the recovery, on both images,
 *       and recovering again gives exactly the same final image as an uninterrupted recovery.
 * </ol>
 */
class CrashSweepTest {
  /** A fresh frame (allocated in the transaction, written directly, registered as durable). */
  private static final long FRESH = AREA_END + 8192;

  /** A transaction shape; {@code commitFence} is the fence after which it must be visible. */
  private record Shape(String name, int commitFence, long[] durable, Body body) {
    @Override
    public String toString() {
      return name;
    }
  }

  @FunctionalInterface
  private interface Body {
    void run(Medium medium, RedoLog log, WriteSet ws, Random rnd);
  }

  private static final Shape[] SHAPES = {
    new Shape("three SET8", 1, new long[0], (m, log, ws, rnd) -> {
      ws.putLong(AREA_END + 64, rnd.nextLong());
      ws.putLong(AREA_END + 1024, rnd.nextLong());
      ws.putLong(AREA_END + 5000, rnd.nextLong());
      log.commit(ws);
    }),
    new Shape("COPY of 64 B", 1, new long[0], (m, log, ws, rnd) -> {
      ws.write(AREA_END + 2056, bytes(rnd, 64), 0, 64); // 8-aligned, straddles two lines
      log.commit(ws);
    }),
    new Shape("mix with durable ranges", 2, new long[] {FRESH, 300, FRESH + 2048, 64},
        (m, log, ws, rnd) -> {
          m.write(FRESH, bytes(rnd, 300), 0, 300);
          m.write(FRESH + 2048, bytes(rnd, 64), 0, 64);
          ws.addDurableRange(FRESH, 300);
          ws.addDurableRange(FRESH + 2048, 64);
          ws.putLong(AREA_END + 128, rnd.nextLong()); // e.g. the frame word
          ws.putLong(AREA_END + 136, rnd.nextLong()); // e.g. a link to the frame
          ws.write(AREA_END + 3001, bytes(rnd, 20), 0, 20);
          log.commit(ws);
        }),
    new Shape("near-capacity COPY", 1, new long[0], (m, log, ws, rnd) -> {
      ws.write(AREA_END + 4101, bytes(rnd, 4016), 0, 4016); // record = 64 + 4032 = laneSize
      assertEquals(LogFixture.LANE_SIZE, ws.encodedBytes());
      log.commit(ws);
    }),
    new Shape("overlapping writes in one transaction", 1, new long[0], (m, log, ws, rnd) -> {
      ws.putLong(AREA_END + 704, rnd.nextLong());
      ws.write(AREA_END + 700, bytes(rnd, 16), 0, 16);
      ws.putLong(AREA_END + 712, rnd.nextLong());
      ws.write(AREA_END + 6000, bytes(rnd, 9), 0, 9);
      log.commit(ws);
    }),
    new Shape("single SET8", 1, new long[0], (m, log, ws, rnd) -> {
      ws.putLong(AREA_END + 512, rnd.nextLong());
      log.commit(ws);
    }),
    new Shape("single SET8 with a durable range", 2, new long[] {FRESH, 128}, (m, log, ws, rnd) -> {
      m.write(FRESH, bytes(rnd, 128), 0, 128);
      ws.addDurableRange(FRESH, 128);
      ws.putLong(AREA_END + 512, rnd.nextLong());
      log.commit(ws);
    }),
  };

  static Stream<Arguments> cases() {
    return Stream.of(SHAPES).flatMap(s -> LogFixture.seeds(2).mapToObj(seed -> Arguments.of(s, seed)));
  }

  private static byte[] bytes(Random rnd, int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }

  /** Outcome of running a shape once on a fault-injecting medium. */
  private record Run(boolean crashed, long fencesCompleted, Map<Event, Long> events,
      byte[] persisted, byte[] issued) {}

  private static Run run(byte[] pre, Shape shape, long seed, Event crashKind, long k) {
    try (Medium base = TestMedia.heapWith(pre)) {
      FaultInjectingMedium f = new FaultInjectingMedium(base);
      RedoLog log = LogFixture.openRecovered(f);
      Map<Event, Long> start = counts(f);
      if (crashKind != null) {
        f.crashAt(crashKind, start.get(crashKind) + k);
      }
      boolean crashed = false;
      try {
        shape.body().run(f, log, log.newWriteSet(), new Random(seed));
      } catch (SimulatedCrash e) {
        crashed = true;
      }
      Map<Event, Long> events = new EnumMap<>(Event.class);
      counts(f).forEach((e, n) -> events.put(e, n - start.get(e)));
      long fences = events.get(Event.FENCE) - (crashed && crashKind == Event.FENCE ? 1 : 0);
      return new Run(crashed, fences, events, f.image(CrashImage.PERSISTED_ONLY), f.image(CrashImage.ALL_ISSUED));
    }
  }

  private static Map<Event, Long> counts(FaultInjectingMedium f) {
    Map<Event, Long> m = new EnumMap<>(Event.class);
    for (Event e : Event.values()) {
      m.put(e, f.count(e));
    }
    return m;
  }

  @ParameterizedTest(name = "{0}, seed {1}")
  @MethodSource("cases")
  void everyCrashPointIsAllOrNothing(Shape shape, long seed) {
    byte[] pre;
    try (Medium m = LogFixture.formatted(seed)) {
      pre = LogFixture.image(m);
    }
    Run clean = run(pre, shape, seed, null, 0);
    assertFalse(clean.crashed());
    // a returned commit is durable: its record is, while its targets and the lane's APPLIED word
    // may still be in flight (log-redo/README.md, "Open lanes"), so recovering what persisted
    // gives exactly what the commit left in memory
    byte[] post = clean.issued();
    try (Medium m = TestMedia.heapWith(clean.persisted())) {
      LogFixture.open(m).recover();
      assertArrayEquals(LogFixture.dataArea(post), LogFixture.dataArea(LogFixture.image(m)),
          shape + ", seed " + seed + ": a completed commit must be durable");
    }
    boolean[] mask = durableMask(shape);
    assertFalse(sameMasked(LogFixture.dataArea(pre), LogFixture.dataArea(post), mask),
        "the transaction must change something");

    int points = 0;
    for (Event kind : Event.values()) {
      for (long k = 1; k <= clean.events().get(kind); k++) {
        Run r = run(pre, shape, seed, kind, k);
        String where = shape + ", seed " + seed + ", crash at " + kind + " #" + k + " ("
            + r.fencesCompleted() + " fences completed)";
        assertTrue(r.crashed(), where + ": the crash point was not reached");
        boolean mustBePost = r.fencesCompleted() >= shape.commitFence();
        checkImage(r.persisted(), pre, post, mask, mustBePost, where + ", PERSISTED_ONLY");
        checkImage(r.issued(), pre, post, mask, mustBePost, where + ", ALL_ISSUED");
        points++;
      }
    }
    assertTrue(points >= 3, shape + ": only " + points + " crash points");
  }

  private static void checkImage(
      byte[] image, byte[] pre, byte[] post, boolean[] mask, boolean mustBePost, String where) {
    byte[] recovered;
    try (Medium m = TestMedia.heapWith(image)) {
      RedoLog log = LogFixture.open(m);
      RecoveryResult result = log.recover();
      recovered = LogFixture.image(m);
      byte[] data = LogFixture.dataArea(recovered);
      boolean isPre = sameMasked(data, LogFixture.dataArea(pre), mask);
      boolean isPost = sameMasked(data, LogFixture.dataArea(post), mask);
      if (!isPre && !isPost) {
        fail(where + ": data area is neither the pre- nor the post-state (" + result + ")");
      }
      if (mustBePost && !isPost) {
        fail(where + ": crash after the commit fence, but the transaction is lost (" + result + ")");
      }
      if (isPost && !isPre) {
        for (int i = 0; i < mask.length; i++) {
          if (mask[i] && data[i] != LogFixture.dataArea(post)[i]) {
            fail(where + ": transaction visible but durable-range byte " + (AREA_END + i) + " lost");
          }
        }
      }
      assertEquals(java.util.List.of(), log.verify(), where + ": verify after recovery");

      RecoveryResult again = LogFixture.open(m).recover();
      assertEquals(0, again.recordsReplayed(), where + ": second recovery replayed");
      assertEquals(0, again.recordsIgnored(), where + ": second recovery ignored");
      assertArrayEquals(recovered, LogFixture.image(m), where + ": second recovery changed bytes");
    }
    crashDuringRecovery(image, recovered, where);
  }

  /**
   * Two committed, unapplied records in different lanes that change the same words (possible when
   * the older one crashed between apply and invalidate while the newer one committed on another
   * lane). Recovery must end with the newer values even when it is interrupted anywhere: it must
   * never leave the older record VALID while the newer one is already invalidated.
   */
  @ParameterizedTest(name = "newer record in lane {0}")
  @org.junit.jupiter.params.provider.ValueSource(ints = {0, 1})
  void interruptedRecoveryOfOverlappingRecordsKeepsTheNewerValues(int newerLane) {
    long shared = AREA_END + 256;
    long other = AREA_END + 4096;
    byte[] image;
    try (Medium m = LogFixture.formatted(5)) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet ws = log.newWriteSet();
      for (long v : new long[] {111, 222}) {
        ws.clear();
        ws.putLong(shared, v);
        ws.putLong(other + v, v);
        int lane = v == 222 ? newerLane : 1 - newerLane;
        byte[] rec = LogFixture.encode(ws, lane, v == 222 ? 40 : 17);
        m.write(LogFixture.laneOffset(lane), rec, 0, rec.length);
      }
      image = LogFixture.image(m);
    }
    byte[] expected;
    try (Medium m = TestMedia.heapWith(image)) {
      assertEquals(2, LogFixture.open(m).recover().recordsReplayed());
      assertEquals(222, m.loadLong(shared));
      expected = LogFixture.image(m);
    }
    crashDuringRecovery(image, expected, "overlapping records, newer in lane " + newerLane);
  }

  /** Crash at every event of the recovery of {@code image}; recovering again must give {@code expected}. */
  private static void crashDuringRecovery(byte[] image, byte[] expected, String where) {
    Map<Event, Long> events;
    try (Medium base = TestMedia.heapWith(image)) {
      FaultInjectingMedium f = new FaultInjectingMedium(base);
      LogFixture.open(f).recover();
      events = counts(f);
    }
    for (Event kind : Event.values()) {
      for (long k = 1; k <= events.get(kind); k++) {
        String nested = where + ", then crash during recovery at " + kind + " #" + k;
        try (Medium base = TestMedia.heapWith(image)) {
          FaultInjectingMedium f = new FaultInjectingMedium(base);
          RedoLog log = LogFixture.open(f);
          f.crashAt(kind, k);
          try {
            log.recover();
            fail(nested + ": the crash point was not reached");
          } catch (SimulatedCrash expectedCrash) {
            // the interrupted recovery
          }
          for (CrashImage ci : CrashImage.values()) {
            try (Medium m = TestMedia.heapWith(f.image(ci))) {
              LogFixture.open(m).recover();
              assertArrayEquals(expected, LogFixture.image(m), nested + ", " + ci + ": final image differs");
            }
          }
        }
      }
    }
  }

  private static boolean[] durableMask(Shape shape) {
    boolean[] mask = new boolean[(int) LogFixture.DATA_BYTES];
    for (int i = 0; i < shape.durable().length; i += 2) {
      int from = (int) (shape.durable()[i] - AREA_END);
      Arrays.fill(mask, from, from + (int) shape.durable()[i + 1], true);
    }
    return mask;
  }

  private static boolean sameMasked(byte[] a, byte[] b, boolean[] mask) {
    for (int i = 0; i < a.length; i++) {
      if (!mask[i] && a[i] != b[i]) {
        return false;
      }
    }
    return true;
  }
}
