package io.nvframe.redo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.DelegatingMedium;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The streamed encoding of large records ({@link WriteSet#encodeWindow}, {@link
 * WriteSet#windowInArena}), applying from the write set ({@link WriteSet#applyTo}), whole-line
 * COPY writes ({@link RecordFormat#writeCopy}), and chained records longer than one streaming
 * window: bytes, flush coverage, flush and fence counts, crash images.
 */
class ChainStreamTest {
  static final long AREA_END = ChainedRecordTest.AREA_END;
  static final int DATA = 3 << 20;
  static final long POOL = AREA_END + DATA;
  static final int BLOCK = 768 << 10;
  static final int BLOCKS = 4;
  static final long SIZE = POOL + (long) BLOCK * BLOCKS;

  static LongStream seeds() {
    return LogFixture.seeds(40);
  }

  static Medium formatted(long seed) {
    return ChainedRecordTest.formatted(seed, DATA, SIZE);
  }

  static RedoLog open(Medium m, PoolSpace space) {
    return ChainedRecordTest.open(m, space);
  }

  static byte[] data(Medium m) {
    return ChainedRecordTest.data(m, DATA);
  }

  /**
   * A seeded mix within the first {@code span} data bytes, mirrored into {@code model}: runs of
   * adjacent 4 KiB-ish writes in ascending order (one arena piece), the same in descending order
   * (adjacent on the medium, not in the arena), aligned words, short writes, overwrites.
   */
  static void randomChanges(WriteSet ws, byte[] model, Random rnd, int span) {
    int ops = 5 + rnd.nextInt(40);
    for (int op = 0; op < ops; op++) {
      int kind = rnd.nextInt(6);
      if (kind == 0) {
        int at = rnd.nextInt(span / 8) * 8;
        long v = rnd.nextLong();
        ws.putLong(AREA_END + at, v);
        RecordFormat.putLong(model, at, v);
      } else if (kind <= 2) {
        int len = 1 + rnd.nextInt(rnd.nextBoolean() ? 100 : 3000);
        write(ws, model, rnd, rnd.nextInt(span - len), len);
      } else {
        int piece = rnd.nextBoolean() ? 4096 : 64 + rnd.nextInt(6000);
        int count = 1 + rnd.nextInt(40);
        int start = rnd.nextInt(Math.max(1, span - piece * count));
        start = rnd.nextBoolean() ? start & -64 : start;
        for (int k = 0; k < count; k++) {
          int i = kind == 3 ? count - 1 - k : k;
          int at = start + i * piece;
          if (at + piece <= span) {
            write(ws, model, rnd, at, piece);
          }
        }
      }
    }
  }

  private static void write(WriteSet ws, byte[] model, Random rnd, int at, int len) {
    byte[] b = new byte[len];
    rnd.nextBytes(b);
    ws.write(AREA_END + at, b, 0, len);
    System.arraycopy(b, 0, model, at, len);
  }

  /**
   * Windows of random sizes, each taken from the arena where {@link WriteSet#windowInArena} allows
   * it and encoded otherwise, reassemble exactly the record {@link WriteSet#encodePayload} writes.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void windowsReassembleTheRecord(long seed) {
    Random rnd = new Random(seed);
    try (Medium m = formatted(seed)) {
      RedoLog log = open(m, null);
      WriteSet ws = log.newWriteSet();
      randomChanges(ws, data(m), rnd, 1 << 20);
      int payload = (int) ws.payloadBytes();
      byte[] whole = new byte[payload];
      ws.encodePayload(whole, 0);
      for (int round = 0; round < 3; round++) {
        byte[] got = new byte[payload];
        long from = 0;
        while (from < payload) {
          int k = (int) Math.min(payload - from,
              rnd.nextBoolean() ? 64L * (1 + rnd.nextInt(200)) : 1 + rnd.nextInt(20000));
          int a = rnd.nextInt(4) > 0 ? ws.windowInArena(from, from + k) : -1;
          if (a >= 0) {
            assertTrue(k >= 64, "seed " + seed + ": a direct window of " + k + " bytes");
            System.arraycopy(ws.arena(), a, got, (int) from, k);
          } else {
            byte[] dst = new byte[k + 5];
            Arrays.fill(dst, (byte) 0x5A); // every window byte must be written, padding too
            ws.encodeWindow(dst, 3, from, from + k);
            System.arraycopy(dst, 3, got, (int) from, k);
            assertEquals(0x5A, dst[2] & 0xff, "seed " + seed + ": wrote before its window");
            assertEquals(0x5A, dst[k + 3] & 0xff, "seed " + seed + ": wrote past its window");
          }
          from += k;
        }
        int at = Arrays.mismatch(whole, got);
        assertEquals(-1, at, "seed " + seed + ", round " + round + ": windows differ from the record at payload byte " + at);
      }
    }
  }

  /** Which windows come straight from the arena, and that encoding may continue after them. */
  @Test
  void adjacentAscendingWritesAreTakenFromTheArena() {
    try (Medium m = formatted(1)) {
      RedoLog log = open(m, null);
      WriteSet ws = log.newWriteSet();
      byte[] model = data(m);
      Random rnd = new Random(1);
      for (int k = 0; k < 64; k++) {
        write(ws, model, rnd, 4096 * k, 4096);
      }
      // one COPY entry: header at payload 0, data [16, 16 + 256 KiB)
      assertEquals(16 + (256 << 10), ws.payloadBytes());
      byte[] lane = new byte[4032];
      ws.encodeWindow(lane, 0, 0, 4032);
      // arena offsets start after the arena's 64 unused bytes (RangeMapFields.B)
      assertEquals(RangeMapFields.B + 4016, ws.windowInArena(4032, 4032 + 8192), "data of frames 0..2 in one arena piece");
      assertEquals(-1, ws.windowInArena(4032 + 8192, 4032 + 8192 + 32), "shorter than a line");
      byte[] rest = new byte[32];
      ws.encodeWindow(rest, 0, 4032 + 8192, 4032 + 8192 + 32);
      int last = (int) ws.payloadBytes() - 4096;
      assertEquals(RangeMapFields.B + 4032 + 8192 + 32 - 16, ws.windowInArena(4032 + 8192 + 32, last), "up to the last frame");
      assertEquals(RangeMapFields.B + last - 16, ws.windowInArena(last, ws.payloadBytes()), "the last frame");

      // the same frames written in descending order: adjacent on the medium, not in the arena
      WriteSet down = log.newWriteSet();
      for (int k = 63; k >= 0; k--) {
        write(down, model, rnd, 4096 * k, 4096);
      }
      down.encodeWindow(lane, 0, 0, 4032);
      assertTrue(down.windowInArena(4032, 4032 + 64) >= 0, "inside one frame");
      assertEquals(-1, down.windowInArena(4032 + 64, 4032 + 64 + 4096), "across two frames");
    }
  }

  /**
   * {@link WriteSet#applyTo} leaves the medium as applying the encoded record does, and every line
   * it writes is written back (a {@code writeAndFlush} or a flush of the plan).
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void applyingFromTheWriteSetEqualsApplyingTheRecord(long seed) {
    Random rnd = new Random(seed);
    try (Medium a = formatted(seed); Medium b = formatted(seed)) {
      RedoLog log = open(a, null);
      WriteSet ws = log.newWriteSet();
      randomChanges(ws, data(a), rnd, 1 << 20);
      byte[] record = new byte[(int) ws.payloadBytes()];
      ws.encodePayload(record, 0);

      LineTracker ta = new LineTracker(a);
      FlushPlan pa = new FlushPlan(ta);
      int na = RecordFormat.apply(ta, record, 0, record.length, pa);
      pa.flush(ta);
      LineTracker tb = new LineTracker(b);
      FlushPlan pb = new FlushPlan(tb);
      int nb = ws.applyTo(tb, pb);
      pb.flush(tb);

      assertEquals(ws.entryCount(), na, "seed " + seed);
      assertEquals(na, nb, "seed " + seed + ": entries applied");
      int at = Arrays.mismatch(data(a), data(b));
      assertEquals(-1, at, "seed " + seed + ": the media differ at data byte " + at);
      assertEquals(List.of(), ta.unflushed(), "seed " + seed + ": RecordFormat.apply left lines unflushed");
      assertEquals(List.of(), tb.unflushed(), "seed " + seed + ": applyTo left lines unflushed");
    }
  }

  @Test
  void writeCopyWritesWholeLinesWithWriteAndFlushAndTheRestThroughThePlan() {
    try (Medium m = formatted(2)) {
      byte[] src = new byte[8000];
      new Random(2).nextBytes(src);
      long at = AREA_END + 5003; // head 53 bytes to the next line, then whole lines, then a tail
      LineTracker t = new LineTracker(m);
      FlushPlan plan = new FlushPlan(t);
      RecordFormat.writeCopy(t, at, src, 7, 6144, plan);
      assertEquals(1, t.writeAndFlushes, "the whole lines in one call");
      assertEquals(List.of(List.of(AREA_END + 5056, 6080L)), t.writeAndFlushRanges);
      assertEquals(2, plan.flush(t), "the head line and the tail line through the plan");
      assertEquals(List.of(), t.unflushed());
      byte[] got = new byte[6144];
      m.read(at, got, 0, got.length);
      assertArrayEquals(Arrays.copyOfRange(src, 7, 7 + 6144), got);

      // 530 bytes, but only 448 of them whole lines: all through the plan
      t = new LineTracker(m);
      RecordFormat.writeCopy(t, AREA_END + 100, src, 0, 530, plan);
      assertEquals(0, t.writeAndFlushes);
      assertEquals(1, plan.flush(t));
      assertEquals(List.of(), t.unflushed());

      // write-back by pages: all through the plan, which merges neighbours
      LineTracker pages = new LineTracker(m, 4096);
      FlushPlan pagePlan = new FlushPlan(pages);
      RecordFormat.writeCopy(pages, AREA_END, src, 0, 8000, pagePlan);
      assertEquals(0, pages.writeAndFlushes);
      assertEquals(1, pagePlan.flush(pages));
    }
  }

  /**
   * A chained record of 1 MiB in two 768 KiB blocks, longer than one streaming window: the exact
   * flush and fence count of the commit, the data, and crash images at each fence recovering all
   * or nothing (the CRC over the streamed chain must match what recovery reads).
   */
  @Test
  void aChainLongerThanOneWindowCommitsAndRecovers() {
    byte[] change = new byte[1 << 20];
    new Random(3).nextBytes(change);
    try (Medium m = formatted(3)) {
      PoolSpace space = new PoolSpace(POOL, BLOCK, BLOCKS);
      RedoLog log = open(m, space);
      byte[] model = data(m);
      WriteSet ws = log.newWriteSet();
      for (int k = 0; k < 256; k++) {
        ws.write(AREA_END + 4096L * k, change, 4096 * k, 4096);
      }
      System.arraycopy(change, 0, model, 0, change.length);
      PersistStats before = m.stats();
      log.commit(ws);
      PersistStats cost = m.stats().minus(before);
      assertEquals(3, cost.fences(), cost.toString());
      // lane 1; block 0: link + 3 windows (786368 payload bytes); block 1: link + 2 windows (the
      // other 258192: 258176 bytes of whole lines from the arena, then 16 encoded); apply: 1
      // writeAndFlush (one arena piece of whole lines); APPLIED word 1
      assertEquals(1 + 4 + 3 + 1 + 1, cost.flushes(), cost.toString());
      assertArrayEquals(model, data(m));
      assertEquals(0, space.reservedNow());
    }
    ChainedRecordTest.crashAtEachFence("random changes and 1 MiB in descending order", (ws, model) -> {
      randomChanges(ws, model, new Random(5), DATA);
      for (int k = 0; k < 256; k++) { // adjacent on the medium, not in the arena: encoded windows
        int i = 255 - k;
        ws.write(AREA_END + (1 << 20) + 4096L * i, change, 4096 * i, 4096);
      }
      System.arraycopy(change, 0, model, 1 << 20, change.length);
      assertTrue(ws.payloadBytes() > (1 << 20));
    }, () -> formatted(4), DATA, () -> new PoolSpace(POOL, BLOCK, BLOCKS));
  }

  /** With page write-back (msync), a chain's blocks are written piecewise and flushed once each. */
  @Test
  void withPageWriteBackEachBlockIsFlushedOnce() {
    byte[] change = new byte[1 << 20];
    new Random(6).nextBytes(change);
    try (Medium heap = formatted(6)) {
      LineTracker m = new LineTracker(heap, 4096);
      PoolSpace space = new PoolSpace(POOL, BLOCK, BLOCKS);
      RedoLog log = open(m, space);
      byte[] model = data(m);
      WriteSet ws = log.newWriteSet();
      ws.write(AREA_END + 100, change, 0, change.length);
      System.arraycopy(change, 0, model, 100, change.length);
      PersistStats before = m.stats();
      log.commit(ws);
      PersistStats cost = m.stats().minus(before);
      assertEquals(0, m.writeAndFlushes);
      // lane 1, two blocks 1 each, the applied COPY 1 (one run of pages), APPLIED word 1
      assertEquals(1 + 2 + 1 + 1, cost.flushes(), cost.toString());
      assertEquals(3, cost.fences(), cost.toString());
      assertEquals(List.of(), m.unflushed());
      assertArrayEquals(model, data(m));
    }
  }

  /** Tracks which lines were written and not yet flushed, and the writeAndFlush calls. */
  static final class LineTracker extends DelegatingMedium {
    private final int line;
    private final BitSet dirty = new BitSet();
    int writeAndFlushes;
    final List<List<Long>> writeAndFlushRanges = new ArrayList<>();

    LineTracker(Medium delegate) {
      this(delegate, delegate.flushGranularity());
    }

    LineTracker(Medium delegate, int line) {
      super(delegate);
      this.line = line;
    }

    @Override
    public int flushGranularity() {
      return line;
    }

    private void mark(long offset, long length, boolean value) {
      if (length > 0) {
        dirty.set((int) (offset / line), (int) ((offset + length - 1) / line) + 1, value);
      }
    }

    @Override
    public void write(long offset, byte[] src, int srcOffset, int length) {
      super.write(offset, src, srcOffset, length);
      mark(offset, length, true);
    }

    @Override
    public void storeLong(long offset, long value) {
      super.storeLong(offset, value);
      mark(offset, Long.BYTES, true);
    }

    @Override
    public void writeAndFlush(long offset, byte[] src, int srcOffset, int length) {
      super.writeAndFlush(offset, src, srcOffset, length);
      writeAndFlushes++;
      writeAndFlushRanges.add(List.of(offset, (long) length));
    }

    @Override
    public void flush(long offset, long length) {
      super.flush(offset, length);
      mark(offset, length, false);
    }

    List<Long> unflushed() {
      List<Long> lines = new ArrayList<>();
      dirty.stream().limit(10).forEach(i -> lines.add((long) i * line));
      return lines;
    }
  }
}
