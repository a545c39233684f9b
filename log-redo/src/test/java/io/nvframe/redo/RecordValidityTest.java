package io.nvframe.redo;

import static io.nvframe.redo.LogFixture.AREA_END;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import io.nvframe.tck.TestMedia;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.zip.CRC32C;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Encode/decode round trip, and that recovery replays exactly the records it must: CRC-correct
 * records of the right lane, in generation order, and nothing torn, flipped, misplaced or mixed
 * from two generations.
 */
class RecordValidityTest {
  private static final long WORD_A = AREA_END + 128;
  private static final long COPY_AT = AREA_END + 1001;
  private static final long WORD_B = AREA_END + 4096;

  static LongStream seeds() {
    return LogFixture.seeds(100);
  }

  /** Random write sets encode to records that classify as VALID and decode to the same bytes. */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void encodeDecodeRoundTrip(long seed) {
    Random rnd = new Random(seed);
    try (Medium m = LogFixture.formatted(seed)) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet ws = log.newWriteSet();
      byte[] model = new byte[(int) LogFixture.DATA_BYTES];
      m.read(AREA_END, model, 0, model.length);
      int n = 1 + rnd.nextInt(30);
      for (int i = 0; i < n; i++) {
        int len = rnd.nextInt(4) == 0 ? 8 : 1 + rnd.nextInt(50);
        int at = rnd.nextInt(model.length - len);
        if (len == 8 && rnd.nextBoolean()) {
          at &= ~7;
        }
        byte[] src = new byte[len];
        rnd.nextBytes(src);
        ws.write(AREA_END + at, src, 0, len);
        System.arraycopy(src, 0, model, at, len);
      }
      int lane = rnd.nextInt(LogFixture.LANES);
      long generation = 1 + rnd.nextInt(1 << 20);
      byte[] record = LogFixture.encode(ws, lane, generation);
      LogFixture.Header h = LogFixture.header(record, 0);
      assertEquals(RecordFormat.MAGIC, h.magic(), "seed " + seed);
      assertEquals(RecordFormat.VERSION, h.version(), "seed " + seed);
      assertEquals(lane, h.laneId(), "seed " + seed);
      assertEquals(generation, h.generation(), "seed " + seed);
      assertEquals(ws.entryCount(), h.entryCount(), "seed " + seed);
      assertEquals(ws.encodedBytes() - 64, h.payloadBytes(), "seed " + seed);
      assertEquals(RecordFormat.FLAG_VALID, h.flags(), "seed " + seed);

      m.write(LogFixture.laneOffset(lane), record, 0, record.length);
      byte[] buf = new byte[LogFixture.LANE_SIZE];
      m.read(LogFixture.laneOffset(lane), buf, 0, 64);
      RecordFormat.LaneState st = RecordFormat.classify(buf, lane, m, LogFixture.laneOffset(lane),
          LogFixture.LANE_SIZE - 64, AREA_END, m.size(), new CRC32C());
      assertEquals(RecordFormat.Kind.VALID, st.kind(), "seed " + seed + ": " + st.reason());
      assertEquals(generation, st.generation(), "seed " + seed);

      // decoding the record and applying it to the pre-image gives the model
      byte[] applied = new byte[model.length];
      m.read(AREA_END, applied, 0, applied.length);
      for (LogFixture.Entry e : LogFixture.decode(record, 64, h.payloadBytes())) {
        System.arraycopy(e.bytes(), 0, applied, (int) (e.offset() - AREA_END), e.bytes().length);
      }
      assertArrayEquals(model, applied, "seed " + seed);

      // and recovery replays it to the same bytes
      RecoveryResult r = LogFixture.open(m).recover();
      assertEquals(1, r.recordsReplayed(), "seed " + seed);
      assertEquals(ws.entryCount(), r.entriesApplied(), "seed " + seed);
      byte[] after = new byte[model.length];
      m.read(AREA_END, after, 0, after.length);
      assertArrayEquals(model, after, "seed " + seed);
    }
  }

  /** A VALID record of three entries (SET8, unaligned COPY, SET8) in lane 0, not applied. */
  private static byte[] imageWithRecord(int laneId, int placeInLane, long generation) {
    try (Medium m = LogFixture.formatted(3)) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet ws = log.newWriteSet();
      ws.putLong(WORD_A, 0x1111_2222_3333_4444L);
      ws.write(COPY_AT, "twenty-one bytes long".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, 21);
      ws.putLong(WORD_B, -2);
      byte[] record = LogFixture.encode(ws, laneId, generation);
      m.write(LogFixture.laneOffset(placeInLane), record, 0, record.length);
      return LogFixture.image(m);
    }
  }

  private static int recordBytes() {
    return 64 + 16 + (16 + 24) + 16;
  }

  private static final byte[] PRE_DATA = LogFixture.dataArea(imageWithoutRecord());

  private static byte[] imageWithoutRecord() {
    try (Medium m = LogFixture.formatted(3)) {
      return LogFixture.image(m);
    }
  }

  static IntStream recordByteIndexes() {
    return IntStream.range(0, recordBytes());
  }

  /** Flipping any single byte of header or payload makes recovery ignore the record. */
  @ParameterizedTest(name = "byte {0}")
  @MethodSource("recordByteIndexes")
  void anyFlippedByteIsDetected(int index) {
    byte[] image = imageWithRecord(0, 0, 9);
    for (int mask : new int[] {0x01, 0x80, 0xFF}) {
      byte[] bad = image.clone();
      bad[(int) LogFixture.laneOffset(0) + index] ^= (byte) mask;
      try (Medium m = TestMedia.heapWith(bad)) {
        RecoveryResult r = LogFixture.open(m).recover();
        String what = "byte " + index + " xor 0x" + Integer.toHexString(mask) + ": " + r.details();
        assertEquals(0, r.recordsReplayed(), what);
        assertEquals(1, r.recordsIgnored(), what);
        assertArrayEquals(PRE_DATA, LogFixture.dataArea(LogFixture.image(m)), what + ": data changed");
        RedoLog again = LogFixture.open(m);
        assertTrue(again.verify().isEmpty(), what + ": " + again.verify());
      }
    }
  }

  @Test
  void intactRecordIsReplayedOnce() {
    try (Medium m = TestMedia.heapWith(imageWithRecord(0, 0, 9))) {
      RedoLog log = LogFixture.open(m);
      assertEquals(1, log.verify().size(), "an unapplied record violates L1 until recovery");
      RecoveryResult r = log.recover();
      assertEquals(new RecoveryResult(LogFixture.LANES, 1, 0, 3, r.details()), r);
      assertEquals(0x1111_2222_3333_4444L, m.loadLong(WORD_A));
      assertEquals(-2, m.loadLong(WORD_B));
      assertTrue(log.verify().isEmpty(), log.verify().toString());
      LogFixture.Header h = LogFixture.header(m, 0);
      assertEquals(RecordFormat.FLAG_APPLIED, h.flags());
      assertEquals(9, h.generation(), "invalidation keeps the generation");
    }
  }

  /** A correct record of lane 0 copied into lane 1 (or encoded for 1, placed in 0) is ignored. */
  @ParameterizedTest(name = "record of lane {0} in lane {1}")
  @org.junit.jupiter.params.provider.CsvSource({"0, 1", "1, 0"})
  void recordInTheWrongLaneIsIgnored(int laneId, int place) {
    try (Medium m = TestMedia.heapWith(imageWithRecord(laneId, place, 9))) {
      RecoveryResult r = LogFixture.open(m).recover();
      assertEquals(0, r.recordsReplayed());
      assertEquals(1, r.recordsIgnored());
      assertTrue(r.details().get(0).contains("record of lane " + laneId + " found in lane " + place), r.details().toString());
      assertArrayEquals(PRE_DATA, LogFixture.dataArea(LogFixture.image(m)));
    }
  }

  /**
   * Header of one generation with the payload of another (only part of a new record reached the
   * media) never validates, even with equal sizes; each intact record does.
   */
  @ParameterizedTest(name = "header of generation {0} over payload of the other")
  @ValueSource(ints = {5, 6})
  void headerAndPayloadOfDifferentGenerationsAreIgnored(int headerGeneration) {
    try (Medium m = LogFixture.formatted(3)) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet ws = log.newWriteSet();
      ws.putLong(WORD_A, 5);
      ws.putLong(WORD_B, 5);
      byte[] gen5 = LogFixture.encode(ws, 0, 5);
      ws.putLong(WORD_A, 6);
      ws.putLong(WORD_B, 6);
      byte[] gen6 = LogFixture.encode(ws, 0, 6);
      assertEquals(gen5.length, gen6.length);
      byte[] header = headerGeneration == 5 ? gen5 : gen6;
      byte[] payload = headerGeneration == 5 ? gen6 : gen5;
      long lane = LogFixture.laneOffset(0);
      m.write(lane, header, 0, 64);
      m.write(lane + 64, payload, 64, payload.length - 64);
      long beforeA = m.loadLong(WORD_A);
      RecoveryResult r = LogFixture.open(m).recover();
      assertEquals(0, r.recordsReplayed(), r.details().toString());
      assertEquals(1, r.recordsIgnored());
      assertEquals(beforeA, m.loadLong(WORD_A));
      // control: the intact record of that generation is replayed
      m.write(lane, header, 0, header.length);
      RecoveryResult ok = LogFixture.open(m).recover();
      assertEquals(1, ok.recordsReplayed());
      assertEquals(headerGeneration, m.loadLong(WORD_A));
    }
  }

  /**
   * Two committed records in different lanes that change the same word: recovery applies them in
   * generation order, whatever their lanes, so the newer value wins.
   */
  @ParameterizedTest(name = "newer record in lane {0}")
  @ValueSource(ints = {0, 1})
  void overlappingRecordsReplayInGenerationOrder(int newerLane) {
    try (Medium m = LogFixture.formatted(3)) {
      RedoLog log = LogFixture.openRecovered(m);
      WriteSet ws = log.newWriteSet();
      List<byte[]> records = new ArrayList<>();
      for (long v : new long[] {111, 222}) {
        ws.clear();
        ws.putLong(WORD_A, v);
        ws.putLong(WORD_B, v);
        int lane = v == 222 ? newerLane : 1 - newerLane;
        records.add(LogFixture.encode(ws, lane, v == 222 ? 40 : 17));
        m.write(LogFixture.laneOffset(lane), records.getLast(), 0, records.getLast().length);
      }
      RecoveryResult r = LogFixture.open(m).recover();
      assertEquals(2, r.recordsReplayed());
      assertEquals(222, m.loadLong(WORD_A));
      assertEquals(222, m.loadLong(WORD_B));
    }
  }

  /**
   * The one-pass header of an unchained record ({@code writeValidHeader}) is byte for byte the
   * header built field by field with two CRC passes ({@code fillValidHeader}, then the CRC over
   * header and payload), and its APPLIED state word is the one {@code appliedStateWord} computes.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void onePassHeaderMatchesFieldByFieldHeader(long seed) {
    Random rnd = new Random(seed);
    int payload = 8 * rnd.nextInt(LogFixture.LANE_SIZE / 8 - 8);
    byte[] fast = new byte[64 + payload];
    rnd.nextBytes(fast); // stale bytes in the header must not leak into it
    byte[] slow = fast.clone();
    int lane = rnd.nextInt(1 << 16);
    long generation = rnd.nextLong() >>> 1;
    int entries = rnd.nextInt();
    CRC32C crc = new CRC32C();
    long applied = RecordFormat.writeValidHeader(fast, 0, lane, generation, entries, payload);
    long expectedApplied = RecordFormat.fillValidHeader(slow, 0, lane, generation, entries, payload, 0, 0, crc);
    crc.reset();
    crc.update(slow, 0, 64 + payload);
    RecordFormat.putInt(slow, RecordFormat.CRC_OFFSET, (int) crc.getValue());
    assertArrayEquals(slow, fast, "seed " + seed);
    assertEquals(expectedApplied, applied, "seed " + seed);
    byte[] header = Arrays.copyOf(fast, 64);
    assertEquals(RecordFormat.appliedStateWord(header, crc), applied, "seed " + seed);
  }

  /** A CRC-correct record whose entries point into the log area (or past the end) is not replayed. */
  @Test
  void correctlyChecksummedRecordWithOutOfBoundsEntryIsIgnored() {
    try (Medium m = LogFixture.formatted(3)) {
      byte[] buf = new byte[LogFixture.LANE_SIZE];
      RecordFormat.putSet8(buf, 64, LogFixture.laneOffset(1), 77); // inside the log area
      RecordFormat.writeValidHeader(buf, 0, 0, 3, 1, 16);
      m.write(LogFixture.laneOffset(0), buf, 0, 64 + 16);
      byte[] before = LogFixture.image(m);
      RecoveryResult r = LogFixture.open(m).recover();
      assertEquals(0, r.recordsReplayed());
      assertEquals(1, r.recordsIgnored());
      assertTrue(r.details().get(0).contains("outside"), r.details().toString());
      assertArrayEquals(Arrays.copyOfRange(before, (int) LogFixture.laneOffset(1), (int) LogFixture.SIZE),
          Arrays.copyOfRange(LogFixture.image(m), (int) LogFixture.laneOffset(1), (int) LogFixture.SIZE));
    }
  }
}
