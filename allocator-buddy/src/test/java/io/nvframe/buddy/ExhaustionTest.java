package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Allocate until NO_FRAME, free everything, and everything coalesces back. */
class ExhaustionTest {
  static Stream<Arguments> geometries() {
    List<Arguments> list = new ArrayList<>();
    long[] frameCounts = {1, 7, 64, 100, 1000, 1024, 4099};
    int[] maxOrders = {0, 3, 10};
    BuddyConfig[] configs = {BuddyConfig.defaults(), BuddyConfig.noCache(), new BuddyConfig(2, 4, 2)};
    for (long frames : frameCounts) {
      for (int maxOrder : maxOrders) {
        for (BuddyConfig config : configs) {
          list.add(Arguments.of(frames, maxOrder, config));
        }
      }
    }
    return list.stream();
  }

  @ParameterizedTest(name = "frames={0} maxOrder={1} {2}")
  @MethodSource("geometries")
  void singleOrderExhaustionAndCoalescing(long frames, int maxOrder, BuddyConfig config) {
    Medium m = BuddyTestSupport.formatted(0, frames);
    BuddyAllocator a = BuddyAllocator.open(m, 0, frames, maxOrder, config);
    TreeMap<Long, Integer> empty = BuddyTestSupport.coalesced(new boolean[(int) frames], maxOrder);
    assertEquals(empty, a.zones.freeBlocks(), "fresh table");
    for (int order = 0; order <= maxOrder; order++) {
      List<Long> handles = new ArrayList<>();
      for (long h = a.allocate(order, 1); h != BuddyAllocator.NO_FRAME; h = a.allocate(order, 1)) {
        handles.add(h);
      }
      String ctx = "frames=" + frames + " maxOrder=" + maxOrder + " order=" + order;
      assertEquals(frames >> order, handles.size(), ctx + ": blocks allocated before NO_FRAME");
      a.checkInvariants();
      Collections.shuffle(handles, new Random(frames * 31 + order));
      for (long h : handles) {
        a.free(BuddyAllocator.handlePfn(h), order, BuddyAllocator.handleGeneration(h));
      }
      a.drainCaches();
      a.checkInvariants();
      assertEquals(empty, a.zones.freeBlocks(), ctx + ": everything coalesces back");
      assertEquals(frames, a.stats().freeFrames(), ctx);
      int largest = Math.min(maxOrder, 63 - Long.numberOfLeadingZeros(frames));
      assertEquals(largest, a.stats().largestFreeOrder(), ctx);
    }
  }

  @ParameterizedTest(name = "frames={0} maxOrder={1} {2}")
  @MethodSource("geometries")
  void mixedOrderExhaustion(long frames, int maxOrder, BuddyConfig config) {
    Medium m = BuddyTestSupport.formatted(0, frames);
    BuddyAllocator a = BuddyAllocator.open(m, 0, frames, maxOrder, config);
    Random rnd = new Random(frames ^ maxOrder);
    List<long[]> held = new ArrayList<>();
    int order = maxOrder;
    while (order >= 0) {
      int want = rnd.nextInt(order + 1);
      long h = a.allocate(want, 2);
      if (h == BuddyAllocator.NO_FRAME) {
        order = want - 1; // nothing of this order can be made any more
        continue;
      }
      held.add(new long[] {h, want});
    }
    String ctx = "frames=" + frames + " maxOrder=" + maxOrder;
    assertEquals(0, a.stats().freeFrames(), ctx + ": order 0 failed, so nothing is free");
    assertEquals(-1, a.stats().largestFreeOrder(), ctx);
    a.checkInvariants();
    Collections.shuffle(held, rnd);
    for (long[] x : held) {
      a.free(BuddyAllocator.handlePfn(x[0]), (int) x[1], BuddyAllocator.handleGeneration(x[0]));
    }
    a.drainCaches();
    a.checkInvariants();
    assertEquals(BuddyTestSupport.coalesced(new boolean[(int) frames], maxOrder),
        a.zones.freeBlocks(), ctx + ": everything coalesces back");
    assertNotEquals(-1, a.stats().largestFreeOrder(), ctx);
    assertEquals(0, a.stats().cachedFrames(), ctx);
  }
}
