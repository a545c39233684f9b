package io.nvframe.core;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.buddy.BuddyAllocator;
import io.nvframe.redo.RecoveryResult;
import io.nvframe.redo.RedoLog;
import io.nvframe.spi.Medium;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Formats a region onto a medium and opens one (layout in {@link RegionLayout}, header in {@link
 * RegionHeader}, docs/format.md).
 *
 * <p>Open sequence: read and validate both header copies → repair a bad copy (writable only) →
 * replay the redo lanes (writable only) → rebuild the allocator from the frame table → load the
 * root directory. Nothing is written before validation has passed. The header is always written B
 * first, then A ({@link #writeHeader}): a crash between the two leaves B valid and newer, and
 * {@link RegionHeader#select} prefers B when both are valid and differ.
 */
final class RegionOpener {
  private static final Logger logger = LoggerFactory.getLogger(RegionOpener.class);

  private RegionOpener() {}

  /** Writes an empty region onto {@code medium}; the header goes last, so a torn format is "not a region". */
  static void format(Medium medium, RegionHeader header) {
    RegionLayout l = header.layout();
    RedoLog.format(medium, l.laneAreaOffset(), l.lanes(), l.laneSize());
    medium.fill(l.rootDirOffset(), RegionLayout.ROOT_DIR_BYTES, (byte) 0);
    medium.persist(l.rootDirOffset(), RegionLayout.ROOT_DIR_BYTES);
    BuddyAllocator.format(medium, l.frameTableOffset(), l.frameCount());
    writeHeader(medium, header);
  }

  /**
   * Validates and opens the region on {@code medium}. On failure the medium is left as it was (the
   * caller closes it).
   */
  static FrameRegion open(Medium medium, String location, boolean readOnly, long lockTimeoutNanos) {
    long start = System.nanoTime();
    if (medium.size() < 2L * RegionLayout.HEADER_SLOT) {
      throw new MediaCorruptedException(
          ErrorCode.NOT_A_REGION,
          location + " is not an nvframe region: it holds only " + medium.size()
              + " bytes, less than the two 4 KiB header copies");
    }
    RegionHeader.Selected selected = readHeaders(medium, location);
    RegionHeader header = selected.header();
    if (medium.size() != header.layout().capacity()) {
      throw new MediaCorruptedException(
          ErrorCode.SIZE_MISMATCH,
          location + " holds " + medium.size() + " bytes but its header says the region has "
              + header.layout().capacity()
              + " bytes; the file was truncated or extended (restore it from a backup, or copy it completely)");
    }
    String headerCopyRewritten = null;
    if (!readOnly && selected.needsRepair()) {
      // the copy that differs from the selected header: B when B is invalid, otherwise A (invalid,
      // or valid but older than B)
      headerCopyRewritten = selected.bValid() ? "A" : "B";
      logger.warn(
          "Region {}: header copy {} is damaged or stale; rewriting it from the good copy",
          location,
          headerCopyRewritten);
      writeHeader(medium, header);
    }
    RegionLayout l = header.layout();
    long headerDone = System.nanoTime();
    RedoLog log = RedoLog.open(medium, l.laneAreaOffset(), l.lanes(), l.laneSize());
    RecoveryResult recovery = null;
    if (!readOnly) {
      recovery = log.recover();
      if (recovery.recordsReplayed() > 0) {
        logger.info(
            "Recovered {}: replayed {} committed transaction(s) ({} entries) from the redo log",
            location,
            recovery.recordsReplayed(),
            recovery.entriesApplied());
      }
    }
    long logDone = System.nanoTime();
    // everything but the log writes through this view: its fences first make the log's deferred
    // invalidations durable, so no later replay can undo what they made durable (log-redo/README.md)
    Medium ordered = log.orderedMedium();
    BuddyAllocator allocator =
        BuddyAllocator.open(ordered, l.frameTableOffset(), l.frameCount(), l.maxOrder());
    long allocatorDone = System.nanoTime();
    // records larger than a lane continue in reserved frames (read by recover() above, before the
    // allocator was rebuilt: they are never published in the frame table)
    log.useExtensionSpace(new FrameExtensionSpace(allocator, l));
    long regionId = FrameAccess.regionId(header);
    RootDirectory roots = RootDirectory.load(ordered, l.rootDirOffset(), regionId, l.frameCount());
    OpenTimings timings = new OpenTimings(start, headerDone, logDone, allocatorDone, System.nanoTime());
    FrameAccess frames = new FrameAccess(ordered, l, regionId, location);
    TxContext ctx = new TxContext(frames, allocator, log, roots, lockTimeoutNanos, readOnly);
    FrameRegion region = new FrameRegion(header, ctx, recovery, headerCopyRewritten, timings);
    if (logger.isInfoEnabled()) { // the times are formatted only when the message is logged
      logger.info(
          "Opened region {} (backend {}, {} frames of {} bytes, {}) in {} ms ({})",
          location,
          header.backend(),
          l.frameCount(),
          l.frameSize(),
          readOnly ? "read-only" : "read-write",
          String.format(Locale.ROOT, "%.2f", timings.totalMillis()),
          timings.phases());
    }
    return region;
  }

  /** Reads both header copies from {@code medium} and selects the one to use. */
  static RegionHeader.Selected readHeaders(Medium medium, String location) {
    byte[] a = new byte[RegionLayout.HEADER_SLOT];
    byte[] b = new byte[RegionLayout.HEADER_SLOT];
    medium.read(RegionLayout.HEADER_A_OFFSET, a, 0, a.length);
    medium.read(RegionLayout.HEADER_B_OFFSET, b, 0, b.length);
    return RegionHeader.select(a, b, location);
  }

  /** Writes and persists {@code header} into copy B, then into copy A. */
  private static void writeHeader(Medium medium, RegionHeader header) {
    byte[] image = header.encode();
    medium.write(RegionLayout.HEADER_B_OFFSET, image, 0, image.length);
    medium.persist(RegionLayout.HEADER_B_OFFSET, image.length);
    medium.write(RegionLayout.HEADER_A_OFFSET, image, 0, image.length);
    medium.persist(RegionLayout.HEADER_A_OFFSET, image.length);
  }
}
