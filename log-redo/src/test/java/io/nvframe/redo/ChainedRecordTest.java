package io.nvframe.redo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.OutOfFramesException;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import io.nvframe.tck.FaultInjectingMedium;
import io.nvframe.tck.FaultInjectingMedium.CrashImage;
import io.nvframe.tck.FaultInjectingMedium.Event;
import io.nvframe.tck.TestMedia;
import java.util.List;
import java.util.Random;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Records larger than a lane, continued in extension blocks of an {@link ExtensionSpace}: commit
 * and read-back against a byte model, the fence budget (unchanged: 3), blocks released after the
 * commit, out of space with nothing written, and recovery of a chained record from crash images
 * before and after its commit point.
 */
class ChainedRecordTest {
  static final long AREA = 4096;
  static final int LANES = 2;
  static final int LANE_SIZE = 4096;
  static final long AREA_END = AREA + (long) LANES * LANE_SIZE;
  static final int DATA = 1 << 16;
  static final long POOL = AREA_END + DATA;
  static final int BLOCK = 4096;
  static final int BLOCKS = 24;
  static final long SIZE = POOL + (long) BLOCK * BLOCKS;

  static Medium formatted(long seed) {
    return formatted(seed, DATA, SIZE);
  }

  /** A heap medium of {@code size} bytes, a formatted log, {@code dataBytes} seeded random data bytes after it. */
  static Medium formatted(long seed, int dataBytes, long size) {
    Medium m = TestMedia.heap(size);
    RedoLog.format(m, AREA, LANES, LANE_SIZE);
    byte[] data = new byte[dataBytes];
    new Random(seed).nextBytes(data);
    m.write(AREA_END, data, 0, data.length);
    m.persist(AREA_END, data.length);
    return m;
  }

  static RedoLog open(Medium m, PoolSpace space) {
    RedoLog log = RedoLog.open(m, AREA, LANES, LANE_SIZE);
    log.recover();
    if (space != null) {
      log.useExtensionSpace(space);
    }
    return log;
  }

  static byte[] data(Medium m) {
    return data(m, DATA);
  }

  static byte[] data(Medium m, int dataBytes) {
    byte[] b = new byte[dataBytes];
    m.read(AREA_END, b, 0, b.length);
    return b;
  }

  /** A transaction body that writes into the write set and the same change into the model. */
  interface Tx extends BiConsumer<WriteSet, byte[]> {}

  record Case(String name, Tx tx) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Case> cases() {
    return List.of(
        new Case("1024 SET8 (16 KiB payload)", (ws, model) -> {
          Random rnd = new Random(1);
          for (int i = 0; i < 1024; i++) {
            long v = rnd.nextLong();
            ws.putLong(AREA_END + 16L * i, v);
            putLong(model, 16 * i, v);
          }
        }),
        new Case("one COPY of 40 KiB", (ws, model) -> {
          byte[] b = new byte[40 << 10];
          new Random(2).nextBytes(b);
          ws.write(AREA_END + 1001, b, 0, b.length);
          System.arraycopy(b, 0, model, 1001, b.length);
        }),
        new Case("COPY entries straddling block ends", (ws, model) -> {
          Random rnd = new Random(3);
          for (int i = 0; i < 300; i++) {
            byte[] b = new byte[1 + rnd.nextInt(100)];
            rnd.nextBytes(b);
            int at = rnd.nextInt(DATA - b.length);
            ws.write(AREA_END + at, b, 0, b.length);
            System.arraycopy(b, 0, model, at, b.length);
          }
        }));
  }

  static void putLong(byte[] b, int at, long v) {
    RecordFormat.putLong(b, at, v);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void aChainedRecordCommitsWithThreeFencesAndReleasesItsBlocks(Case c) {
    try (Medium m = formatted(5)) {
      PoolSpace space = new PoolSpace(POOL, BLOCK, BLOCKS);
      RedoLog log = open(m, space);
      byte[] model = data(m);
      WriteSet ws = log.newWriteSet();
      c.tx().accept(ws, model);
      assertTrue(ws.payloadBytes() > log.laneCapacity(), "the case must need extension blocks");
      PersistStats before = m.stats();
      log.commit(ws);
      PersistStats cost = m.stats().minus(before);
      assertEquals(3, cost.fences(), "commit point, applied, lane reusable: " + cost);
      assertArrayEquals(model, data(m));
      assertEquals(0, space.reservedNow(), "extension blocks released after the commit");
      assertTrue(space.reservations > 0);
      assertEquals(List.of(), log.verify());
      // reopen: nothing to replay, data stays
      RedoLog again = open(m, space);
      assertEquals(0, again.stats().recordsReplayed());
      assertArrayEquals(model, data(m));
    }
  }

  /** Crash images (persisted only and everything issued) at each of the commit's fences. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void aCrashAtEachFenceRecoversAllOrNothing(Case c) {
    crashAtEachFence(c.toString(), c.tx(), () -> formatted(9), DATA, () -> new PoolSpace(POOL, BLOCK, BLOCKS));
  }

  /**
   * Commits {@code tx} on a medium from {@code formatted} (a log at {@link #AREA} and {@code
   * dataBytes} data bytes) with an extension space from {@code spaces}, crashing at each of the
   * commit's fences, with both crash images; recovery must give all (after the commit point) or
   * nothing, leave a clean log, and a second recovery must change no byte.
   */
  static void crashAtEachFence(
      String name, Tx tx, Supplier<Medium> formatted, int dataBytes, Supplier<PoolSpace> spaces) {
    for (int fence = 1; fence <= 3; fence++) {
      for (CrashImage kind : CrashImage.values()) {
        byte[] image;
        byte[] pre;
        byte[] model;
        try (Medium base = formatted.get()) {
          pre = data(base, dataBytes);
          model = pre.clone();
          FaultInjectingMedium f = new FaultInjectingMedium(base);
          PoolSpace space = spaces.get();
          RedoLog log = open(f, space);
          // the pool's lines hold unrelated, unflushed bytes when the chain is written
          byte[] junk = new byte[(int) (space.blockBytes * space.count)];
          new Random(fence).nextBytes(junk);
          f.write(space.start, junk, 0, junk.length);
          WriteSet ws = log.newWriteSet();
          tx.accept(ws, model);
          f.crashAt(Event.FENCE, f.count(Event.FENCE) + fence);
          assertThrows(FaultInjectingMedium.SimulatedCrash.class, () -> log.commit(ws));
          image = f.image(kind);
        }
        try (Medium m = TestMedia.heapWith(image)) {
          RedoLog log = open(m, null);
          byte[] got = data(m, dataBytes);
          String where = name + ", crash at fence " + fence + " of the commit, " + kind;
          if (fence > 1) {
            assertArrayEquals(model, got, where + ": committed, must be replayed");
          } else {
            assertTrue(java.util.Arrays.equals(model, got) || java.util.Arrays.equals(pre, got),
                where + ": neither the pre- nor the post-state");
          }
          assertEquals(List.of(), log.verify(), where);
          byte[] once = LogFixture.image(m);
          open(m, null);
          assertArrayEquals(once, LogFixture.image(m), where + ": a second recovery changed bytes");
        }
      }
    }
  }

  /**
   * A committed (not yet applied) chained record, then one byte flipped in a link field, in the
   * continued payload of each block, or in the header's chain fields: recovery must ignore the
   * record (the data area stays the pre-state) and leave a clean log. Unflipped, it is replayed.
   */
  @Test
  void aDamagedChainIsNeverReplayed() {
    byte[] image;
    byte[] pre;
    byte[] post;
    try (Medium base = formatted(12)) {
      pre = data(base);
      post = pre.clone();
      FaultInjectingMedium f = new FaultInjectingMedium(base);
      RedoLog log = open(f, new PoolSpace(POOL, BLOCK, BLOCKS));
      WriteSet ws = log.newWriteSet();
      cases().get(1).tx().accept(ws, post); // 40 KiB COPY: the lane and 10 blocks
      f.crashAt(Event.FENCE, f.count(Event.FENCE) + 2);
      assertThrows(FaultInjectingMedium.SimulatedCrash.class, () -> log.commit(ws));
      image = f.image(CrashImage.PERSISTED_ONLY);
    }
    try (Medium m = TestMedia.heapWith(image)) {
      open(m, null);
      assertArrayEquals(post, data(m), "undamaged: replayed");
    }
    List<Long> flips = new java.util.ArrayList<>();
    long lane = AREA; // the test thread's lane is whichever holds the VALID header
    for (int l = 0; l < LANES; l++) {
      if (RecordFormat.getInt(image, (int) (AREA + (long) l * LANE_SIZE) + RecordFormat.FLAGS_OFFSET) == RecordFormat.FLAG_VALID) {
        lane = AREA + (long) l * LANE_SIZE;
      }
    }
    flips.add(lane + RecordFormat.EXT_FIRST_OFFSET);
    flips.add(lane + RecordFormat.EXT_BLOCKS_OFFSET);
    flips.add(lane + RecordFormat.PAYLOAD_BYTES_OFFSET + 1);
    for (int b = 0; b < 10; b++) {
      long block = POOL + (long) b * BLOCK;
      flips.add(block + RecordFormat.LINK_NEXT_OFFSET + 1);
      flips.add(block + RecordFormat.LINK_LENGTH_OFFSET);
      flips.add(block + RecordFormat.LINK_GENERATION_OFFSET);
      flips.add(block + RecordFormat.LINK_BYTES + 7 + 61L * b); // inside the payload (block 9 holds 656 bytes)
    }
    for (long at : flips) {
      byte[] damaged = image.clone();
      damaged[(int) at] ^= 0x10;
      try (Medium m = TestMedia.heapWith(damaged)) {
        RedoLog log = open(m, null);
        assertArrayEquals(pre, data(m), "byte " + at + " flipped: the record must be ignored");
        assertEquals(List.of(), log.verify(), "byte " + at + " flipped");
      }
    }
  }

  @Test
  void outOfExtensionSpaceThrowsWithNothingWritten() {
    try (Medium m = formatted(6)) {
      PoolSpace space = new PoolSpace(POOL, BLOCK, 2);
      RedoLog log = open(m, space);
      WriteSet ws = log.newWriteSet();
      byte[] b = new byte[20000]; // 4032 in the lane + 2 x 4032 in blocks < 20016
      ws.write(AREA_END, b, 0, b.length);
      byte[] imageBefore = LogFixture.image(m);
      PersistStats before = m.stats();
      OutOfFramesException e = assertThrows(OutOfFramesException.class, () -> log.commit(ws));
      assertEquals(ErrorCode.OUT_OF_FRAMES, e.code());
      assertTrue(e.getMessage().contains("nothing was written"), e.getMessage());
      assertEquals(PersistStats.ZERO, m.stats().minus(before), "nothing stored, flushed or fenced");
      assertArrayEquals(imageBefore, LogFixture.image(m));
      assertEquals(0, space.reservedNow(), "the blocks taken before the space ran out are back");
      // the log still works, and a record that fits the space commits
      ws.clear();
      ws.write(AREA_END, b, 0, 12000);
      log.commit(ws);
      assertEquals(0, space.reservedNow());
    }
  }

  @Test
  void withoutAnExtensionSpaceALargeRecordIsTooLarge() {
    try (Medium m = formatted(6)) {
      RedoLog log = open(m, null);
      WriteSet ws = log.newWriteSet();
      ws.write(AREA_END, new byte[5000], 0, 5000);
      assertThrows(io.nvframe.api.TransactionTooLargeException.class, () -> log.commit(ws));
    }
  }
}
