package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nvframe.api.InvalidFrameException;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fence accounting (README, "Algorithm"): each standalone allocate and free is 1 store + 1 flush +
 * 1 fence.
 */
class PersistCostTest {
  static Stream<Arguments> configs() {
    return Stream.of(
        Arguments.of("defaults", BuddyConfig.defaults()),
        Arguments.of("noCache", BuddyConfig.noCache()),
        Arguments.of("tinyCache", new BuddyConfig(1, 2, 1)));
  }

  private static final PersistStats ONE_DURABLE_WORD = new PersistStats(1, 8, 1, 8, 1);

  @ParameterizedTest(name = "{0}")
  @MethodSource("configs")
  void allocateAndFreeCostExactlyOneStoreFlushFence(String name, BuddyConfig config) {
    Medium m = BuddyTestSupport.formatted(128, 1000);
    BuddyAllocator a = BuddyAllocator.open(m, 128, 1000, 6, config);
    long[] handles = new long[200];
    int[] orders = new int[200];
    for (int i = 0; i < handles.length; i++) {
      orders[i] = i % 7; // cached and uncached orders; first calls refill caches
      PersistStats before = m.stats();
      handles[i] = a.allocate(orders[i], i);
      if (handles[i] == BuddyAllocator.NO_FRAME) {
        assertEquals(PersistStats.ZERO, m.stats().minus(before), name + ": failed allocate " + i);
        continue;
      }
      assertEquals(ONE_DURABLE_WORD, m.stats().minus(before), name + ": allocate #" + i);
    }
    for (int i = handles.length - 1; i >= 0; i--) {
      if (handles[i] == BuddyAllocator.NO_FRAME) {
        continue;
      }
      PersistStats before = m.stats();
      a.free(BuddyAllocator.handlePfn(handles[i]), orders[i],
          BuddyAllocator.handleGeneration(handles[i]));
      assertEquals(ONE_DURABLE_WORD, m.stats().minus(before), name + ": free #" + i);
    }
    a.checkInvariants();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configs")
  void volatileOperationsWriteNothing(String name, BuddyConfig config) {
    Medium m = BuddyTestSupport.formatted(0, 256);
    BuddyAllocator a = BuddyAllocator.open(m, 0, 256, 4, config);
    long h = a.allocate(1, 5);
    long pfn = BuddyAllocator.handlePfn(h);
    int gen = BuddyAllocator.handleGeneration(h);
    PersistStats before = m.stats();

    long r = a.reserve(2);
    assertNotEquals(BuddyAllocator.NO_FRAME, r);
    a.unreserve(BuddyAllocator.handlePfn(r), 2);
    a.validate(pfn, 1, gen);
    a.beginFree(pfn, 1, gen);
    a.abortFree(pfn, 1, gen);
    a.drainCaches();
    a.stats();
    a.verify();
    a.toString();
    assertThrows(InvalidFrameException.class, () -> a.free(pfn, 0, gen));
    while (a.reserve(4) != BuddyAllocator.NO_FRAME) {
      // exhaust order 4 (a NO_FRAME result writes nothing either)
    }
    assertEquals(BuddyAllocator.NO_FRAME, a.allocate(4, 1));
    assertEquals(PersistStats.ZERO, m.stats().minus(before), name + ": volatile operations");
  }
}
