package io.nvframe.redo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import io.nvframe.tck.TestMedia;
import io.nvframe.tck.crash.CrashFailure;
import io.nvframe.tck.crash.CrashOptions;
import io.nvframe.tck.crash.CrashScenario;
import io.nvframe.tck.crash.CrashSimulator;
import io.nvframe.tck.crash.CrashTally;
import io.nvframe.tck.crash.MutatingMedium;
import io.nvframe.tck.crash.PersistencyMode;
import io.nvframe.tck.crash.TraceLints;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The crash simulator on redo-log commits through the log's public API: a seeded sequence of
 * transactions of every shape (several SET8, a 64-byte COPY across two lines, durable ranges, a
 * record filling the lane, overlapping writes, single-word commits with and without durable
 * ranges). On every crash image: recovery does not throw, {@code verify()} is empty, the data area
 * is the one after the durable commits (or one more if in flight), a visible transaction's durable
 * ranges are intact, recovering twice changes nothing, and sampled crashes inside recovery recover
 * to the same state. Mutants of the real protocol (dropped flush, dropped fence, state word stored
 * without the fence after the apply) are caught.
 */
class RedoCrashSimTest {
  static final long AREA = 4096;
  static final int LANES = 2;
  static final int LANE_SIZE = 4096;
  static final long AREA_END = AREA + (long) LANES * LANE_SIZE;
  static final int DATA = 16384;
  static final long FRESH = AREA_END + 12288;
  /** The durable range published by a single-word commit. */
  static final long FRESH_SINGLE = FRESH + 1024;
  /** The word that publishes {@link #FRESH_SINGLE}. */
  static final long LINK_SINGLE = AREA_END + 256;
  private static final CrashTally TALLY = new CrashTally("log-redo");
  private static final CrashTally MUTANTS = new CrashTally("log-redo");
  private static final CrashTally CHAINED = new CrashTally("log-redo-chained");

  /** The recovered log and its medium. */
  record Recovered(RedoLog log, Medium medium) {}

  /** The data area; equal by content. */
  record Data(byte[] bytes, String durableRanges) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Data d && Arrays.equals(bytes, d.bytes) && durableRanges.equals(d.durableRanges);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      java.util.zip.CRC32C c = new java.util.zip.CRC32C();
      c.update(bytes);
      return "data area crc32c=" + Long.toHexString(c.getValue()) + ", durable ranges " + durableRanges;
    }
  }

  static LongStream seeds() {
    return LongStream.range(0, 6).map(i -> 0x5EED_0000L + i * 7919);
  }

  private static byte[] bytes(Random rnd, int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }

  /** Durable-range content of the scenario with {@code seed} (written directly, published by a commit). */
  private static byte[] fresh(long seed) {
    return bytes(new Random(~seed), 300);
  }

  /**
   * Commits of every shape. Two of them publish data written directly into the medium (a durable
   * range, as core does for frames allocated in the transaction): a logged commit (two SET8, one of
   * them the link, and a COPY) publishes {@code FRESH}, a single-word commit publishes {@code
   * FRESH_SINGLE}. The observed state says for each whether it is published and, if so, intact.
   */
  static CrashScenario<Recovered> scenario(long seed, boolean bigRecord, MutatingMedium.Mutation mutation, long k) {
    byte[] freshBytes = fresh(seed);
    byte[] freshSingle = bytes(new Random(seed * 5), 200);
    long link = new Random(seed * 3).nextLong() | 1;
    long linkSingle = new Random(seed * 7).nextLong() | 1;
    return CrashScenario.<Recovered>named("commits seed " + seed + (bigRecord ? " with a full lane" : "")
            + (mutation == null ? "" : " " + mutation + " #" + k))
        .medium(() -> formattedWithData(seed))
        .driver((recording, ops) -> {
          Medium m = mutation == null ? recording : new MutatingMedium(recording, mutation, k);
          RedoLog log = recoverLog(m).log();
          Random rnd = new Random(seed);
          WriteSet ws = log.newWriteSet();
          ops.run("three SET8", () -> {
            ws.clear();
            ws.putLong(AREA_END + 64, rnd.nextLong());
            ws.putLong(AREA_END + 1024, rnd.nextLong());
            ws.putLong(AREA_END + 5000, rnd.nextLong());
            log.commit(ws);
          });
          ops.run("COPY of 64 B across two lines", () -> {
            ws.clear();
            ws.write(AREA_END + 2056, bytes(rnd, 64), 0, 64);
            log.commit(ws);
          });
          ops.run("durable range + two SET8 + COPY", () -> {
            ws.clear();
            m.write(FRESH, freshBytes, 0, freshBytes.length);
            ws.addDurableRange(FRESH, freshBytes.length);
            ws.putLong(AREA_END + 128, link);
            ws.putLong(AREA_END + 136, rnd.nextLong());
            ws.write(AREA_END + 3001, bytes(rnd, 20), 0, 20);
            log.commit(ws);
          });
          ops.run("durable range + single SET8", () -> {
            ws.clear();
            m.write(FRESH_SINGLE, freshSingle, 0, freshSingle.length);
            ws.addDurableRange(FRESH_SINGLE, freshSingle.length);
            ws.putLong(LINK_SINGLE, linkSingle);
            log.commit(ws);
          });
          ops.run("overlapping writes", () -> {
            ws.clear();
            ws.putLong(AREA_END + 704, rnd.nextLong());
            ws.write(AREA_END + 700, bytes(rnd, 16), 0, 16);
            ws.putLong(AREA_END + 712, rnd.nextLong());
            ws.write(AREA_END + 6000, bytes(rnd, 9), 0, 9);
            log.commit(ws);
          });
          ops.run("single SET8", () -> {
            ws.clear();
            ws.putLong(AREA_END + 512, rnd.nextLong());
            log.commit(ws);
          });
          if (bigRecord) {
            ops.run("COPY filling the lane", () -> {
              ws.clear();
              ws.write(AREA_END + 4101, bytes(rnd, 4016), 0, 4016);
              assertEquals(LANE_SIZE, ws.encodedBytes());
              log.commit(ws);
            });
          }
        })
        .recover(RedoCrashSimTest::recoverLog)
        .invariants(r -> assertEquals(List.of(), r.log().verify(), "L1 after recovery"))
        .observe(r -> {
          byte[] data = dataArea(r.medium());
          String ranges = "logged: " + published(r.medium(), AREA_END + 128, link, FRESH, freshBytes)
              + ", single-word: " + published(r.medium(), LINK_SINGLE, linkSingle, FRESH_SINGLE, freshSingle);
          return new Data(data, ranges);
        })
        .commitWords(RedoCrashSimTest::isCommitWord)
        .deferredStores(RedoCrashSimTest::isDeferred)
        .readTolerated((off, len) -> off >= AREA && off + len <= AREA_END)
        .close(r -> r.medium().close())
        .build();
  }

  /** A formatted log with seeded data after it. */
  static Medium formattedWithData(long seed) {
    Medium m = TestMedia.heap(AREA_END + DATA);
    RedoLog.format(m, AREA, LANES, LANE_SIZE);
    byte[] data = bytes(new Random(seed), DATA - 4096);
    m.write(AREA_END, data, 0, data.length);
    m.persist(AREA_END, data.length);
    return m;
  }

  static Recovered recoverLog(Medium m) {
    RedoLog log = RedoLog.open(m, AREA, LANES, LANE_SIZE);
    log.recover();
    return new Recovered(log, m);
  }

  static byte[] dataArea(Medium m) {
    byte[] data = new byte[DATA - 4096];
    m.read(AREA_END, data, 0, data.length);
    return data;
  }

  /**
   * Stores that a returned operation may leave non-durable on purpose: a lane's APPLIED state word
   * (made durable by a later fence, log-redo/README.md "Deferred invalidation") and the targets of
   * a logged commit (flushed by the commit that adopts or closes its open lane, "Open lanes"; the
   * record is durable and replays them). Their durability is what the crash images check.
   */
  static boolean isDeferred(long off, long len) {
    return isStateWord(off, len) || off >= AREA_END;
  }

  /** The APPLIED state word of a lane: made durable by a later fence (RedoLog, deferred invalidation). */
  static boolean isStateWord(long off, long len) {
    return off >= AREA && off < AREA_END && (off - AREA) % LANE_SIZE == RecordFormat.STATE_WORD_OFFSET && len == 8;
  }

  /**
   * The lint's commit words: 8-byte stores into a lane header other than the APPLIED state word.
   * An APPLIED word is stored by whoever adopts or closes an open lane, after the fence that made
   * that record's targets (stored by an earlier operation) durable; the lint's rule (a commit word
   * publishes its own operation's earlier stores) does not describe it, and the crash images check it.
   */
  static boolean isCommitWord(long off, long len) {
    return inLaneHeader(off, len) && !isStateWord(off, len);
  }

  static boolean inLaneHeader(long off, long len) {
    return off >= AREA && off < AREA_END && (off - AREA) % LANE_SIZE < RedoLog.HEADER_BYTES;
  }

  private static String published(Medium m, long linkAt, long link, long at, byte[] expected) {
    if (m.loadLong(linkAt) != link) {
      return "not published";
    }
    byte[] f = new byte[expected.length];
    m.read(at, f, 0, f.length);
    return Arrays.equals(f, expected) ? "intact" : "LOST although published";
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void everyCrashImageOfEveryCommitShapeRecovers(long seed) {
    var r = TALLY.run(scenario(seed, true, null, 0), CrashOptions.defaults().seed(seed));
    assertTrue(r.points() >= 10, r.toString());
  }

  /**
   * The exhaustive profile ({@code ./mvnw verify -Plong}): 40 more seeds of the commit-shape, the
   * two-lane and the disjoint-lane scenarios with 1024 random images per bounded point, in the x86 and the unordered
   * model, at least 1,000,000 images in all.
   */
  @org.junit.jupiter.api.Tag("long")
  @Test
  void exhaustiveProfile() {
    CrashTally tally = new CrashTally("log-redo-exhaustive");
    for (long i = 0; i < 40; i++) {
      long seed = 0xE4A0_0000L + i * 104729;
      tally.run(scenario(seed, true, null, 0), CrashOptions.defaults().seed(seed).cap(4096, 1024));
      tally.run(scenario(seed, true, null, 0), CrashOptions.defaults().seed(seed).mode(PersistencyMode.NO_SAME_LINE_ORDER));
      tally.run(twoLaneScenario(seed, null, 0), CrashOptions.defaults().seed(seed).cap(4096, 1024));
      tally.run(twoLaneScenario(seed, null, 0), CrashOptions.defaults().seed(seed).mode(PersistencyMode.NO_SAME_LINE_ORDER));
      tally.run(disjointLanesScenario(seed, null, 0), CrashOptions.defaults().seed(seed).cap(4096, 1024));
      tally.run(disjointLanesScenario(seed, null, 0), CrashOptions.defaults().seed(seed).mode(PersistencyMode.NO_SAME_LINE_ORDER));
      tally.run(disjointLanesScenario(seed, true, null, 0), CrashOptions.defaults().seed(seed).cap(4096, 1024));
      tally.run(disjointLanesScenario(seed, true, null, 0), CrashOptions.defaults().seed(seed).mode(PersistencyMode.NO_SAME_LINE_ORDER));
    }
    System.out.println(tally.figureLine());
    assertTrue(tally.images() >= 1_000_000, tally.figureLine());
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void lazilyAndUnderOtherModels(long seed) {
    TALLY.run(scenario(seed, false, null, 0),
        CrashOptions.defaults().seed(seed).strategy(CrashOptions.Strategy.LAZY).maxRunsPerPoint(2000).cap(4096, 64));
    TALLY.run(scenario(seed, false, null, 0), CrashOptions.defaults().seed(seed).mode(PersistencyMode.NO_SAME_LINE_ORDER));
    TALLY.run(scenario(seed, false, null, 0), CrashOptions.defaults().seed(seed).mode(PersistencyMode.EADR));
  }

  /**
   * A scenario named {@code name} on a formatted log: recovery opens and recovers it, checks {@code
   * verify()}, and the lints know the lane headers' commit words and the deferred state words.
   */
  private static CrashScenario.Builder<Recovered> onTheLog(String name) {
    return CrashScenario.<Recovered>named(name)
        .recover(RedoCrashSimTest::recoverLog)
        .invariants(r -> assertEquals(List.of(), r.log().verify(), "L1 after recovery"))
        .commitWords(RedoCrashSimTest::isCommitWord)
        .deferredStores(RedoCrashSimTest::isDeferred)
        .readTolerated((off, len) -> off >= AREA && off + len <= AREA_END)
        .close(r -> r.medium().close());
  }

  /** Runs the mutant {@code scenario} and checks that the oracle fails it with a message containing {@code expected}. */
  private static void failsTheOracle(String what, CrashScenario<Recovered> mutant, String expected) {
    CrashFailure f = MUTANTS.mutant(what, () -> CrashSimulator.run(mutant, CrashOptions.defaults()));
    assertEquals("oracle", f.check(), f.getMessage());
    assertTrue(f.getMessage().contains(expected), f.getMessage());
  }

  /** Runs {@code scenario} eagerly in the x86 model (at least {@code minPoints} crash points), unordered and lazily. */
  private static void eagerUnorderedAndLazy(CrashScenario<Recovered> scenario, long seed, int minPoints) {
    var r = TALLY.run(scenario, CrashOptions.defaults().seed(seed));
    assertTrue(r.points() >= minPoints, r.toString());
    TALLY.run(scenario, CrashOptions.defaults().seed(seed).mode(PersistencyMode.NO_SAME_LINE_ORDER));
    TALLY.run(scenario,
        CrashOptions.defaults().seed(seed).strategy(CrashOptions.Strategy.LAZY).maxRunsPerPoint(500).cap(4096, 64));
  }

  /** Words the two-lane scenario's transactions share. */
  static final long X = AREA_END + 64;
  static final long Y = AREA_END + 1024;
  static final long Z = AREA_END + 5000;
  static final long W = AREA_END + 7000;
  /** 1 KiB of whole lines the two-lane scenario rewrites with one COPY. */
  static final long V = AREA_END + 9216;

  /**
   * Transactions on two lanes that change the same words one after the other, with single-word
   * commits and a direct persist through {@link RedoLog#orderedMedium()} between them: lane 0 first
   * runs ahead in sequence numbers, so lane 1's records need generations above lane 0's pending
   * one; each lane reuses its lane while the other lane's older record over the same words is
   * still VALID in memory-only form (its APPLIED word not yet durable). On every image the data
   * area must be the one after the completed operations, or after one more.
   */
  static CrashScenario<Recovered> twoLaneScenario(long seed, MutatingMedium.Mutation mutation, long k) {
    return onTheLog("two lanes, same words, seed " + seed
            + (mutation == null ? "" : " " + mutation + " #" + k))
        .medium(() -> formattedWithData(seed))
        .driver((recording, ops) -> {
          Medium m = mutation == null ? recording : new MutatingMedium(recording, mutation, k);
          RedoLog log = recoverLog(m).log();
          Medium ordered = log.orderedMedium();
          Random rnd = new Random(seed);
          // lane 0's transactions, the single-word commits and the direct stores run on the
          // driver's thread with ws; lane 1's on a second thread with its own write set, so each
          // thread's fences complete only its own flushes (CrashModel), and each closes the
          // other's open lane when it needs to
          WriteSet ws = log.newWriteSet();
          WriteSet ws1 = log.newWriteSet();
          ExecutorService second = Executors.newSingleThreadExecutor(r -> new Thread(r, "lane-1-thread"));
          try {
            for (int i = 0; i < 3; i++) {
              ops.run("lane 0: W + 8 and a COPY (" + i + ")", () -> {
                ws.clear();
                ws.putLong(W + 8, rnd.nextLong());
                ws.write(AREA_END + 3001, bytes(rnd, 20), 0, 20);
                log.commit(ws, 0);
              });
            }
            ops.run("lane 0: X, Y", () -> {
              ws.clear();
              ws.putLong(X, rnd.nextLong());
              ws.putLong(Y, rnd.nextLong());
              log.commit(ws, 0);
            });
            ops.run("lane 1: X, Z (generation above lane 0's)", () -> on(second, () -> {
              ws1.clear();
              ws1.putLong(X, rnd.nextLong());
              ws1.putLong(Z, rnd.nextLong());
              log.commit(ws1, 1);
            }));
            ops.run("single word: Y", () -> {
              ws.clear();
              ws.putLong(Y, rnd.nextLong());
              log.commit(ws);
            });
            ops.run("lane 0: Z, W (lane 1 open)", () -> {
              ws.clear();
              ws.putLong(Z, rnd.nextLong());
              ws.putLong(W, rnd.nextLong());
              log.commit(ws, 0);
            });
            ops.run("lane 1: W + 8, COPY over X", () -> on(second, () -> {
              ws1.clear();
              ws1.putLong(W + 8, rnd.nextLong());
              ws1.write(X - 8, bytes(rnd, 24), 0, 24);
              log.commit(ws1, 1);
            }));
            ops.run("direct store + ordered persist: Z", () -> {
              ordered.storeLong(Z, rnd.nextLong());
              ordered.persist(Z, Long.BYTES);
            });
            ops.run("lane 1: Y, Z", () -> on(second, () -> {
              ws1.clear();
              ws1.putLong(Y, rnd.nextLong());
              ws1.putLong(Z + 8, rnd.nextLong());
              log.commit(ws1, 1);
            }));
            ops.run("single word: X", () -> {
              ws.clear();
              ws.putLong(X, rnd.nextLong());
              log.commit(ws);
            });
            ops.run("lane 0: X, Y again", () -> {
              ws.clear();
              ws.putLong(X, rnd.nextLong());
              ws.putLong(Y, rnd.nextLong());
              log.commit(ws, 0);
            });
            ops.run("direct store + ordered flush, then ordered fence: Y", () -> {
              ordered.storeLong(Y, rnd.nextLong());
              ordered.flush(Y, Long.BYTES);
              ordered.fence();
            });
            ops.run("direct store + ordered persist of bytes no record targets: W + 16", () -> {
              ordered.storeLong(W + 16, rnd.nextLong());
              ordered.persist(W + 16, Long.BYTES);
            });
            ops.run("lane 1: Z", () -> on(second, () -> {
              ws1.clear();
              ws1.putLong(Z, rnd.nextLong());
              ws1.putLong(Z + 16, rnd.nextLong());
              log.commit(ws1, 1);
            }));
            // a thread alternating its two lanes: each commit adopts the lane it left open; the
            // second and third share words with the record they adopt (its header is then flushed
            // by the adopter, and by anyone who flushes or overwrites the adopter's lane)
            for (int i = 0; i < 3; i++) {
              ops.run("lane 1's thread, unpinned: Y, W (" + i + ")", () -> on(second, () -> {
                ws1.clear();
                ws1.putLong(Y, rnd.nextLong());
                ws1.putLong(W, rnd.nextLong());
                log.commit(ws1);
              }));
            }
            ops.run("lane 0: Y, X (closes lane 1's thread's open lane)", () -> {
              ws.clear();
              ws.putLong(Y, rnd.nextLong());
              ws.putLong(X, rnd.nextLong());
              log.commit(ws, 0);
            });
            // lane 1's commit overlaps lane 0's open record on X only and closes it; then a
            // single-word commit on a word only lane 1's record targets closes lane 1 and makes its
            // APPLIED word durable: nothing but lane 1's flush of lane 0's header line kept lane 0's
            // record from being replayed alone over X
            ops.run("lane 0: X, W + 24", () -> {
              ws.clear();
              ws.putLong(X, rnd.nextLong());
              ws.putLong(W + 24, rnd.nextLong());
              log.commit(ws, 0);
            });
            ops.run("lane 1: X, Z + 24 (closes lane 0)", () -> on(second, () -> {
              ws1.clear();
              ws1.putLong(X, rnd.nextLong());
              ws1.putLong(Z + 24, rnd.nextLong());
              log.commit(ws1, 1);
            }));
            ops.run("single word: Z + 24 (closes lane 1)", () -> {
              ws.clear();
              ws.putLong(Z + 24, rnd.nextLong());
              log.commit(ws);
            });
            // a COPY of whole lines goes out with writeAndFlush (RecordFormat.writeCopy), which only
            // a fence of its own thread completes; another thread's single-word commit in it follows
            ops.run("lane 1's thread: COPY of 1 KiB of whole lines into V", () -> on(second, () -> {
              ws1.clear();
              ws1.write(V, bytes(rnd, 1024), 0, 1024);
              log.commit(ws1);
            }));
            ops.run("single word in V", () -> {
              ws.clear();
              ws.putLong(V + 512, rnd.nextLong());
              log.commit(ws);
            });
          } finally {
            second.shutdownNow();
          }
        })
        .observe(r -> new Data(dataArea(r.medium()), "-"))
        .build();
  }

  /** Runs {@code body} on {@code thread} and waits for it; its exceptions are rethrown here. */
  static void on(ExecutorService thread, Runnable body) {
    try {
      thread.submit(body).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void twoLanesChangingTheSameWordsRecoverToACompletedState(long seed) {
    eagerUnorderedAndLazy(twoLaneScenario(seed, null, 0), seed, 20);
  }

  /**
   * The ordered medium's fence flushes the pending lanes whose records target bytes its thread
   * flushed there since its last fence: dropping that flush of lane 0's header line (flush #37, in
   * the op "direct store + ordered flush, then ordered fence: Y", after lane 0 was closed by flushes
   * #35-#36 and a fence) lets lane 0's record be replayed over the direct store, and the oracle
   * fails.
   */
  @Test
  void anOrderedFenceThatDoesNotFlushTheRecordOfItsFlushedBytesIsCaught() {
    failsTheOracle("ordered fence after an ordered flush of a pending record's word, its header not flushed (flush #37 dropped)",
        twoLaneScenario(1, MutatingMedium.Mutation.DROP_FLUSH, 37), "observed state is not an allowed one");
  }

  /**
   * The flush of lane 0's header line by lane 1's commit in "lane 1: X, Z + 24 (closes lane 0)"
   * (flush #61, after closing lane 0: flushes #59-#60 and a fence) is what keeps lane 0's record
   * from being replayed alone over X once lane 1's record is marked APPLIED durably by the
   * single-word commit that follows. Without it the oracle fails.
   */
  @Test
  void aCommitThatDoesNotFlushAnotherLanesPendingInvalidationIsCaught() {
    failsTheOracle("deferred invalidation of another lane not flushed (flush #61 dropped)",
        twoLaneScenario(1, MutatingMedium.Mutation.DROP_FLUSH, 61), "observed state is not an allowed one");
  }

  /**
   * An adopting commit flushes the targets of the record its thread left open before its own fence
   * and then stores that record's APPLIED word: dropping that flush (flush #41, the Z line of "lane
   * 1: Z", adopted by the first unpinned commit of lane 1's thread) lets the record be overwritten
   * while its targets are not durable, and the oracle fails.
   */
  @Test
  void anAdoptionThatDoesNotFlushTheAdoptedTargetsIsCaught() {
    failsTheOracle("adopted open record's targets not flushed (flush #41 dropped)",
        twoLaneScenario(1, MutatingMedium.Mutation.DROP_FLUSH, 41), "observed state is not an allowed one");
  }

  /**
   * Closing an open lane whose record has a predecessor (the record its thread adopted while both
   * shared words) flushes the predecessor's header line before the fence after which the closed
   * record's APPLIED word is stored. The last op closes lane 0 (flushes #51-#52 of its targets,
   * #53 of its predecessor in lane 1, written by lane 1's thread, whose own fence never came):
   * dropping #53 lets the closed record be marked APPLIED while its predecessor can still be
   * replayed alone over the same words, and the oracle fails.
   */
  @Test
  void aCloseThatDoesNotFlushThePredecessorIsCaught() {
    failsTheOracle("open lane closed without flushing its predecessor's header (flush #53 dropped)",
        twoLaneScenario(1, MutatingMedium.Mutation.DROP_FLUSH, 53), "observed state is not an allowed one");
  }

  /** Bytes of a "frame" that lane 0's first record writes and a later commit reuses with data written directly. */
  static final long F = AREA_END + 8192;
  static final long G = AREA_END + 9216;
  static final int F_LEN = 100;
  /** The words that publish the reused {@link #F} (logged commit) and {@link #G} (single-word commit). */
  static final long LINK_F = AREA_END + 320;
  static final long LINK_G = AREA_END + 384;

  /**
   * Lanes that change different bytes do not flush each other's deferred invalidation, so lane 0's
   * applied record over {@link #F} stays VALID on the media while lane 1 and single-word commits
   * change other words. Then F is reused the way core reuses a freed frame: new content written
   * directly and published by a logged commit on lane 1 that declares it as a durable range (and
   * writes {@link #G}); then G the same way by a single-word commit. The first must flush lane 0's
   * header line and the second lane 1's, or a crash after they returned replays the older record
   * over the new content. On every image the data area must be the one after the completed operations or one
   * more, and published content intact.
   */
  static CrashScenario<Recovered> disjointLanesScenario(long seed, MutatingMedium.Mutation mutation, long k) {
    return disjointLanesScenario(seed, false, mutation, k);
  }

  /**
   * {@link #disjointLanesScenario} with {@code sweep}: every scan of another lane's records is a
   * sweep ({@link RedoLog#sweepEvery}), and lane 0's record is another write set's (so it is not
   * adopted): lane 1's second commit finds it (open, idle, overlapping none of its bytes) pending
   * for the second time, closes it, flushes its header line and retires it; the commit that reuses
   * F then has no pending lane 0 to flush, and the images must show that the sweep made lane 0's
   * record unreplayable first.
   */
  static CrashScenario<Recovered> disjointLanesScenario(long seed, boolean sweep, MutatingMedium.Mutation mutation,
      long k) {
    byte[] newF = bytes(new Random(seed * 11), F_LEN);
    byte[] newG = bytes(new Random(seed * 13), F_LEN);
    long linkF = new Random(seed * 17).nextLong() | 1;
    long linkG = new Random(seed * 19).nextLong() | 1;
    return onTheLog("disjoint lanes, reused bytes" + (sweep ? ", sweeping" : "") + ", seed " + seed
            + (mutation == null ? "" : " " + mutation + " #" + k))
        .medium(() -> formattedWithData(seed))
        .driver((recording, ops) -> {
          Medium m = mutation == null ? recording : new MutatingMedium(recording, mutation, k);
          RedoLog log = recoverLog(m).log();
          if (sweep) {
            log.sweepEvery(1);
          }
          Random rnd = new Random(seed);
          WriteSet ws = log.newWriteSet();
          // sweeping: lane 0's record is another transaction's, so lane 1's commits do not adopt it
          WriteSet first = sweep ? log.newWriteSet() : ws;
          ops.run("lane 0: COPY into F, X", () -> {
            first.clear();
            first.write(F, bytes(rnd, F_LEN), 0, F_LEN);
            first.putLong(X, rnd.nextLong());
            log.commit(first, 0);
          });
          for (int i = 0; i < 2; i++) {
            ops.run("lane 1: Y, Z (other bytes) " + i, () -> {
              ws.clear();
              ws.putLong(Y, rnd.nextLong());
              ws.putLong(Z, rnd.nextLong());
              log.commit(ws, 1);
            });
          }
          ops.run("single word: W (other bytes)", () -> {
            ws.clear();
            ws.putLong(W, rnd.nextLong());
            log.commit(ws);
          });
          ops.run("lane 1: new content of F as a durable range, published by LINK_F; COPY into G", () -> {
            ws.clear();
            m.write(F, newF, 0, F_LEN);
            ws.addDurableRange(F, F_LEN);
            ws.putLong(LINK_F, linkF);
            ws.write(G, bytes(rnd, F_LEN), 0, F_LEN);
            log.commit(ws, 1);
          });
          // another write set (another transaction's): a single-word commit, which closes lane 1's
          // open record (ws's own would be adopted by a logged commit instead)
          WriteSet other = log.newWriteSet();
          ops.run("single word LINK_G with the new content of G as a durable range", () -> {
            other.clear();
            m.write(G, newG, 0, F_LEN);
            other.addDurableRange(G, F_LEN);
            other.putLong(LINK_G, linkG);
            log.commit(other);
          });
          ops.run("lane 1: Y again", () -> {
            ws.clear();
            ws.putLong(Y, rnd.nextLong());
            ws.putLong(Y + 8, rnd.nextLong());
            log.commit(ws, 1);
          });
        })
        .observe(r -> new Data(dataAreaWithout(r.medium(), F, G),
            "F: " + published(r.medium(), LINK_F, linkF, F, newF)
                + ", G: " + published(r.medium(), LINK_G, linkG, G, newG)))
        .build();
  }

  /**
   * The data area with the {@link #F_LEN} bytes at each of {@code reused} zeroed: their content is
   * free until a commit publishes it, so only the published check looks at them.
   */
  private static byte[] dataAreaWithout(Medium m, long... reused) {
    byte[] data = dataArea(m);
    for (long at : reused) {
      Arrays.fill(data, (int) (at - AREA_END), (int) (at - AREA_END) + F_LEN, (byte) 0);
    }
    return data;
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void lanesChangingOtherBytesDoNotFlushEachOtherAndReusedBytesStayIntact(long seed) {
    eagerUnorderedAndLazy(disjointLanesScenario(seed, null, 0), seed, 12);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void aSweepRetiresAnIdleLaneOnlyAfterItsRecordCannotBeReplayed(long seed) {
    eagerUnorderedAndLazy(disjointLanesScenario(seed, true, null, 0), seed, 12);
  }

  /**
   * Flush #7 of the sweeping scenario is the sweep's flush of lane 0's header line (lane 1's
   * second commit: #3-#4 close lane 1's own record, #5-#6 close lane 0's, the targets X and F).
   * Without it lane 0 is retired while its APPLIED word may still be lost, the commit that reuses F
   * does not flush it, and the oracle fails: F's new content is lost although published.
   */
  @Test
  void aSweepThatRetiresWithoutFlushingTheHeaderIsCaught() {
    failsTheOracle("sweep retires lane 0 without flushing its header line (flush #7 dropped)",
        disjointLanesScenario(1, true, MutatingMedium.Mutation.DROP_FLUSH, 7), "F: LOST although published");
  }

  /** Flush #5 is the sweep's close of lane 0: its target X. Without it X's committed value can be lost. */
  @Test
  void aSweepThatClosesWithoutFlushingTheTargetsIsCaught() {
    failsTheOracle("sweep closes lane 0 without flushing its target X (flush #5 dropped)",
        disjointLanesScenario(1, true, MutatingMedium.Mutation.DROP_FLUSH, 5), "observed state is not an allowed one");
  }

  /**
   * Flush #11 of the disjoint-lane scenario (in the commit that reuses F, after it closed its own
   * pinned lane: flushes #9-#10 and a fence) is lane 1's flush of lane 0's header line, made
   * because lane 0's record targets F, which the commit declares as a durable range. Without it
   * the oracle fails: the new content of F is lost although published.
   */
  @Test
  void aCommitReusingBytesOfAnotherLanesPendingRecordMustFlushIt() {
    failsTheOracle("logged commit with a durable range over another lane's pending record does not flush it "
        + "(flush #11 dropped)", disjointLanesScenario(1, MutatingMedium.Mutation.DROP_FLUSH, 11), "F: LOST although published");
  }

  /**
   * Flush #17 is the single-word commit's flush of lane 1's header line, after it closed lane 1's
   * open record (lane 1's record targets G, the commit's durable range: flushes #15-#16 of its
   * targets and a fence); #14 is the range. Lane 0's record (F, X) is not flushed: both footprints
   * are exact and share no byte. Without #17 the oracle fails.
   */
  @Test
  void aSingleWordCommitReusingBytesOfAPendingRecordMustFlushIt() {
    failsTheOracle("single-word commit with a durable range over a pending record does not flush it "
        + "(flush #17 dropped)", disjointLanesScenario(1, MutatingMedium.Mutation.DROP_FLUSH, 17), "G: LOST although published");
  }

  /** Extension pool of the chained scenario: after the data area and the fresh ranges. */
  static final long POOL = AREA_END + DATA;
  static final int POOL_BLOCK = 1024;
  static final int POOL_BLOCKS = 12;

  /**
   * Records larger than a lane, chained through extension blocks of a pool whose first two
   * lines per block hold unflushed junk when the chain is written (as frames freed or written before would): a record
   * of 600 SET8, a 6 KiB COPY with a durable range, a small record, and a chained record that
   * reuses the lane and the blocks of the first one. On every image the data area must be the
   * one after the durable commits (or one more), and recovery must read the chain (the lane
   * alone does not hold the record).
   */
  static CrashScenario<Recovered> chainedScenario(long seed) {
    return chainedScenarioMutated(seed, null, 0);
  }

  static CrashScenario<Recovered> chainedScenarioMutated(long seed, MutatingMedium.Mutation mutation, long k) {
    byte[] freshBytes = fresh(seed);
    long link = new Random(seed * 3).nextLong() | 1;
    return CrashScenario.<Recovered>named("chained records seed " + seed)
        .medium(() -> {
          Medium m = TestMedia.heap(POOL + (long) POOL_BLOCK * POOL_BLOCKS);
          RedoLog.format(m, AREA, LANES, LANE_SIZE);
          byte[] data = bytes(new Random(seed), DATA - 4096);
          m.write(AREA_END, data, 0, data.length);
          m.persist(AREA_END, data.length);
          return m;
        })
        .driver((recording, ops) -> {
          Medium m = mutation == null ? recording : new MutatingMedium(recording, mutation, k);
          RedoLog log = RedoLog.open(m, AREA, LANES, LANE_SIZE);
          log.recover();
          log.useExtensionSpace(new PoolSpace(POOL, POOL_BLOCK, POOL_BLOCKS));
          Random rnd = new Random(seed);
          for (int b = 0; b < POOL_BLOCKS; b++) { // the link line and the next of every block: dirty, never flushed
            m.write(POOL + (long) b * POOL_BLOCK, bytes(rnd, 128), 0, 128);
          }
          WriteSet ws = log.newWriteSet();
          ops.run("chained: 600 SET8", () -> {
            ws.clear();
            for (int i = 0; i < 600; i++) {
              ws.putLong(AREA_END + 16L * i, rnd.nextLong());
            }
            log.commit(ws);
          });
          ops.run("chained: COPY of 6 KiB + durable range", () -> {
            ws.clear();
            m.write(FRESH, freshBytes, 0, freshBytes.length);
            ws.addDurableRange(FRESH, freshBytes.length);
            ws.putLong(AREA_END + 128, link);
            ws.write(AREA_END + 5003, bytes(rnd, 6144), 0, 6144);
            log.commit(ws);
          });
          ops.run("small record", () -> {
            ws.clear();
            ws.putLong(AREA_END + 64, rnd.nextLong());
            ws.write(AREA_END + 9000, bytes(rnd, 40), 0, 40);
            log.commit(ws);
          });
          ops.run("chained again over the same lane and blocks", () -> {
            ws.clear();
            ws.write(AREA_END + 3, bytes(rnd, 7000), 0, 7000);
            ws.putLong(AREA_END + 8192, rnd.nextLong());
            log.commit(ws);
          });
        })
        .recover(RedoCrashSimTest::recoverLog)
        .invariants(r -> assertEquals(List.of(), r.log().verify(), "L1 after recovery"))
        .observe(r -> {
          return new Data(dataArea(r.medium()), "logged: " + published(r.medium(), AREA_END + 128, link, FRESH, freshBytes));
        })
        .commitWords(RedoCrashSimTest::isCommitWord)
        .deferredStores(RedoCrashSimTest::isDeferred)
        // lane records and extension blocks are validated by the record's CRC before use
        .readTolerated((off, len) -> (off >= AREA && off + len <= AREA_END) || off >= POOL)
        .close(r -> r.medium().close())
        .build();
  }

  /**
   * Two seeds, eager x86 and unordered (256 images per point, then 32 seeded random ones), and
   * lazy (64 runs per point). The pool's junk is stored and overwritten by the chain in one epoch, which the
   * "two stores to one word" performance lint of this tally counts (an artifact of the scenario).
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("chainedSeeds")
  void everyCrashImageOfAChainedRecordRecovers(long seed) {
    var r = CHAINED.run(chainedScenario(seed), CrashOptions.defaults().seed(seed).cap(256, 32));
    assertTrue(r.points() >= 12, r.toString());
    CHAINED.run(chainedScenario(seed), CrashOptions.defaults().seed(seed).mode(PersistencyMode.NO_SAME_LINE_ORDER).cap(256, 32));
    CHAINED.run(chainedScenario(seed),
        CrashOptions.defaults().seed(seed).strategy(CrashOptions.Strategy.LAZY).maxRunsPerPoint(64).cap(256, 8));
  }

  static LongStream chainedSeeds() {
    return seeds().limit(2);
  }

  @Test
  void aDroppedExtensionBlockFlushIsCaught() {
    CrashFailure f = MUTANTS.mutant("missing flush (first extension block of the first chained record)",
        () -> CrashSimulator.run(chainedScenarioMutated(1, MutatingMedium.Mutation.DROP_FLUSH, 1), CrashOptions.defaults().cap(512, 16)));
    assertTrue(f.check().equals("lint") || f.check().equals("oracle"), f.getMessage());
  }

  /**
   * A logged commit orders its durable ranges before its record (fence #0 in {@link RedoLog}):
   * without that fence a crash can keep the record (valid CRC, replayed, the link visible) and lose
   * the directly written data, which only images mixing the two show. Dropping fence #0 of the
   * third commit (fences 1-2 belong to the first two, one each) must be reported by the oracle.
   */
  @Test
  void durableRangesOfALoggedCommitWithoutTheirOwnFenceAreCaught() {
    CrashFailure f = MUTANTS.mutant("durable ranges not fenced before the record (fence #0 of the third commit dropped)",
        () -> CrashSimulator.run(scenario(1, false, MutatingMedium.Mutation.DROP_FENCE, 3), CrashOptions.defaults()));
    assertEquals("oracle", f.check(), f.getMessage());
    assertTrue(f.getMessage().contains("logged: LOST although published"), f.getMessage());
  }

  @Test
  void aDroppedRecordFlushIsCaught() {
    CrashFailure f = MUTANTS.mutant("missing flush (record flush of the first commit dropped)",
        () -> CrashSimulator.run(scenario(1, false, MutatingMedium.Mutation.DROP_FLUSH, 1), CrashOptions.defaults()));
    assertEquals("lint", f.check(), f.getMessage());
  }

  @Test
  void aDroppedApplyFenceIsCaught() {
    CrashFailure f = MUTANTS.mutant("missing fence (the second commit's commit point, fence #2, dropped)",
        () -> CrashSimulator.run(scenario(1, false, MutatingMedium.Mutation.DROP_FENCE, 2), CrashOptions.defaults()));
    assertEquals("lint", f.check(), f.getMessage());
  }

  @Test
  void aStateWordBeforeItsDataIsCaught() {
    // the first such fence is the commit point of the first commit that adopts an open lane (its
    // APPLIED store follows): without it the adopting record is not durable when its commit returns
    CrashFailure f = MUTANTS.mutant("commit point before an adopted lane's APPLIED word (fence before each 8-byte store dropped)",
        () -> CrashSimulator.run(scenario(1, false, MutatingMedium.Mutation.DROP_FENCE_BEFORE_ATOMIC_STORE, 0),
            CrashOptions.defaults()));
    assertEquals("lint", f.check(), f.getMessage());
    assertTrue(f.getMessage().contains(TraceLints.MISSING_PERSIST), f.getMessage());
  }

  @AfterAll
  static void figures() {
    System.out.println(TALLY.figureLine());
    System.out.println("crash-sim lints: log-redo " + TALLY.performanceLints());
    System.out.println(CHAINED.figureLine());
    System.out.println("crash-sim lints: log-redo-chained " + CHAINED.performanceLints());
    System.out.println(MUTANTS.mutantLines());
  }
}
