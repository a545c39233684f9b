package io.nvframe.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.spi.Medium;
import org.junit.jupiter.api.Test;

/** What survives a reopen: durable allocations and frees, not reservations. */
class PersistenceTest {
  private static final long OFFSET = 512;
  private static final long FRAMES = 300;

  @Test
  void allocationsSurviveReopenAndReservationsDoNot() {
    Medium m = BuddyTestSupport.formatted(OFFSET, FRAMES);
    BuddyAllocator a = BuddyAllocator.open(m, OFFSET, FRAMES, 5);
    long kept = a.allocate(2, 4242);
    long freed = a.allocate(0, 1);
    long reserved = a.reserve(3);
    long committed = a.reserve(1);
    long pending = a.allocate(4, 9);
    a.free(BuddyAllocator.handlePfn(freed), 0, BuddyAllocator.handleGeneration(freed));
    long cpfn = BuddyAllocator.handlePfn(committed);
    int cgen = BuddyAllocator.handleGeneration(committed);
    // the redo log's job, done by hand
    m.storeLong(a.wordOffset(cpfn), FrameWord.allocated(1, cgen, 77));
    m.persist(a.wordOffset(cpfn), 8);
    a.commitReserved(cpfn, 1, cgen, 77);
    long ppfn = BuddyAllocator.handlePfn(pending);
    a.beginFree(ppfn, 4, BuddyAllocator.handleGeneration(pending)); // never applied
    a.checkInvariants();

    BuddyAllocator b = BuddyAllocator.open(m, OFFSET, FRAMES, 5);
    b.checkInvariants();
    long kpfn = BuddyAllocator.handlePfn(kept);
    int kgen = BuddyAllocator.handleGeneration(kept);
    b.validate(kpfn, 2, kgen);
    assertEquals(FrameWord.allocated(2, kgen, 4242), b.word(kpfn));
    b.validate(cpfn, 1, cgen);
    assertEquals(77, FrameWord.owner(b.word(cpfn)));
    b.validate(ppfn, 4, BuddyAllocator.handleGeneration(pending)); // its free never happened
    long rpfn = BuddyAllocator.handlePfn(reserved);
    InvalidFrameException e = assertThrows(InvalidFrameException.class,
        () -> b.validate(rpfn, 3, BuddyAllocator.handleGeneration(reserved)));
    assertEquals(ErrorCode.FRAME_NOT_HEAD, e.code()); // free again, same generation
    long fpfn = BuddyAllocator.handlePfn(freed);
    e = assertThrows(InvalidFrameException.class,
        () -> b.validate(fpfn, 0, BuddyAllocator.handleGeneration(freed)));
    assertEquals(ErrorCode.FRAME_STALE, e.code());
    assertEquals(FRAMES - 4 - 2 - 16, b.stats().freeFrames());
    // the reopened allocator works on: the reserved block can be allocated
    b.free(kpfn, 2, kgen);
    assertEquals(FRAMES - 2 - 16, b.stats().freeFrames());
    b.checkInvariants();
  }

  @Test
  void rebuildMatchesAfterManyOperations() {
    Medium m = BuddyTestSupport.formatted(OFFSET, FRAMES);
    BuddyAllocator a = BuddyAllocator.open(m, OFFSET, FRAMES, 4);
    java.util.Random rnd = new java.util.Random(7);
    java.util.List<long[]> held = new java.util.ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      if (held.isEmpty() || rnd.nextInt(3) > 0) {
        int order = rnd.nextInt(5);
        long h = a.allocate(order, i);
        if (h != BuddyAllocator.NO_FRAME) {
          held.add(new long[] {h, order});
        }
      } else {
        long[] x = held.remove(rnd.nextInt(held.size()));
        a.free(BuddyAllocator.handlePfn(x[0]), (int) x[1], BuddyAllocator.handleGeneration(x[0]));
      }
      if (i % 100 == 0) {
        BuddyTestSupport.assertRebuildEquals(a, m, "step " + i);
      }
    }
    BuddyTestSupport.assertRebuildEquals(a, m, "end");
    assertTrue(a.toString().startsWith("BuddyAllocator("), a.toString());
  }
}
