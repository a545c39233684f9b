package io.nvframe.core;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.Frame;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.spi.Medium;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Where a frame's bytes are on the medium, and 8-byte access to them. A frame handle belongs to
 * this region when its region id matches; an access {@code [offset, offset + length)} must lie
 * inside the block of {@code frameSize << order} bytes, which starts at {@link
 * RegionLayout#frameAddress(long)}. Longs are little-endian: at an 8-byte aligned medium offset
 * they are one atomic load or store of the medium, elsewhere a copy of 8 bytes.
 *
 * <p>Checks only the handle's region and the range; whether the handle is still allocated is the
 * allocator's {@code validate}.
 */
final class FrameAccess {
  private static final ValueLayout.OfLong LONG_LE_UNALIGNED =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  final Medium medium;
  final RegionLayout layout;
  final long regionId;
  final String location;

  FrameAccess(Medium medium, RegionLayout layout, long regionId, String location) {
    this.medium = medium;
    this.layout = layout;
    this.regionId = regionId;
    this.location = location;
  }

  /** The region id of the header with this UUID: both halves XORed. */
  static long regionId(RegionHeader header) {
    return header.uuid().getMostSignificantBits() ^ header.uuid().getLeastSignificantBits();
  }

  /** Bytes of a block of {@code order}. */
  long blockBytes(int order) {
    return (long) layout.frameSize() << order;
  }

  /**
   * The medium offset of {@code offset} in {@code frame}, after checking that {@code [offset,
   * offset + length)} lies inside the frame's block.
   */
  long checkedAddress(Frame frame, long offset, long length) {
    long size = blockBytes(frame.order());
    if (offset < 0 || length < 0 || offset > size - length) {
      throw new InvalidFrameException(
          ErrorCode.FRAME_BOUNDS,
          "access [" + offset + ", " + offset + "+" + length + ") is outside " + frame + " of "
              + size + " bytes");
    }
    return layout.frameAddress(frame.pfn()) + offset;
  }

  /** Checks that {@code frame} is a handle of this region. */
  void checkRegion(Frame frame) {
    Objects.requireNonNull(frame, "frame");
    if (frame.regionId() != regionId) {
      throw new InvalidFrameException(
          ErrorCode.FRAME_FOREIGN, frame + " belongs to another region, not " + location);
    }
  }

  /** Checks that {@code order} is a block order of this region. */
  void checkOrder(int order) {
    if (order < 0 || order > layout.maxOrder()) {
      throw new IllegalArgumentException(
          "order " + order + " is outside [0, " + layout.maxOrder() + "] (the region's max order)");
    }
  }

  /** The little-endian long at medium offset {@code at}. */
  long readLong(long at) {
    if ((at & 7) == 0) {
      return medium.loadLong(at);
    }
    byte[] b = new byte[8];
    medium.read(at, b, 0, 8);
    return decodeLong(b);
  }

  /** Stores {@code value} little-endian at medium offset {@code at} (not flushed). */
  void writeLong(long at, long value) {
    if ((at & 7) == 0) {
      medium.storeLong(at, value);
    } else {
      byte[] b = new byte[8];
      MemorySegment.ofArray(b).set(LONG_LE_UNALIGNED, 0, value);
      medium.write(at, b, 0, 8);
    }
  }

  /** The little-endian long in {@code b[0, 8)}. */
  static long decodeLong(byte[] b) {
    return MemorySegment.ofArray(b).get(LONG_LE_UNALIGNED, 0);
  }
}
