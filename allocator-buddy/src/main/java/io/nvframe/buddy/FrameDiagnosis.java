package io.nvframe.buddy;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.spi.Medium;

/**
 * The slow path of a rejected {@code free}, {@code beginFree} or {@code validate}: tells from the
 * head mirror and the frame table why {@code (pfn, order, generation)} does not name a block in
 * the wanted state, and builds the exception that says so (the error codes are listed in
 * {@code allocator-buddy/README.md}, "Errors"). Also the bounds check and the errors of the
 * transactional calls, and the readable description of a frame that the errors and {@link
 * AllocatorVerifier} use.
 */
final class FrameDiagnosis {
  private final Medium medium;
  private final long tableOffset;
  private final long frameCount;
  private final int maxOrder;
  private final HeadMirror mirror;

  FrameDiagnosis(Medium medium, long tableOffset, long frameCount, int maxOrder,
      HeadMirror mirror) {
    this.medium = medium;
    this.tableOffset = tableOffset;
    this.frameCount = frameCount;
    this.maxOrder = maxOrder;
    this.mirror = mirror;
  }

  /**
   * Classifies a failed check of {@code op}: {@code freeing} for {@code free} and {@code
   * beginFree}, which need an ALLOCATED block; otherwise {@code validate}, which accepts any live
   * block. Returns {@code null} if the block turns out to be in the wanted state after all (a
   * concurrent change).
   */
  InvalidFrameException diagnose(String op, long pfn, int order, int generation, boolean freeing) {
    String what = op + "(pfn=" + pfn + ", order=" + order + ", generation=" + generation + "): ";
    if (pfn < 0 || pfn >= frameCount) {
      return new InvalidFrameException(ErrorCode.FRAME_BOUNDS, what + "pfn is outside the frame"
          + " table [0, " + frameCount + "); the handle does not belong to this region");
    }
    if (order < 0 || order > maxOrder) {
      return new InvalidFrameException(ErrorCode.FRAME_BOUNDS, what + "order is outside [0, "
          + maxOrder + "]; the handle does not belong to this region");
    }
    long size = 1L << order;
    if ((pfn & (size - 1)) != 0 || pfn + size > frameCount) {
      return new InvalidFrameException(ErrorCode.FRAME_BOUNDS, what + "a block of " + size
          + " frames cannot start at pfn " + pfn + " (misaligned or past the last frame "
          + (frameCount - 1) + "); the handle is corrupt");
    }
    if (generation < 0 || generation > FrameWord.MAX_GENERATION) {
      return new InvalidFrameException(ErrorCode.FRAME_STALE, what + "generation is outside [0, "
          + FrameWord.MAX_GENERATION + "]; the handle is corrupt");
    }
    int e = mirror.entry(pfn);
    String table = " (the allocator holds " + describe(pfn) + ")";
    if (HeadMirror.isLive(e)) {
      int g = HeadMirror.generation(e);
      int o = HeadMirror.order(e);
      int state = HeadMirror.state(e);
      if (g != generation) {
        return new InvalidFrameException(ErrorCode.FRAME_STALE, what + "stale handle: the block"
            + " was freed and reallocated since this handle was issued" + table
            + "; drop the handle");
      }
      if (o != order) {
        return new InvalidFrameException(ErrorCode.FRAME_NOT_HEAD, what + "pfn " + pfn
            + " heads a block of order " + o + ", not " + order + table
            + "; pass the order the block was allocated with");
      }
      if (state == HeadMirror.STATE_FREEING) {
        if (freeing) {
          return new InvalidFrameException(ErrorCode.FRAME_DOUBLE_FREE, what + "a free of this"
              + " block is already in progress" + table + "; free a block only once");
        }
        return null;
      }
      if (state == HeadMirror.STATE_RESERVED) {
        if (freeing) {
          return new InvalidFrameException(ErrorCode.FRAME_NOT_HEAD, what + "the block is"
              + " reserved by a transaction that has not committed" + table
              + "; free it through that transaction");
        }
        return null;
      }
      return null; // ALLOCATED with this order and generation: it is valid now
    }
    long head = coveringHead(pfn);
    if (head >= 0) {
      return new InvalidFrameException(ErrorCode.FRAME_NOT_HEAD, what + "pfn " + pfn
          + " is a tail frame inside the block at pfn " + head + " ("
          + describe(head) + "); use the block's own handle");
    }
    int g = FrameWord.generation(word(pfn));
    if (g == FrameWord.nextGeneration(generation)) {
      if (freeing) {
        return new InvalidFrameException(ErrorCode.FRAME_DOUBLE_FREE, what + "the block is"
            + " already free" + table + ": it was freed twice with the same handle");
      }
      return new InvalidFrameException(ErrorCode.FRAME_STALE, what + "use after free: the block"
          + " was freed" + table + "; drop the handle");
    }
    if (g != generation) {
      return new InvalidFrameException(ErrorCode.FRAME_STALE, what + "stale handle: the frame"
          + " is free and its generation has moved on" + table + "; drop the handle");
    }
    return new InvalidFrameException(ErrorCode.FRAME_NOT_HEAD, what + "no block is allocated at"
        + " pfn " + pfn + table + "; the handle was never issued by this allocator");
  }

  /** The head of the live block covering {@code pfn} as a tail frame, or -1. */
  private long coveringHead(long pfn) {
    for (int k = 1; k <= maxOrder; k++) {
      long base = pfn & -(1L << k);
      if (base != pfn) {
        int e = mirror.entry(base);
        if (HeadMirror.isLive(e) && HeadMirror.order(e) == k) {
          return base;
        }
      }
    }
    return -1;
  }

  /** Readable form of what the allocator knows of {@code pfn}. */
  String describe(long pfn) {
    int e = mirror.entry(pfn);
    if (!HeadMirror.isLive(e)) {
      return "pfn " + pfn + " not a live block, table word " + FrameWord.toString(word(pfn));
    }
    return HeadMirror.describe(pfn, e);
  }

  /**
   * Bounds check of the transactional protocol calls.
   *
   * @throws InvalidFrameException {@link ErrorCode#FRAME_BOUNDS} if no block of {@code order} can
   *     start at {@code pfn}
   */
  void checkBlock(String op, long pfn, int order) {
    if (pfn < 0 || pfn >= frameCount || order < 0 || order > maxOrder
        || (pfn & ((1L << order) - 1)) != 0 || pfn + (1L << order) > frameCount) {
      throw new InvalidFrameException(ErrorCode.FRAME_BOUNDS, op + "(pfn=" + pfn + ", order="
          + order + "): no block of that order can start there in a table of " + frameCount
          + " frames with maxOrder " + maxOrder);
    }
  }

  /** The error of a transactional call made out of protocol. */
  IllegalStateException protocolError(String op, long pfn, int order, String expected) {
    return new IllegalStateException(op + "(pfn=" + pfn + ", order=" + order + "): expected "
        + expected + ", but the allocator holds " + describe(pfn)
        + "; the transaction protocol was not followed (reserve -> commitReserved | unreserve,"
        + " beginFree -> completeFree | abortFree)");
  }

  private long word(long pfn) {
    return medium.loadLong(tableOffset + pfn * Long.BYTES);
  }
}
