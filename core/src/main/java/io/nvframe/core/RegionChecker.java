package io.nvframe.core;

import io.nvframe.api.CheckReport;
import io.nvframe.api.Frame;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.api.OwnerReconciler;
import io.nvframe.buddy.AllocatedBlock;
import io.nvframe.buddy.BuddyAllocator;
import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.List;

/**
 * The consistency check of an open region ({@link io.nvframe.api.Region#check()}) and the search
 * for owner-tagged blocks their owner no longer references. The check reads, in order: both header
 * copies (valid, equal, unchanged since open; docs/format.md), the redo lanes (invariant L1 of
 * log-redo/README.md: no unapplied record), the allocator's invariants A1-A6 (allocator-buddy/README.md),
 * the roots (each points to an allocated block) and, when an {@link OwnerReconciler} is set, A7
 * (every owner-tagged block is referenced by its owner). It reports problems; it repairs nothing.
 */
final class RegionChecker {
  private RegionChecker() {}

  /** Checks the region that {@code ctx} serves; {@code reconciler} may be null (A7 is then skipped). */
  static CheckReport check(RegionHeader header, TxContext ctx, OwnerReconciler reconciler) {
    Medium medium = ctx.frames.medium;
    RegionLayout layout = ctx.frames.layout;
    List<String> checks = new ArrayList<>();
    List<CheckReport.Problem> problems = new ArrayList<>();
    try {
      RegionHeader.Selected s = RegionOpener.readHeaders(medium, ctx.location());
      if (!s.aValid()) {
        problems.add(new CheckReport.Problem("header", "copy A (offset 0) is invalid; copy B is used"));
      }
      if (!s.bValid()) {
        problems.add(new CheckReport.Problem("header", "copy B (offset 4096) is invalid; copy A is used"));
      }
      if (s.aValid() && s.bValid() && !s.copiesEqual()) {
        problems.add(new CheckReport.Problem("header", "copies A and B differ"));
      }
      if (!s.header().equals(header)) {
        problems.add(new CheckReport.Problem("header", "header on the medium changed since open"));
      }
      checks.add("header: magic, CRC32C, version and geometry of copies A and B");
    } catch (RuntimeException e) {
      problems.add(new CheckReport.Problem("header", e.getMessage()));
    }
    if (medium.size() != layout.capacity()) {
      problems.add(new CheckReport.Problem("header", "medium size " + medium.size() + " != capacity " + layout.capacity()));
    }
    for (String p : ctx.log.verify()) {
      problems.add(new CheckReport.Problem("redo log", p));
    }
    checks.add("redo log: " + layout.lanes() + " lanes hold no unapplied record (L1), headers sane");
    BuddyAllocator allocator = ctx.allocator;
    for (String p : allocator.verify()) {
      problems.add(new CheckReport.Problem("allocator", p));
    }
    checks.add("allocator: invariants A1-A6 over " + layout.frameCount() + " frames");
    for (String p : ctx.roots.loadProblems()) {
      problems.add(new CheckReport.Problem("roots", p));
    }
    ctx.roots.snapshot().forEach(
        (name, frame) -> {
          try {
            allocator.validate(frame.pfn(), frame.order(), frame.generation());
          } catch (InvalidFrameException e) {
            problems.add(new CheckReport.Problem("roots", "root '" + name + "' points to a frame that is not allocated: " + e.getMessage()));
          }
        });
    checks.add("roots: names valid, every root points to an allocated block");
    if (reconciler != null) {
      for (AllocatedBlock orphan : ownerOrphans(ctx, reconciler)) {
        problems.add(new CheckReport.Problem("allocator", "A7: " + frame(ctx, orphan) + " is tagged with owner "
            + orphan.owner() + " but its owner does not reference it"));
      }
      checks.add("allocator: A7, every owner-tagged block is referenced by its owner");
    }
    return new CheckReport(checks, problems);
  }

  /** The owner-tagged blocks that {@code reconciler} reports as unreferenced, in frame order. */
  static List<AllocatedBlock> ownerOrphans(TxContext ctx, OwnerReconciler reconciler) {
    List<AllocatedBlock> orphans = new ArrayList<>();
    long frameCount = ctx.frames.layout.frameCount();
    for (long pfn = 0; pfn < frameCount; pfn++) {
      AllocatedBlock block = ctx.allocator.allocatedBlock(pfn);
      if (block != null && block.owner() != 0) {
        if (!reconciler.isReferenced(frame(ctx, block), block.owner())) {
          orphans.add(block);
        }
        pfn += (1L << block.order()) - 1;
      }
    }
    return orphans;
  }

  /** The handle of {@code block} in the region {@code ctx} serves. */
  static Frame frame(TxContext ctx, AllocatedBlock block) {
    return new Frame(block.pfn(), block.order(), block.generation(), ctx.frames.regionId);
  }
}
