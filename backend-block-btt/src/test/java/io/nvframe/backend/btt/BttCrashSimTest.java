package io.nvframe.backend.btt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.NvframeIOException;
import io.nvframe.spi.Medium;
import io.nvframe.tck.crash.CrashContext;
import io.nvframe.tck.crash.CrashFailure;
import io.nvframe.tck.crash.CrashOptions;
import io.nvframe.tck.crash.CrashReport;
import io.nvframe.tck.crash.CrashScenario;
import io.nvframe.tck.crash.CrashSimulator;
import io.nvframe.tck.crash.CrashTally;
import io.nvframe.tck.crash.MutatingMedium;
import io.nvframe.tck.crash.PersistencyMode;
import io.nvframe.tck.crash.TraceLints;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The tck crash simulator on BTT block writes, set-zero and set-error, through the public block
 * API. The medium under the BTT is byte-addressable, so the realistic model is x86 (64-byte lines
 * persisting independently; the BTT's atomicity comes from its protocol: data block, flog halves,
 * map entry, three fences); block mode (a 512-byte line persists whole) is checked as well. On
 * every crash image: {@code Btt.open} (flog recovery, roll-forward of a lost map write) does not
 * throw and leaves no arena error, {@link BttCheck} finds the BTT consistent (B1-B4), every block
 * is exactly its content after the durable operations or after the one in flight, recovering twice
 * changes nothing, and sampled crashes inside recovery recover to the same state. A concurrent
 * scenario writes on four lanes from four threads and checks each block against its operations'
 * statuses.
 */
class BttCrashSimTest {
  static final int BS = 512;
  static final long SIZE = Support.MIB;
  /** Blocks observed by the oracle (every block the scenarios touch, and untouched ones). */
  static final int OBSERVED = 24;
  private static final CrashTally TALLY = new CrashTally("backend-block-btt");
  private static final CrashTally MUTANTS = new CrashTally("backend-block-btt");
  private static final CrashTally LONG = new CrashTally("backend-block-btt-long");

  /** A formatted 1 MiB BTT of 512-byte blocks, lbas 0..OBSERVED-1 written once (version 1). */
  static Medium formatted() {
    Medium m = Support.heap(SIZE);
    Btt btt = Btt.format(m, 0, SIZE, Support.small(BS), Support.smallOptions());
    for (int lba = 0; lba < OBSERVED; lba++) {
      btt.write(lba, Support.pattern(lba, 1, BS), 0);
    }
    return m;
  }

  static Btt recover(Medium m) {
    return Btt.open(m, 0, SIZE, Support.smallOptions());
  }

  /** Arena errors are failures; the BTT on the medium is consistent (B1-B4). */
  static void invariants(Btt btt) {
    assertNull(btt.arenaError(0), "arena 0 opened read-only");
    BttCheck.Report r = BttCheck.check(btt.medium(), 0, SIZE, Support.smallOptions());
    assertTrue(r.consistent(), "BTT check after recovery: " + r.problems());
  }

  /**
   * The recovered BTT accepts writes: on a copy of the recovered medium (the image itself must stay
   * as recovery left it), three writes of block {@code lba} (the lane's free block changes each time) read back and the BTT stays
   * consistent.
   */
  static void acceptsWrites(Btt recovered, long lba) {
    try (Medium copy = Support.copy(recovered.medium())) {
      Btt btt = Btt.open(copy, 0, SIZE, Support.smallOptions().withLanes(1));
      for (int v = 7; v <= 9; v++) {
        btt.write(lba, Support.pattern(lba, v, BS), 0);
        assertEquals(lba + ":normal:v" + v, block(btt, lba), "write after recovery");
      }
      BttCheck.Report r = BttCheck.check(copy, 0, SIZE, Support.smallOptions());
      assertTrue(r.consistent(), "BTT check after writes on the recovered BTT: " + r.problems());
    }
  }

  /**
   * Each observed block as {@code lba:state:vN} (the written version whose pattern it holds), or
   * {@code lba:state:crc} when it matches no version (torn), {@code lba:error} for an Error block.
   */
  static List<String> blocks(Btt btt) {
    List<String> out = new ArrayList<>();
    for (int lba = 0; lba < OBSERVED; lba++) {
      out.add(block(btt, lba));
    }
    return out;
  }

  static String block(Btt btt, long lba) {
    String state = btt.blockState(lba);
    if (state.equals("error")) {
      try {
        Support.read(btt, lba);
      } catch (NvframeIOException e) {
        return lba + ":error";
      }
      throw new AssertionError("block " + lba + " is in the error state but reads without an error");
    }
    byte[] b = Support.read(btt, lba);
    if (Arrays.equals(b, new byte[BS])) {
      return lba + ":" + state + ":zeros";
    }
    for (int v = 1; v <= 9; v++) {
      if (Arrays.equals(b, Support.pattern(lba, v, BS))) {
        return lba + ":" + state + ":v" + v;
      }
    }
    CRC32C c = new CRC32C();
    c.update(b);
    return lba + ":" + state + ":torn crc32c=" + Long.toHexString(c.getValue());
  }

  /**
   * Map entries are single 4-byte words and flog entries are validated by their sequence numbers
   * (the second half is one 8-byte store): recovery may read the map and flog areas of arena 0
   * before they are durable.
   */
  static CrashScenario.Ranges mapAndFlog(BttInfo info) {
    long mapStart = info.mapOff();
    long flogEnd = info.flogOff() + (long) info.nfree() * 64;
    return (off, len) -> off >= mapStart && off + len <= flogEnd;
  }

  static BttInfo arena0Info() {
    try (Medium m = formatted()) {
      return recover(m).arenaInfo(0);
    }
  }

  /** One writer: block writes (one lba twice), set-zero, set-error, writes clearing both. */
  static CrashScenario<Btt> sequential(PersistencyMode mode) {
    return sequential(mode, null, 0);
  }

  /** As {@link #sequential(PersistencyMode)}, the BTT writing through {@code mutation} (null = none). */
  static CrashScenario<Btt> sequential(PersistencyMode mode, MutatingMedium.Mutation mutation, long k) {
    CrashScenario.Builder<Btt> b = CrashScenario.<Btt>named("btt writes, set-zero, set-error " + mode
            + (mutation == null ? "" : " " + mutation + " #" + k))
        .medium(BttCrashSimTest::formatted)
        .driver((recording, ops) -> {
          Medium m = mutation == null ? recording : new MutatingMedium(recording, mutation, k);
          Btt btt = Btt.open(m, 0, SIZE, Support.smallOptions().withLanes(2));
          ops.run("write 5 v2", () -> btt.write(5, Support.pattern(5, 2, BS), 0));
          ops.run("write 5 v3", () -> btt.write(5, Support.pattern(5, 3, BS), 0));
          ops.run("write 9 v2", () -> btt.write(9, Support.pattern(9, 2, BS), 0));
          ops.run("set-zero 7", () -> btt.setZero(7));
          ops.run("set-error 8", () -> btt.setError(8));
          ops.run("write 8 v2 (clears the error)", () -> btt.write(8, Support.pattern(8, 2, BS), 0));
          ops.run("write 7 v2 (clears zero)", () -> btt.write(7, Support.pattern(7, 2, BS), 0));
          ops.run("write 30 v2 (never written before)", () -> btt.write(30, Support.pattern(30, 2, BS), 0));
        })
        .recover(BttCrashSimTest::recover)
        .invariants(BttCrashSimTest::invariants)
        .observe(btt -> {
          List<String> l = new ArrayList<>(blocks(btt));
          l.add(block(btt, 30));
          return l;
        })
        .oracle((btt, ctx) -> acceptsWrites(btt, 5))
        .close(btt -> btt.medium().close());
    return finish(b, mode);
  }

  /** Declares the tolerated reads and commit words, and the line size in block mode. */
  static CrashScenario<Btt> finish(CrashScenario.Builder<Btt> b, PersistencyMode mode) {
    BttInfo info = arena0Info();
    b.readTolerated(mapAndFlog(info)).commitWords(flogCommitHalves(info));
    if (mode == PersistencyMode.BLOCK) {
      b.lineSize(BS);
    }
    return b.build();
  }

  /**
   * The commit words of a block write: the second half {@code {new_map, seq}} of each flog entry
   * (bytes 8..15 of the 16-byte entries at 0 and 16 of a lane's 64-byte slot, the (0,1) layout a
   * new BTT gets).
   */
  static TraceLints.CommitWords flogCommitHalves(BttInfo info) {
    long flog = info.flogOff();
    long end = flog + (long) info.nfree() * 64;
    return (off, len) -> off >= flog && off + len <= end && len == 8 && ((off - flog) % 64 == 8 || (off - flog) % 64 == 24);
  }

  static final int THREADS = 4;
  static final int WRITES = 3;

  /** Thread {@code t} writes lba {@code 2 + 3t} versions 2..WRITES+1 on its own lane. */
  static CrashScenario<Btt> lanes(PersistencyMode mode) {
    CrashScenario.Builder<Btt> b = CrashScenario.<Btt>named("btt writes on " + THREADS + " lanes " + mode)
        .medium(BttCrashSimTest::formatted)
        .driver((m, ops) -> {
          Btt btt = Btt.open(m, 0, SIZE, Support.smallOptions().withLanes(THREADS));
          CyclicBarrier start = new CyclicBarrier(THREADS);
          ExecutorService pool = Executors.newFixedThreadPool(THREADS);
          try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
              long lba = 2 + 3L * t;
              String id = "t" + t;
              done.add(pool.submit(() -> {
                start.await();
                for (int v = 2; v <= WRITES + 1; v++) {
                  int version = v;
                  ops.run(id + " write " + lba + " v" + v, () -> btt.write(lba, Support.pattern(lba, version, BS), 0));
                }
                return null;
              }));
            }
            for (Future<?> f : done) {
              f.get(); // a failed writer fails the driver with its exception as the cause
            }
          } finally {
            pool.shutdownNow();
          }
        })
        .recover(BttCrashSimTest::recover)
        .invariants(BttCrashSimTest::invariants)
        .oracle((btt, ctx) -> {
          for (int t = 0; t < THREADS; t++) {
            long lba = 2 + 3L * t;
            int durable = 1;
            int inFlight = -1;
            for (int v = 2; v <= WRITES + 1; v++) {
              CrashContext.OpStatus st = ctx.status("t" + t + " write " + lba + " v" + v);
              if (st == CrashContext.OpStatus.DURABLE) {
                durable = v;
              } else if (st == CrashContext.OpStatus.IN_FLIGHT) {
                inFlight = v;
              }
            }
            String got = block(btt, lba);
            String old = lba + ":normal:v" + durable;
            String neu = lba + ":normal:v" + inFlight;
            if (!got.equals(old) && !got.equals(neu)) {
              throw new AssertionError("thread " + t + ": block " + got + ", allowed " + old
                  + (inFlight > 0 ? " or " + neu : " only"));
            }
          }
          for (int lba = 0; lba < OBSERVED; lba++) {
            if (lba < 2 + 3 * THREADS && (lba - 2) % 3 == 0 && lba >= 2) {
              continue;
            }
            assertEquals(lba + ":normal:v1", block(btt, lba), "untouched block");
          }
          acceptsWrites(btt, 2);
        })
        .close(btt -> btt.medium().close());
    return finish(b, mode);
  }

  /** Default budget: every image up to 256 per point, 32 random ones beyond. */
  static CrashOptions options(PersistencyMode mode) {
    return CrashOptions.defaults().mode(mode).cap(256, 32);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = PersistencyMode.class, names = {"X86", "BLOCK"})
  void writesSetZeroAndSetErrorAreAtomicOnEveryCrashImage(PersistencyMode mode) {
    CrashReport r = TALLY.run(sequential(mode), options(mode));
    System.out.println(r);
    // 8 operations: 6 writes of 3 fences, 2 flag stores of 1 fence, and the end of the trace
    assertEquals(6 * 3 + 2 + 1, r.points(), r.toString());
    assertTrue(r.images() > r.points(), r.toString());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = PersistencyMode.class, names = {"X86", "BLOCK"})
  void writesOnSeveralLanesAreAtomicOnEveryCrashImage(PersistencyMode mode) {
    CrashReport r = TALLY.run(lanes(mode), options(mode));
    System.out.println(r);
    assertEquals(THREADS * WRITES * 3 + 1, r.points(), r.toString());
  }

  @Test
  void lazyExplorationOfOneWriter() {
    CrashReport r = TALLY.run(sequential(PersistencyMode.X86),
        CrashOptions.defaults().strategy(CrashOptions.Strategy.LAZY).maxRunsPerPoint(512).cap(256, 16));
    System.out.println(r);
    assertTrue(r.images() > r.points(), r.toString());
  }

  /**
   * Mutants of the real protocol: the data block's flush dropped (first write), fence 1 dropped
   * (the flog's commit half is then not ordered after the data block), fence 2 dropped (the map
   * entry is then not ordered after the flog's commit half). Each must be reported.
   */
  @Test
  void brokenWriteProtocolsAreCaught() {
    CrashOptions o = options(PersistencyMode.X86);
    CrashFailure flush = MUTANTS.mutant("data flush dropped",
        () -> CrashSimulator.run(sequential(PersistencyMode.X86, MutatingMedium.Mutation.DROP_FLUSH, 1), o));
    assertTrue(flush.getMessage().contains("not durable at"), flush.getMessage());
    CrashFailure early = MUTANTS.mutant("fence 1 dropped (flog commit half before the data)",
        () -> CrashSimulator.run(sequential(PersistencyMode.X86, MutatingMedium.Mutation.DROP_FENCE_BEFORE_ATOMIC_STORE, 0), o));
    assertTrue(early.getMessage().contains("commit word"), early.getMessage());
    CrashFailure map = MUTANTS.mutant("fence 2 dropped (map entry before the flog commit half)",
        () -> CrashSimulator.run(sequential(PersistencyMode.X86, MutatingMedium.Mutation.DROP_FENCE, 2), o));
    assertTrue(!map.check().equals("lint"), map.getMessage());
    System.out.println(MUTANTS.mutantLines());
  }

  /**
   * The long profile ({@code -Plong}): both scenarios under the default cap (4096 images per point,
   * 256 random ones beyond) in x86, block and unordered-line mode, two seeds of random images.
   */
  @Tag("long")
  @Test
  void exhaustiveProfile() {
    for (PersistencyMode mode : new PersistencyMode[] {PersistencyMode.X86, PersistencyMode.BLOCK,
        PersistencyMode.NO_SAME_LINE_ORDER}) {
      for (long seed = 1; seed <= 2; seed++) {
        LONG.run(sequential(mode), CrashOptions.defaults().mode(mode).seed(seed));
        LONG.run(lanes(mode), CrashOptions.defaults().mode(mode).seed(seed));
      }
    }
    System.out.println(LONG.figureLine());
    assertTrue(LONG.images() > 50_000, "the long profile explores more than the default run: " + LONG.figureLine());
  }

  @AfterAll
  static void figures() {
    if (TALLY.images() > 0) {
      System.out.println(TALLY.figureLine());
    }
  }
}
