package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Zones: geometry-only sizing, home zones, fallback to other zones, no block across zones. */
class ZoneTest {
  @ParameterizedTest(name = "frames={0} maxOrder={1}")
  @CsvSource({
      "1, 0, 0, 1", "1, 10, 10, 1", "64, 3, 3, 8", "100, 4, 4, 7", "1000, 6, 7, 8",
      "262144, 10, 15, 8", "1024, 10, 10, 1", "1025, 10, 10, 2", "4096, 6, 9, 8"})
  void zoneSizeDependsOnGeometryOnly(long frames, int maxOrder, int shift, int zones) {
    assertEquals(shift, Zones.shift(frames, maxOrder));
    Medium m = BuddyTestSupport.formatted(0, frames);
    BuddyAllocator a = BuddyAllocator.open(m, 0, frames, maxOrder);
    assertEquals(zones, a.zones.count());
    a.checkInvariants();
  }

  @Test
  void threadsStartInDifferentHomeZonesAndFallBack() throws Exception {
    Medium m = BuddyTestSupport.formatted(0, 64); // 8 zones of 8 frames
    BuddyAllocator a = BuddyAllocator.open(m, 0, 64, 3, BuddyConfig.noCache());
    assertEquals(8, a.zones.count());
    long first = BuddyAllocator.handlePfn(a.allocate(3, 1)); // this thread: home zone 0
    assertEquals(0, first);
    AtomicLong other = new AtomicLong();
    Thread t = new Thread(() -> other.set(BuddyAllocator.handlePfn(a.allocate(3, 2))));
    t.start();
    t.join();
    assertEquals(8, other.get(), "the second thread's home zone is zone 1");
    List<Long> rest = new ArrayList<>();
    for (long h = a.allocate(3, 3); h != BuddyAllocator.NO_FRAME; h = a.allocate(3, 3)) {
      rest.add(BuddyAllocator.handlePfn(h));
    }
    assertEquals(List.of(16L, 24L, 32L, 40L, 48L, 56L), rest, "fallback walks the other zones");
    a.checkInvariants();
  }

  @Test
  void freeBlocksNeverCrossZones() {
    Medium m = BuddyTestSupport.formatted(0, 1000);
    BuddyAllocator a = BuddyAllocator.open(m, 0, 1000, 6);
    long zoneFrames = 1L << Zones.shift(1000, 6);
    a.zones.freeBlocks().forEach((pfn, order) -> assertEquals(pfn / zoneFrames,
        (pfn + (1L << order) - 1) / zoneFrames, "block " + pfn + "/" + order));
    assertNotEquals(1, a.zones.count());
    assertTrue(a.toString().contains("zones=" + a.zones.count()), a.toString());
  }
}
