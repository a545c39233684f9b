package io.nvframe.tck.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The simulator on the toy protocol of {@link ToyLog}, using only tck and spi (as a backend or
 * component outside this repository would): the correct protocol passes under every mode and
 * strategy, the counts follow the model, a failure replays from its seed and point alone.
 */
class CrashSimulatorSelfTest {
  private static final List<CrashReport> REPORTS = new ArrayList<>();

  @AfterAll
  static void figures() {
    long points = REPORTS.stream().mapToLong(CrashReport::points).sum();
    long images = REPORTS.stream().mapToLong(CrashReport::images).sum();
    long nanos = REPORTS.stream().mapToLong(CrashReport::nanos).sum();
    System.out.println(CrashReport.figureLine("tck-toy", points, images, nanos));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(PersistencyMode.class)
  void theCorrectProtocolPassesEagerly(PersistencyMode mode) {
    CrashReport r = CrashSimulator.run(ToyLog.scenario(ToyLog.Bug.NONE), CrashOptions.defaults().mode(mode).nested(1, 8));
    REPORTS.add(r);
    assertTrue(r.points() >= 10, r.toString());
    assertTrue(r.images() >= r.points(), r.toString());
    assertTrue(r.nestedImages() > 0, r.toString());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = PersistencyMode.class, names = {"X86", "NO_SAME_LINE_ORDER", "BLOCK"})
  void theCorrectProtocolPassesLazily(PersistencyMode mode) {
    CrashReport r = CrashSimulator.run(ToyLog.scenario(ToyLog.Bug.NONE),
        CrashOptions.defaults().mode(mode).strategy(CrashOptions.Strategy.LAZY));
    REPORTS.add(r);
    assertTrue(r.images() >= r.points(), r.toString());
  }

  /**
   * Two stores to line 0, never flushed, and one persisted store to line 1: x86 gives 3 x 2 images
   * before the fence and 3 after it, unordered 4 x 2 and 4, eADR one point per unit boundary.
   */
  @Test
  void imageCountsFollowTheModel() {
    Medium m = new ImageMedium(new byte[256], 64);
    RecordingMedium rec = new RecordingMedium(m);
    rec.storeLong(0, 1);
    rec.storeLong(8, 2);
    rec.storeLong(64, 3);
    rec.persist(64, 8);
    assertEquals(List.of(6L, 3L), counts(rec, PersistencyMode.X86));
    assertEquals(List.of(8L, 4L), counts(rec, PersistencyMode.NO_SAME_LINE_ORDER));
    assertEquals(4, counts(rec, PersistencyMode.EADR).size(), "one point per unit boundary");
    // block mode, blocks of 128 bytes: the three stores hit one block; a flush of the block
    // covers the two earlier stores too
    CrashModel block = new CrashModel(rec.initialImage(), rec.trace(), PersistencyMode.BLOCK, 128);
    List<Long> b = new ArrayList<>();
    block.forEachPoint(p -> b.add(p.imageCount()));
    assertEquals(List.of(4L, 1L), b);
  }

  /** A fence makes durable only what the fencing thread flushed. */
  @Test
  void fencesArePerThread() throws InterruptedException {
    RecordingMedium rec = new RecordingMedium(new ImageMedium(new byte[128], 64));
    Thread other = new Thread(() -> {
      rec.storeLong(0, 1);
      rec.flush(0, 8);
    });
    other.start();
    other.join();
    rec.fence(); // this thread flushed nothing
    rec.storeLong(64, 2);
    rec.persist(64, 8);
    // points: before this thread's empty fence (line 0: 2), before the persist's fence (2 x 2),
    // the end (line 0 still 2)
    assertEquals(List.of(2L, 4L, 2L), counts(rec, PersistencyMode.X86),
        "line 0 stays dirty: its flush belongs to another thread, which never fenced");
  }

  /**
   * Lazy exploration branches only on lines that the code after the crash reads: 16 lines of bulk
   * data flushed under the same fence as a word cost the eager strategy hundreds of images at that
   * fence, the lazy one 2 (the word old or new).
   */
  @Test
  void lazyExplorationBranchesOnlyOnLinesRecoveryReads() {
    CrashScenario<Medium> s = CrashScenario.<Medium>named("bulk data nobody reads")
        .medium(() -> new ImageMedium(new byte[4096], 64))
        .driver((m, ops) -> ops.run("write", () -> {
          byte[] data = new byte[1024];
          java.util.Arrays.fill(data, (byte) 7);
          m.write(1024, data, 0, data.length);
          m.storeLong(0, 1);
          m.flush(1024, data.length);
          m.flush(0, 8);
          m.fence();
        }))
        .recover(m -> m)
        .observe(m -> m.loadLong(0))
        .close(Medium::close)
        .build();
    CrashReport eager = CrashSimulator.run(s, CrashOptions.defaults().nested(0, 0));
    CrashReport lazy = CrashSimulator.run(s, CrashOptions.defaults().nested(0, 0).strategy(CrashOptions.Strategy.LAZY));
    assertTrue(eager.images() > 500, eager.toString());
    assertEquals(3, lazy.images(), "2 images at the fence (the word old or new), 1 at the end: " + lazy);
  }

  @Test
  void aBulkWriteIsUnorderedWithinItsLine() {
    RecordingMedium rec = new RecordingMedium(new ImageMedium(new byte[128], 64));
    rec.write(0, new byte[] {1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2}, 0, 16);
    assertEquals(List.of(4L), counts(rec, PersistencyMode.X86), "subsets of the two units");
    rec.flush(0, 16);
    rec.fence();
    assertEquals(List.of(4L, 1L), counts(rec, PersistencyMode.X86));
  }

  private static List<Long> counts(RecordingMedium rec, PersistencyMode mode) {
    List<Long> out = new ArrayList<>();
    new CrashModel(rec.initialImage(), rec.trace(), mode, 64).forEachPoint(p -> out.add(p.imageCount()));
    return out;
  }

  @Test
  void imagesShareTheBaseUntilWritten() {
    byte[] base = new byte[3 * 4096];
    ImageMedium a = new ImageMedium(base, 64);
    a.storeLong(8, 42);
    ImageMedium b = a.fork();
    b.storeLong(16, 7);
    assertEquals(0, base[8], "the base is never written");
    assertEquals(42, b.loadLong(8));
    assertEquals(0, a.loadLong(16));
    assertEquals(16, a.firstDifference(b));
    a.storeLong(16, 7);
    assertTrue(a.sameContent(b));
  }

  @Test
  void aFailureNamesItsPointAndReplaysFromTheSeedAlone() {
    CrashOptions opts = CrashOptions.defaults().seed(77);
    CrashFailure f = assertThrows(CrashFailure.class,
        () -> CrashSimulator.run(ToyLog.scenario(ToyLog.Bug.TORN_PAIR), opts));
    String msg = f.getMessage();
    assertTrue(msg.contains("crash point #" + f.point()), msg);
    assertTrue(msg.contains("seed 77"), msg);
    assertTrue(msg.contains("in 'pair 5'") || msg.contains("in 'pair 6'"), "stores named by operation: " + msg);
    assertTrue(msg.contains("candidate "), msg);
    CrashFailure again = assertThrows(CrashFailure.class,
        () -> CrashSimulator.run(ToyLog.scenario(ToyLog.Bug.TORN_PAIR), CrashOptions.defaults().seed(77).onlyPoint(f.point())));
    assertEquals(f.point(), again.point());
    assertEquals(msg, again.getMessage(), "the replay reproduces the same failure");
  }

  @Test
  void performanceLintsAreCounted() {
    RecordingMedium rec = new RecordingMedium(new ImageMedium(new byte[256], 64));
    rec.storeLong(0, 1);
    rec.storeLong(0, 2); // two stores to one word in one epoch
    rec.flush(0, 8);
    rec.flush(0, 8); // twice in one epoch
    rec.fence();
    rec.fence(); // nothing pending
    rec.flush(64, 8); // clean line
    rec.fence();
    Map<String, Long> perf = TraceLints.run(rec.trace(), 64, TraceLints.CommitWords.none()).performance();
    assertEquals(1L, perf.get(TraceLints.MULTI_STORE));
    assertEquals(1L, perf.get(TraceLints.DOUBLE_FLUSH));
    assertEquals(1L, perf.get(TraceLints.EMPTY_FENCE));
    assertEquals(1L, perf.get(TraceLints.CLEAN_FLUSH));
  }
}
