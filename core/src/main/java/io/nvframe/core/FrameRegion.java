package io.nvframe.core;

import io.nvframe.api.CheckReport;
import io.nvframe.api.Frame;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.api.NvframeIOException;
import io.nvframe.api.OwnerReconciler;
import io.nvframe.api.Region;
import io.nvframe.api.RegionInfo;
import io.nvframe.api.RegionStats;
import io.nvframe.api.Transaction;
import io.nvframe.api.TransactionConflictException;
import io.nvframe.buddy.AllocatedBlock;
import io.nvframe.buddy.AllocatorStats;
import io.nvframe.buddy.BuddyAllocator;
import io.nvframe.redo.LogStats;
import io.nvframe.redo.RecoveryResult;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An open region on one {@link Medium}: header, redo log lanes, root directory, buddy frame table
 * and data frames (layout in {@link RegionLayout}). {@link RegionOpener} formats and opens it,
 * {@link RegionChecker} checks it, {@link RedoTransaction} runs its transactions; this class serves
 * the {@link Region} API: standalone allocate and free (durable on return), direct data access
 * through {@link FrameAccess}, roots, diagnostics and close.
 */
final class FrameRegion implements Region {
  private static final Logger logger = LoggerFactory.getLogger(FrameRegion.class);

  final Medium medium;
  final RegionHeader header;
  final RegionLayout layout;
  final TxContext ctx;
  private final FrameAccess frames;
  private final BuddyAllocator allocator;
  private final RecoveryResult recovery;
  /** "A" or "B": the header copy this open rewrote from the other one; null when none was. */
  private final String headerCopyRewritten;
  private final OpenTimings openTimings;
  private volatile Runnable onClose = () -> {};
  private volatile OwnerReconciler reconciler;

  FrameRegion(
      RegionHeader header,
      TxContext ctx,
      RecoveryResult recovery,
      String headerCopyRewritten,
      OpenTimings openTimings) {
    this.header = header;
    this.ctx = ctx;
    this.frames = ctx.frames;
    this.medium = frames.medium;
    this.layout = frames.layout;
    this.allocator = ctx.allocator;
    this.recovery = recovery;
    this.headerCopyRewritten = headerCopyRewritten;
    this.openTimings = openTimings;
  }

  // ---------------------------------------------------------------- allocation

  @Override
  public Frame allocate(int order) {
    return allocate(order, 0);
  }

  @Override
  public Frame allocate(int order, long owner) {
    Frame f = allocateOrNull(order, owner);
    if (f == null) {
      throw ctx.outOfFrames(order);
    }
    return f;
  }

  @Override
  public Optional<Frame> tryAllocate(int order) {
    return Optional.ofNullable(allocateOrNull(order, 0));
  }

  private Frame allocateOrNull(int order, long owner) {
    ctx.ensureWritable();
    frames.checkOrder(order);
    long h = allocator.allocate(order, owner);
    if (h == BuddyAllocator.NO_FRAME) {
      return null;
    }
    return new Frame(BuddyAllocator.handlePfn(h), order, BuddyAllocator.handleGeneration(h), frames.regionId);
  }

  @Override
  public void free(Frame frame) {
    ctx.ensureWritable();
    frames.checkRegion(frame);
    long me = FrameLocks.threadOwner(Thread.currentThread());
    if (!ctx.locks.acquire(frame.pfn(), me, ctx.lockTimeoutNanos)) {
      throw new TransactionConflictException(
          "cannot free " + frame + ": a transaction holding it did not finish within "
              + TimeUnit.NANOSECONDS.toMillis(ctx.lockTimeoutNanos) + " ms; retry after it commits");
    }
    try {
      allocator.free(frame.pfn(), frame.order(), frame.generation());
    } finally {
      ctx.locks.release(frame.pfn(), me);
    }
  }

  // ---------------------------------------------------------------- data access

  /** Validates the handle and the range; returns the medium offset of {@code offset} in the frame. */
  private long address(Frame frame, long offset, long length) {
    ctx.ensureOpen();
    frames.checkRegion(frame);
    allocator.validate(frame.pfn(), frame.order(), frame.generation());
    return frames.checkedAddress(frame, offset, length);
  }

  @Override
  public long getLong(Frame frame, long offset) {
    return frames.readLong(address(frame, offset, 8));
  }

  @Override
  public void putLong(Frame frame, long offset, long value) {
    ctx.ensureWritable();
    frames.writeLong(address(frame, offset, 8), value);
  }

  @Override
  public void read(Frame frame, long offset, byte[] dst) {
    read(frame, offset, dst, 0, dst.length);
  }

  @Override
  public void read(Frame frame, long offset, byte[] dst, int dstOffset, int length) {
    Objects.checkFromIndexSize(dstOffset, length, dst.length);
    medium.read(address(frame, offset, length), dst, dstOffset, length);
  }

  @Override
  public void read(Frame frame, long offset, MemorySegment dst) {
    medium.read(address(frame, offset, dst.byteSize()), dst);
  }

  @Override
  public void write(Frame frame, long offset, byte[] src) {
    write(frame, offset, src, 0, src.length);
  }

  @Override
  public void write(Frame frame, long offset, byte[] src, int srcOffset, int length) {
    ctx.ensureWritable();
    Objects.checkFromIndexSize(srcOffset, length, src.length);
    medium.write(address(frame, offset, length), src, srcOffset, length);
  }

  @Override
  public void persist(Frame frame, long offset, long length) {
    medium.persist(address(frame, offset, length), length);
  }

  @Override
  public MemorySegment segment(Frame frame) {
    long size = frames.blockBytes(frame.order());
    long at = address(frame, 0, size);
    MemorySegment whole =
        medium
            .segment()
            .orElseThrow(
                () ->
                    new UnsupportedOperationException(
                        "backend '" + header.backend()
                            + "' is not byte-addressable; use read/write, which copy through it"));
    return whole.asSlice(at, size);
  }

  // ---------------------------------------------------------------- transactions and roots

  @Override
  public Transaction begin() {
    ctx.ensureWritable();
    return new RedoTransaction(ctx);
  }

  @Override
  public void transact(Consumer<Transaction> body) {
    Objects.requireNonNull(body, "body");
    ctx.ensureWritable();
    try (Transaction tx = RedoTransaction.reusable(ctx)) {
      body.accept(tx);
      tx.commit();
    }
  }

  @Override
  public Optional<Frame> root(String name) {
    ctx.ensureOpen();
    RootDirectory.validateName(name);
    return ctx.roots.get(name).map(RootDirectory.Entry::frame);
  }

  @Override
  public Map<String, Frame> roots() {
    ctx.ensureOpen();
    return ctx.roots.snapshot();
  }

  /**
   * Frees every owner-tagged block that {@code r} says is no longer referenced (durably, one
   * standalone free each), and remembers {@code r} so that {@link #check()} verifies A7.
   *
   * @return the number of blocks freed
   */
  int reconcileOwners(OwnerReconciler r) {
    this.reconciler = Objects.requireNonNull(r, "reconciler");
    if (ctx.readOnly) {
      return 0;
    }
    List<AllocatedBlock> orphans = RegionChecker.ownerOrphans(ctx, r);
    for (AllocatedBlock b : orphans) {
      allocator.free(b.pfn(), b.order(), b.generation());
    }
    if (!orphans.isEmpty()) {
      logger.info("Region {}: freed {} owner-tagged block(s) no longer referenced by their owner", ctx.location(), orphans.size());
    }
    return orphans.size();
  }

  @Override
  public Optional<Frame> frameAt(long pfn) {
    ctx.ensureOpen();
    if (pfn < 0 || pfn >= layout.frameCount()) {
      return Optional.empty();
    }
    AllocatedBlock b = allocator.allocatedBlock(pfn);
    if (b == null) {
      return Optional.empty();
    }
    Frame f = RegionChecker.frame(ctx, b);
    try {
      allocator.validate(f.pfn(), f.order(), f.generation());
      return Optional.of(f);
    } catch (InvalidFrameException e) {
      return Optional.empty();
    }
  }

  // ---------------------------------------------------------------- diagnostics

  @Override
  public RegionInfo info() {
    ctx.ensureOpen();
    Map<String, String> props = new TreeMap<>(medium.properties());
    props.put("medium", medium.description());
    props.put("mode", ctx.readOnly ? "read-only" : "read-write");
    props.put("open.ms", String.format(Locale.ROOT, "%.3f", openTimings.totalMillis()));
    props.put("open.phases", openTimings.phases());
    if (recovery != null) {
      props.put("recovery.recordsReplayed", Integer.toString(recovery.recordsReplayed()));
    }
    if (headerCopyRewritten != null) {
      props.put("recovery.headerCopyRewritten", headerCopyRewritten);
    }
    return new RegionInfo(
        ctx.location(),
        header.backend(),
        header.formatVersion(),
        header.uuid(),
        layout.capacity(),
        layout.frameSize(),
        layout.maxOrder(),
        layout.lanes(),
        layout.laneSize(),
        layout.frameCount(),
        medium.capabilities().contains(Capability.BYTE_ADDRESSABLE) && medium.segment().isPresent(),
        layout.areas(),
        props);
  }

  @Override
  public RegionStats stats() {
    ctx.ensureOpen();
    AllocatorStats a = allocator.stats();
    LogStats l = ctx.log.stats();
    PersistStats p = medium.stats();
    return new RegionStats(
        a.frameCount(),
        a.freeFrames(),
        a.freeBlocksPerOrder(),
        a.largestFreeOrder(),
        a.freeFramesOutsideMaxOrderBlocks(),
        ctx.commitCount(),
        l.recordsWritten(),
        p.stores(),
        p.bytesWritten(),
        p.flushes(),
        p.fences());
  }

  @Override
  public CheckReport check() {
    ctx.ensureOpen();
    return RegionChecker.check(header, ctx, reconciler);
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public boolean isOpen() {
    return ctx.isOpen();
  }

  @Override
  public void close() {
    if (!ctx.markClosed()) {
      return;
    }
    try {
      medium.close();
    } catch (RuntimeException e) {
      throw new NvframeIOException("closing region " + ctx.location() + " failed", e);
    } finally {
      onClose.run();
    }
    logger.debug("Closed region {}", ctx.location());
  }

  /** Runs {@code action} after the medium is closed (releases the in-JVM claim on the file). */
  void onClose(Runnable action) {
    this.onClose = action;
  }

  String location() {
    return ctx.location();
  }

  @Override
  public String toString() {
    return "Region(" + ctx.location() + ", backend=" + header.backend() + ", " + allocator + ")";
  }
}
