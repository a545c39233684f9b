package io.nvframe.redo;

import static io.nvframe.redo.LogFixture.AREA_END;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.TransactionTooLargeException;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Exact store, flush and fence counts of every commit path (deterministic on the heap backend),
 * and the all-or-nothing size check.
 */
class CommitCostTest {
  /** Offsets of separate cache lines in the data area. */
  private static final long LINE_A = AREA_END + 64;
  private static final long LINE_B = AREA_END + 640;
  private static final long LINE_C = AREA_END + 1280;

  /**
   * The cost of one commit ({@code medium}) and of closing what it left open afterwards ({@code
   * closed}: {@link RedoLog#persistInvalidations()}, which flushes an open lane's targets, fences,
   * and then makes its APPLIED word durable with one more flush and fence).
   */
  private record Cost(PersistStats medium, LogStats log, byte[] image, PersistStats closed) {}

  private static Cost commit(Consumer<WriteSet> fill) {
    try (Medium m = LogFixture.formatted(7)) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet ws = log.newWriteSet();
      fill.accept(ws);
      PersistStats before = m.stats();
      log.commit(ws);
      PersistStats cost = m.stats().minus(before);
      byte[] image = LogFixture.image(m);
      before = m.stats();
      log.persistInvalidations();
      Cost c = new Cost(cost, log.stats(), image, m.stats().minus(before));
      assertTrue(log.verify().isEmpty(), log.verify().toString());
      return c;
    }
  }

  /** A medium whose flush writes back whole pages (as the dax backend in msync mode reports). */
  private static final class PageFlushMedium extends io.nvframe.tck.crash.ForwardingMedium {
    PageFlushMedium(Medium m) {
      super(m);
    }

    @Override
    public int flushGranularity() {
      return 4096;
    }
  }

  @Test
  void targetsInOnePageAreOneFlushWhenTheMediumFlushesPages() {
    try (Medium m = new PageFlushMedium(LogFixture.formatted(7))) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet ws = log.newWriteSet();
      ws.putLong(LINE_A, 1);
      ws.putLong(LINE_A + 1024, 2); // another line of the same page
      ws.write(LINE_A + 3000, new byte[40], 0, 40);
      PersistStats before = m.stats();
      log.commit(ws);
      PersistStats cost = m.stats().minus(before);
      assertEquals(1, cost.fences());
      assertEquals(1, cost.flushes(), "the record; the targets are flushed when the lane is closed");
      before = m.stats();
      log.persistInvalidations();
      assertEquals(1 + 1, m.stats().minus(before).flushes(), "one page of targets, the header");
    }
  }

  @Test
  void singleAlignedWordIsOneStoreOneFlushOneFenceAndNoRecord() {
    Cost c = commit(ws -> ws.putLong(LINE_A, 5));
    assertEquals(new PersistStats(1, 8, 1, 8, 1), c.medium());
    assertEquals(new LogStats(0, 1, 0, 0), c.log());
    byte[] header = Arrays.copyOfRange(c.image(), (int) LogFixture.laneOffset(0), (int) LogFixture.laneOffset(0) + 64);
    assertArrayEquals(new byte[64], header, "no record was written");
  }

  @Test
  void singleWordWithDurableRangesIsTwoFences() {
    Cost c = commit(ws -> {
      ws.putLong(LINE_A, 5);
      ws.addDurableRange(LINE_B, 100); // 2 lines
      ws.addDurableRange(LINE_C, 8);
    });
    // flushes: 2 durable runs + the word; fences: durable, word
    assertEquals(2, c.medium().fences());
    assertEquals(3, c.medium().flushes());
    assertEquals(1, c.medium().stores());
    assertEquals(1, c.log().singleWordCommits());
    assertEquals(PersistStats.ZERO, c.closed(), "nothing left open");
  }

  @Test
  void twoWordsInDifferentLinesCostOneFence() {
    Cost c = commit(ws -> {
      ws.putLong(LINE_A, 1);
      ws.putLong(LINE_C, 2);
    });
    // stores: the record (header and payload in one write), 2 applies; flushes: the record. The
    // lane is left open: closing it flushes the 2 target lines, fences, stores the APPLIED word
    // and makes it durable (header flush, fence)
    assertEquals(new PersistStats(3, 96 + 16, 1, 96, 1), c.medium());
    assertEquals(new PersistStats(1, 8, 3, 64 + 64 + 64, 2), c.closed());
    assertEquals(new LogStats(1, 0, 96, 0), c.log());
  }

  @Test
  void targetsInOneOrAdjacentLinesAreFlushedWithOneCall() {
    Cost same = commit(ws -> {
      ws.putLong(LINE_A, 1);
      ws.putLong(LINE_A + 24, 2);
      ws.write(LINE_A + 40, new byte[3], 0, 3);
    });
    assertEquals(1, same.medium().flushes(), "record");
    assertEquals(1, same.medium().fences());
    assertEquals(1 + 1, same.closed().flushes(), "one target line, the header");
    Cost adjacent = commit(ws -> {
      ws.putLong(LINE_A, 1);
      ws.putLong(LINE_A + 64, 2);
      ws.putLong(LINE_A + 128, 3);
    });
    assertEquals(1 + 1, adjacent.closed().flushes(), "three adjacent lines merge into one flush");
    assertEquals(192 + 64, adjacent.closed().bytesFlushed());
  }

  /**
   * A COPY with at least 512 bytes of whole lines writes them with one writeAndFlush (one flush
   * call); its partial first and last lines go through the merged runs; with page write-back
   * everything goes through the runs.
   */
  @Test
  void copyOfManyWholeLinesIsOneWriteAndFlush() {
    // lines written with writeAndFlush are completed only by the writing thread's fence, so such a
    // record is applied, fenced and marked APPLIED before its commit returns (not left open)
    Cost aligned = commit(ws -> ws.write(LINE_B, new byte[1024], 0, 1024));
    assertEquals(2, aligned.medium().fences(), "commit point, applied");
    assertEquals(1 + 1, aligned.medium().flushes(), "record, the 16 lines in one writeAndFlush");
    assertEquals(1, aligned.closed().flushes(), "the header, pending");
    assertEquals(1, aligned.closed().fences());
    Cost ragged = commit(ws -> ws.write(LINE_B + 10, new byte[1024], 0, 1024));
    assertEquals(1 + 1 + 2, ragged.medium().flushes(), "record, 15 whole lines, the first and the last line");
    assertEquals(2, ragged.medium().fences());
    assertEquals(1, ragged.closed().flushes(), "the header");
    Cost short_ = commit(ws -> ws.write(LINE_B + 10, new byte[520], 0, 520));
    assertEquals(1, short_.medium().flushes(), "record; 448 whole bytes are too few");
    assertEquals(1 + 1, short_.closed().flushes(), "one run of 9 lines, the header");
    try (Medium m = new PageFlushMedium(LogFixture.formatted(7))) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet ws = log.newWriteSet();
      ws.write(LINE_B + 10, new byte[2048], 0, 2048);
      PersistStats before = m.stats();
      log.commit(ws);
      log.persistInvalidations();
      assertEquals(1 + 1 + 1, m.stats().minus(before).flushes(), "record, one page run, the header");
    }
  }

  @Test
  void copyOf64BytesCostsOneFenceAndOneFlush() {
    Cost c = commit(ws -> ws.write(LINE_B, new byte[64], 0, 64));
    assertEquals(new PersistStats(2, 80 + 64 + 64, 1, 144, 1), c.medium());
    assertEquals(new PersistStats(1, 8, 2, 64 + 64, 2), c.closed());
    Cost straddling = commit(ws -> ws.write(LINE_B + 32, new byte[64], 0, 64));
    assertEquals(1 + 1, straddling.closed().flushes(), "two target lines in one flush call, the header");
    assertEquals(128 + 64, straddling.closed().bytesFlushed());
  }

  @Test
  void durableRangesOfALoggedCommitAreFencedBeforeTheRecord() {
    Cost c = commit(ws -> {
      ws.putLong(LINE_A, 1);
      ws.putLong(LINE_A + 8, 2);
      ws.addDurableRange(LINE_B, 64);
      ws.addDurableRange(LINE_B + 64, 64); // adjacent: merged with the previous one
      ws.addDurableRange(LINE_C + 4096, 4096);
    });
    assertEquals(2, c.medium().fences(), "durable ranges, commit point");
    assertEquals(2 + 1, c.medium().flushes(), "2 durable runs, record");
    assertEquals(1 + 1, c.closed().flushes(), "1 target line, the header");
  }

  /** Runs {@code body} on a platform thread whose preferred lane ({@code threadId % 2}) is not this thread's. */
  static void onTheOtherLane(Runnable body) throws InterruptedException {
    long mine = Thread.currentThread().threadId() % LogFixture.LANES;
    Thread t;
    do {
      t = Thread.ofPlatform().unstarted(body);
    } while (t.threadId() % LogFixture.LANES == mine);
    Throwable[] failure = new Throwable[1];
    t.setUncaughtExceptionHandler((th, e) -> failure[0] = e);
    t.start();
    t.join();
    if (failure[0] != null) {
      throw new AssertionError("on the other lane", failure[0]);
    }
  }

  /**
   * A thread alternates between the two lanes of its pair: each commit adopts the lane its write
   * set's previous record left open, flushing that record's targets before its own fence (one
   * fence per commit in all); when the two records share bytes, the adopted lane's header line is
   * flushed too, and the new record's generation is above the adopted one.
   */
  @Test
  void aThreadAlternatesLanesAndAdoptsTheLaneItLeftOpen() {
    try (Medium m = LogFixture.formatted(7)) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet a = log.newWriteSet();
      a.putLong(LINE_A, 1);
      a.putLong(LINE_C, 2);
      log.commit(a);
      int first = a.lastLane;
      long firstGeneration = a.lastGeneration;
      a.clear();
      a.putLong(LINE_B, 3);
      a.putLong(LINE_B + 16, 3);
      PersistStats before = m.stats();
      log.commit(a);
      // stores: the record, its 2 applies, the adopted record's APPLIED word; flushes: the adopted
      // record's 2 target lines, the record
      assertEquals(new PersistStats(4, 96 + 16 + 8, 3, 64 + 64 + 96, 1), m.stats().minus(before));
      assertEquals(first ^ 1, a.lastLane, "the other lane of the pair");
      a.clear();
      a.putLong(LINE_B + 8, 4); // same line as the open record's targets, other words
      a.putLong(LINE_B + 24, 4);
      before = m.stats();
      log.commit(a);
      assertEquals(new PersistStats(4, 96 + 16 + 8, 2, 64 + 96, 1), m.stats().minus(before));
      assertEquals(first, a.lastLane, "back to the first lane");
      assertTrue(a.lastGeneration > firstGeneration);
      long adopted = a.lastGeneration;
      a.clear();
      a.putLong(LINE_B + 8, 5); // a word of the open record: its header line is flushed too
      a.putLong(LINE_B + 32, 5);
      before = m.stats();
      log.commit(a);
      assertEquals(new PersistStats(4, 96 + 16 + 8, 3, 64 + 96 + 64, 1), m.stats().minus(before));
      assertTrue(a.lastGeneration > adopted, "replayed after the record it may be replayed with");
      assertEquals(5, m.loadLong(LINE_B + 8));
      assertTrue(log.verify().isEmpty(), log.verify().toString());
    }
  }

  /** A recovered log whose lane 0 holds an open record of {@code ws} over LINE_A and LINE_C. */
  private record LaneZeroOpen(RedoLog log, WriteSet ws) {}

  private static LaneZeroOpen laneZeroOpen(Medium m) {
    RedoLog log = LogFixture.openRecovered(m);
    WriteSet ws = log.newWriteSet();
    ws.putLong(LINE_A, 1);
    ws.putLong(LINE_C, 2);
    log.commit(ws, 0);
    return new LaneZeroOpen(log, ws);
  }

  /**
   * Lanes pinned by the test (so no alternation): a commit on a lane it left open closes it first
   * (its targets flushed, one more fence). Another lane's open or pending record costs a commit
   * nothing while it changes other bytes. A commit on another lane, a single-word commit or a
   * durable range over bytes that record targets, and a fence or persist of the ordered medium
   * after a flush there of such bytes, close it if it is open (flush of its targets, one more
   * fence) and flush its header line; the second time the same flusher finds the same record
   * pending it retires it, and nobody flushes it again.
   */
  @Test
  void anotherLanesRecordIsClosedAndFlushedOnlyByTheFencesThatNeedIt() throws InterruptedException {
    try (Medium m = LogFixture.formatted(7)) {
      LaneZeroOpen open = laneZeroOpen(m);
      RedoLog log = open.log();
      WriteSet ws = open.ws();
      PersistStats before = m.stats();
      log.commit(ws, 0); // same lane, left open: closed first
      // stores: APPLIED word, record, 2 applies; flushes: 2 target lines, record
      assertEquals(new PersistStats(4, 8 + 96 + 16, 3, 64 + 64 + 96, 2), m.stats().minus(before));

      PersistStats[] disjoint = new PersistStats[3];
      PersistStats[] overlapping = new PersistStats[3];
      onTheOtherLane(() -> {
        WriteSet w2 = log.newWriteSet();
        w2.putLong(LINE_B, 3);
        w2.putLong(LINE_B + 512, 4);
        w2.putLong(LINE_A + 16, 5); // another word of a line lane 0's record changed
        for (int i = 0; i < 3; i++) {
          PersistStats b = m.stats();
          log.commit(w2, 1);
          disjoint[i] = m.stats().minus(b);
        }
        w2.putLong(LINE_A, 6);
        for (int i = 0; i < 3; i++) {
          PersistStats b = m.stats();
          log.commit(w2, 1);
          overlapping[i] = m.stats().minus(b);
        }
      });
      assertEquals(1, disjoint[0].flushes(), "the record; lane 0's record targets other bytes");
      assertEquals(1, disjoint[0].fences());
      for (int i = 1; i < 3; i++) {
        assertEquals(3 + 1, disjoint[i].flushes(), "lane 1 closed (3 target lines), the record");
        assertEquals(2, disjoint[i].fences());
      }
      assertEquals(3 + 2 + 1 + 1, overlapping[0].flushes(),
          "lane 1 closed, lane 0 closed (2 target lines), lane 0's header line, the record");
      assertEquals(3, overlapping[0].fences());
      assertEquals(3 + 1 + 1, overlapping[1].flushes(), "the same record of lane 0 again: flushed and retired");
      assertEquals(2, overlapping[1].fences());
      assertEquals(3 + 1, overlapping[2].flushes(), "lane 0 retired");

      // lane 1's last record (words at LINE_A, LINE_A + 16, LINE_B, LINE_B + 512; 3 lines) is open
      // now: so do single-word commits over its bytes, and single-word commits elsewhere (another
      // line, another word of one of its lines) do not touch it
      WriteSet single = log.newWriteSet();
      single.putLong(LINE_C + 8, 8);
      for (int i = 0; i < 3; i++) {
        before = m.stats();
        log.commit(single);
        assertEquals(new PersistStats(1, 8, 1, 8, 1), m.stats().minus(before), "LINE_C: not lane 1's");
      }
      single.clear();
      single.putLong(LINE_A + 8, 8);
      before = m.stats();
      log.commit(single);
      assertEquals(new PersistStats(1, 8, 1, 8, 1), m.stats().minus(before), "LINE_A + 8: not lane 1's");
      single.clear();
      single.putLong(LINE_A, 9);
      before = m.stats();
      log.commit(single);
      assertEquals(new PersistStats(2, 16, 3 + 1 + 1, 192 + 64 + 8, 2), m.stats().minus(before),
          "lane 1 closed (APPLIED word, 3 target lines, fence), its header line, the word");
      for (int flushes : new int[] {2, 1}) {
        before = m.stats();
        log.commit(single);
        assertEquals(new PersistStats(1, 8, flushes, 8 + 64 * (flushes - 1), 1), m.stats().minus(before));
      }

      // a durable range over an open record's target closes it and flushes it too
      log.commit(ws, 0);
      WriteSet durable = log.newWriteSet();
      durable.addDurableRange(LINE_B + 2048, 64);
      before = m.stats();
      log.commit(durable);
      assertEquals(new PersistStats(0, 0, 1, 64, 1), m.stats().minus(before), "other bytes");
      durable.addDurableRange(LINE_C, 8);
      before = m.stats();
      log.commit(durable);
      assertEquals(new PersistStats(1, 8, 2 + 1 + 2, 128 + 64 + 128, 2), m.stats().minus(before),
          "lane 0 closed (2 target lines), its header line, two ranges");

      // and persists through the ordered medium over its bytes, and fences there after a flush
      // there of its bytes; other bytes, and a fence with nothing flushed before it, do not
      log.commit(ws, 0);
      Medium ordered = log.orderedMedium();
      ordered.storeLong(LINE_B + 1024, 7);
      before = m.stats();
      ordered.persist(LINE_B + 1024, 8);
      assertEquals(new PersistStats(0, 0, 1, 8, 1), m.stats().minus(before), "other bytes");
      before = m.stats();
      ordered.fence();
      assertEquals(new PersistStats(0, 0, 0, 0, 1), m.stats().minus(before), "nothing flushed: nothing to order");
      ordered.storeLong(LINE_A, 7);
      before = m.stats();
      ordered.persist(LINE_A, 8);
      assertEquals(new PersistStats(1, 8, 2 + 1 + 1, 128 + 64 + 8, 2), m.stats().minus(before),
          "lane 0 closed, its header line, the word");
      for (int flushes : new int[] {2, 1}) {
        before = m.stats();
        ordered.persist(LINE_A, 8);
        assertEquals(new PersistStats(0, 0, flushes, 8 + 64 * (flushes - 1), 1), m.stats().minus(before));
      }
      log.commit(ws, 0);
      ordered.storeLong(LINE_C, 7);
      before = m.stats();
      ordered.flush(LINE_C, 8);
      ordered.fence();
      assertEquals(new PersistStats(1, 8, 1 + 2 + 1, 8 + 128 + 64, 2), m.stats().minus(before),
          "a flush of the record's bytes, then a fence: lane 0 closed, its header line");
      for (int flushes : new int[] {2, 1}) {
        before = m.stats();
        ordered.flush(LINE_C, 8);
        ordered.fence();
        assertEquals(new PersistStats(0, 0, flushes, 8 + 64 * (flushes - 1), 1), m.stats().minus(before),
            "a flush of the record's bytes, then a fence");
      }
    }
  }

  /**
   * A lane whose record no later footprint overlaps is still retired: lane 0 is left open and idle
   * while another thread commits other bytes on lane 1. Every {@link
   * PendingInvalidations.Seen#SWEEP_EVERY}th commit sweeps (here with no least time between
   * sweeps); the first sweep notes lane 0's generation, the second finds it unchanged and closes
   * lane 0 (its 2 target lines, one fence), flushes its header line and retires it after the
   * commit's fence. Every other commit costs the same, and afterwards nothing of lane 0 is flushed
   * again.
   */
  @Test
  void aSweepRetiresAnIdleLaneThatNoFootprintOverlaps() throws InterruptedException {
    int sweep = PendingInvalidations.Seen.SWEEP_EVERY;
    try (Medium m = LogFixture.formatted(7)) {
      RedoLog log = laneZeroOpen(m).log();
      log.sweepIdleNanos(0);
      PersistStats[] cost = new PersistStats[3 * sweep];
      PersistStats[] closing = new PersistStats[1];
      onTheOtherLane(() -> {
        WriteSet w2 = log.newWriteSet();
        w2.putLong(LINE_B, 3);
        w2.putLong(LINE_B + 8, 3); // two words: logged
        for (int i = 0; i < cost.length; i++) {
          PersistStats b = m.stats();
          log.commit(w2, 1);
          cost[i] = m.stats().minus(b);
        }
        PersistStats b = m.stats();
        log.persistInvalidations();
        closing[0] = m.stats().minus(b);
      });
      // from the second commit on, lane 1's own open record is closed first (1 target line, 1 fence)
      PersistStats base = cost[1];
      assertEquals(2, base.flushes());
      assertEquals(2, base.fences());
      for (int i = 1; i < cost.length; i++) {
        final int k = i;
        if (i == 2 * sweep - 1) {
          assertEquals(base.flushes() + 2 + 1, cost[i].flushes(), "lane 0 closed (2 target lines), its header line");
          assertEquals(base.fences() + 1, cost[i].fences(), "lane 0 closed");
        } else {
          assertEquals(base.flushes(), cost[i].flushes(), () -> "commit " + k);
          assertEquals(base.fences(), cost[i].fences(), () -> "commit " + k);
        }
      }
      // lane 1 open: its target line and, after the fence, its header line; nothing of lane 0
      assertEquals(1 + 1, closing[0].flushes(), closing[0].toString());
      assertTrue(log.verify().isEmpty(), log.verify().toString());
    }
  }

  /**
   * Two sweeps of one flusher are at least a set time apart ({@link
   * PendingInvalidations.Seen#SWEEP_IDLE_NANOS} by default, 10 s here): over three sweep intervals
   * of commits on lane 1, which take far less than that, only the first sweep runs (it notes lane
   * 0's generation), so lane 0, idle for less than that time, stays open and costs no commit
   * anything. Its thread may only be waiting for a processor; closing its lane would take the lock
   * it is about to use.
   */
  @Test
  void aSweepLeavesALaneIdleForLessThanTheSweepTime() throws InterruptedException {
    int sweep = PendingInvalidations.Seen.SWEEP_EVERY;
    long idle = 10_000_000_000L;
    try (Medium m = LogFixture.formatted(7)) {
      RedoLog log = laneZeroOpen(m).log();
      log.sweepIdleNanos(idle);
      long t0 = System.nanoTime();
      PersistStats[] cost = commitsOnLaneOne(m, log, 3 * sweep, i -> {});
      long took = System.nanoTime() - t0;
      assertTrue(took < idle,
          "the commits took " + took + " ns, longer than the sweep time: the test cannot tell");
      for (int i = 1; i < cost.length; i++) {
        assertEquals(cost[1], cost[i], "commit " + i);
      }
      assertTrue(log.lane(0).openGeneration() != 0, "lane 0 stays open");
      assertTrue(log.verify().isEmpty(), log.verify().toString());
    }
  }

  /**
   * With every scan due for a sweep but at least 300 ms between two sweeps: the first commit's
   * sweep notes lane 0's generation, the next commit (at once) does not sweep, and the first commit
   * 300 ms later sweeps, finds lane 0 still idle and closes it (2 target lines, one fence) and
   * flushes its header line.
   */
  @Test
  void aSweepClosesALaneIdleForTheSweepTime() throws InterruptedException {
    long idle = 300_000_000L;
    try (Medium m = LogFixture.formatted(7)) {
      RedoLog log = laneZeroOpen(m).log();
      log.sweepEvery(1);
      log.sweepIdleNanos(idle);
      long[] between = new long[2];
      PersistStats[] cost = commitsOnLaneOne(m, log, 3, i -> {
        if (i == 0) {
          between[0] = System.nanoTime();
        } else if (i == 2) {
          between[1] = System.nanoTime() - between[0];
          try {
            Thread.sleep(idle / 1_000_000 + 50);
          } catch (InterruptedException e) {
            throw new AssertionError(e);
          }
        }
      });
      assertTrue(between[1] < idle, "the first two commits took " + between[1] + " ns: the test cannot tell");
      assertEquals(1, cost[0].fences(), "the first sweep only notes lane 0's generation: " + cost[0]);
      assertEquals(2, cost[1].flushes(), "no sweep: lane 1 closed (1 target line), the record: " + cost[1]);
      assertEquals(2, cost[1].fences());
      assertEquals(2 + 2 + 1, cost[2].flushes(), "lane 0 closed (2 target lines), its header line: " + cost[2]);
      assertEquals(3, cost[2].fences());
      assertEquals(0, log.lane(0).openGeneration(), "lane 0 closed by the sweep");
      assertTrue(log.verify().isEmpty(), log.verify().toString());
    }
  }

  /**
   * {@code n} commits of two words of LINE_B on lane 1, on another thread ({@link #onTheOtherLane});
   * {@code before} runs before commit i. Returns what each commit cost.
   */
  private static PersistStats[] commitsOnLaneOne(Medium m, RedoLog log, int n, java.util.function.IntConsumer before)
      throws InterruptedException {
    PersistStats[] cost = new PersistStats[n];
    onTheOtherLane(() -> {
      WriteSet w2 = log.newWriteSet();
      w2.putLong(LINE_B, 3);
      w2.putLong(LINE_B + 8, 3);
      for (int i = 0; i < n; i++) {
        before.accept(i);
        PersistStats b = m.stats();
        log.commit(w2, 1);
        cost[i] = m.stats().minus(b);
      }
    });
    return cost;
  }

  /**
   * A sweep does not wait for a lane whose lock is taken (its owner committing, say): with another
   * thread holding lane 0's lock, lane 1's sweeps skip lane 0 and return at once; once the lock is
   * free, the next sweep closes it.
   */
  @Test
  void aSweepSkipsALaneWhoseLockIsTaken() throws Exception {
    try (Medium m = LogFixture.formatted(7)) {
      RedoLog log = laneZeroOpen(m).log();
      log.sweepEvery(1);
      Lane zero = log.lane(0);
      java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      Thread holder = Thread.ofPlatform().start(() -> {
        zero.lock();
        try {
          held.countDown();
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          zero.unlock();
        }
      });
      held.await();
      WriteSet[] w2 = new WriteSet[1];
      PersistStats[] cost = new PersistStats[4];
      try {
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () ->
            onTheOtherLane(() -> {
              w2[0] = log.newWriteSet();
              w2[0].putLong(LINE_B, 3);
              w2[0].putLong(LINE_B + 8, 3);
              for (int i = 0; i < 3; i++) {
                PersistStats b = m.stats();
                log.commit(w2[0], 1);
                cost[i] = m.stats().minus(b);
              }
            }));
      } finally {
        release.countDown();
        holder.join();
      }
      assertTrue(zero.openGeneration() != 0, "lane 0 skipped while its lock was taken");
      assertEquals(1, cost[0].fences(), "the first sweep only notes lane 0's generation");
      for (int i = 1; i < 3; i++) {
        assertEquals(2, cost[i].flushes(), "lane 1 closed (1 target line), the record: " + cost[i]);
        assertEquals(2, cost[i].fences());
      }
      onTheOtherLane(() -> {
        PersistStats b = m.stats();
        log.commit(w2[0], 1);
        cost[3] = m.stats().minus(b);
      });
      assertEquals(2 + 2 + 1, cost[3].flushes(), "lane 0 closed (2 target lines), its header line: " + cost[3]);
      assertEquals(3, cost[3].fences());
      assertEquals(0, zero.openGeneration(), "lane 0 closed by the sweep once its lock was free");
      assertTrue(log.verify().isEmpty(), log.verify().toString());
    }
  }

  @Test
  void onlyDurableRangesIsOneFence() {
    Cost c = commit(ws -> ws.addDurableRange(LINE_B, 200));
    assertEquals(new PersistStats(0, 0, 1, 256, 1), c.medium());
    assertEquals(PersistStats.ZERO, c.closed());
    assertEquals(new LogStats(0, 0, 0, 0), c.log());
  }

  @Test
  void emptyWriteSetCostsNothing() {
    Cost c = commit(ws -> {});
    assertEquals(PersistStats.ZERO, c.medium());
  }

  @Test
  void tooLargeRecordIsRejectedBeforeAnythingIsWritten() {
    try (Medium m = LogFixture.formatted(7)) {
      RedoLog log = LogFixture.openRecovered(m);
      assertEquals(LogFixture.LANE_SIZE - 64, log.laneCapacity());
      WriteSet ws = log.newWriteSet();
      ws.write(AREA_END, new byte[4020], 0, 4020); // 16 + 4024 = 4040 > 4032
      ws.putLong(AREA_END + 8192, 1);
      byte[] imageBefore = LogFixture.image(m);
      PersistStats before = m.stats();
      TransactionTooLargeException e =
          assertThrows(TransactionTooLargeException.class, () -> log.commit(ws));
      assertEquals(PersistStats.ZERO, m.stats().minus(before), "nothing stored, flushed or fenced");
      assertArrayEquals(imageBefore, LogFixture.image(m));
      assertEquals(ErrorCode.TX_TOO_LARGE, e.code());
      String msg = e.getMessage();
      assertTrue(msg.contains("4120 bytes") && msg.contains("4032 payload bytes")
          && msg.contains("laneSize 4096") && msg.contains("useExtensionSpace"), msg);
      // the log still works afterwards
      ws.clear();
      ws.putLong(AREA_END, 1);
      ws.putLong(AREA_END + 64, 2);
      log.commit(ws);
      assertEquals(1, log.stats().recordsWritten());
    }
  }

  @Test
  void recordOfExactlyLaneCapacityCommits() {
    try (Medium m = LogFixture.formatted(7)) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet ws = log.newWriteSet();
      byte[] data = new byte[4016];
      Arrays.fill(data, (byte) 0x5A);
      ws.write(AREA_END + 3, data, 0, data.length); // 16 + 4016 = 4032 bytes
      assertEquals(64 + log.laneCapacity(), ws.encodedBytes());
      log.commit(ws);
      byte[] got = new byte[data.length];
      m.read(AREA_END + 3, got, 0, got.length);
      assertArrayEquals(data, got);
      ws.clear();
      for (int i = 0; i < 252; i++) { // 252 SET8 = 4032 bytes: fits
        ws.putLong(AREA_END + 8L * i * 2, i);
      }
      log.commit(ws);
      ws.putLong(AREA_END + 8192, 1); // 253rd
      assertThrows(TransactionTooLargeException.class, () -> log.commit(ws));
    }
  }
}
