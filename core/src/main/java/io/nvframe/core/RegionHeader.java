package io.nvframe.core;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.UnsupportedFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The region header, stored twice (copy A at offset 0, copy B at 4096), little-endian, protected by
 * CRC32C. Byte-by-byte description in {@code docs/format.md}.
 *
 * <pre>
 *   off  size  field
 *     0     8  magic "NVFRAME\0"
 *     8     4  format version (1)
 *    12     4  header length in bytes covered by the CRC (256)
 *    16    16  region UUID (most significant long, then least significant long)
 *    32    32  backend name, ASCII, zero padded
 *    64     8  capacity in bytes
 *    72     4  frame size
 *    76     4  max order
 *    80     4  lanes
 *    84     4  lane size
 *    88     8  frame count
 *    96     8  lane area offset
 *   104     8  root directory offset
 *   112     8  root directory length
 *   120     8  frame table offset
 *   128     8  frame table length
 *   136     8  data offset
 *   144     8  compatible feature flags
 *   152     8  incompatible feature flags (must be 0 for version 1)
 *   160    16  allocator name, ASCII, zero padded ("buddy")
 *   176     4  allocator format version
 *   180     4  log format version
 *   184    16  log name, ASCII, zero padded ("redo")
 *   200     8  creation time, ms since the epoch
 *   208    40  reserved, zero
 *   248     4  CRC32C of bytes [0, 248)
 *   252     4  zero
 *   256  3840  zero (rest of the 4 KiB slot)
 * </pre>
 */
record RegionHeader(
    int formatVersion,
    UUID uuid,
    String backend,
    RegionLayout layout,
    long compatFlags,
    long incompatFlags,
    String allocatorName,
    int allocatorVersion,
    String logName,
    int logVersion,
    long createdMillis) {

  static final long MAGIC = 0x00454d4152465646L; // "NVFRAME\0" little-endian
  static final int FORMAT_VERSION = 1;
  static final int LENGTH = 256;
  static final int CRC_OFFSET = 248;
  static final String ALLOCATOR_NAME = "buddy";
  static final int ALLOCATOR_VERSION = 1;
  static final String LOG_NAME = "redo";
  static final int LOG_VERSION = 1;
  static final int NAME_FIELD = 32;
  static final int SHORT_NAME_FIELD = 16;

  static RegionHeader fresh(String backend, RegionLayout layout) {
    return new RegionHeader(
        FORMAT_VERSION,
        UUID.randomUUID(),
        backend,
        layout,
        0,
        0,
        ALLOCATOR_NAME,
        ALLOCATOR_VERSION,
        LOG_NAME,
        LOG_VERSION,
        System.currentTimeMillis());
  }

  /** The 4 KiB slot image of this header. */
  byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(RegionLayout.HEADER_SLOT).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0, MAGIC);
    b.putInt(8, formatVersion);
    b.putInt(12, LENGTH);
    b.putLong(16, uuid.getMostSignificantBits());
    b.putLong(24, uuid.getLeastSignificantBits());
    putName(b, 32, NAME_FIELD, backend);
    RegionLayout l = layout;
    b.putLong(64, l.capacity());
    b.putInt(72, l.frameSize());
    b.putInt(76, l.maxOrder());
    b.putInt(80, l.lanes());
    b.putInt(84, l.laneSize());
    b.putLong(88, l.frameCount());
    b.putLong(96, l.laneAreaOffset());
    b.putLong(104, l.rootDirOffset());
    b.putLong(112, RegionLayout.ROOT_DIR_BYTES);
    b.putLong(120, l.frameTableOffset());
    b.putLong(128, l.frameTableBytes());
    b.putLong(136, l.dataOffset());
    b.putLong(144, compatFlags);
    b.putLong(152, incompatFlags);
    putName(b, 160, SHORT_NAME_FIELD, allocatorName);
    b.putInt(176, allocatorVersion);
    b.putInt(180, logVersion);
    putName(b, 184, SHORT_NAME_FIELD, logName);
    b.putLong(200, createdMillis);
    b.putInt(CRC_OFFSET, crc(b.array()));
    return b.array();
  }

  /** Result of looking at one header copy. */
  sealed interface Slot {
    /** The copy starts with the magic and its checksum and fields are valid. */
    record Valid(RegionHeader header) implements Slot {}

    /** The copy does not start with the magic. */
    record NoMagic(long found) implements Slot {}

    /** The copy has the magic but fails validation. */
    record Corrupt(String problem) implements Slot {}
  }

  /**
   * Parses one copy without throwing for the expected failure kinds. A newer format version is
   * thrown as {@link UnsupportedFormatException}: it is not corruption.
   */
  static Slot parse(byte[] slot, long slotOffset, String where) {
    ByteBuffer b = ByteBuffer.wrap(slot).order(ByteOrder.LITTLE_ENDIAN);
    long magic = b.getLong(0);
    if (magic != MAGIC) {
      return new Slot.NoMagic(magic);
    }
    int storedCrc = b.getInt(CRC_OFFSET);
    int actualCrc = crc(slot);
    if (storedCrc != actualCrc) {
      return new Slot.Corrupt(
          String.format(
              "header at offset %d: CRC32C mismatch (stored 0x%08x, computed 0x%08x)",
              slotOffset, storedCrc, actualCrc));
    }
    int version = b.getInt(8);
    if (version > FORMAT_VERSION) {
      throw new UnsupportedFormatException(
          ErrorCode.FORMAT_TOO_NEW,
          where
              + " was written with region format version "
              + version
              + "; this nvframe reads versions up to "
              + FORMAT_VERSION
              + ". Open it with a newer nvframe.");
    }
    if (version < 1) {
      return new Slot.Corrupt("header at offset " + slotOffset + ": format version " + version + " is invalid");
    }
    if (b.getInt(12) != LENGTH) {
      return new Slot.Corrupt(
          "header at offset " + slotOffset + ": header length " + b.getInt(12) + ", expected " + LENGTH);
    }
    long incompat = b.getLong(152);
    if (incompat != 0) {
      throw new UnsupportedFormatException(
          ErrorCode.FORMAT_TOO_NEW,
          String.format(
              "%s uses incompatible features 0x%x unknown to this nvframe; open it with a newer nvframe",
              where, incompat));
    }
    String backend = getName(b, 32, NAME_FIELD);
    if (!ProviderRegistry.isValidName(backend)) {
      return new Slot.Corrupt("header at offset " + slotOffset + ": backend name '" + backend + "' is invalid");
    }
    RegionLayout layout;
    try {
      layout =
          RegionLayout.compute(b.getLong(64), b.getInt(72), b.getInt(76), b.getInt(80), b.getInt(84));
    } catch (NvframeConfigurationException e) {
      return new Slot.Corrupt("header at offset " + slotOffset + ": impossible geometry: " + e.getMessage());
    }
    String mismatch =
        firstMismatch(
            slotOffset,
            new long[] {
              b.getLong(88), b.getLong(96), b.getLong(104), b.getLong(112), b.getLong(120),
              b.getLong(128), b.getLong(136)
            },
            new long[] {
              layout.frameCount(), layout.laneAreaOffset(), layout.rootDirOffset(),
              RegionLayout.ROOT_DIR_BYTES, layout.frameTableOffset(), layout.frameTableBytes(),
              layout.dataOffset()
            });
    if (mismatch != null) {
      return new Slot.Corrupt(mismatch);
    }
    String allocator = getName(b, 160, SHORT_NAME_FIELD);
    int allocatorVersion = b.getInt(176);
    int logVersion = b.getInt(180);
    String log = getName(b, 184, SHORT_NAME_FIELD);
    if (!allocator.equals(ALLOCATOR_NAME) || !log.equals(LOG_NAME)) {
      throw new UnsupportedFormatException(
          ErrorCode.FORMAT_TOO_NEW,
          where + " was written with allocator '" + allocator + "' and log '" + log
              + "'; this nvframe has '" + ALLOCATOR_NAME + "' and '" + LOG_NAME + "'");
    }
    if (allocatorVersion > ALLOCATOR_VERSION || logVersion > LOG_VERSION) {
      throw new UnsupportedFormatException(
          ErrorCode.FORMAT_TOO_NEW,
          where + " was written with allocator version " + allocatorVersion + " and log version "
              + logVersion + "; this nvframe supports up to " + ALLOCATOR_VERSION + " and "
              + LOG_VERSION + ". Open it with a newer nvframe.");
    }
    return new Slot.Valid(
        new RegionHeader(
            version,
            new UUID(b.getLong(16), b.getLong(24)),
            backend,
            layout,
            b.getLong(144),
            incompat,
            allocator,
            allocatorVersion,
            log,
            logVersion,
            b.getLong(200)));
  }

  /** The outcome of reading both copies. */
  record Selected(RegionHeader header, boolean aValid, boolean bValid, boolean copiesEqual) {
    boolean needsRepair() {
      return !aValid || !bValid || !copiesEqual;
    }
  }

  /**
   * Chooses the header from both copies: B when both are valid but differ (B is written first on
   * update, so it is the newer), A when only A is valid, B when only B is valid.
   */
  static Selected select(byte[] a, byte[] b, String where) {
    Slot sa = parse(a, RegionLayout.HEADER_A_OFFSET, where);
    Slot sb = parse(b, RegionLayout.HEADER_B_OFFSET, where);
    if (sa instanceof Slot.Valid va && sb instanceof Slot.Valid vb) {
      boolean equal = va.header().equals(vb.header());
      return new Selected(equal ? va.header() : vb.header(), true, true, equal);
    }
    if (sa instanceof Slot.Valid va) {
      return new Selected(va.header(), true, false, false);
    }
    if (sb instanceof Slot.Valid vb) {
      return new Selected(vb.header(), false, true, false);
    }
    if (sa instanceof Slot.NoMagic na && sb instanceof Slot.NoMagic) {
      throw new MediaCorruptedException(
          ErrorCode.NOT_A_REGION,
          String.format(
              "%s is not an nvframe region: it does not start with the magic \"NVFRAME\" (found bytes %s at offset 0, and no header copy at offset 4096). Check the path, or create a region with 'nvframe create'.",
              where, HexFormat.of().formatHex(longBytes(na.found()))));
    }
    throw new MediaCorruptedException(
        ErrorCode.HEADER_CORRUPT,
        where + " has no valid header copy: " + describe(sa, "A") + "; " + describe(sb, "B")
            + ". The region cannot be opened safely; restore it from a backup.");
  }

  private static String describe(Slot s, String name) {
    return switch (s) {
      case Slot.Valid v -> "copy " + name + " valid";
      case Slot.NoMagic n -> String.format("copy %s has no magic (found 0x%016x)", name, n.found());
      case Slot.Corrupt c -> "copy " + name + ": " + c.problem();
    };
  }

  private static String firstMismatch(long slotOffset, long[] stored, long[] computed) {
    String[] names = {
      "frame count", "lane area offset", "root directory offset", "root directory length",
      "frame table offset", "frame table length", "data offset"
    };
    for (int i = 0; i < stored.length; i++) {
      if (stored[i] != computed[i]) {
        return "header at offset " + slotOffset + ": " + names[i] + " is " + stored[i]
            + " but the geometry gives " + computed[i];
      }
    }
    return null;
  }

  static int crc(byte[] slot) {
    CRC32C crc = new CRC32C();
    crc.update(slot, 0, CRC_OFFSET);
    return (int) crc.getValue();
  }

  private static void putName(ByteBuffer b, int offset, int width, String name) {
    byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
    if (bytes.length >= width) {
      throw new IllegalArgumentException("name '" + name + "' longer than " + (width - 1));
    }
    b.put(offset, bytes);
  }

  private static String getName(ByteBuffer b, int offset, int width) {
    int len = 0;
    while (len < width && b.get(offset + len) != 0) {
      len++;
    }
    byte[] bytes = new byte[len];
    b.get(offset, bytes);
    return new String(bytes, StandardCharsets.US_ASCII);
  }

  private static byte[] longBytes(long v) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v).array();
  }
}
