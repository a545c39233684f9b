package io.nvframe.core;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.RegionInfo;
import java.util.List;

/**
 * Where every area of a region lives, derived from five numbers: capacity, frame size, max order,
 * lanes and lane size. The header records both the inputs and the derived offsets; on open the
 * offsets are recomputed and must match (so a corrupted offset cannot send writes elsewhere).
 *
 * <pre>
 *   0        header A            4 KiB
 *   4096     header B            4 KiB
 *   8192     lane logs           lanes x laneSize
 *   ...      root directory      4 KiB (64 slots x 64 B)
 *   ...      frame table         8 B per frame, rounded up to 4 KiB
 *   data     data frames         frameCount x frameSize; data offset aligned to
 *                                min(frameSize << maxOrder, 2 MiB)
 * </pre>
 */
record RegionLayout(
    long capacity,
    int frameSize,
    int maxOrder,
    int lanes,
    int laneSize,
    long laneAreaOffset,
    long rootDirOffset,
    long frameTableOffset,
    long frameTableBytes,
    long dataOffset,
    long frameCount) {

  static final int HEADER_SLOT = 4096;
  static final long HEADER_A_OFFSET = 0;
  static final long HEADER_B_OFFSET = HEADER_SLOT;
  static final int ROOT_DIR_BYTES = 4096;
  static final int PAGE = 4096;
  static final long MAX_DATA_ALIGNMENT = 2L << 20;
  static final int MAX_SUPPORTED_ORDER = 31;
  static final int MAX_LANES = 4096;
  static final int MAX_FRAME_SIZE = 1 << 30;

  /** Computes the layout, or throws {@link NvframeConfigurationException} naming the bad input. */
  static RegionLayout compute(long capacity, int frameSize, int maxOrder, int lanes, int laneSize) {
    if (frameSize < PAGE || frameSize > MAX_FRAME_SIZE || Integer.bitCount(frameSize) != 1) {
      throw invalid("frame size must be a power of two between 4096 and 2^30 bytes, got " + frameSize);
    }
    if (maxOrder < 0 || maxOrder > MAX_SUPPORTED_ORDER) {
      throw invalid("max order must be in [0, " + MAX_SUPPORTED_ORDER + "], got " + maxOrder);
    }
    if (lanes < 1 || lanes > MAX_LANES) {
      throw invalid("lanes must be in [1, " + MAX_LANES + "], got " + lanes);
    }
    if (laneSize < PAGE || laneSize % PAGE != 0 || laneSize > (64 << 20)) {
      throw invalid("lane size must be a multiple of 4096 between 4096 and 64 MiB, got " + laneSize);
    }
    if (capacity <= 0 || capacity % PAGE != 0) {
      throw invalid("capacity must be a positive multiple of 4096 bytes, got " + capacity);
    }
    long laneArea = 2L * HEADER_SLOT;
    long rootDir = laneArea + (long) lanes * laneSize;
    long table = rootDir + ROOT_DIR_BYTES;
    // the frame table is sized for the upper bound of frames; it is tiny next to the data
    long maxFrames = Math.max(0, (capacity - table) / frameSize);
    long tableBytes = roundUp(Math.max(8, maxFrames * 8), PAGE);
    long alignment = Math.min((long) frameSize << Math.min(maxOrder, 40), MAX_DATA_ALIGNMENT);
    alignment = Math.max(alignment, frameSize);
    long data = roundUp(table + tableBytes, alignment);
    long frames = capacity > data ? (capacity - data) / frameSize : 0;
    if (frames < 1) {
      throw invalid(
          "capacity "
              + capacity
              + " bytes leaves no room for a single frame: metadata needs "
              + data
              + " bytes (lanes="
              + lanes
              + " x laneSize="
              + laneSize
              + ", data aligned to "
              + alignment
              + "); use a capacity of at least "
              + (data + frameSize)
              + " bytes or fewer/smaller lanes");
    }
    return new RegionLayout(
        capacity, frameSize, maxOrder, lanes, laneSize, laneArea, rootDir, table, tableBytes, data, frames);
  }

  long laneAreaBytes() {
    return (long) lanes * laneSize;
  }

  /** Medium offset of byte {@code offset} of frame {@code pfn}. */
  long frameAddress(long pfn) {
    return dataOffset + pfn * frameSize;
  }

  List<RegionInfo.Area> areas() {
    return List.of(
        new RegionInfo.Area("header A", HEADER_A_OFFSET, HEADER_SLOT),
        new RegionInfo.Area("header B", HEADER_B_OFFSET, HEADER_SLOT),
        new RegionInfo.Area("lane logs", laneAreaOffset, laneAreaBytes()),
        new RegionInfo.Area("root directory", rootDirOffset, ROOT_DIR_BYTES),
        new RegionInfo.Area("frame table", frameTableOffset, frameTableBytes),
        new RegionInfo.Area("data frames", dataOffset, frameCount * frameSize));
  }

  static long roundUp(long value, long alignment) {
    return (value + alignment - 1) / alignment * alignment;
  }

  private static NvframeConfigurationException invalid(String message) {
    return new NvframeConfigurationException(ErrorCode.CONFIG_INVALID, message);
  }
}
