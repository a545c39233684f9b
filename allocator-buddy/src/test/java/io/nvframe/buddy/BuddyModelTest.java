package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model-based property test: random sequences of every operation against a reference model
 * ({@code TreeMap<pfn, block>} plus per-frame generations), {@code checkInvariants()} after every
 * operation, and at random points (and at the end) a new allocator opened from the same medium
 * must hold exactly the free blocks the model predicts (A5), computed by {@link
 * BuddyTestSupport#coalesced}, an oracle that does not share the allocator's greedy rule.
 *
 * <p>Each seed fixes the geometry (frames, maxOrder, table offset), the cache configuration and
 * the operation sequence; a failure message starts with the seed and the step.
 */
class BuddyModelTest {
  private static final int SEEDS = 256;
  private static final int STEPS = 300;

  static LongStream seeds() {
    return LongStream.range(0, SEEDS);
  }

  enum State {
    ALLOCATED,
    RESERVED,
    /** beginFree done, free word not yet written by the "redo log". */
    FREEING_UNAPPLIED,
    /** beginFree done and the free word is durable. */
    FREEING_APPLIED
  }

  static final class Block {
    final long pfn;
    final int order;
    final int gen;
    long owner;
    State state;

    Block(long pfn, int order, int gen, long owner, State state) {
      this.pfn = pfn;
      this.order = order;
      this.gen = gen;
      this.owner = owner;
      this.state = state;
    }
  }

  private Random rnd;
  private Medium m;
  private BuddyAllocator a;
  private long frames;
  private int maxOrder;
  private long tableOffset;
  private BuddyConfig config;
  private final TreeMap<Long, Block> live = new TreeMap<>();
  private int[] gen;
  private final List<long[]> deadHandles = new ArrayList<>(); // {pfn, order, gen} freed
  private String ctx;

  static LongStream manySeeds() {
    return LongStream.range(SEEDS, SEEDS + 5_000);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void randomOperationsMatchTheModel(long seed) {
    run(seed, STEPS);
  }

  /** The same property over 5 000 more seeds and longer sequences ({@code -Plong}). */
  @Tag("long")
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("manySeeds")
  void randomOperationsMatchTheModelLong(long seed) {
    run(seed, 1000);
  }

  private void run(long seed, int steps) {
    rnd = new Random(seed);
    frames = 1 + rnd.nextInt(rnd.nextBoolean() ? 40 : 300);
    maxOrder = rnd.nextInt(7);
    tableOffset = 8L * rnd.nextInt(64);
    config = switch (rnd.nextInt(4)) {
      case 0 -> BuddyConfig.noCache();
      case 1 -> BuddyConfig.defaults();
      default -> {
        int high = 1 + rnd.nextInt(16);
        yield new BuddyConfig(rnd.nextInt(4), high, 1 + rnd.nextInt(high));
      }
    };
    String setup = "seed " + seed + " (frames=" + frames + ", maxOrder=" + maxOrder
        + ", tableOffset=" + tableOffset + ", " + config + ")";
    m = BuddyTestSupport.formatted(tableOffset, frames);
    a = BuddyAllocator.open(m, tableOffset, frames, maxOrder, config);
    gen = new int[(int) frames];
    int step = 0;
    try {
      for (step = 0; step < steps; step++) {
        ctx = setup + " step " + step;
        randomOperation();
        a.checkInvariants();
        assertEquals(modelFreeFrames(), a.stats().freeFrames(), ctx + ": free frames");
      }
      ctx = setup + " end";
      checkReopen();
      resolveEverything();
      a.checkInvariants();
      checkReopen();
      BuddyTestSupport.assertRebuildEquals(a, m, ctx);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError(setup + " failed at step " + step + ": " + e.getMessage(), e);
    }
  }

  private void randomOperation() {
    int op = rnd.nextInt(100);
    if (op < 30) {
      allocate(false);
    } else if (op < 50) {
      freeRandom();
    } else if (op < 56) {
      allocate(true);
    } else if (op < 60) {
      pick(State.RESERVED).ifPresent(this::unreserve);
    } else if (op < 64) {
      pick(State.RESERVED).ifPresent(this::commit);
    } else if (op < 69) {
      pick(State.ALLOCATED).ifPresent(this::beginFree);
    } else if (op < 73) {
      pick(State.FREEING_UNAPPLIED).ifPresent(this::applyFree);
    } else if (op < 77) {
      pick(State.FREEING_APPLIED).ifPresent(this::completeFree);
    } else if (op < 80) {
      pick(State.FREEING_UNAPPLIED).ifPresent(this::abortFree);
    } else if (op < 90) {
      badCall();
    } else if (op < 94) {
      validateRandom();
    } else if (op < 96) {
      a.drainCaches();
      assertEquals(0, a.stats().cachedFrames(), ctx);
    } else {
      checkReopen();
    }
  }

  // ------------------------------------------------------------------ operations

  private void allocate(boolean reserve) {
    int order = rnd.nextInt(maxOrder + 1);
    long owner = rnd.nextBoolean() ? 0 : rnd.nextLong() & FrameWord.MAX_OWNER;
    long h = reserve ? a.reserve(order) : a.allocate(order, owner);
    boolean possible = modelHasFreeBlock(order);
    if (h == BuddyAllocator.NO_FRAME) {
      assertFalse(possible, ctx + ": NO_FRAME for order " + order + " but the model has room");
      return;
    }
    long pfn = BuddyAllocator.handlePfn(h);
    int g = BuddyAllocator.handleGeneration(h);
    assertEquals(0, pfn & ((1L << order) - 1), ctx + ": misaligned pfn " + pfn);
    assertTrue(pfn + (1L << order) <= frames, ctx + ": block past the end");
    assertTrue(rangeFree(pfn, order), ctx + ": block " + pfn + "/" + order + " overlaps a live one");
    assertEquals(gen[(int) pfn], g, ctx + ": handle generation of pfn " + pfn);
    if (reserve) {
      assertEquals(FrameWord.free(g), a.word(pfn), ctx + ": reserve must not write");
      live.put(pfn, new Block(pfn, order, g, 0, State.RESERVED));
    } else {
      assertEquals(FrameWord.allocated(order, g, owner), a.word(pfn), ctx + ": allocated word");
      live.put(pfn, new Block(pfn, order, g, owner, State.ALLOCATED));
    }
    a.validate(pfn, order, g);
  }

  private void freeRandom() {
    pick(State.ALLOCATED).ifPresent(b -> {
      a.free(b.pfn, b.order, b.gen);
      retire(b);
      assertEquals(FrameWord.free(gen[(int) b.pfn]), a.word(b.pfn), ctx + ": free word");
    });
  }

  private void unreserve(Block b) {
    a.unreserve(b.pfn, b.order);
    live.remove(b.pfn);
  }

  private void commit(Block b) {
    b.owner = rnd.nextLong() & FrameWord.MAX_OWNER;
    // the model plays the redo log: it writes the word the allocator gives it
    m.storeLong(a.wordOffset(b.pfn), BuddyAllocator.publishedWord(b.order, b.gen, b.owner));
    m.persist(a.wordOffset(b.pfn), 8);
    a.commitReserved(b.pfn, b.order, b.gen, b.owner);
    b.state = State.ALLOCATED;
  }

  private void beginFree(Block b) {
    a.beginFree(b.pfn, b.order, b.gen);
    b.state = State.FREEING_UNAPPLIED;
  }

  private void applyFree(Block b) {
    m.storeLong(a.wordOffset(b.pfn), BuddyAllocator.freedWord(b.gen));
    m.persist(a.wordOffset(b.pfn), 8);
    b.state = State.FREEING_APPLIED;
  }

  private void completeFree(Block b) {
    a.completeFree(b.pfn, b.order);
    retire(b);
  }

  private void abortFree(Block b) {
    a.abortFree(b.pfn, b.order, b.gen);
    b.state = State.ALLOCATED;
  }

  private void retire(Block b) {
    live.remove(b.pfn);
    gen[(int) b.pfn] = FrameWord.nextGeneration(b.gen);
    deadHandles.add(new long[] {b.pfn, b.order, b.gen});
  }

  private void validateRandom() {
    pickAny().ifPresent(b -> a.validate(b.pfn, b.order, b.gen));
    if (!deadHandles.isEmpty()) {
      long[] d = deadHandles.get(rnd.nextInt(deadHandles.size()));
      Block now = live.get(d[0]);
      if (now != null && now.order == d[1] && now.gen == (int) d[2]) {
        return; // generations wrapped onto the same handle: cannot happen in 300 steps
      }
      InvalidFrameException e = assertThrows(InvalidFrameException.class,
          () -> a.validate(d[0], (int) d[1], (int) d[2]), ctx + ": dead handle validated");
      assertTrue(e.code() == ErrorCode.FRAME_STALE || e.code() == ErrorCode.FRAME_NOT_HEAD,
          ctx + ": " + e.getMessage());
    }
  }

  /** A wrong call of a random kind: it must fail with the expected code and change nothing. */
  private void badCall() {
    int kind = rnd.nextInt(6);
    switch (kind) {
      case 0 -> { // double free or stale handle of a retired block
        if (deadHandles.isEmpty()) {
          return;
        }
        long[] d = deadHandles.get(rnd.nextInt(deadHandles.size()));
        long pfn = d[0];
        int order = (int) d[1];
        int g = (int) d[2];
        Block now = live.get(pfn);
        ErrorCode expected;
        if (now != null) {
          expected = now.gen != g ? ErrorCode.FRAME_STALE
              : now.order != order ? ErrorCode.FRAME_NOT_HEAD : null;
        } else if (coveringLive(pfn) != null) {
          expected = ErrorCode.FRAME_NOT_HEAD;
        } else if (gen[(int) pfn] == FrameWord.nextGeneration(g)) {
          expected = ErrorCode.FRAME_DOUBLE_FREE;
        } else {
          expected = ErrorCode.FRAME_STALE;
        }
        if (expected == null) {
          return;
        }
        expectRejected(expected, () -> a.free(pfn, order, g));
      }
      case 1 -> pickAny().ifPresent(b -> { // wrong order
        int order = rnd.nextInt(maxOrder + 1);
        if (order == b.order || (b.pfn & ((1L << order) - 1)) != 0
            || b.pfn + (1L << order) > frames) {
          return;
        }
        // the head exists with this generation in every state, so the order decides
        expectRejected(ErrorCode.FRAME_NOT_HEAD, () -> a.free(b.pfn, order, b.gen));
      });
      case 2 -> pickAny().ifPresent(b -> { // tail frame
        if (b.order == 0) {
          return;
        }
        long tail = b.pfn + 1 + rnd.nextInt((1 << b.order) - 1);
        expectRejected(ErrorCode.FRAME_NOT_HEAD, () -> a.free(tail, 0, gen[(int) tail]));
      });
      case 3 -> { // out of range
        long pfn = frames + rnd.nextInt(100);
        expectRejected(ErrorCode.FRAME_BOUNDS, () -> a.free(pfn, 0, 0));
      }
      case 4 -> pick(State.RESERVED).ifPresent(b ->
          expectRejected(ErrorCode.FRAME_NOT_HEAD, () -> a.free(b.pfn, b.order, b.gen)));
      default -> {
        Block b = pickAny().orElse(null);
        if (b != null && (b.state == State.FREEING_UNAPPLIED || b.state == State.FREEING_APPLIED)) {
          expectRejected(ErrorCode.FRAME_DOUBLE_FREE, () -> a.free(b.pfn, b.order, b.gen));
        }
      }
    }
  }

  private void expectRejected(ErrorCode code, Executable call) {
    byte[] table = BuddyTestSupport.tableBytes(m, tableOffset, frames);
    AllocatorStats before = a.stats();
    TreeMap<Long, Integer> blocks = a.zones.freeBlocks();
    InvalidFrameException e = assertThrows(InvalidFrameException.class, call, ctx);
    assertEquals(code, e.code(), ctx + ": " + e.getMessage());
    assertArrayEquals(table, BuddyTestSupport.tableBytes(m, tableOffset, frames),
        ctx + ": a rejected call wrote to the table");
    assertEquals(before, a.stats(), ctx + ": a rejected call changed the allocator");
    assertEquals(blocks, a.zones.freeBlocks(), ctx + ": a rejected call changed the free lists");
  }

  // ------------------------------------------------------------------ reopen (A5)

  /** A new allocator opened from the medium sees exactly the persistent state of the model. */
  private void checkReopen() {
    BuddyAllocator b = BuddyAllocator.open(m, tableOffset, frames, maxOrder, config);
    b.checkInvariants();
    TreeMap<Long, Integer> persistentlyAllocated = new TreeMap<>();
    for (Block x : live.values()) {
      if (x.state == State.ALLOCATED || x.state == State.FREEING_UNAPPLIED) {
        persistentlyAllocated.put(x.pfn, x.order);
        b.validate(x.pfn, x.order, x.gen);
        assertEquals(FrameWord.allocated(x.order, x.gen, x.owner), b.word(x.pfn), ctx);
      }
    }
    TreeMap<Long, Integer> expected = BuddyTestSupport.coalesced(
        BuddyTestSupport.inUse(frames, persistentlyAllocated), maxOrder);
    assertEquals(expected, b.zones.freeBlocks(), ctx + ": rebuilt free blocks");
    boolean quiescent = live.values().stream().allMatch(x -> x.state == State.ALLOCATED);
    if (quiescent) {
      a.drainCaches();
      assertEquals(expected, a.zones.freeBlocks(), ctx + ": incremental free blocks (A5)");
      assertEquals(b.stats(), a.stats(), ctx + ": stats (A5)");
    }
  }

  /** Finishes every reservation and pending free. */
  private void resolveEverything() {
    for (Block b : new ArrayList<>(live.values())) {
      switch (b.state) {
        case RESERVED -> {
          if (rnd.nextBoolean()) {
            unreserve(b);
          } else {
            commit(b);
          }
        }
        case FREEING_UNAPPLIED -> abortFree(b);
        case FREEING_APPLIED -> completeFree(b);
        case ALLOCATED -> { }
        default -> fail("unknown state " + b.state);
      }
    }
  }

  // ------------------------------------------------------------------ model queries

  private java.util.Optional<Block> pick(State state) {
    List<Block> candidates = live.values().stream().filter(b -> b.state == state).toList();
    return candidates.isEmpty() ? java.util.Optional.empty()
        : java.util.Optional.of(candidates.get(rnd.nextInt(candidates.size())));
  }

  private java.util.Optional<Block> pickAny() {
    if (live.isEmpty()) {
      return java.util.Optional.empty();
    }
    List<Block> all = new ArrayList<>(live.values());
    return java.util.Optional.of(all.get(rnd.nextInt(all.size())));
  }

  private Block coveringLive(long pfn) {
    Map.Entry<Long, Block> e = live.floorEntry(pfn);
    if (e != null && e.getKey() != pfn && pfn < e.getKey() + (1L << e.getValue().order)) {
      return e.getValue();
    }
    return null;
  }

  private boolean rangeFree(long pfn, int order) {
    Map.Entry<Long, Block> below = live.floorEntry(pfn + (1L << order) - 1);
    return below == null || below.getKey() + (1L << below.getValue().order) <= pfn;
  }

  private boolean modelHasFreeBlock(int order) {
    for (long x = 0; x + (1L << order) <= frames; x += 1L << order) {
      if (rangeFree(x, order)) {
        return true;
      }
    }
    return false;
  }

  private long modelFreeFrames() {
    long used = 0;
    for (Block b : live.values()) {
      used += 1L << b.order;
    }
    return frames - used;
  }
}
