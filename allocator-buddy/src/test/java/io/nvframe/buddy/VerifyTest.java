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
    a.damageFreeLists(8, 3, false);
    assertReported("leak", p -> p.startsWith("A2") && p.contains("[8, 16)"));
    assertReported("count", p -> p.startsWith("A4"));
  }

  @Test
  void freeBlockOverAnAllocatedOne() {
    a.damageFreeLists(0, 1, true);
    assertReported("overlap", p -> p.startsWith("A2") && p.contains("pfn 0"));
  }

  @Test
  void unmergedBuddies() {
    a.damageFreeLists(8, 3, false);
    a.damageFreeLists(8, 2, true);
    a.damageFreeLists(12, 2, true);
    assertReported("not coalesced", p -> p.startsWith("A3") && p.contains("8")
        && p.contains("12"));
  }

  @Test
  void staleCopyInTheTable() {
    m.storeLong(8 * 20, FrameWord.free(3)); // a free frame's generation changed behind its back
    assertReported("generation", p -> p.contains("pfn 20"));
  }
}
