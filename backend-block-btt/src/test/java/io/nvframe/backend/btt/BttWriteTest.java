package io.nvframe.backend.btt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeIOException;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The write path: fence count, free-block rotation, Zero/Error blocks, read-only refusals. */
class BttWriteTest {
  @Test
  void aBlockWriteCostsThreeFencesAndFourFlushes() {
    try (Medium m = Support.heap(17 * Support.MIB)) {
      Btt btt = Btt.format(m, 0, m.size(), BttFormat.of(4096), Btt.Options.defaults());
      for (int i = 0; i < 50; i++) {
        long lba = (i * 37L) % btt.blockCount();
        PersistStats before = m.stats();
        btt.write(lba, Support.pattern(lba, i, 4096), 0);
        PersistStats d = m.stats().minus(before);
        assertEquals(3, d.fences(), "fences of write " + i);
        assertEquals(4, d.flushes(), "flushes: data, flog half 1, flog half 2, map");
        assertEquals(4096 + 8 + 8 + 4, d.bytesWritten());
      }
      PersistStats before = m.stats();
      btt.setZero(3);
      btt.setError(4);
      assertEquals(2, m.stats().minus(before).fences(), "set-zero and set-error: one fence each");
      before = m.stats();
      Support.read(btt, 5);
      assertEquals(0, m.stats().minus(before).fences(), "reads do not fence");
    }
  }

  @Test
  void theWrittenBlockMovesAndTheOldOneBecomesTheLanesFreeBlock() {
    try (Medium m = Support.heap(17 * Support.MIB)) {
      Btt btt = Btt.format(m, 0, m.size(), BttFormat.of(4096), Btt.Options.defaults().withLanes(1));
      int before = btt.postMap(7);
      assertEquals(7, before, "initial entries map to themselves");
      int free = btt.freeBlocks(0)[0];
      btt.write(7, Support.pattern(7, 1, 4096), 0);
      assertEquals(free, btt.postMap(7));
      assertEquals(7, btt.freeBlocks(0)[0]);
      btt.write(8, Support.pattern(8, 1, 4096), 0);
      assertEquals(7, btt.postMap(8), "the freed block is reused by the lane's next write");
      Set<Integer> frees = new HashSet<>();
      for (int f : btt.freeBlocks(0)) {
        assertTrue(frees.add(f), "free blocks are distinct (B5)");
      }
      assertTrue(btt.idle());
    }
  }

  @Test
  void zeroAndErrorBlocksAndWritesThatClearThem() {
    try (Medium m = Support.heap(17 * Support.MIB)) {
      Btt btt = Btt.format(m, 0, m.size(), BttFormat.of(512), Btt.Options.defaults());
      btt.write(10, Support.pattern(10, 1, 512), 0);
      btt.setZero(10);
      assertEquals("zero", btt.blockState(10));
      assertArrayEquals(new byte[512], Support.read(btt, 10));
      btt.setError(10);
      NvframeIOException e = assertThrows(NvframeIOException.class, () -> Support.read(btt, 10));
      assertEquals(ErrorCode.MEDIA_ERROR, e.code());
      assertTrue(e.getMessage().contains("block 10 (arena 0"), e.getMessage());
      assertTrue(e.getMessage().endsWith("[NV-051]"), e.getMessage());
      btt.setError(11);
      assertThrows(NvframeIOException.class, () -> Support.read(btt, 11), "an initial block can be marked too");
      btt.write(10, Support.pattern(10, 2, 512), 0);
      assertEquals("normal", btt.blockState(10));
      assertArrayEquals(Support.pattern(10, 2, 512), Support.read(btt, 10));
      assertTrue(BttCheck.check(m, 0, m.size(), Btt.Options.defaults()).consistent());
      Btt again = Btt.open(m, 0, m.size(), Btt.Options.defaults().withReadOnly(true));
      assertThrows(NvframeIOException.class, () -> Support.read(again, 11));
      assertArrayEquals(Support.pattern(10, 2, 512), Support.read(again, 10));
    }
  }

  @Test
  void partialReadsSeeTheBlocksBytes() {
    try (Medium m = Support.heap(17 * Support.MIB)) {
      Btt btt = Btt.format(m, 0, m.size(), BttFormat.of(4096), Btt.Options.defaults());
      byte[] p = Support.pattern(3, 1, 4096);
      btt.write(3, p, 0);
      byte[] part = new byte[100];
      btt.read(3, 1000, part, 0, 100);
      assertArrayEquals(java.util.Arrays.copyOfRange(p, 1000, 1100), part);
    }
  }

  @Test
  void segmentReadsSeeTheSameBlocksAsArrayReads() {
    try (Medium m = Support.heap(17 * Support.MIB); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
      Btt btt = Btt.format(m, 0, m.size(), BttFormat.of(512), Btt.Options.defaults());
      for (long lba = 0; lba < 40; lba++) {
        btt.write(lba, Support.pattern(lba, 1, 512), 0);
      }
      btt.setZero(5);
      btt.setError(6);
      // a larger buffer: only its first block-size bytes change
      java.lang.foreign.MemorySegment dst = arena.allocate(600, 64);
      for (long lba = 0; lba < 45; lba++) {
        dst.fill((byte) 0x77);
        if (lba == 6) {
          NvframeIOException e = assertThrows(NvframeIOException.class, () -> btt.read(6, dst));
          assertEquals(ErrorCode.MEDIA_ERROR, e.code());
          continue;
        }
        btt.read(lba, dst);
        byte[] got = dst.asSlice(0, 512).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        assertArrayEquals(Support.read(btt, lba), got, "lba " + lba);
        byte[] expected = lba == 5 || lba >= 40 ? new byte[512] : Support.pattern(lba, 1, 512);
        assertArrayEquals(expected, got, "lba " + lba + ": zero, initial (>= 40) or written");
        assertEquals((byte) 0x77, dst.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 512), "byte 512 untouched");
      }
      assertTrue(btt.idle(), "every RTT slot is free again, also after the media error");
      IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
          () -> btt.read(1, arena.allocate(511)));
      assertTrue(small.getMessage().contains("511-byte buffer"), small.getMessage());
      assertThrows(IllegalArgumentException.class, () -> btt.read(btt.blockCount(), dst));
      assertTrue(btt.idle());
    }
  }

  @Test
  void refusalsAreCoded() {
    try (Medium m = Support.heap(17 * Support.MIB)) {
      Btt.format(m, 0, m.size(), BttFormat.of(4096), Btt.Options.defaults());
      Btt ro = Btt.open(m, 0, m.size(), Btt.Options.defaults().withReadOnly(true));
      NvframeIOException e = assertThrows(NvframeIOException.class, () -> ro.write(1, new byte[4096], 0));
      assertEquals(ErrorCode.READ_ONLY, e.code());
      assertThrows(NvframeIOException.class, () -> ro.setZero(1));
      assertThrows(IllegalArgumentException.class, () -> ro.read(ro.blockCount(), new byte[4096], 0));
      assertThrows(IllegalArgumentException.class, () -> ro.read(-1, new byte[4096], 0));
      ro.close();
      assertThrows(io.nvframe.api.AlreadyClosedException.class, () -> Support.read(ro, 0));
      assertNotEquals(0, ro.blockCount());
    }
  }
}
