package io.nvframe.core;

import io.nvframe.buddy.BuddyAllocator;
import io.nvframe.redo.ExtensionSpace;

/**
 * Extension blocks for redo records larger than a lane, taken from the region's free frames: a
 * block is reserved in the allocator's volatile state only ({@link BuddyAllocator#reserve}) and
 * never published in the frame table, so after a crash it is free again when the allocator is
 * rebuilt from the table (core/README.md, "Transactions larger than a lane"). Recovery reads a
 * chained record before the allocator is opened ({@link RegionOpener}). Released after the
 * commit that used it.
 */
final class FrameExtensionSpace implements ExtensionSpace {
  private final BuddyAllocator allocator;
  private final RegionLayout layout;

  FrameExtensionSpace(BuddyAllocator allocator, RegionLayout layout) {
    this.allocator = allocator;
    this.layout = layout;
  }

  /**
   * The smallest block of at least {@code wantedBytes} up to the largest order; if that order is
   * not free, the largest smaller block that is.
   */
  @Override
  public Block reserve(long wantedBytes) {
    long frames = Math.ceilDiv(wantedBytes, layout.frameSize());
    int order = Math.min(layout.maxOrder(), 64 - Long.numberOfLeadingZeros(Math.max(1, frames) - 1));
    for (int o = order; o >= 0; o--) {
      long handle = allocator.reserve(o);
      if (handle != BuddyAllocator.NO_FRAME) {
        long pfn = BuddyAllocator.handlePfn(handle);
        return new Block(layout.frameAddress(pfn), (long) layout.frameSize() << o, pfn);
      }
    }
    return null;
  }

  @Override
  public void release(Block block) {
    int order = Long.numberOfTrailingZeros(block.length() / layout.frameSize());
    allocator.unreserve(block.token(), order);
  }

  @Override
  public long freeBytes() {
    return allocator.stats().freeFrames() * layout.frameSize();
  }
}
