package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.spi.Medium;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The words a transaction's redo log writes for the allocator ({@code publishedWord}, {@code
 * freedWord}) and the block read back from the table ({@code allocatedBlock}): other modules use
 * these instead of the frame word's layout.
 */
class RedoWordsTest {
  static LongStream seeds() {
    return LongStream.range(0, 20);
  }

  @Test
  void publishedAndFreedWordsAreTheDocumentedFrameWords() {
    assertEquals((1L << 42) - 1, BuddyAllocator.MAX_OWNER);
    assertEquals((1L << 63) | (3L << 58) | (7L << 42) | 42, BuddyAllocator.publishedWord(3, 7, 42));
    assertEquals(-1L, BuddyAllocator.publishedWord(31, 0xFFFF, BuddyAllocator.MAX_OWNER));
    assertEquals(1L << 42, BuddyAllocator.freedWord(0));
    assertEquals(0xFFFFL << 42, BuddyAllocator.freedWord(0xFFFE));
    // the generation wraps like a standalone free's: the last generation frees to generation 0
    assertEquals(0L, BuddyAllocator.freedWord(0xFFFF));
  }

  @Test
  void ownerOutsideItsFieldIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BuddyAllocator.publishedWord(0, 0, BuddyAllocator.MAX_OWNER + 1));
    assertTrue(e.getMessage().contains("owner tag " + (BuddyAllocator.MAX_OWNER + 1)),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> BuddyAllocator.publishedWord(0, 0, -1));
  }

  @Test
  void allocatedBlockReadsHeadsOnly() {
    Medium m = BuddyTestSupport.formatted(64, 32);
    BuddyAllocator a = BuddyAllocator.open(m, 64, 32, 3, BuddyConfig.noCache());
    long h = a.allocate(2, 99);
    long pfn = BuddyAllocator.handlePfn(h);
    assertEquals(new AllocatedBlock(pfn, 2, BuddyAllocator.handleGeneration(h), 99),
        a.allocatedBlock(pfn));
    assertNull(a.allocatedBlock(pfn + 1), "a tail frame");
    long r = a.reserve(0);
    assertNull(a.allocatedBlock(BuddyAllocator.handlePfn(r)), "a reservation is not published");
    assertNull(a.allocatedBlock(31), "a free frame");
    assertThrows(IndexOutOfBoundsException.class, () -> a.allocatedBlock(32));
    assertThrows(IndexOutOfBoundsException.class, () -> a.allocatedBlock(-1));
  }

  /**
   * A transaction's life as the redo log drives it, with only the words these methods return:
   * reserve, log the published word, commit; begin a free, log the freed word, complete. The
   * allocator agrees with the table after every step and after a reopen.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void transactionsWriteOnlyTheWordsTheAllocatorGives(long seed) {
    Random rnd = new Random(seed);
    Medium m = BuddyTestSupport.formatted(0, 1024);
    // 50 blocks touch at most 50 of the 64 aligned 16-frame slots: reserve never runs out
    BuddyAllocator a = BuddyAllocator.open(m, 0, 1024, 4);
    for (int round = 0; round < 50; round++) {
      String ctx = "seed " + seed + " round " + round;
      int order = rnd.nextInt(5);
      long owner = rnd.nextLong() & BuddyAllocator.MAX_OWNER;
      long h = a.reserve(order);
      assertNotEquals(BuddyAllocator.NO_FRAME, h, ctx);
      long pfn = BuddyAllocator.handlePfn(h);
      int gen = BuddyAllocator.handleGeneration(h);
      log(m, a.wordOffset(pfn), BuddyAllocator.publishedWord(order, gen, owner));
      a.commitReserved(pfn, order, gen, owner);
      assertEquals(new AllocatedBlock(pfn, order, gen, owner), a.allocatedBlock(pfn), ctx);
      assertEquals(List.of(), a.verify(), ctx);
      if (rnd.nextBoolean()) {
        a.beginFree(pfn, order, gen);
        log(m, a.wordOffset(pfn), BuddyAllocator.freedWord(gen));
        a.completeFree(pfn, order);
        assertNull(a.allocatedBlock(pfn), ctx);
        InvalidFrameException e = assertThrows(InvalidFrameException.class,
            () -> a.validate(pfn, order, gen), ctx);
        assertEquals(ErrorCode.FRAME_STALE, e.code(), ctx + ": use after free");
      }
      assertEquals(List.of(), a.verify(), ctx);
    }
    BuddyTestSupport.assertRebuildEquals(a, m, "seed " + seed);
  }

  private static void log(Medium m, long offset, long word) {
    m.storeLong(offset, word);
    m.persist(offset, Long.BYTES);
  }
}
