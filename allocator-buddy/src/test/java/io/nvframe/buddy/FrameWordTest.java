package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FrameWordTest {
  static LongStream seeds() {
    return LongStream.range(0, 50);
  }

  @Test
  void layoutIsTheDocumentedOne() {
    assertEquals(42, FrameWord.GENERATION_SHIFT);
    assertEquals(58, FrameWord.ORDER_SHIFT);
    assertEquals(63, FrameWord.HEAD_SHIFT);
    assertEquals(31, FrameWord.MAX_ORDER);
    assertEquals(0xFFFF, FrameWord.MAX_GENERATION);
    assertEquals((1L << 42) - 1, FrameWord.MAX_OWNER);
    assertEquals(1L << 63, FrameWord.allocated(0, 0, 0));
    assertEquals(1L << 42, FrameWord.free(1));
    assertEquals(0L, FrameWord.free(0));
    assertEquals(-1L, FrameWord.allocated(31, 0xFFFF, FrameWord.MAX_OWNER));
    assertEquals((1L << 63) | (3L << 58) | (7L << 42) | 42,
        FrameWord.allocated(3, 7, 42));
    // the masks partition the word
    assertEquals(-1L, FrameWord.HEAD | FrameWord.ORDER_MASK | FrameWord.GENERATION_MASK
        | FrameWord.OWNER_MASK);
    assertEquals(0L, FrameWord.HEAD & FrameWord.ORDER_MASK);
    assertEquals(0L, FrameWord.ORDER_MASK & FrameWord.GENERATION_MASK);
    assertEquals(0L, FrameWord.GENERATION_MASK & FrameWord.OWNER_MASK);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void encodeDecodeRoundTrips(long seed) {
    Random rnd = new Random(seed);
    for (int i = 0; i < 1000; i++) {
      int order = rnd.nextInt(FrameWord.MAX_ORDER + 1);
      int gen = rnd.nextInt(FrameWord.MAX_GENERATION + 1);
      long owner = rnd.nextLong() & FrameWord.MAX_OWNER;
      long w = FrameWord.allocated(order, gen, owner);
      String ctx = "seed " + seed + " word 0x" + Long.toHexString(w);
      assertTrue(FrameWord.isHead(w), ctx);
      assertTrue(FrameWord.isWellFormed(w), ctx);
      assertEquals(order, FrameWord.order(w), ctx);
      assertEquals(gen, FrameWord.generation(w), ctx);
      assertEquals(owner, FrameWord.owner(w), ctx);
      long f = FrameWord.free(gen);
      assertFalse(FrameWord.isHead(f), ctx);
      assertTrue(FrameWord.isWellFormed(f), ctx);
      assertEquals(gen, FrameWord.generation(f), ctx);
      assertEquals(0, FrameWord.order(f), ctx);
      assertEquals(0L, FrameWord.owner(f), ctx);
      long pfn = rnd.nextLong() >>> 17;
      long h = BuddyAllocator.handle(pfn, gen);
      assertEquals(pfn, BuddyAllocator.handlePfn(h), ctx);
      assertEquals(gen, BuddyAllocator.handleGeneration(h), ctx);
      assertTrue(h >= 0 && h != BuddyAllocator.NO_FRAME, ctx);
    }
  }

  @Test
  void generationsWrap() {
    assertEquals(1, FrameWord.nextGeneration(0));
    assertEquals(0, FrameWord.nextGeneration(FrameWord.MAX_GENERATION));
  }

  @Test
  void outOfRangeFieldsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> FrameWord.allocated(32, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> FrameWord.allocated(-1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> FrameWord.allocated(0, 1 << 16, 0));
    assertThrows(IllegalArgumentException.class, () -> FrameWord.allocated(0, -1, 0));
    assertThrows(IllegalArgumentException.class,
        () -> FrameWord.allocated(0, 0, FrameWord.MAX_OWNER + 1));
    assertThrows(IllegalArgumentException.class, () -> FrameWord.allocated(0, 0, -1));
    assertThrows(IllegalArgumentException.class, () -> FrameWord.free(1 << 16));
    assertThrows(IllegalArgumentException.class, () -> FrameWord.free(-1));
  }

  @Test
  void malformedWordsAreRecognised() {
    assertFalse(FrameWord.isWellFormed(1L)); // owner bit without HEAD
    assertFalse(FrameWord.isWellFormed(1L << 58)); // order bit without HEAD
    assertEquals("malformed(0x1)", FrameWord.toString(1L));
    assertEquals("free(gen=3)", FrameWord.toString(FrameWord.free(3)));
    assertEquals("head(order=2, gen=5, owner=9)", FrameWord.toString(FrameWord.allocated(2, 5, 9)));
  }

  @Test
  void configIsValidated() {
    assertEquals(new BuddyConfig(3, 256, 64), BuddyConfig.defaults());
    assertFalse(BuddyConfig.noCache().cachingEnabled());
    assertThrows(IllegalArgumentException.class, () -> new BuddyConfig(-2, 8, 4));
    assertThrows(IllegalArgumentException.class, () -> new BuddyConfig(32, 8, 4));
    assertThrows(IllegalArgumentException.class, () -> new BuddyConfig(3, -1, 1));
    assertThrows(IllegalArgumentException.class, () -> new BuddyConfig(3, 8, 9));
    assertThrows(IllegalArgumentException.class, () -> new BuddyConfig(3, 8, 0));
  }
}
