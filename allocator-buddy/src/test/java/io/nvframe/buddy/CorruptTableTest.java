package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.spi.Medium;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** open() rejects impossible tables with FRAME_TABLE_CORRUPT, naming the pfn and the problem. */
class CorruptTableTest {
  private static final long OFFSET = 4096;

  /** name, frames, maxOrder, {pfn, word} pairs, bad pfn, words expected in the message. */
  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("misaligned head", 16, 3,
            new long[] {3, FrameWord.allocated(1, 0, 0)}, 3, "not aligned"),
        Arguments.of("overlapping heads", 16, 3,
            new long[] {0, FrameWord.allocated(3, 0, 7), 4, FrameWord.allocated(0, 2, 0)}, 4,
            "inside the allocated block at pfn 0"),
        Arguments.of("overlap names the covering block", 16, 3,
            new long[] {0, FrameWord.allocated(3, 0, 7), 4, FrameWord.allocated(0, 2, 0)}, 4,
            "covering [0, 8)): overlapping allocations"),
        Arguments.of("nested head of equal start", 32, 4,
            new long[] {16, FrameWord.allocated(4, 0, 7), 24, FrameWord.allocated(3, 0, 0)}, 24,
            "overlapping"),
        Arguments.of("order above maxOrder", 64, 3,
            new long[] {0, FrameWord.allocated(4, 0, 0)}, 0, "exceeds the region's maxOrder 3"),
        Arguments.of("head beyond the end", 12, 3,
            new long[] {8, FrameWord.allocated(3, 0, 0)}, 8, "extends past the last frame 11"),
        Arguments.of("dirty free word", 16, 3,
            new long[] {5, FrameWord.free(3) | 1L}, 5, "outside the generation field"),
        Arguments.of("order bits on a tail", 16, 3,
            new long[] {0, FrameWord.allocated(2, 0, 0), 1, 2L << FrameWord.ORDER_SHIFT}, 1,
            "outside the generation field"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void corruptTableIsRejected(
      String name, long frames, int maxOrder, long[] words, long badPfn, String problem) {
    Medium m = BuddyTestSupport.formatted(OFFSET, frames);
    for (int i = 0; i < words.length; i += 2) {
      m.storeLong(OFFSET + 8 * words[i], words[i + 1]);
    }
    MediaCorruptedException e = assertThrows(MediaCorruptedException.class,
        () -> BuddyAllocator.open(m, OFFSET, frames, maxOrder));
    assertEquals(ErrorCode.FRAME_TABLE_CORRUPT, e.code(), e.getMessage());
    String msg = e.getMessage();
    assertTrue(msg.contains("pfn=" + badPfn + " "), name + ": " + msg);
    assertTrue(msg.contains("(word at offset " + (OFFSET + 8 * badPfn) + ")"), name + ": " + msg);
    assertTrue(msg.contains(problem), name + ": " + msg);
    assertTrue(msg.contains("0x"), name + ": " + msg);
  }

  /**
   * The scan reads the table through a 64 KiB buffer in spans of 512 words and groups of
   * sixteen: tables whose size is not a multiple of those, heads and corruption in the last
   * words, and a last buffer that is only partly refilled (its tail still holds earlier heads)
   * are all read exactly.
   */
  @ParameterizedTest(name = "{0} frames")
  @ValueSource(longs = {1, 7, 9, 13, 511, 513, 8191, 8192, 8193, 8197, 16390})
  void scanBoundariesAreExact(long frames) {
    int maxOrder = 3;
    java.util.TreeMap<Long, Integer> live = new java.util.TreeMap<>();
    Medium m = BuddyTestSupport.formatted(OFFSET, frames);
    for (long pfn : new long[] {5, 6, 7, 8190, frames - 1}) { // 5..7: left in the buffer for a short refill
      if (pfn < frames && !live.containsKey(pfn)) {
        m.storeLong(OFFSET + 8 * pfn, FrameWord.allocated(0, (int) pfn, pfn));
        live.put(pfn, 0);
      }
    }
    BuddyAllocator a = BuddyAllocator.open(m, OFFSET, frames, maxOrder);
    a.checkInvariants();
    live.keySet().forEach(pfn -> a.validate(pfn, 0, (int) (long) pfn));
    assertEquals(frames - live.size(), a.stats().freeFrames(), "free frames");
    assertEquals(BuddyTestSupport.coalesced(BuddyTestSupport.inUse(frames, live), maxOrder),
        new java.util.TreeMap<>(a.zones.freeBlocks()), "free blocks");

    m.storeLong(OFFSET + 8 * (frames - 1), FrameWord.free(1) | 1L);
    MediaCorruptedException e = assertThrows(MediaCorruptedException.class,
        () -> BuddyAllocator.open(m, OFFSET, frames, maxOrder));
    assertTrue(e.getMessage().contains("pfn=" + (frames - 1) + " "), "the last word is checked: " + e.getMessage());
  }

  @Test
  void validTablesWithHeadsOpen() {
    Medium m = BuddyTestSupport.formatted(OFFSET, 20);
    m.storeLong(OFFSET, FrameWord.allocated(3, 9, 1));
    m.storeLong(OFFSET + 8 * 8, FrameWord.allocated(2, 0, 0));
    m.storeLong(OFFSET + 8 * 16, FrameWord.allocated(0, 65535, FrameWord.MAX_OWNER));
    m.storeLong(OFFSET + 8 * 3, FrameWord.free(77)); // a tail keeps its generation
    BuddyAllocator a = BuddyAllocator.open(m, OFFSET, 20, 3);
    a.checkInvariants();
    a.validate(0, 3, 9);
    a.validate(8, 2, 0);
    a.validate(16, 0, 65535);
    assertEquals(20 - 8 - 4 - 1, a.stats().freeFrames());
    // free frames: 12..15 (order 2), 17 (0), 18..19 (1)
    assertEquals(java.util.Map.of(12L, 2, 17L, 0, 18L, 1), a.zones.freeBlocks());
  }

  @Test
  void badGeometryIsAnArgumentError() {
    Medium m = BuddyTestSupport.formatted(0, 16);
    assertThrows(IllegalArgumentException.class, () -> BuddyAllocator.open(m, 4, 8, 3));
    assertThrows(IndexOutOfBoundsException.class, () -> BuddyAllocator.open(m, 0, 1000, 3));
    assertThrows(IllegalArgumentException.class, () -> BuddyAllocator.open(m, 0, 16, 32));
    assertThrows(IllegalArgumentException.class, () -> BuddyAllocator.open(m, 0, -1, 3));
    assertThrows(NullPointerException.class, () -> BuddyAllocator.open(null, 0, 16, 3));
  }
}
