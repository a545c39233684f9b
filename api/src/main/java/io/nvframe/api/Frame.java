package io.nvframe.api;

/**
 * A handle to one allocated block of {@code 2^order} contiguous pages, starting at page frame number
 * {@code pfn}.
 *
 * <p>The {@code generation} is the block's tag at allocation time. Freeing a block bumps the
 * generation stored on the medium, so a handle kept after {@code free} no longer matches and every
 * use of it fails with {@link InvalidFrameException} ({@link ErrorCode#FRAME_STALE}) instead of
 * silently reaching someone else's data. Generations are 16 bits wide and wrap; the check is a
 * strong safety net, not a proof. {@code regionId} ties the handle to the region that issued it.
 *
 * <p>Handles are plain values: they are obtained from {@link Region#allocate}, {@link
 * Transaction#allocate} or {@link Region#root}, and may be compared with {@code equals}.
 */
public record Frame(long pfn, int order, int generation, long regionId) {
  public Frame {
    if (pfn < 0) {
      throw new IllegalArgumentException("pfn must be >= 0, got " + pfn);
    }
    if (order < 0 || order > 62) {
      throw new IllegalArgumentException("order must be in [0, 62], got " + order);
    }
    if (generation < 0) {
      throw new IllegalArgumentException("generation must be >= 0, got " + generation);
    }
  }

  /** Number of pages in the block ({@code 2^order}). */
  public long pages() {
    return 1L << order;
  }

  @Override
  public String toString() {
    return "Frame[pfn=" + pfn + ", order=" + order + ", gen=" + generation + "]";
  }
}
