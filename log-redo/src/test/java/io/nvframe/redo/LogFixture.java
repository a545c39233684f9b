package io.nvframe.redo;

import io.nvframe.spi.Medium;
import io.nvframe.tck.TestMedia;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;

/** Geometry and helpers shared by the redo-log tests. */
final class LogFixture {
  private LogFixture() {}

  /** Something before the log area (a region header would sit here). */
  static final long AREA = 4096;
  static final int LANES = 2;
  static final int LANE_SIZE = 4096;
  static final long AREA_END = AREA + (long) LANES * LANE_SIZE;
  static final long DATA_BYTES = 16384;
  static final long SIZE = AREA_END + DATA_BYTES;

  /** Seeds for property-style tests: fixed, so failures reproduce from the seed in the message. */
  static LongStream seeds(int n) {
    return LongStream.range(0, n).map(i -> 0x5EED_0000L + i * 7919);
  }

  /** A heap medium with a formatted log and seeded random bytes in the data area, all persisted. */
  static Medium formatted(long seed) {
    Medium m = TestMedia.heap(SIZE);
    RedoLog.format(m, AREA, LANES, LANE_SIZE);
    byte[] data = new byte[(int) DATA_BYTES];
    new Random(seed).nextBytes(data);
    m.write(AREA_END, data, 0, data.length);
    m.persist(AREA_END, data.length);
    return m;
  }

  static RedoLog open(Medium m) {
    return RedoLog.open(m, AREA, LANES, LANE_SIZE);
  }

  static RedoLog openRecovered(Medium m) {
    RedoLog log = open(m);
    log.recover();
    return log;
  }

  static byte[] image(Medium m) {
    byte[] b = new byte[(int) m.size()];
    m.read(0, b, 0, b.length);
    return b;
  }

  static byte[] dataArea(byte[] image) {
    return Arrays.copyOfRange(image, (int) AREA_END, image.length);
  }

  static long laneOffset(int lane) {
    return AREA + (long) lane * LANE_SIZE;
  }

  /** Header fields of one lane, decoded without any checks. */
  record Header(int magic, int version, int laneId, long generation, int entryCount, int payloadBytes,
      int flags, int crc) {}

  static Header header(Medium m, int lane) {
    byte[] b = new byte[RecordFormat.HEADER_BYTES];
    m.read(laneOffset(lane), b, 0, b.length);
    return header(b, 0);
  }

  static Header header(byte[] b, int at) {
    return new Header(
        RecordFormat.getInt(b, at + RecordFormat.MAGIC_OFFSET),
        RecordFormat.getUnsignedShort(b, at + RecordFormat.VERSION_OFFSET),
        RecordFormat.getUnsignedShort(b, at + RecordFormat.LANE_OFFSET),
        RecordFormat.getLong(b, at + RecordFormat.GENERATION_OFFSET),
        RecordFormat.getInt(b, at + RecordFormat.ENTRY_COUNT_OFFSET),
        RecordFormat.getInt(b, at + RecordFormat.PAYLOAD_BYTES_OFFSET),
        RecordFormat.getInt(b, at + RecordFormat.FLAGS_OFFSET),
        RecordFormat.getInt(b, at + RecordFormat.CRC_OFFSET));
  }

  /** A decoded entry: SET8 carries its 8 value bytes, COPY its data. */
  record Entry(int op, long offset, byte[] bytes) {
    long end() {
      return offset + bytes.length;
    }
  }

  /** Decodes {@code payloadBytes} of entries at {@code b[at...]}, failing on anything malformed. */
  static List<Entry> decode(byte[] b, int at, int payloadBytes) {
    List<Entry> out = new ArrayList<>();
    int pos = at;
    while (pos < at + payloadBytes) {
      long word = RecordFormat.getLong(b, pos);
      int op = RecordFormat.op(word);
      long off = RecordFormat.offset(word);
      if (op == RecordFormat.OP_SET8) {
        out.add(new Entry(op, off, Arrays.copyOfRange(b, pos + 8, pos + 16)));
        pos += 16;
      } else if (op == RecordFormat.OP_COPY) {
        int len = RecordFormat.getInt(b, pos + 8);
        if (RecordFormat.getInt(b, pos + 12) != 0) {
          throw new AssertionError("COPY reserved word not zero at " + pos);
        }
        out.add(new Entry(op, off, Arrays.copyOfRange(b, pos + 16, pos + 16 + len)));
        for (int i = pos + 16 + len; i < pos + 16 + RecordFormat.align8(len); i++) {
          if (b[i] != 0) {
            throw new AssertionError("COPY padding not zero at " + i);
          }
        }
        pos += 16 + RecordFormat.align8(len);
      } else {
        throw new AssertionError("unknown op " + op + " at " + pos);
      }
    }
    if (pos != at + payloadBytes) {
      throw new AssertionError("entries overrun the payload: " + pos + " vs " + (at + payloadBytes));
    }
    return out;
  }

  /**
   * Encodes {@code ws} as a VALID record for {@code laneId} with {@code generation}; returns header
   * plus payload bytes.
   */
  static byte[] encode(WriteSet ws, int laneId, long generation) {
    byte[] buf = new byte[LANE_SIZE];
    int payload = ws.encodePayload(buf, RecordFormat.HEADER_BYTES);
    RecordFormat.writeValidHeader(buf, 0, laneId, generation, ws.entryCount(), payload);
    return Arrays.copyOf(buf, RecordFormat.HEADER_BYTES + payload);
  }
}
