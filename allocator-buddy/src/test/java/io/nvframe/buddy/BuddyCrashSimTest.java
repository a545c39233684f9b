package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import io.nvframe.tck.TestMedia;
import io.nvframe.tck.crash.CrashFailure;
import io.nvframe.tck.crash.CrashOptions;
import io.nvframe.tck.crash.CrashScenario;
import io.nvframe.tck.crash.CrashTally;
import io.nvframe.tck.crash.MutatingMedium;
import io.nvframe.tck.crash.PersistencyMode;
import io.nvframe.tck.crash.TraceLints;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The crash simulator on standalone allocate and free through the allocator's public API: every
 * crash image at every fence of a seeded sequence of operations; recovery (open: table scan and
 * free-list rebuild) must not throw, {@code checkInvariants()} must hold, and the table and
 * statistics must be those after the durable operations, or after one more when it was in flight.
 * Also: the allocator's real protocol with a dropped flush, a dropped fence and a torn frame word
 * is caught.
 */
class BuddyCrashSimTest {
  private static final long OFFSET = 192;
  private static final long FRAMES = 128;
  private static final int MAX_ORDER = 3;
  private static final CrashTally TALLY = new CrashTally("allocator-buddy");
  private static final CrashTally MUTANTS = new CrashTally("allocator-buddy");

  static LongStream seeds() {
    return LongStream.range(0, 24).map(i -> 0xB0DD_0000L + i * 7919);
  }

  /** A seeded run of allocations and frees; each is one named operation. */
  static CrashScenario<BuddyCrashSimTest.Recovered> scenario(long seed, boolean cache, MutatingMedium.Mutation mutation, long k) {
    BuddyConfig config = cache ? BuddyConfig.defaults() : BuddyConfig.noCache();
    return CrashScenario.<Recovered>named("alloc/free seed " + seed + (cache ? " cached" : "")
            + (mutation == null ? "" : " " + mutation + " #" + k))
        .medium(() -> {
          Medium m = TestMedia.heap(OFFSET + BuddyAllocator.tableBytes(FRAMES) + 64);
          BuddyAllocator.format(m, OFFSET, FRAMES);
          return m;
        })
        .driver((recording, ops) -> {
          Medium m = mutation == null ? recording : new MutatingMedium(recording, mutation, k);
          BuddyAllocator a = BuddyAllocator.open(m, OFFSET, FRAMES, MAX_ORDER, config);
          Random rnd = new Random(seed);
          List<long[]> held = new ArrayList<>();
          for (int i = 0; i < 16; i++) {
            if (held.isEmpty() || rnd.nextInt(3) > 0) {
              int order = rnd.nextInt(MAX_ORDER + 1);
              long owner = 100 + i;
              long[] got = new long[1];
              ops.run("allocate#" + i + " order " + order, () -> got[0] = a.allocate(order, owner));
              if (got[0] != BuddyAllocator.NO_FRAME) {
                held.add(new long[] {got[0], order});
              }
            } else {
              long[] x = held.remove(rnd.nextInt(held.size()));
              ops.run("free#" + i + " pfn " + BuddyAllocator.handlePfn(x[0]), () -> a.free(
                  BuddyAllocator.handlePfn(x[0]), (int) x[1], BuddyAllocator.handleGeneration(x[0])));
            }
          }
        })
        .recover(m -> new Recovered(BuddyAllocator.open(m, OFFSET, FRAMES, MAX_ORDER, config), m))
        .invariants(r -> r.allocator().checkInvariants())
        .observe(BuddyCrashSimTest::state)
        .commitWords((off, len) -> off >= OFFSET && off + len <= OFFSET + 8 * FRAMES)
        .readTolerated((off, len) -> off >= OFFSET && off + len <= OFFSET + 8 * FRAMES)
        .close(r -> r.medium().close())
        .build();
  }

  /** The recovered allocator and its medium. */
  record Recovered(BuddyAllocator allocator, Medium medium) {}

  /**
   * The frame words, the statistics (free frames and blocks per order) and a digest of every byte
   * outside the table (which allocate and free must never touch).
   */
  static Object state(Recovered r) {
    BuddyAllocator a = r.allocator();
    List<Object> s = new ArrayList<>();
    byte[] all = new byte[(int) r.medium().size()];
    r.medium().read(0, all, 0, all.length);
    s.add(java.util.Arrays.hashCode(java.util.Arrays.copyOf(all, (int) OFFSET)));
    s.add(java.util.Arrays.hashCode(java.util.Arrays.copyOfRange(all, (int) (OFFSET + 8 * FRAMES), all.length)));
    for (long p = 0; p < FRAMES; p++) {
      s.add(a.word(p));
    }
    s.add(a.stats().freeFrames());
    s.add(a.stats().freeBlocksPerOrder());
    return s;
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void everyCrashImageRecovers(long seed) {
    for (boolean cache : new boolean[] {false, true}) {
      var r = TALLY.run(scenario(seed, cache, null, 0), CrashOptions.defaults().seed(seed));
      assertTrue(r.points() >= 16 && r.images() >= 2 * 16, r.toString());
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void everyCrashImageRecoversLazilyAndUnderOtherModels(long seed) {
    TALLY.run(scenario(seed, false, null, 0), CrashOptions.defaults().seed(seed).strategy(CrashOptions.Strategy.LAZY));
    TALLY.run(scenario(seed, false, null, 0), CrashOptions.defaults().seed(seed).mode(PersistencyMode.NO_SAME_LINE_ORDER));
    TALLY.run(scenario(seed, false, null, 0), CrashOptions.defaults().seed(seed).mode(PersistencyMode.EADR));
  }

  @Test
  void aDroppedFlushIsCaught() {
    CrashFailure f = MUTANTS.mutant("missing flush (3rd flush dropped)",
        () -> CrashSimulator(scenario(7, false, MutatingMedium.Mutation.DROP_FLUSH, 3)));
    assertEquals("lint", f.check());
    assertTrue(f.getMessage().contains(TraceLints.MISSING_PERSIST), f.getMessage());
  }

  @Test
  void aDroppedFenceIsCaught() {
    CrashFailure f = MUTANTS.mutant("missing fence (3rd fence dropped)",
        () -> CrashSimulator(scenario(7, false, MutatingMedium.Mutation.DROP_FENCE, 3)));
    assertEquals("lint", f.check());
    assertTrue(f.getMessage().contains(TraceLints.MISSING_PERSIST), f.getMessage());
  }

  @Test
  void aTornFrameWordIsCaught() {
    CrashFailure f = MUTANTS.mutant("torn frame word (2nd 8-byte store split)",
        () -> CrashSimulator(scenario(7, false, MutatingMedium.Mutation.SPLIT_STORE, 2)));
    assertTrue(List.of("recovery", "invariants", "oracle").contains(f.check()), f.getMessage());
  }

  private static io.nvframe.tck.crash.CrashReport CrashSimulator(CrashScenario<BuddyCrashSimTest.Recovered> s) {
    return io.nvframe.tck.crash.CrashSimulator.run(s, CrashOptions.defaults());
  }

  @AfterAll
  static void figures() {
    System.out.println(TALLY.figureLine());
    System.out.println("crash-sim lints: allocator-buddy " + TALLY.performanceLints());
    System.out.println(MUTANTS.mutantLines());
  }
}
