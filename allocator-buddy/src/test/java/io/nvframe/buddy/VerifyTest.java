package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** verify() is not vacuous: each kind of damage is reported, naming the frames. */
class VerifyTest {
  private Medium m;
  private BuddyAllocator a;
  private long pfn;
  private int gen;

  @BeforeEach
  void setUp() {
    m = BuddyTestSupport.formatted(0, 64);
    a = BuddyAllocator.open(m, 0, 64, 3, BuddyConfig.noCache());
    long h = a.allocate(2, 5); // pfn 0, blocks 4 (o2), 8..15 (o3), ... free
    pfn = BuddyAllocator.handlePfn(h);
    gen = BuddyAllocator.handleGeneration(h);
    assertEquals(List.of(), a.verify());
  }

  private void assertReported(String what, Predicate<String> problem) {
    List<String> problems = a.verify();
    assertTrue(problems.stream().anyMatch(problem), what + ": " + problems);
    IllegalStateException e = assertThrows(IllegalStateException.class, a::checkInvariants);
    assertTrue(e.getMessage().contains("invariants violated"), e.getMessage());
  }

  @Test
  void headWrittenBehindTheAllocatorsBack() {
    m.storeLong(8 * 8, FrameWord.allocated(3, 0, 1));
    assertReported("unknown head", p -> p.startsWith("A1") && p.contains("pfn 8"));
  }

  @Test
  void allocatedWordErased() {
    m.storeLong(8 * pfn, FrameWord.free(gen));
    assertReported("lost head", p -> p.startsWith("A1") && p.contains("pfn " + pfn));
  }

  @Test
  void leakedFreeBlock() {
    a.zones.damage(8, 3, false);
    assertReported("leak", p -> p.startsWith("A2") && p.contains("[8, 16)"));
    assertReported("count", p -> p.startsWith("A4"));
  }

  @Test
  void freeBlockOverAnAllocatedOne() {
    a.zones.damage(0, 1, true);
    assertReported("overlap", p -> p.startsWith("A2") && p.contains("pfn 0"));
  }

  @Test
  void unmergedBuddies() {
    a.zones.damage(8, 3, false);
    a.zones.damage(8, 2, true);
    a.zones.damage(12, 2, true);
    assertReported("not coalesced", p -> p.startsWith("A3") && p.contains("8")
        && p.contains("12"));
  }

  @Test
  void freeWordWithStrayBits() {
    m.storeLong(8 * 20, FrameWord.free(3) | 1); // an owner bit on a free frame's word
    assertReported("malformed", p -> p.startsWith("A1") && p.contains("pfn 20"));
  }

  /**
   * Free frames have no head-mirror entry: their generation lives in the table only, and the next
   * allocation of the frame takes it from there (a changed free generation is not a corruption the
   * allocator can see, and it harms nothing: handles of the frame's earlier blocks stay stale).
   */
  @Test
  void allocationTakesTheGenerationFromTheTable() {
    m.storeLong(8 * 4, FrameWord.free(7)); // pfn 4: the free order-2 block after pfn 0's
    long h = a.allocate(2, 9);
    assertEquals(4, BuddyAllocator.handlePfn(h));
    assertEquals(7, BuddyAllocator.handleGeneration(h));
    assertEquals(FrameWord.allocated(2, 7, 9), a.word(4));
    assertEquals(List.of(), a.verify());
  }
}
