package io.nvframe.redo;

import io.nvframe.spi.Medium;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The on-media format of one lane's redo record: constants and the static encode, decode, check
 * and apply helpers. All bit fiddling of the log lives here.
 *
 * <pre>
 * lane (laneSize bytes, a multiple of 4096; lane i starts at areaOffset + i * laneSize)
 * +--------------------------+-------------------------------------------------------+
 * | header (64 B, one line)  | payload: payloadBytes of 8-byte aligned entries        |
 * +--------------------------+-------------------------------------------------------+
 *
 * header, little-endian
 *  off size field
 *    0  u32 magic          "NVRL" (0x4C52564E)
 *    4  u16 version        1
 *    6  u16 laneId         index of the lane that holds the record
 *    8  u64 generation     sequence * lanes + laneId: increasing per lane, unique, never reused
 *   16  u32 entryCount
 *   20  u32 payloadBytes   multiple of 8; at most laneSize - 64 unless the record is chained
 *   24  u32 flags          VALID (1) or APPLIED (2)    \ one aligned 8-byte "state word",
 *   28  u32 crc32c                                     / replaced atomically on invalidation
 *   32  u64 extFirst       0, or the medium offset of the first extension block (chained record)
 *   40  u32 extBlocks      number of extension blocks (0 when extFirst is 0)
 *   44  20 zero bytes
 *
 * chained record (payloadBytes > laneSize - 64): the lane holds the first laneSize - 64 payload
 * bytes, extension block k the next min(remaining, length_k - 64):
 *   extension block (64-aligned, length_k a multiple of 64, at least 128, outside the log area)
 *    0  u64 next           medium offset of block k + 1 (0 in the last block)
 *    8  u64 length         bytes of this block, link included
 *   16  u64 generation     the record's generation
 *   24  40 zero bytes
 *   64  payload continued
 *
 * crc32c (VALID)   = CRC32C(header with crc = 0, then the lane's payload, then for each
 *                    extension block in chain order: its 64-byte link, its payload bytes)
 * crc32c (APPLIED) = CRC32C(header with crc = 0)            (the payload is no longer covered)
 *
 * entry word, u64:  | op (3 bits) | pool offset (61 bits) |
 *   SET8 (op 1): word, u64 value                                    16 bytes
 *   COPY (op 2): word, u32 length, u32 0, length bytes, zero pad to 8   16 + align8(length) bytes
 * </pre>
 *
 * <p>A header of 64 zero bytes is an empty lane (freshly formatted). Any other header that is not
 * a CRC-correct VALID or APPLIED header of this lane is <em>damaged</em>: torn or corrupted.
 */
final class RecordFormat {
  private RecordFormat() {}

  /** "NVRL" read as a little-endian u32. */
  static final int MAGIC = 0x4C52564E;
  /** Format version of the record layout. */
  static final int VERSION = 1;

  static final int HEADER_BYTES = 64;
  static final int MAGIC_OFFSET = 0;
  static final int VERSION_OFFSET = 4;
  static final int LANE_OFFSET = 6;
  static final int GENERATION_OFFSET = 8;
  static final int ENTRY_COUNT_OFFSET = 16;
  static final int PAYLOAD_BYTES_OFFSET = 20;
  static final int FLAGS_OFFSET = 24;
  static final int CRC_OFFSET = 28;
  /** The aligned 8-byte word holding flags (low half) and crc (high half). */
  static final int STATE_WORD_OFFSET = FLAGS_OFFSET;
  static final int EXT_FIRST_OFFSET = 32;
  static final int EXT_BLOCKS_OFFSET = 40;

  /** Size of the link at the start of an extension block. */
  static final int LINK_BYTES = 64;
  static final int LINK_NEXT_OFFSET = 0;
  static final int LINK_LENGTH_OFFSET = 8;
  static final int LINK_GENERATION_OFFSET = 16;
  /** Largest payload of one record: it is assembled in one Java array. */
  static final int MAX_PAYLOAD_BYTES = (Integer.MAX_VALUE - 1024) & -8;
  /**
   * Whole 64-byte lines a COPY must cover before {@link #writeCopy} writes them with {@link
   * Medium#writeAndFlush}; also the dax backend's shortest non-temporal copy.
   */
  static final int WRITE_AND_FLUSH_BYTES = 512;
  /** Bytes read at a time when a chained record's CRC is checked. */
  private static final int STREAM_CHUNK = 1 << 16;

  static final int FLAG_VALID = 1;
  static final int FLAG_APPLIED = 2;

  /** Width of the op field at the top of an entry word. */
  static final int OP_BITS = 3;
  /** Width of the pool offset in an entry word. */
  static final int OFFSET_BITS = Long.SIZE - OP_BITS;
  static final int OP_SHIFT = OFFSET_BITS;
  static final long OFFSET_MASK = (1L << OFFSET_BITS) - 1;

  static final int OP_SET8 = 1;
  static final int OP_COPY = 2;

  /** Size of a SET8 entry. */
  static final int SET8_BYTES = 16;
  /** Size of a COPY entry before its data. */
  static final int COPY_HEADER_BYTES = 16;
  static final int ENTRY_ALIGNMENT = 8;

  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

  // ---- little-endian byte[] access --------------------------------------------------------------

  static long getLong(byte[] b, int at) {
    return (long) LONG.get(b, at);
  }

  static void putLong(byte[] b, int at, long v) {
    LONG.set(b, at, v);
  }

  static int getInt(byte[] b, int at) {
    return (int) INT.get(b, at);
  }

  static void putInt(byte[] b, int at, int v) {
    INT.set(b, at, v);
  }

  static int getUnsignedShort(byte[] b, int at) {
    return Short.toUnsignedInt((short) SHORT.get(b, at));
  }

  static void putShort(byte[] b, int at, int v) {
    SHORT.set(b, at, (short) v);
  }

  // ---- entries ---------------------------------------------------------------------------------

  static long entryWord(int op, long offset) {
    assert offset >= 0 && offset <= OFFSET_MASK : offset;
    return ((long) op << OP_SHIFT) | offset;
  }

  static int op(long word) {
    return (int) (word >>> OP_SHIFT);
  }

  static long offset(long word) {
    return word & OFFSET_MASK;
  }

  static int align8(int n) {
    return (n + ENTRY_ALIGNMENT - 1) & -ENTRY_ALIGNMENT;
  }

  static long align8(long n) {
    return (n + ENTRY_ALIGNMENT - 1) & -ENTRY_ALIGNMENT;
  }

  /** {@code n} rounded up to whole 64-byte lines. */
  static int align64(int n) {
    return (n + LINK_BYTES - 1) & -LINK_BYTES;
  }

  /** Bytes of a COPY entry carrying {@code length} data bytes. */
  static long copyEntryBytes(long length) {
    return COPY_HEADER_BYTES + align8(length);
  }

  static void putSet8(byte[] b, int at, long offset, long value) {
    putLong(b, at, entryWord(OP_SET8, offset));
    putLong(b, at + 8, value);
  }

  /** Writes a COPY header at {@code at}; the caller puts the data at {@code at + 16}. */
  static void putCopyHeader(byte[] b, int at, long offset, int length) {
    putLong(b, at, entryWord(OP_COPY, offset));
    putInt(b, at + 8, length);
    putInt(b, at + 12, 0);
  }

  // ---- header ----------------------------------------------------------------------------------

  /**
   * Fills {@code b[at, at + 64)} with a VALID header for the payload in {@code b[at + 64, at + 64 +
   * payloadBytes)} (not chained) and returns the state word that later marks the record APPLIED.
   *
   * <p>One CRC pass: the CRC32C of the header alone (crc field 0) is read off midway through the
   * record's CRC, and the APPLIED header's CRC follows from it by {@link #APPLIED_CRC_DELTA},
   * since the two headers differ only in the flags field.
   */
  static long writeValidHeader(
      byte[] b, int at, int laneId, long generation, int entryCount, int payloadBytes) {
    // the header's eight little-endian words: magic|version|lane, generation, entries|payload,
    // flags|crc, extFirst, then extBlocks and the zero tail (bytes 40 to 63)
    putLong(b, at + MAGIC_OFFSET,
        (MAGIC & 0xFFFFFFFFL) | ((long) VERSION << 32) | ((long) laneId << 48));
    putLong(b, at + GENERATION_OFFSET, generation);
    putLong(b, at + ENTRY_COUNT_OFFSET, (entryCount & 0xFFFFFFFFL) | ((long) payloadBytes << 32));
    putLong(b, at + STATE_WORD_OFFSET, stateWord(FLAG_VALID, 0));
    putLong(b, at + EXT_FIRST_OFFSET, 0);
    for (int w = EXT_BLOCKS_OFFSET; w < HEADER_BYTES; w += Long.BYTES) {
      putLong(b, at + w, 0);
    }
    // a CRC32C of this call only, which the JIT replaces by its one int (escape analysis): no
    // object that a commit writes outside the padded lane and buffer
    CRC32C crc = new CRC32C();
    crc.update(b, at, HEADER_BYTES);
    int headerCrc = (int) crc.getValue();
    crc.update(b, at + HEADER_BYTES, payloadBytes);
    putInt(b, at + CRC_OFFSET, (int) crc.getValue());
    return stateWord(FLAG_APPLIED, headerCrc ^ APPLIED_CRC_DELTA);
  }

  /**
   * {@code CRC32C(h with flags APPLIED) ^ CRC32C(h with flags VALID)} for every 64-byte header
   * {@code h} (crc field 0 in both). CRC32C is affine over GF(2): {@code crc(x) ^ crc(y) = crc(x ^ y)
   * ^ crc(zeros)} for inputs of one length, and the two headers differ only in the flags field, so
   * the difference does not depend on the other fields.
   */
  static final int APPLIED_CRC_DELTA = appliedCrcDelta();

  private static int appliedCrcDelta() {
    byte[] h = new byte[HEADER_BYTES];
    CRC32C crc = new CRC32C();
    putInt(h, FLAGS_OFFSET, FLAG_APPLIED);
    crc.update(h, 0, HEADER_BYTES);
    int applied = (int) crc.getValue();
    putInt(h, FLAGS_OFFSET, FLAG_VALID);
    crc.reset();
    crc.update(h, 0, HEADER_BYTES);
    return applied ^ (int) crc.getValue();
  }

  /**
   * Fills {@code b[at, at + 64)} with a VALID header whose crc field is 0, and returns the state
   * word that later marks the record APPLIED. The caller computes the CRC and stores it at {@code
   * at +} {@link #CRC_OFFSET}.
   */
  static long fillValidHeader(
      byte[] b, int at, int laneId, long generation, int entryCount, int payloadBytes, long extFirst,
      int extBlocks, CRC32C crc) {
    java.util.Arrays.fill(b, at, at + HEADER_BYTES, (byte) 0);
    putInt(b, at + MAGIC_OFFSET, MAGIC);
    putShort(b, at + VERSION_OFFSET, VERSION);
    putShort(b, at + LANE_OFFSET, laneId);
    putLong(b, at + GENERATION_OFFSET, generation);
    putInt(b, at + ENTRY_COUNT_OFFSET, entryCount);
    putInt(b, at + PAYLOAD_BYTES_OFFSET, payloadBytes);
    putLong(b, at + EXT_FIRST_OFFSET, extFirst);
    putInt(b, at + EXT_BLOCKS_OFFSET, extBlocks);
    long appliedWord = appliedStateWord(b, at, crc);
    putInt(b, at + FLAGS_OFFSET, FLAG_VALID);
    putInt(b, at + CRC_OFFSET, 0);
    return appliedWord;
  }

  /** Fills {@code link[0, 64)} with the link of an extension block. */
  static void fillLink(byte[] link, long next, long length, long generation) {
    java.util.Arrays.fill(link, 0, LINK_BYTES, (byte) 0);
    putLong(link, LINK_NEXT_OFFSET, next);
    putLong(link, LINK_LENGTH_OFFSET, length);
    putLong(link, LINK_GENERATION_OFFSET, generation);
  }

  /**
   * The state word {@code flags = APPLIED, crc = CRC32C(header with those flags and crc 0)} for the
   * header in {@code b[0, 64)}. Leaves the header's state word at {@code (APPLIED, 0)}.
   */
  static long appliedStateWord(byte[] b, CRC32C crc) {
    return appliedStateWord(b, 0, crc);
  }

  /** {@link #appliedStateWord(byte[], CRC32C)} of the header at {@code b[at]}. */
  static long appliedStateWord(byte[] b, int at, CRC32C crc) {
    putInt(b, at + FLAGS_OFFSET, FLAG_APPLIED);
    putInt(b, at + CRC_OFFSET, 0);
    crc.reset();
    crc.update(b, at, HEADER_BYTES);
    int c = (int) crc.getValue();
    return stateWord(FLAG_APPLIED, c);
  }

  static long stateWord(int flags, int crc) {
    return Integer.toUnsignedLong(flags) | ((long) crc << Integer.SIZE);
  }

  /** Fills {@code b[0, 64)} with a clean APPLIED header of an empty record. */
  static void writeCleanHeader(byte[] b, int laneId, long generation, CRC32C crc) {
    java.util.Arrays.fill(b, 0, HEADER_BYTES, (byte) 0);
    putInt(b, MAGIC_OFFSET, MAGIC);
    putShort(b, VERSION_OFFSET, VERSION);
    putShort(b, LANE_OFFSET, laneId);
    putLong(b, GENERATION_OFFSET, generation);
    long word = appliedStateWord(b, crc);
    putLong(b, STATE_WORD_OFFSET, word);
  }

  static boolean allZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** What a lane header says, before the payload is looked at. */
  enum Kind {
    /** 64 zero bytes: formatted, never used. */
    EMPTY,
    /** A CRC-correct APPLIED header of this lane. */
    APPLIED,
    /** A CRC-correct VALID record whose entries all lie in bounds: to be replayed. */
    VALID,
    /** Anything else (torn, damaged, another lane's or another version's record). */
    DAMAGED
  }

  /**
   * Classification of one lane.
   *
   * @param kind what the lane holds
   * @param generation the header's generation word, or -1 when the header does not carry a
   *     trustworthy one (empty, wrong magic/version/lane, negative)
   * @param entryCount entries of a VALID record
   * @param payloadBytes payload bytes of a VALID record
   * @param reason why a DAMAGED header was rejected, else empty
   * @param record a VALID record, header and whole payload ({@code 64 + payloadBytes} bytes; the
   *     buffer passed to {@code classify} when the record is not chained), else null
   */
  record LaneState(Kind kind, long generation, int entryCount, int payloadBytes, String reason, byte[] record) {
    LaneState(Kind kind, long generation, int entryCount, int payloadBytes, String reason) {
      this(kind, generation, entryCount, payloadBytes, reason, null);
    }
  }

  /**
   * Classifies the lane whose header is in {@code b[0, 64)}; for a VALID-flagged header it reads
   * the payload from {@code medium} into {@code b[64, ...)} and checks CRC and entries. Never
   * trusts an unchecked byte: lengths are bounded before they are used.
   *
   * @param b at least {@code 64 + capacity} bytes
   * @param lo lowest allowed entry target (the end of the log area)
   * @param hi end of the medium
   */
  static LaneState classify(
      byte[] b, int laneId, Medium medium, long laneOffset, int capacity, long lo, long hi,
      CRC32C crc) {
    if (allZero(b, 0, HEADER_BYTES)) {
      return new LaneState(Kind.EMPTY, -1, 0, 0, "");
    }
    int magic = getInt(b, MAGIC_OFFSET);
    if (magic != MAGIC) {
      return damaged(-1, String.format("bad magic 0x%08x (expected 0x%08x)", magic, MAGIC));
    }
    int version = getUnsignedShort(b, VERSION_OFFSET);
    if (version != VERSION) {
      return damaged(-1, "record version " + version + " (this log reads version " + VERSION + ")");
    }
    int lane = getUnsignedShort(b, LANE_OFFSET);
    if (lane != laneId) {
      return damaged(-1, "record of lane " + lane + " found in lane " + laneId);
    }
    long generation = getLong(b, GENERATION_OFFSET);
    if (generation < 0) {
      return damaged(-1, "negative generation " + generation);
    }
    int flags = getInt(b, FLAGS_OFFSET);
    int storedCrc = getInt(b, CRC_OFFSET);
    if (flags == FLAG_APPLIED) {
      putInt(b, CRC_OFFSET, 0);
      crc.reset();
      crc.update(b, 0, HEADER_BYTES);
      putInt(b, CRC_OFFSET, storedCrc);
      if ((int) crc.getValue() != storedCrc) {
        return damaged(generation, "APPLIED header fails its CRC32C (torn header)");
      }
      return new LaneState(Kind.APPLIED, generation, 0, 0, "");
    }
    if (flags != FLAG_VALID) {
      return damaged(generation, String.format("unknown flags 0x%x", flags));
    }
    int entryCount = getInt(b, ENTRY_COUNT_OFFSET);
    int payloadBytes = getInt(b, PAYLOAD_BYTES_OFFSET);
    long extFirst = getLong(b, EXT_FIRST_OFFSET);
    if (extFirst != 0) {
      return classifyChained(b, medium, laneOffset, capacity, lo, hi, crc, generation);
    }
    if (payloadBytes < 0 || payloadBytes > capacity || (payloadBytes & (ENTRY_ALIGNMENT - 1)) != 0) {
      return damaged(
          generation,
          "payloadBytes " + Integer.toUnsignedString(payloadBytes)
              + " is not a multiple of 8 within the lane capacity " + capacity);
    }
    medium.read(laneOffset + HEADER_BYTES, b, HEADER_BYTES, payloadBytes);
    putInt(b, CRC_OFFSET, 0);
    crc.reset();
    crc.update(b, 0, HEADER_BYTES + payloadBytes);
    putInt(b, CRC_OFFSET, storedCrc);
    if ((int) crc.getValue() != storedCrc) {
      return damaged(generation, "VALID record of generation " + generation + " fails its CRC32C (torn or damaged)");
    }
    String bad = checkEntries(b, HEADER_BYTES, payloadBytes, entryCount, lo, hi);
    if (bad != null) {
      return damaged(generation, "CRC-correct record of generation " + generation + " is malformed: " + bad);
    }
    return new LaneState(Kind.VALID, generation, entryCount, payloadBytes, "", b);
  }

  /**
   * The VALID branch of {@link #classify} for a chained record. The chain is walked twice: first
   * streaming, to check every link's bounds and the CRC with a bounded buffer (nothing large is
   * allocated on the word of an unchecked header); then, once the CRC holds, the record is
   * assembled into one array and its entries are checked.
   */
  private static LaneState classifyChained(
      byte[] b, Medium medium, long laneOffset, int capacity, long lo, long hi, CRC32C crc,
      long generation) {
    int entryCount = getInt(b, ENTRY_COUNT_OFFSET);
    long payloadBytes = Integer.toUnsignedLong(getInt(b, PAYLOAD_BYTES_OFFSET));
    long extFirst = getLong(b, EXT_FIRST_OFFSET);
    long extBlocks = Integer.toUnsignedLong(getInt(b, EXT_BLOCKS_OFFSET));
    if (payloadBytes <= capacity || payloadBytes > MAX_PAYLOAD_BYTES
        || (payloadBytes & (ENTRY_ALIGNMENT - 1)) != 0 || payloadBytes - capacity > hi - lo) {
      return damaged(generation, "chained record of generation " + generation + " has payloadBytes "
          + payloadBytes + " (must be a multiple of 8 above the lane capacity " + capacity
          + " and at most " + MAX_PAYLOAD_BYTES + ")");
    }
    long rest = payloadBytes - capacity;
    long maxBlocks = Math.ceilDiv(rest, ExtensionSpace.MIN_BLOCK_BYTES - LINK_BYTES);
    if (extBlocks < 1 || extBlocks > maxBlocks) {
      return damaged(generation, "chained record of generation " + generation + " claims " + extBlocks
          + " extension blocks for " + rest + " bytes");
    }
    int storedCrc = getInt(b, CRC_OFFSET);
    medium.read(laneOffset + HEADER_BYTES, b, HEADER_BYTES, capacity);
    putInt(b, CRC_OFFSET, 0);
    crc.reset();
    crc.update(b, 0, HEADER_BYTES + capacity);
    putInt(b, CRC_OFFSET, storedCrc);
    byte[] link = new byte[LINK_BYTES];
    byte[] chunk = new byte[(int) Math.min(rest, STREAM_CHUNK)];
    long[] starts = new long[(int) Math.min(extBlocks, 64)];
    long[] lengths = new long[starts.length];
    long at = extFirst;
    long remaining = rest;
    int used = 0;
    while (remaining > 0) {
      if (used == extBlocks) {
        return damaged(generation, "chained record of generation " + generation + " ends after "
            + used + " extension blocks with " + remaining + " payload bytes missing");
      }
      if (at < lo || at > hi - ExtensionSpace.MIN_BLOCK_BYTES || (at & (LINK_BYTES - 1)) != 0) {
        return damaged(generation, "extension block " + used + " of generation " + generation
            + " at offset " + at + " is not a 64-aligned block in [" + lo + ", " + hi + ")");
      }
      medium.read(at, link, 0, LINK_BYTES);
      long length = getLong(link, LINK_LENGTH_OFFSET);
      if (length < ExtensionSpace.MIN_BLOCK_BYTES || (length & (LINK_BYTES - 1)) != 0 || length > hi - at) {
        return damaged(generation, "extension block " + used + " at offset " + at + " has length " + length);
      }
      if (getLong(link, LINK_GENERATION_OFFSET) != generation) {
        return damaged(generation, "extension block " + used + " at offset " + at
            + " belongs to generation " + getLong(link, LINK_GENERATION_OFFSET) + ", not " + generation);
      }
      crc.update(link, 0, LINK_BYTES);
      long n = Math.min(remaining, length - LINK_BYTES);
      for (long done = 0; done < n; ) {
        int k = (int) Math.min(chunk.length, n - done);
        medium.read(at + LINK_BYTES + done, chunk, 0, k);
        crc.update(chunk, 0, k);
        done += k;
      }
      if (used == starts.length) {
        starts = java.util.Arrays.copyOf(starts, used * 2);
        lengths = java.util.Arrays.copyOf(lengths, used * 2);
      }
      starts[used] = at + LINK_BYTES;
      lengths[used] = n;
      used++;
      remaining -= n;
      at = getLong(link, LINK_NEXT_OFFSET);
    }
    if (used != extBlocks) {
      return damaged(generation, "chained record of generation " + generation + " claims " + extBlocks
          + " extension blocks, its payload ends in block " + used);
    }
    if ((int) crc.getValue() != storedCrc) {
      return damaged(generation, "chained VALID record of generation " + generation
          + " fails its CRC32C (torn or damaged)");
    }
    byte[] record = new byte[HEADER_BYTES + (int) payloadBytes];
    System.arraycopy(b, 0, record, 0, HEADER_BYTES + capacity);
    int pos = HEADER_BYTES + capacity;
    for (int i = 0; i < used; i++) {
      medium.read(starts[i], record, pos, (int) lengths[i]);
      pos += (int) lengths[i];
    }
    String bad = checkEntries(record, HEADER_BYTES, (int) payloadBytes, entryCount, lo, hi);
    if (bad != null) {
      return damaged(generation, "CRC-correct record of generation " + generation + " is malformed: " + bad);
    }
    return new LaneState(Kind.VALID, generation, entryCount, (int) payloadBytes, "", record);
  }

  private static LaneState damaged(long generation, String reason) {
    return new LaneState(Kind.DAMAGED, generation, 0, 0, reason);
  }

  /**
   * Checks that {@code b[at, at + payloadBytes)} holds exactly {@code entryCount} well-formed
   * entries whose targets lie in {@code [lo, hi)}; returns null when it does, else the reason.
   */
  static String checkEntries(byte[] b, int at, int payloadBytes, int entryCount, long lo, long hi) {
    int pos = at;
    int end = at + payloadBytes;
    long seen = 0;
    while (pos < end) {
      if (end - pos < SET8_BYTES) {
        return "truncated entry at payload byte " + (pos - at);
      }
      long word = getLong(b, pos);
      long offset = offset(word);
      switch (op(word)) {
        case OP_SET8 -> {
          if ((offset & 7) != 0) {
            return "SET8 at unaligned offset " + offset;
          }
          if (offset < lo || offset > hi - 8) {
            return "SET8 target " + offset + " outside [" + lo + ", " + hi + ")";
          }
          pos += SET8_BYTES;
        }
        case OP_COPY -> {
          int length = getInt(b, pos + 8);
          if (length <= 0 || getInt(b, pos + 12) != 0) {
            return "COPY at payload byte " + (pos - at) + " has length " + length;
          }
          long size = copyEntryBytes(length);
          if (size > end - pos) {
            return "COPY of " + length + " bytes overruns the payload";
          }
          if (offset < lo || offset > hi - length) {
            return "COPY target [" + offset + ", " + (offset + length) + ") outside [" + lo + ", " + hi + ")";
          }
          pos += (int) size;
        }
        default -> {
          return "unknown op " + op(word) + " at payload byte " + (pos - at);
        }
      }
      seen++;
    }
    if (seen != Integer.toUnsignedLong(entryCount)) {
      return "header says " + Integer.toUnsignedString(entryCount) + " entries, payload holds " + seen;
    }
    return null;
  }

  /**
   * Applies the (already checked) entries in {@code b[at, at + payloadBytes)} to {@code medium}
   * and adds every target range that still needs a flush to {@code plan}. SET8 uses an atomic
   * 8-byte store, COPY {@link #writeCopy}. Returns the number of entries applied.
   */
  static int apply(Medium medium, byte[] b, int at, int payloadBytes, FlushPlan plan) {
    int pos = at;
    int end = at + payloadBytes;
    int n = 0;
    while (pos < end) {
      long word = getLong(b, pos);
      long offset = offset(word);
      if (op(word) == OP_SET8) {
        medium.storeLong(offset, getLong(b, pos + 8));
        plan.add(offset, 8);
        pos += SET8_BYTES;
      } else {
        assert op(word) == OP_COPY : op(word);
        int length = getInt(b, pos + 8);
        if (length < WRITE_AND_FLUSH_BYTES) {
          medium.write(offset, b, pos + COPY_HEADER_BYTES, length);
          plan.add(offset, length);
        } else {
          writeCopy(medium, offset, b, pos + COPY_HEADER_BYTES, length, plan);
        }
        pos += COPY_HEADER_BYTES + align8(length);
      }
      n++;
    }
    return n;
  }

  /**
   * Writes {@code src[srcAt, srcAt + length)} to {@code offset}. When the medium writes back cache
   * lines ({@link FlushPlan#line()} at most 64) and the range holds at least {@link
   * #WRITE_AND_FLUSH_BYTES} of whole 64-byte lines, those lines go out with one {@link
   * Medium#writeAndFlush} (the dax backend copies them with non-temporal stores, which need no
   * write-back of their own, and the medium counts the call as one store and one flush); the
   * partial lines before and after them, and every other range, are written with {@link
   * Medium#write} and added to {@code plan}. Either way the bytes are durable after the next fence.
   * With coarser write-back (msync pages, blocks) everything goes through the plan, which merges
   * neighbouring ranges into one flush.
   */
  static void writeCopy(Medium medium, long offset, byte[] src, int srcAt, int length, FlushPlan plan) {
    if (length >= WRITE_AND_FLUSH_BYTES && plan.line() <= LINK_BYTES) {
      long first = (offset + LINK_BYTES - 1) & -LINK_BYTES;
      long last = (offset + length) & -LINK_BYTES;
      if (last - first >= WRITE_AND_FLUSH_BYTES) {
        int head = (int) (first - offset);
        int tail = (int) (offset + length - last);
        if (head > 0) {
          medium.write(offset, src, srcAt, head);
          plan.add(offset, head);
        }
        medium.writeAndFlush(first, src, srcAt + head, (int) (last - first));
        plan.wroteAndFlushed = true;
        if (tail > 0) {
          medium.write(last, src, srcAt + length - tail, tail);
          plan.add(last, tail);
        }
        return;
      }
    }
    medium.write(offset, src, srcAt, length);
    plan.add(offset, length);
  }
}
