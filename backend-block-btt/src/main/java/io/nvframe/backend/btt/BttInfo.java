package io.nvframe.backend.btt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * One BTT arena info block (4096 bytes, little-endian; UEFI 2.10 section 6.2.1):
 *
 * <pre>
 *   0  sig[16] "BTT_ARENA_INFO\0\0"      60 external_nlba u32     88 dataoff u64
 *  16  uuid[16]                           64 internal_lbasize u32  96 mapoff u64
 *  32  parent_uuid[16]                    68 internal_nlba u32    104 flogoff u64
 *  48  flags u32 (bit 0: arena error)     72 nfree u32            112 infooff u64 (backup copy)
 *  52  major u16, 54 minor u16            76 infosize u32         120 unused[3968], zero
 *  56  external_lbasize u32               80 nextoff u64         4088 checksum u64 (Fletcher64)
 * </pre>
 *
 * Offsets are relative to the arena's start. The arena is {@code info | data | map | flog | info2}.
 */
public record BttInfo(
    byte[] uuid,
    byte[] parentUuid,
    int flags,
    int major,
    int minor,
    int externalLbaSize,
    int externalNlba,
    int internalLbaSize,
    int internalNlba,
    int nfree,
    int infoSize,
    long nextOff,
    long dataOff,
    long mapOff,
    long flogOff,
    long infoOff) {

  /** Size of an info block. */
  public static final int SIZE = 4096;
  /** The signature, 16 bytes with its two trailing NULs. */
  static final byte[] SIGNATURE = "BTT_ARENA_INFO\0\0".getBytes(StandardCharsets.US_ASCII);
  /** Offset of the checksum field. */
  static final int CHECKSUM_OFFSET = 4088;
  /** Offsets of the fields (for tests that corrupt one field alone). */
  static final int OFF_FLAGS = 48, OFF_MAJOR = 52, OFF_MINOR = 54, OFF_EXTERNAL_LBASIZE = 56,
      OFF_EXTERNAL_NLBA = 60, OFF_INTERNAL_LBASIZE = 64, OFF_INTERNAL_NLBA = 68, OFF_NFREE = 72,
      OFF_INFOSIZE = 76, OFF_NEXTOFF = 80, OFF_DATAOFF = 88, OFF_MAPOFF = 96, OFF_FLOGOFF = 104,
      OFF_INFOOFF = 112, OFF_UNUSED = 120;
  /** Info flag: the arena is in an error state (read-only). */
  public static final int FLAG_ERROR = 1;

  public BttInfo {
    uuid = uuid.clone();
    parentUuid = parentUuid.clone();
  }

  @Override
  public byte[] uuid() {
    return uuid.clone();
  }

  @Override
  public byte[] parentUuid() {
    return parentUuid.clone();
  }

  /** Bytes of the arena this info describes: {@code infooff + 4096}. */
  public long arenaSize() {
    return infoOff + SIZE;
  }

  /** Bytes of the map area as laid out: {@code external_nlba * 4} rounded up to 4096. */
  static long mapSize(long externalNlba) {
    return roundUp(externalNlba * 4, 4096);
  }

  /** Bytes of the flog area: {@code nfree * 64} rounded up to 4096. */
  static long flogSize(int nfree) {
    return roundUp((long) nfree * Flog.SLOT, 4096);
  }

  static long roundUp(long v, long to) {
    return (v + to - 1) / to * to;
  }

  /** The same info with other flags. */
  BttInfo withFlags(int newFlags) {
    return new BttInfo(uuid, parentUuid, newFlags, major, minor, externalLbaSize, externalNlba,
        internalLbaSize, internalNlba, nfree, infoSize, nextOff, dataOff, mapOff, flogOff, infoOff);
  }

  /** The 4096-byte little-endian encoding with its checksum. */
  public byte[] encode() {
    byte[] b = new byte[SIZE];
    System.arraycopy(SIGNATURE, 0, b, 0, 16);
    System.arraycopy(uuid, 0, b, 16, 16);
    System.arraycopy(parentUuid, 0, b, 32, 16);
    Le.put32(b, OFF_FLAGS, flags);
    Le.put16(b, OFF_MAJOR, major);
    Le.put16(b, OFF_MINOR, minor);
    Le.put32(b, OFF_EXTERNAL_LBASIZE, externalLbaSize);
    Le.put32(b, OFF_EXTERNAL_NLBA, externalNlba);
    Le.put32(b, OFF_INTERNAL_LBASIZE, internalLbaSize);
    Le.put32(b, OFF_INTERNAL_NLBA, internalNlba);
    Le.put32(b, OFF_NFREE, nfree);
    Le.put32(b, OFF_INFOSIZE, infoSize);
    Le.put64(b, OFF_NEXTOFF, nextOff);
    Le.put64(b, OFF_DATAOFF, dataOff);
    Le.put64(b, OFF_MAPOFF, mapOff);
    Le.put64(b, OFF_FLOGOFF, flogOff);
    Le.put64(b, OFF_INFOOFF, infoOff);
    Le.put64(b, CHECKSUM_OFFSET, Fletcher64.compute(b, SIZE, CHECKSUM_OFFSET));
    return b;
  }

  /** Decodes the fields (no validation; see {@link #validate}). */
  public static BttInfo decode(byte[] b) {
    if (b.length < SIZE) {
      throw new IllegalArgumentException("a BTT info block has 4096 bytes, got " + b.length);
    }
    return new BttInfo(
        Arrays.copyOfRange(b, 16, 32),
        Arrays.copyOfRange(b, 32, 48),
        Le.i32(b, OFF_FLAGS),
        Le.u16(b, OFF_MAJOR),
        Le.u16(b, OFF_MINOR),
        Le.i32(b, OFF_EXTERNAL_LBASIZE),
        Le.i32(b, OFF_EXTERNAL_NLBA),
        Le.i32(b, OFF_INTERNAL_LBASIZE),
        Le.i32(b, OFF_INTERNAL_NLBA),
        Le.i32(b, OFF_NFREE),
        Le.i32(b, OFF_INFOSIZE),
        Le.i64(b, OFF_NEXTOFF),
        Le.i64(b, OFF_DATAOFF),
        Le.i64(b, OFF_MAPOFF),
        Le.i64(b, OFF_FLOGOFF),
        Le.i64(b, OFF_INFOOFF));
  }

  /** True when the first 16 bytes are the BTT signature. */
  static boolean hasSignature(byte[] b) {
    return Arrays.equals(b, 0, 16, SIGNATURE, 0, 16);
  }

  /**
   * Every reason why {@code raw} is not a usable info block for an arena with {@code available}
   * bytes from its start to the end of the namespace; empty when it is usable. Messages start with
   * a stable code: {@code INFO_SIG}, {@code INFO_CSUM}, {@code INFO_VERSION}, {@code INFO_FIELD}.
   */
  static List<String> validate(byte[] raw, long available, byte[] expectedParentUuid) {
    return validate(raw, available, expectedParentUuid, 0);
  }

  /** As {@link #validate(byte[], long, byte[])}; a non-zero {@code blockSize} must be the external size. */
  static List<String> validate(byte[] raw, long available, byte[] expectedParentUuid, int blockSize) {
    List<String> problems = new ArrayList<>();
    if (!hasSignature(raw)) {
      problems.add("INFO_SIG signature is '" + printable(raw, 16) + "', expected 'BTT_ARENA_INFO'");
      return problems;
    }
    long stored = Le.i64(raw, CHECKSUM_OFFSET);
    long computed = Fletcher64.compute(raw, SIZE, CHECKSUM_OFFSET);
    if (stored != computed) {
      problems.add(String.format("INFO_CSUM checksum is 0x%016x, computed 0x%016x", stored, computed));
      return problems;
    }
    BttInfo i = decode(raw);
    if (expectedParentUuid != null && !Arrays.equals(i.parentUuid, expectedParentUuid)) {
      problems.add("INFO_PARENT parent_uuid " + HexFormat.of().formatHex(i.parentUuid)
          + " is not the pool's uuid " + HexFormat.of().formatHex(expectedParentUuid));
    }
    if (blockSize != 0 && i.externalLbaSize != blockSize) {
      problems.add("INFO_FIELD external_lbasize " + Integer.toUnsignedString(i.externalLbaSize)
          + " differs from arena 0's " + blockSize);
    }
    if (i.major < 1 || i.major > 2) {
      problems.add("INFO_VERSION version " + i.major + "." + i.minor + " (known: 1.x, 2.x)");
    }
    if ((i.flags & ~FLAG_ERROR) != 0) {
      problems.add(String.format("INFO_FIELD flags 0x%x has unknown bits", i.flags));
    }
    if (i.infoSize != SIZE) {
      problems.add("INFO_FIELD infosize " + Integer.toUnsignedString(i.infoSize) + " is not 4096");
    }
    if (i.externalLbaSize <= 0) {
      problems.add("INFO_FIELD external_lbasize " + Integer.toUnsignedString(i.externalLbaSize) + " is not positive");
    }
    if (i.internalLbaSize < Math.max(i.externalLbaSize, 1) || i.internalLbaSize < 512 || i.internalLbaSize % 8 != 0) {
      problems.add("INFO_FIELD internal_lbasize " + Integer.toUnsignedString(i.internalLbaSize)
          + " must be >= external_lbasize " + Integer.toUnsignedString(i.externalLbaSize)
          + ", >= 512 and a multiple of 8");
    }
    if (i.nfree <= 0 || Integer.toUnsignedLong(i.nfree) >= Integer.toUnsignedLong(i.internalNlba)) {
      problems.add("INFO_FIELD nfree " + Integer.toUnsignedString(i.nfree) + " must be in [1, internal_nlba "
          + Integer.toUnsignedString(i.internalNlba) + ")");
    }
    if (i.internalNlba <= 0 || i.internalNlba > Btt.POSTMAP_MASK + 1) {
      problems.add("INFO_FIELD internal_nlba " + Integer.toUnsignedString(i.internalNlba)
          + " must be in [1, 2^30]");
    }
    if (Integer.toUnsignedLong(i.externalNlba) + Integer.toUnsignedLong(i.nfree) != Integer.toUnsignedLong(i.internalNlba)) {
      problems.add("INFO_FIELD external_nlba " + Integer.toUnsignedString(i.externalNlba) + " + nfree "
          + Integer.toUnsignedString(i.nfree) + " != internal_nlba " + Integer.toUnsignedString(i.internalNlba));
    }
    if (!problems.isEmpty()) {
      return problems;
    }
    long dataEnd = i.dataOff + (long) i.internalNlba * i.internalLbaSize;
    if (i.dataOff != SIZE) {
      problems.add("INFO_FIELD dataoff " + i.dataOff + " is not 4096 (right after the info block)");
    }
    if (i.mapOff < dataEnd || (i.mapOff & 3) != 0) {
      problems.add("INFO_FIELD mapoff " + i.mapOff + " must be 4-byte aligned and >= end of data " + dataEnd);
    }
    if (i.flogOff < i.mapOff + 4L * Integer.toUnsignedLong(i.externalNlba) || (i.flogOff & 7) != 0) {
      problems.add("INFO_FIELD flogoff " + i.flogOff + " must be 8-byte aligned and >= end of map "
          + (i.mapOff + 4L * Integer.toUnsignedLong(i.externalNlba)));
    }
    if (i.infoOff < i.flogOff + (long) i.nfree * Flog.SLOT || i.infoOff + SIZE > available) {
      problems.add("INFO_FIELD infooff " + i.infoOff + " must be >= end of flog "
          + (i.flogOff + (long) i.nfree * Flog.SLOT) + " and leave 4096 bytes before the end of the namespace ("
          + available + " bytes from the arena start)");
    }
    if (i.nextOff != 0 && (i.nextOff != i.infoOff + SIZE || i.nextOff + Btt.MIN_ARENA_FLOOR > available)) {
      problems.add("INFO_FIELD nextoff " + i.nextOff + " must be 0 or the arena size " + (i.infoOff + SIZE)
          + " with room for another arena (" + available + " bytes from the arena start)");
    }
    return problems;
  }

  private static String printable(byte[] b, int n) {
    StringBuilder s = new StringBuilder();
    for (int k = 0; k < n; k++) {
      int c = b[k] & 0xff;
      s.append(c >= 0x20 && c < 0x7f ? (char) c : c == 0 ? "" : String.format("\\x%02x", c));
    }
    return s.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BttInfo other && Arrays.equals(encode(), other.encode());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encode());
  }

  @Override
  public String toString() {
    return "BttInfo[version " + major + "." + minor + ", flags " + flags + ", external " + externalLbaSize + " x "
        + Integer.toUnsignedString(externalNlba) + ", internal " + internalLbaSize + " x "
        + Integer.toUnsignedString(internalNlba) + ", nfree " + nfree + ", dataoff " + dataOff + ", mapoff "
        + mapOff + ", flogoff " + flogOff + ", infooff " + infoOff + ", nextoff " + nextOff + "]";
  }
}
