package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import io.nvframe.tck.FaultInjectingMedium;
import io.nvframe.tck.FaultInjectingMedium.CrashImage;
import io.nvframe.tck.FaultInjectingMedium.Event;
import io.nvframe.tck.TestMedia;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crash at the store, the flush and the fence of a standalone allocate and free; build both crash
 * images; reopen from each: the operation is all-or-nothing, exactly as the persistency model says,
 * and the invariants hold. Also: when the operation completes, its effect is in the persisted-only
 * image (it was durable when the call returned).
 */
class CrashTest {
  private static final long OFFSET = 192;
  private static final long FRAMES = 128;
  private static final int MAX_ORDER = 3;

  static Stream<Arguments> cases() {
    List<Arguments> list = new ArrayList<>();
    for (String op : new String[] {"allocate", "free"}) {
      for (int order = 0; order <= MAX_ORDER; order++) {
        for (Event event : Event.values()) {
          for (CrashImage image : CrashImage.values()) {
            for (long seed = 0; seed < 3; seed++) {
              list.add(Arguments.of(op, order, event, image, seed));
            }
          }
        }
      }
    }
    return list.stream();
  }

  @ParameterizedTest(name = "{0} order {1}, crash at {2}, image {3}, seed {4}")
  @MethodSource("cases")
  void operationIsAllOrNothing(String op, int order, Event event, CrashImage image, long seed) {
    String ctx = op + " order " + order + " crash at " + event + " image " + image + " seed " + seed;
    Random rnd = new Random(seed);
    Medium base = TestMedia.heap(OFFSET + BuddyAllocator.tableBytes(FRAMES) + 64);
    BuddyAllocator.format(base, OFFSET, FRAMES);
    FaultInjectingMedium fim = new FaultInjectingMedium(base);
    BuddyConfig config = seed == 0 ? BuddyConfig.noCache() : BuddyConfig.defaults();
    BuddyAllocator a = BuddyAllocator.open(fim, OFFSET, FRAMES, MAX_ORDER, config);
    // history before the crash: durable allocations and frees
    List<long[]> held = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      int o = rnd.nextInt(MAX_ORDER + 1);
      long h = a.allocate(o, 100 + i);
      if (h != BuddyAllocator.NO_FRAME) {
        held.add(new long[] {h, o});
      }
    }
    for (int i = 0; i < 4; i++) {
      long[] x = held.remove(rnd.nextInt(held.size()));
      a.free(BuddyAllocator.handlePfn(x[0]), (int) x[1], BuddyAllocator.handleGeneration(x[0]));
    }
    byte[] before = fim.image(CrashImage.PERSISTED_ONLY);
    assertArrayEquals(before, fim.image(CrashImage.ALL_ISSUED), ctx + ": history not durable");

    long[] victim = null;
    if (op.equals("free")) {
      victim = held.stream().filter(x -> x[1] == order).findFirst().orElse(null);
      if (victim == null) {
        long h = a.allocate(order, 7);
        assertNotEquals(BuddyAllocator.NO_FRAME, h, ctx);
        victim = new long[] {h, order};
        before = fim.image(CrashImage.PERSISTED_ONLY);
      }
    }
    // the operation's single store/flush/fence is the next event of each kind
    fim.crashAt(event, fim.count(event) + 1);
    long[] target = victim;
    assertThrows(FaultInjectingMedium.SimulatedCrash.class, () -> {
      if (target == null) {
        a.allocate(order, 4242);
      } else {
        a.free(BuddyAllocator.handlePfn(target[0]), order,
            BuddyAllocator.handleGeneration(target[0]));
      }
    }, ctx + ": the operation must reach the crash point");

    byte[] after = fim.image(image);
    // the persistency model: the word is in the image only if it was stored, and for the
    // persisted-only image, also flushed and fenced (which the crash prevented)
    boolean expectEffect = event != Event.STORE && image == CrashImage.ALL_ISSUED;
    int changed = 0;
    long changedPfn = -1;
    for (int p = 0; p < FRAMES; p++) {
      if (word(before, p) != word(after, p)) {
        changed++;
        changedPfn = p;
      }
    }
    for (int i = 0; i < OFFSET; i++) {
      assertEquals(before[i], after[i], ctx + ": bytes outside the table changed");
    }
    assertEquals(expectEffect ? 1 : 0, changed, ctx + ": frame words changed");

    BuddyAllocator r = BuddyAllocator.open(TestMedia.heapWith(after), OFFSET, FRAMES, MAX_ORDER);
    r.checkInvariants();
    long freeBefore = BuddyAllocator.open(TestMedia.heapWith(before), OFFSET, FRAMES, MAX_ORDER)
        .stats().freeFrames();
    if (op.equals("allocate")) {
      if (expectEffect) {
        long old = word(before, (int) changedPfn);
        assertEquals(FrameWord.allocated(order, FrameWord.generation(old), 4242),
            word(after, (int) changedPfn), ctx);
        assertEquals(0, FrameWord.owner(old), ctx + ": the block was free before");
        r.validate(changedPfn, order, FrameWord.generation(old));
        assertEquals(freeBefore - (1L << order), r.stats().freeFrames(), ctx);
      } else {
        assertEquals(freeBefore, r.stats().freeFrames(), ctx);
      }
    } else {
      long pfn = BuddyAllocator.handlePfn(victim[0]);
      int g = BuddyAllocator.handleGeneration(victim[0]);
      if (expectEffect) {
        assertEquals(pfn, changedPfn, ctx);
        assertEquals(FrameWord.free(FrameWord.nextGeneration(g)), word(after, (int) pfn), ctx);
        assertEquals(freeBefore + (1L << order), r.stats().freeFrames(), ctx);
      } else {
        r.validate(pfn, order, g);
        assertEquals(freeBefore, r.stats().freeFrames(), ctx);
        r.free(pfn, order, g); // still a live block after recovery
        r.checkInvariants();
      }
    }
  }

  static Stream<Arguments> completedCases() {
    return Stream.of(Event.values()).flatMap(e ->
        Stream.of(Arguments.of("allocate", e), Arguments.of("free", e)));
  }

  /** Arming the crash one event past the operation lets it complete; it is then durable. */
  @ParameterizedTest(name = "{0} with a crash armed at the second {1}")
  @MethodSource("completedCases")
  void completedOperationIsDurable(String op, Event event) {
    Medium base = TestMedia.heap(OFFSET + BuddyAllocator.tableBytes(FRAMES) + 64);
    BuddyAllocator.format(base, OFFSET, FRAMES);
    FaultInjectingMedium fim = new FaultInjectingMedium(base);
    BuddyAllocator a = BuddyAllocator.open(fim, OFFSET, FRAMES, MAX_ORDER);
    long h = a.allocate(2, 55);
    long pfn = BuddyAllocator.handlePfn(h);
    int g = BuddyAllocator.handleGeneration(h);
    long stores = fim.count(Event.STORE);
    long flushes = fim.count(Event.FLUSH);
    long fences = fim.count(Event.FENCE);
    fim.crashAt(event, fim.count(event) + 2);
    long expectedWord;
    if (op.equals("allocate")) {
      long h2 = a.allocate(1, 66);
      pfn = BuddyAllocator.handlePfn(h2);
      expectedWord = FrameWord.allocated(1, BuddyAllocator.handleGeneration(h2), 66);
    } else {
      a.free(pfn, 2, g);
      expectedWord = FrameWord.free(g + 1);
    }
    assertTrue(!fim.crashed(), "no crash within one operation");
    assertEquals(stores + 1, fim.count(Event.STORE), "stores per " + op);
    assertEquals(flushes + 1, fim.count(Event.FLUSH), "flushes per " + op);
    assertEquals(fences + 1, fim.count(Event.FENCE), "fences per " + op);
    byte[] durable = fim.image(CrashImage.PERSISTED_ONLY);
    assertEquals(expectedWord, word(durable, (int) pfn), op + " was not durable on return");
    BuddyAllocator.open(TestMedia.heapWith(durable), OFFSET, FRAMES, MAX_ORDER).checkInvariants();
  }

  private static long word(byte[] image, int pfn) {
    int at = (int) (OFFSET + 8L * pfn);
    long w = 0;
    for (int i = 7; i >= 0; i--) {
      w = (w << 8) | (image[at + i] & 0xFF);
    }
    return w;
  }
}
