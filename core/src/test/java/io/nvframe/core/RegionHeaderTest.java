package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.api.UnsupportedFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RegionHeaderTest {
  private static final RegionLayout LAYOUT = RegionLayout.compute(64L << 20, 4096, 10, 8, 4096);

  @Test
  void encodeParseRoundTrip() {
    RegionHeader h = RegionHeader.fresh("dax", LAYOUT);
    RegionHeader.Slot slot = RegionHeader.parse(h.encode(), 0, "test");
    assertEquals(h, assertInstanceOf(RegionHeader.Slot.Valid.class, slot).header());
  }

  @Test
  void everyFlippedByteUnderTheChecksumIsDetected() {
    byte[] image = RegionHeader.fresh("dax", LAYOUT).encode();
    for (int i = 8; i < RegionHeader.CRC_OFFSET + 4; i++) {
      byte[] bad = image.clone();
      bad[i] ^= 0x10;
      RegionHeader.Slot slot = RegionHeader.parse(bad, 0, "test");
      assertInstanceOf(RegionHeader.Slot.Corrupt.class, slot, "flip at byte " + i + " not detected");
    }
  }

  @Test
  void copyBIsUsedWhenCopyAIsCorruptAndViceVersa() {
    RegionHeader h = RegionHeader.fresh("dax", LAYOUT);
    byte[] good = h.encode();
    byte[] bad = good.clone();
    bad[100] ^= 1;
    RegionHeader.Selected s = RegionHeader.select(bad, good, "test");
    assertEquals(h, s.header());
    assertFalse(s.aValid());
    assertTrue(s.bValid());
    assertTrue(s.needsRepair());
    s = RegionHeader.select(good, bad, "test");
    assertEquals(h, s.header());
    assertTrue(s.aValid());
    assertFalse(s.bValid());
  }

  @Test
  void bothCopiesCorruptIsHeaderCorruptNamingBoth() {
    byte[] bad = RegionHeader.fresh("dax", LAYOUT).encode();
    bad[70] ^= 1;
    MediaCorruptedException e =
        assertThrows(MediaCorruptedException.class, () -> RegionHeader.select(bad, bad.clone(), "f.nvf"));
    assertEquals(ErrorCode.HEADER_CORRUPT, e.code());
    assertTrue(e.getMessage().contains("copy A") && e.getMessage().contains("copy B"), e.getMessage());
    assertTrue(e.getMessage().contains("CRC32C mismatch"), e.getMessage());
  }

  @Test
  void noMagicIsNotARegion() {
    byte[] zeros = new byte[4096];
    MediaCorruptedException e =
        assertThrows(MediaCorruptedException.class, () -> RegionHeader.select(zeros, zeros, "f.nvf"));
    assertEquals(ErrorCode.NOT_A_REGION, e.code());
    assertTrue(e.getMessage().contains("f.nvf"));
  }

  @Test
  void newerVersionIsRefusedNotTreatedAsCorruption() {
    byte[] image = withInt(RegionHeader.fresh("dax", LAYOUT).encode(), 8, RegionHeader.FORMAT_VERSION + 1);
    UnsupportedFormatException e =
        assertThrows(UnsupportedFormatException.class, () -> RegionHeader.parse(image, 0, "f.nvf"));
    assertEquals(ErrorCode.FORMAT_TOO_NEW, e.code());
    assertTrue(e.getMessage().contains("version " + (RegionHeader.FORMAT_VERSION + 1)), e.getMessage());
  }

  @Test
  void unknownIncompatibleFeatureIsRefused() {
    byte[] image = RegionHeader.fresh("dax", LAYOUT).encode();
    ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putLong(152, 4);
    rechecksum(image);
    assertThrows(UnsupportedFormatException.class, () -> RegionHeader.parse(image, 0, "f.nvf"));
  }

  @ParameterizedTest
  @ValueSource(ints = {88, 96, 104, 112, 120, 128, 136})
  void aDerivedOffsetThatDisagreesWithTheGeometryIsCorrupt(int field) {
    byte[] image = RegionHeader.fresh("dax", LAYOUT).encode();
    ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(field, b.getLong(field) + 4096);
    rechecksum(image);
    RegionHeader.Slot slot = RegionHeader.parse(image, 0, "test");
    assertInstanceOf(RegionHeader.Slot.Corrupt.class, slot, "field at " + field);
  }

  @Test
  void impossibleGeometryIsCorrupt() {
    byte[] image = withInt(RegionHeader.fresh("dax", LAYOUT).encode(), 72, 1000);
    assertInstanceOf(RegionHeader.Slot.Corrupt.class, RegionHeader.parse(image, 0, "test"));
  }

  @Test
  void bothValidButDifferentPrefersB() {
    RegionHeader a = RegionHeader.fresh("dax", LAYOUT);
    RegionHeader b = RegionHeader.fresh("dax", LAYOUT);
    RegionHeader.Selected s = RegionHeader.select(a.encode(), b.encode(), "test");
    assertEquals(b, s.header());
    assertFalse(s.copiesEqual());
  }

  static byte[] withInt(byte[] image, int offset, int value) {
    ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
    rechecksum(image);
    return image;
  }

  static void rechecksum(byte[] image) {
    ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putInt(RegionHeader.CRC_OFFSET, RegionHeader.crc(image));
  }
}
