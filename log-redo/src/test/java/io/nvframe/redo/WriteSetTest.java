package io.nvframe.redo;

import static io.nvframe.redo.LogFixture.AREA;
import static io.nvframe.redo.LogFixture.AREA_END;
import static io.nvframe.redo.LogFixture.SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Overlay semantics, encoding rules and bounds of {@link WriteSet}. */
class WriteSetTest {
  /** A small window of the data area, so random writes overlap a lot. */
  private static final int WINDOW = 384;

  static LongStream seeds() {
    return LogFixture.seeds(150);
  }

  /**
   * Random putLong / write calls (aligned, unaligned, overlapping, adjacent) against a byte[] model:
   * reads through the write set always equal the model, the encoded record decodes to sorted,
   * disjoint, in-bounds entries that cover exactly the written bytes with the model's values, and a
   * commit leaves the medium equal to the model.
   */
  /**
   * The footprint is cached between changes: after a write, a durable range or a clear, asking
   * again gives the footprint of what the write set now holds (every held range overlaps it; after
   * a clear it is empty).
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void footprintFollowsEveryChange(long seed) {
    Random rnd = new Random(seed);
    try (Medium m = LogFixture.formatted(seed)) {
      WriteSet ws = LogFixture.openRecovered(m).newWriteSet();
      List<long[]> held = new java.util.ArrayList<>();
      for (int op = 0; op < 30; op++) {
        int kind = rnd.nextInt(8);
        long at = AREA_END + rnd.nextInt(WINDOW - 64);
        if (kind < 3) {
          ws.putLong(at & -8, rnd.nextLong());
          held.add(new long[] {at & -8, 8});
        } else if (kind < 6) {
          int len = 1 + rnd.nextInt(64);
          ws.write(at, new byte[len], 0, len);
          held.add(new long[] {at, len});
        } else if (kind < 7) {
          ws.addDurableRange(at, 64);
          held.add(new long[] {at, 64});
        } else {
          ws.clear();
          held.clear();
        }
        Footprint got = ws.footprint();
        for (long[] r : held) {
          Footprint one = new Footprint();
          one.add(r[0], r[1]);
          final int o = op;
          assertTrue(got.overlaps(one), () -> "seed " + seed + " op " + o + ": range " + r[0] + "+" + r[1] + " missing");
        }
        assertEquals(held.isEmpty(), !got.overlaps(Footprint.everything()),
            "seed " + seed + " op " + op + ": an empty write set has an empty footprint");
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void overlayMatchesByteModel(long seed) {
    Random rnd = new Random(seed);
    try (Medium m = LogFixture.formatted(seed)) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet ws = log.newWriteSet();
      byte[] model = Arrays.copyOfRange(LogFixture.image(m), (int) AREA_END, (int) AREA_END + WINDOW);
      boolean[] written = new boolean[WINDOW];
      int ops = 1 + rnd.nextInt(40);
      for (int op = 0; op < ops; op++) {
        int kind = rnd.nextInt(10);
        if (kind < 4) {
          int at = rnd.nextBoolean() ? rnd.nextInt(WINDOW / 8) * 8 : rnd.nextInt(WINDOW - 8);
          long v = rnd.nextLong();
          ws.putLong(AREA_END + at, v);
          RecordFormat.putLong(model, at, v);
          Arrays.fill(written, at, at + 8, true);
        } else if (kind < 8) {
          int len = 1 + rnd.nextInt(rnd.nextBoolean() ? 24 : 96);
          int at = rnd.nextInt(WINDOW - len + 1);
          byte[] src = new byte[len + 6];
          rnd.nextBytes(src);
          int srcOff = rnd.nextInt(7);
          ws.write(AREA_END + at, src, srcOff, len);
          System.arraycopy(src, srcOff, model, at, len);
          Arrays.fill(written, at, at + len, true);
        } else {
          // reads at random places, checked right away
          int at = rnd.nextInt(WINDOW - 8);
          assertEquals(RecordFormat.getLong(model, at), ws.getLong(AREA_END + at, m),
              "seed " + seed + ": getLong at window byte " + at + " after op " + op);
          int len = rnd.nextInt(WINDOW - at);
          byte[] dst = new byte[len + 3];
          ws.read(AREA_END + at, dst, 3, len, m);
          assertArrayEquals(Arrays.copyOfRange(model, at, at + len), Arrays.copyOfRange(dst, 3, 3 + len),
              "seed " + seed + ": read of " + len + " bytes at window byte " + at + " after op " + op);
        }
      }
      byte[] all = new byte[WINDOW];
      ws.read(AREA_END, all, 0, WINDOW, m);
      assertArrayEquals(model, all, "seed " + seed + ": whole-window read");

      checkEncoding(ws, model, written, seed);

      log.commit(ws);
      byte[] after = new byte[WINDOW];
      m.read(AREA_END, after, 0, WINDOW);
      assertArrayEquals(model, after, "seed " + seed + ": medium after commit");
      assertTrue(log.verify().isEmpty(), "seed " + seed + ": " + log.verify());
    }
  }

  private static void checkEncoding(WriteSet ws, byte[] model, boolean[] written, long seed) {
    byte[] record = LogFixture.encode(ws, 0, 1);
    int payload = record.length - RecordFormat.HEADER_BYTES;
    assertEquals(ws.encodedBytes(), record.length, "seed " + seed + ": encodedBytes");
    List<LogFixture.Entry> entries = LogFixture.decode(record, RecordFormat.HEADER_BYTES, payload);
    assertEquals(ws.entryCount(), entries.size(), "seed " + seed + ": entryCount");
    boolean[] covered = new boolean[WINDOW];
    long prevEnd = Long.MIN_VALUE;
    LogFixture.Entry prev = null;
    for (LogFixture.Entry e : entries) {
      String where = "seed " + seed + ": entry at " + e.offset();
      assertTrue(e.offset() >= prevEnd, where + " overlaps or is out of order");
      assertTrue(e.offset() >= AREA_END && e.end() <= AREA_END + WINDOW, where + " out of bounds");
      if (e.op() == RecordFormat.OP_SET8) {
        assertEquals(0, e.offset() & 7, where + ": SET8 not aligned");
      } else {
        assertFalse(e.bytes().length == 8 && (e.offset() & 7) == 0, where + ": aligned word as COPY");
        if (prev != null && prev.op() == RecordFormat.OP_COPY) {
          assertTrue(prev.end() != e.offset(), where + ": adjacent COPY entries not merged");
        }
      }
      int at = (int) (e.offset() - AREA_END);
      assertArrayEquals(Arrays.copyOfRange(model, at, at + e.bytes().length), e.bytes(), where + ": bytes");
      Arrays.fill(covered, at, at + e.bytes().length, true);
      prevEnd = e.end();
      prev = e;
    }
    assertArrayEquals(written, covered, "seed " + seed + ": entries cover exactly the written bytes");
  }

  /**
   * A write set of one range (the common small transaction, encoded without the walk): SET8 for an
   * aligned word, else one COPY whose padding is zeroed whatever the buffer held; the entry covers
   * exactly the written bytes, and the bytes encoded over garbage equal those over zeros.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void oneRangeEncodesAsOneEntry(long seed) {
    Random rnd = new Random(seed);
    try (Medium m = LogFixture.formatted(seed)) {
      WriteSet ws = LogFixture.openRecovered(m).newWriteSet();
      byte[] model = Arrays.copyOfRange(LogFixture.image(m), (int) AREA_END, (int) AREA_END + WINDOW);
      boolean[] written = new boolean[WINDOW];
      int len = rnd.nextInt(3) == 0 ? 8 : 1 + rnd.nextInt(200);
      int at = rnd.nextInt(WINDOW - len + 1);
      if (rnd.nextBoolean()) {
        at &= ~7;
      }
      byte[] src = new byte[len];
      rnd.nextBytes(src);
      if (len == 8 && rnd.nextBoolean()) {
        ws.putLong(AREA_END + at, RecordFormat.getLong(src, 0));
      } else {
        ws.write(AREA_END + at, src, 0, len);
      }
      System.arraycopy(src, 0, model, at, len);
      Arrays.fill(written, at, at + len, true);
      assertEquals(1, ws.entryCount(), "seed " + seed);
      checkEncoding(ws, model, written, seed);
      byte[] garbage = new byte[LogFixture.LANE_SIZE];
      rnd.nextBytes(garbage);
      int payload = ws.encodePayload(garbage, RecordFormat.HEADER_BYTES);
      byte[] clean = LogFixture.encode(ws, 0, 1);
      assertEquals(clean.length - RecordFormat.HEADER_BYTES, payload, "seed " + seed);
      assertArrayEquals(Arrays.copyOfRange(clean, RecordFormat.HEADER_BYTES, clean.length),
          Arrays.copyOfRange(garbage, RecordFormat.HEADER_BYTES, RecordFormat.HEADER_BYTES + payload),
          "seed " + seed + ": " + len + " bytes at window byte " + at);
    }
  }

  @Test
  void alignedPutLongIsOneSet8() {
    try (Medium m = LogFixture.formatted(1)) {
      WriteSet ws = LogFixture.openRecovered(m).newWriteSet();
      assertTrue(ws.isEmpty());
      assertEquals(RedoLog.HEADER_BYTES, ws.encodedBytes());
      ws.putLong(AREA_END + 64, 42);
      assertEquals(1, ws.entryCount());
      assertEquals(RedoLog.HEADER_BYTES + 16, ws.encodedBytes());
      ws.putLong(AREA_END + 64, 43); // same word again: still one entry, later value
      assertEquals(1, ws.entryCount());
      assertEquals(43, ws.getLong(AREA_END + 64, m));
    }
  }

  @Test
  void unalignedPutLongIsCopyOfEightBytes() {
    try (Medium m = LogFixture.formatted(1)) {
      WriteSet ws = LogFixture.openRecovered(m).newWriteSet();
      ws.putLong(AREA_END + 3, 0x0102030405060708L);
      assertEquals(1, ws.entryCount());
      assertEquals(RedoLog.HEADER_BYTES + 16 + 8, ws.encodedBytes());
      List<LogFixture.Entry> e = entries(ws);
      assertEquals(RecordFormat.OP_COPY, e.get(0).op());
      assertEquals(0x0102030405060708L, ws.getLong(AREA_END + 3, m));
    }
  }

  @Test
  void adjacentAlignedWordsStaySet8AndAdjacentBytesMergeIntoOneCopy() {
    try (Medium m = LogFixture.formatted(1)) {
      WriteSet ws = LogFixture.openRecovered(m).newWriteSet();
      ws.putLong(AREA_END + 8, 1);
      ws.putLong(AREA_END + 16, 2);
      assertEquals(2, ws.entryCount(), "two adjacent aligned putLongs are two SET8");
      ws.clear();
      assertTrue(ws.isEmpty());
      ws.write(AREA_END + 100, new byte[5], 0, 5);
      ws.write(AREA_END + 105, new byte[7], 0, 7);
      ws.write(AREA_END + 112, new byte[3], 0, 3); // 112 is aligned but only 3 bytes: not a word
      assertEquals(1, ws.entryCount(), "adjacent unaligned pieces are one COPY");
      assertEquals(RedoLog.HEADER_BYTES + 16 + 16, ws.encodedBytes()); // 15 bytes padded to 16
      ws.clear();
      ws.write(AREA_END + 8, new byte[3], 0, 3);
      ws.write(AREA_END + 11, new byte[5], 0, 5); // the two pieces form exactly one aligned word
      assertEquals(1, ws.entryCount());
      assertEquals(RedoLog.HEADER_BYTES + 16, ws.encodedBytes(), "a run that is one aligned word is SET8");
    }
  }

  @Test
  void laterWriteWinsAndSplitsEarlierRanges() {
    try (Medium m = LogFixture.formatted(1)) {
      WriteSet ws = LogFixture.openRecovered(m).newWriteSet();
      byte[] ones = new byte[32];
      Arrays.fill(ones, (byte) 1);
      ws.write(AREA_END, ones, 0, 32);
      ws.putLong(AREA_END + 8, -1L); // inside the earlier range
      byte[] got = new byte[32];
      ws.read(AREA_END, got, 0, 32, m);
      for (int i = 0; i < 32; i++) {
        assertEquals(i >= 8 && i < 16 ? (byte) 0xFF : (byte) 1, got[i], "byte " + i);
      }
      // [0,8) [8,16) [16,32): the two aligned words are SET8, the tail a COPY of 16
      List<LogFixture.Entry> e = entries(ws);
      assertEquals(3, e.size());
      assertEquals(RecordFormat.OP_SET8, e.get(0).op());
      assertEquals(RecordFormat.OP_SET8, e.get(1).op());
      assertEquals(RecordFormat.OP_COPY, e.get(2).op());
      ws.write(AREA_END + 4, new byte[40], 0, 40); // covers everything after byte 4
      ws.read(AREA_END, got, 0, 32, m);
      for (int i = 0; i < 32; i++) {
        assertEquals(i < 4 ? (byte) 1 : (byte) 0, got[i], "byte " + i + " after the covering write");
      }
    }
  }

  @Test
  void targetsInTheLogAreaOrPastTheMediumAreRejected() {
    try (Medium m = LogFixture.formatted(1)) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet ws = log.newWriteSet();
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> ws.putLong(AREA, 1));
      assertTrue(e.getMessage().contains("redo-log area"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> ws.putLong(AREA_END - 8, 1));
      assertThrows(IllegalArgumentException.class, () -> ws.write(AREA_END - 1, new byte[4], 0, 4));
      assertThrows(IllegalArgumentException.class, () -> ws.putLong(SIZE - 4, 1));
      assertThrows(IllegalArgumentException.class, () -> ws.write(SIZE - 2, new byte[4], 0, 4));
      assertThrows(IllegalArgumentException.class, () -> ws.addDurableRange(AREA + 100, 64));
      assertThrows(IllegalArgumentException.class, () -> ws.addDurableRange(AREA_END, -1));
      assertThrows(IllegalArgumentException.class, () -> ws.putLong(-8, 1));
      assertThrows(IndexOutOfBoundsException.class, () -> ws.write(AREA_END, new byte[4], 2, 4));
      assertTrue(ws.isEmpty(), "rejected calls store nothing");
      ws.putLong(SIZE - 8, 7); // the last word is fine
      ws.addDurableRange(AREA_END, SIZE - AREA_END);
      assertEquals(1, ws.entryCount());
    }
  }

  @Test
  void writeSetOfAnotherLogIsRejected() {
    try (Medium a = LogFixture.formatted(1); Medium b = LogFixture.formatted(2)) {
      RedoLog la = LogFixture.openRecovered(a);
      RedoLog lb = LogFixture.openRecovered(b);
      WriteSet ws = la.newWriteSet();
      ws.putLong(AREA_END, 1);
      assertThrows(IllegalArgumentException.class, () -> lb.commit(ws));
    }
  }

  @Test
  void durableRangesDoNotTakeLogSpace() {
    try (Medium m = LogFixture.formatted(1)) {
      WriteSet ws = LogFixture.openRecovered(m).newWriteSet();
      ws.addDurableRange(AREA_END + 4096, 4096);
      assertFalse(ws.isEmpty());
      assertEquals(0, ws.entryCount());
      assertEquals(RedoLog.HEADER_BYTES, ws.encodedBytes());
    }
  }

  private static List<LogFixture.Entry> entries(WriteSet ws) {
    byte[] r = LogFixture.encode(ws, 0, 1);
    return LogFixture.decode(r, RecordFormat.HEADER_BYTES, r.length - RecordFormat.HEADER_BYTES);
  }
}
