package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.spi.Medium;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each kind of bad handle gets its error code, and a rejected call changes nothing. */
class ValidationErrorTest {
  private static final long FRAMES = 100;
  private static final long OFFSET = 64;
  private Medium medium;
  private BuddyAllocator a;

  @BeforeEach
  void setUp() {
    medium = BuddyTestSupport.formatted(OFFSET, FRAMES);
    a = BuddyAllocator.open(medium, OFFSET, FRAMES, 4, BuddyConfig.noCache());
  }

  /** The call fails with {@code code}, names the pfn, and leaves table and allocator unchanged. */
  private void assertRejected(ErrorCode code, long pfn, Executable call) {
    byte[] table = BuddyTestSupport.tableBytes(medium, OFFSET, FRAMES);
    AllocatorStats stats = a.stats();
    TreeMap<Long, Integer> blocks = a.zones.freeBlocks();
    InvalidFrameException e = assertThrows(InvalidFrameException.class, call);
    assertEquals(code, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("pfn=" + pfn), e.getMessage());
    assertTrue(e.getMessage().endsWith("[" + code.id() + "]"), e.getMessage());
    assertArrayEquals(table, BuddyTestSupport.tableBytes(medium, OFFSET, FRAMES), "table changed");
    assertEquals(stats, a.stats(), "stats changed");
    assertEquals(blocks, a.zones.freeBlocks(), "free lists changed");
    a.checkInvariants();
  }

  @Test
  void staleHandle() {
    long h = a.allocate(0, 1);
    long pfn = BuddyAllocator.handlePfn(h);
    int gen = BuddyAllocator.handleGeneration(h);
    a.free(pfn, 0, gen);
    long again = a.allocate(0, 2); // no cache: lowest free frame, the same pfn
    assertEquals(pfn, BuddyAllocator.handlePfn(again));
    assertEquals(gen + 1, BuddyAllocator.handleGeneration(again));
    assertRejected(ErrorCode.FRAME_STALE, pfn, () -> a.free(pfn, 0, gen));
    assertRejected(ErrorCode.FRAME_STALE, pfn, () -> a.validate(pfn, 0, gen));
    assertRejected(ErrorCode.FRAME_STALE, pfn, () -> a.beginFree(pfn, 0, gen));
    a.validate(pfn, 0, gen + 1);
  }

  @Test
  void doubleFree() {
    long h = a.allocate(2, 1);
    long pfn = BuddyAllocator.handlePfn(h);
    int gen = BuddyAllocator.handleGeneration(h);
    a.free(pfn, 2, gen);
    assertEquals(FrameWord.free(gen + 1), a.word(pfn));
    assertRejected(ErrorCode.FRAME_DOUBLE_FREE, pfn, () -> a.free(pfn, 2, gen));
    assertRejected(ErrorCode.FRAME_DOUBLE_FREE, pfn, () -> a.beginFree(pfn, 2, gen));
    assertRejected(ErrorCode.FRAME_STALE, pfn, () -> a.validate(pfn, 2, gen)); // use after free
  }

  @Test
  void freeWhileAFreeIsPending() {
    long h = a.allocate(1, 1);
    long pfn = BuddyAllocator.handlePfn(h);
    int gen = BuddyAllocator.handleGeneration(h);
    a.beginFree(pfn, 1, gen);
    assertRejected(ErrorCode.FRAME_DOUBLE_FREE, pfn, () -> a.free(pfn, 1, gen));
    assertRejected(ErrorCode.FRAME_DOUBLE_FREE, pfn, () -> a.beginFree(pfn, 1, gen));
    a.validate(pfn, 1, gen); // still allocated on the medium until the free is durable
    a.abortFree(pfn, 1, gen);
    a.free(pfn, 1, gen);
  }

  @Test
  void tailFrame() {
    long h = a.allocate(3, 1);
    long pfn = BuddyAllocator.handlePfn(h);
    assertRejected(ErrorCode.FRAME_NOT_HEAD, pfn + 1, () -> a.free(pfn + 1, 0, 0));
    assertRejected(ErrorCode.FRAME_NOT_HEAD, pfn + 4, () -> a.free(pfn + 4, 2, 0));
    assertRejected(ErrorCode.FRAME_NOT_HEAD, pfn + 5, () -> a.validate(pfn + 5, 0, 7));
    InvalidFrameException e = assertThrows(InvalidFrameException.class,
        () -> a.validate(pfn + 5, 0, 0));
    assertTrue(e.getMessage().contains("inside the block at pfn " + pfn), e.getMessage());
  }

  @Test
  void wrongOrder() {
    long h = a.allocate(3, 1);
    long pfn = BuddyAllocator.handlePfn(h);
    int gen = BuddyAllocator.handleGeneration(h);
    assertEquals(0, pfn);
    assertRejected(ErrorCode.FRAME_NOT_HEAD, pfn, () -> a.free(pfn, 2, gen));
    assertRejected(ErrorCode.FRAME_NOT_HEAD, pfn, () -> a.free(pfn, 4, gen));
    assertRejected(ErrorCode.FRAME_NOT_HEAD, pfn, () -> a.validate(pfn, 0, gen));
  }

  @Test
  void outOfRange() {
    assertRejected(ErrorCode.FRAME_BOUNDS, FRAMES, () -> a.free(FRAMES, 0, 0));
    assertRejected(ErrorCode.FRAME_BOUNDS, -1, () -> a.free(-1, 0, 0));
    assertRejected(ErrorCode.FRAME_BOUNDS, 1L << 40, () -> a.validate(1L << 40, 0, 0));
    assertRejected(ErrorCode.FRAME_BOUNDS, 2, () -> a.free(2, 2, 0)); // misaligned
    assertRejected(ErrorCode.FRAME_BOUNDS, 96, () -> a.free(96, 3, 0)); // past the end
    assertRejected(ErrorCode.FRAME_BOUNDS, 0, () -> a.free(0, 5, 0)); // order > maxOrder
    assertRejected(ErrorCode.FRAME_BOUNDS, 0, () -> a.validate(0, 40, 0));
    assertRejected(ErrorCode.FRAME_BOUNDS, 0, () -> a.validate(0, -1, 0));
    assertRejected(ErrorCode.FRAME_STALE, 0, () -> a.validate(0, 0, 1 << 16));
  }

  @Test
  void neverAllocatedAndReserved() {
    assertRejected(ErrorCode.FRAME_NOT_HEAD, 16, () -> a.free(16, 4, 0));
    long r = a.reserve(0);
    long pfn = BuddyAllocator.handlePfn(r);
    int gen = BuddyAllocator.handleGeneration(r);
    a.validate(pfn, 0, gen); // the reserving transaction writes it directly
    assertRejected(ErrorCode.FRAME_NOT_HEAD, pfn, () -> a.free(pfn, 0, gen));
    a.unreserve(pfn, 0);
    assertRejected(ErrorCode.FRAME_NOT_HEAD, pfn, () -> a.validate(pfn, 0, gen));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"unreserve", "commitReserved", "completeFree", "abortFree"})
  void protocolMisuseIsAnIllegalState(String call) {
    long h = a.allocate(1, 3);
    long pfn = BuddyAllocator.handlePfn(h);
    int gen = BuddyAllocator.handleGeneration(h);
    byte[] table = BuddyTestSupport.tableBytes(medium, OFFSET, FRAMES);
    Executable ex = switch (call) {
      case "unreserve" -> () -> a.unreserve(pfn, 1);
      case "commitReserved" -> () -> a.commitReserved(pfn, 1, gen, 3);
      case "completeFree" -> () -> a.completeFree(pfn, 1);
      default -> () -> a.abortFree(pfn, 1, gen);
    };
    IllegalStateException e = assertThrows(IllegalStateException.class, ex);
    assertTrue(e.getMessage().startsWith(call + "(pfn=" + pfn), e.getMessage());
    assertArrayEquals(table, BuddyTestSupport.tableBytes(medium, OFFSET, FRAMES));
    a.validate(pfn, 1, gen);
    a.checkInvariants();
    InvalidFrameException bounds = assertThrows(InvalidFrameException.class,
        () -> a.unreserve(FRAMES, 0));
    assertEquals(ErrorCode.FRAME_BOUNDS, bounds.code());
  }

  @Test
  void badArgumentsToAllocate() {
    assertThrows(IllegalArgumentException.class, () -> a.allocate(5, 0));
    assertThrows(IllegalArgumentException.class, () -> a.allocate(-1, 0));
    assertThrows(IllegalArgumentException.class, () -> a.allocate(0, -1));
    assertThrows(IllegalArgumentException.class, () -> a.allocate(0, FrameWord.MAX_OWNER + 1));
    assertThrows(IllegalArgumentException.class, () -> a.reserve(5));
    assertEquals(List.of(), a.verify());
  }
}
