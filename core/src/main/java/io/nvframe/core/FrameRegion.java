package io.nvframe.core;

import io.nvframe.api.AlreadyClosedException;
import io.nvframe.api.CheckReport;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.Frame;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.api.NvframeIOException;
import io.nvframe.api.OutOfFramesException;
import io.nvframe.api.OwnerReconciler;
import io.nvframe.api.Region;
import io.nvframe.api.RegionInfo;
import io.nvframe.api.RegionStats;
import io.nvframe.api.Transaction;
import io.nvframe.api.TransactionConflictException;
import io.nvframe.buddy.AllocatorStats;
import io.nvframe.buddy.BuddyAllocator;
import io.nvframe.buddy.FrameWord;
import io.nvframe.redo.LogStats;
import io.nvframe.redo.RecoveryResult;
import io.nvframe.redo.RedoLog;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A region on one {@link Medium}: header, redo log lanes, root directory, buddy frame table and data
 * frames (layout in {@link RegionLayout}).
 *
 * <p>Open sequence (DESIGN.md §4 rule 3): read and validate both header copies → repair a bad copy
 * (writable only) → replay the redo lanes → rebuild the allocator from the frame table → load the
 * root directory. Nothing is written before validation has passed.
 */
final class FrameRegion implements Region {
  private static final Logger logger = LoggerFactory.getLogger(FrameRegion.class);
  private static final ValueLayout.OfLong LONG_LE_UNALIGNED =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  final Medium medium;
  final RegionHeader header;
  final RegionLayout layout;
  final BuddyAllocator allocator;
  final RedoLog log;
  final RootDirectory roots;
  final FrameLocks locks = new FrameLocks();
  /** Each thread's reusable transaction bookkeeping (write set, maps), see {@link RedoTransaction}. */
  final ThreadLocal<RedoTransaction.Scratch> txScratch = new ThreadLocal<>();
  final long regionId;
  final long lockTimeoutNanos;
  final boolean readOnly;
  private final String location;
  private final RecoveryResult recovery;
  /** When open started and finished its phases (header, redo log, allocator, roots), in nanoTime. */
  private final long[] openMarks;
  private final LongAdder committed = new LongAdder();
  private volatile boolean open = true;
  private volatile Runnable onClose = () -> {};
  private volatile OwnerReconciler reconciler;

  private FrameRegion(
      Medium medium,
      RegionHeader header,
      BuddyAllocator allocator,
      RedoLog log,
      RootDirectory roots,
      String location,
      boolean readOnly,
      long lockTimeoutNanos,
      RecoveryResult recovery,
      long[] openMarks) {
    this.medium = medium;
    this.header = header;
    this.layout = header.layout();
    this.allocator = allocator;
    this.log = log;
    this.roots = roots;
    this.location = location;
    this.readOnly = readOnly;
    this.lockTimeoutNanos = lockTimeoutNanos;
    this.recovery = recovery;
    this.openMarks = openMarks;
    this.regionId = header.uuid().getMostSignificantBits() ^ header.uuid().getLeastSignificantBits();
  }

  /** Writes an empty region onto {@code medium}; the header goes last, so a torn format is "not a region". */
  static void format(Medium medium, RegionHeader header) {
    RegionLayout l = header.layout();
    RedoLog.format(medium, l.laneAreaOffset(), l.lanes(), l.laneSize());
    medium.fill(l.rootDirOffset(), RegionLayout.ROOT_DIR_BYTES, (byte) 0);
    medium.persist(l.rootDirOffset(), RegionLayout.ROOT_DIR_BYTES);
    BuddyAllocator.format(medium, l.frameTableOffset(), l.frameCount());
    byte[] image = header.encode();
    medium.write(RegionLayout.HEADER_B_OFFSET, image, 0, image.length);
    medium.persist(RegionLayout.HEADER_B_OFFSET, image.length);
    medium.write(RegionLayout.HEADER_A_OFFSET, image, 0, image.length);
    medium.persist(RegionLayout.HEADER_A_OFFSET, image.length);
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
    byte[] a = new byte[RegionLayout.HEADER_SLOT];
    byte[] b = new byte[RegionLayout.HEADER_SLOT];
    medium.read(RegionLayout.HEADER_A_OFFSET, a, 0, a.length);
    medium.read(RegionLayout.HEADER_B_OFFSET, b, 0, b.length);
    RegionHeader.Selected selected = RegionHeader.select(a, b, location);
    RegionHeader header = selected.header();
    if (medium.size() != header.layout().capacity()) {
      throw new MediaCorruptedException(
          ErrorCode.SIZE_MISMATCH,
          location + " holds " + medium.size() + " bytes but its header says the region has "
              + header.layout().capacity()
              + " bytes; the file was truncated or extended (restore it from a backup, or copy it completely)");
    }
    if (!readOnly && selected.needsRepair()) {
      repairHeader(medium, header, selected, location);
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
    BuddyAllocator allocator =
        BuddyAllocator.open(medium, l.frameTableOffset(), l.frameCount(), l.maxOrder());
    long allocatorDone = System.nanoTime();
    long regionId = header.uuid().getMostSignificantBits() ^ header.uuid().getLeastSignificantBits();
    RootDirectory roots = RootDirectory.load(medium, l.rootDirOffset(), regionId, l.frameCount());
    long[] marks = {start, headerDone, logDone, allocatorDone, System.nanoTime()};
    FrameRegion region = new FrameRegion(medium, header, allocator, log, roots, location, readOnly,
        lockTimeoutNanos, recovery, marks);
    if (logger.isInfoEnabled()) { // formatting the times costs as much as a phase of a first open
      logger.info(
          "Opened region {} (backend {}, {} frames of {} bytes, {}) in {} ms ({})",
          location,
          header.backend(),
          l.frameCount(),
          l.frameSize(),
          readOnly ? "read-only" : "read-write",
          String.format(Locale.ROOT, "%.2f", (marks[4] - marks[0]) / 1e6),
          openPhases(marks));
    }
    return region;
  }

  /** {@code header 0.150, redo log 0.300, allocator 1.200, roots 0.030 ms}. */
  private static String openPhases(long[] marks) {
    return String.format(Locale.ROOT, "header %.3f, redo log %.3f, allocator %.3f, roots %.3f ms",
        (marks[1] - marks[0]) / 1e6, (marks[2] - marks[1]) / 1e6, (marks[3] - marks[2]) / 1e6,
        (marks[4] - marks[3]) / 1e6);
  }

  private static void repairHeader(
      Medium medium, RegionHeader header, RegionHeader.Selected selected, String location) {
    byte[] image = header.encode();
    logger.warn(
        "Region {}: header copy {} is damaged or stale; rewriting it from the good copy",
        location,
        !selected.aValid() ? "A" : "B");
    // B first, then A (the rule for updating the header)
    medium.write(RegionLayout.HEADER_B_OFFSET, image, 0, image.length);
    medium.persist(RegionLayout.HEADER_B_OFFSET, image.length);
    medium.write(RegionLayout.HEADER_A_OFFSET, image, 0, image.length);
    medium.persist(RegionLayout.HEADER_A_OFFSET, image.length);
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
      throw outOfFrames(order);
    }
    return f;
  }

  @Override
  public Optional<Frame> tryAllocate(int order) {
    return Optional.ofNullable(allocateOrNull(order, 0));
  }

  private Frame allocateOrNull(int order, long owner) {
    ensureWritable();
    checkOrder(order);
    long h = allocator.allocate(order, owner);
    if (h == BuddyAllocator.NO_FRAME) {
      return null;
    }
    return new Frame(BuddyAllocator.handlePfn(h), order, BuddyAllocator.handleGeneration(h), regionId);
  }

  OutOfFramesException outOfFrames(int order) {
    AllocatorStats s = allocator.stats();
    return new OutOfFramesException(
        "no free block of order " + order + " (" + ((long) layout.frameSize() << order)
            + " bytes) in region " + location + ": " + s.freeFrames() + " of " + s.frameCount()
            + " frames free, largest free order " + s.largestFreeOrder()
            + ". Free frames, ask for a smaller order, or create a larger region");
  }

  void checkOrder(int order) {
    if (order < 0 || order > layout.maxOrder()) {
      throw new IllegalArgumentException(
          "order " + order + " is outside [0, " + layout.maxOrder() + "] (the region's max order)");
    }
  }

  @Override
  public void free(Frame frame) {
    ensureWritable();
    checkRegion(frame);
    Object me = Thread.currentThread();
    if (!locks.acquire(frame.pfn(), me, lockTimeoutNanos)) {
      throw new TransactionConflictException(
          "cannot free " + frame + ": a transaction holding it did not finish within "
              + TimeUnit.NANOSECONDS.toMillis(lockTimeoutNanos) + " ms; retry after it commits");
    }
    try {
      allocator.free(frame.pfn(), frame.order(), frame.generation());
    } finally {
      locks.release(frame.pfn(), me);
    }
  }

  // ---------------------------------------------------------------- data access

  /** Validates the handle and the range; returns the medium offset of {@code offset} in the frame. */
  long address(Frame frame, long offset, long length) {
    ensureOpen();
    checkRegion(frame);
    allocator.validate(frame.pfn(), frame.order(), frame.generation());
    return checkedAddress(frame, offset, length);
  }

  long checkedAddress(Frame frame, long offset, long length) {
    long size = (long) layout.frameSize() << frame.order();
    if (offset < 0 || length < 0 || offset > size - length) {
      throw new InvalidFrameException(
          ErrorCode.FRAME_BOUNDS,
          "access [" + offset + ", " + offset + "+" + length + ") is outside " + frame + " of "
              + size + " bytes");
    }
    return layout.frameAddress(frame.pfn()) + offset;
  }

  void checkRegion(Frame frame) {
    Objects.requireNonNull(frame, "frame");
    if (frame.regionId() != regionId) {
      throw new InvalidFrameException(
          ErrorCode.FRAME_FOREIGN, frame + " belongs to another region, not " + location);
    }
  }

  @Override
  public long getLong(Frame frame, long offset) {
    long at = address(frame, offset, 8);
    return readLong(at);
  }

  long readLong(long at) {
    if ((at & 7) == 0) {
      return medium.loadLong(at);
    }
    byte[] b = new byte[8];
    medium.read(at, b, 0, 8);
    return MemorySegment.ofArray(b).get(LONG_LE_UNALIGNED, 0);
  }

  @Override
  public void putLong(Frame frame, long offset, long value) {
    ensureWritable();
    long at = address(frame, offset, 8);
    writeLong(at, value);
  }

  void writeLong(long at, long value) {
    if ((at & 7) == 0) {
      medium.storeLong(at, value);
    } else {
      byte[] b = new byte[8];
      MemorySegment.ofArray(b).set(LONG_LE_UNALIGNED, 0, value);
      medium.write(at, b, 0, 8);
    }
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
    ensureWritable();
    Objects.checkFromIndexSize(srcOffset, length, src.length);
    medium.write(address(frame, offset, length), src, srcOffset, length);
  }

  @Override
  public void persist(Frame frame, long offset, long length) {
    medium.persist(address(frame, offset, length), length);
  }

  @Override
  public MemorySegment segment(Frame frame) {
    long size = (long) layout.frameSize() << frame.order();
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
    ensureWritable();
    return new RedoTransaction(this);
  }

  @Override
  public void transact(Consumer<Transaction> body) {
    Objects.requireNonNull(body, "body");
    try (Transaction tx = begin()) {
      body.accept(tx);
      tx.commit();
    }
  }

  void committed() {
    committed.increment();
  }

  @Override
  public Optional<Frame> root(String name) {
    ensureOpen();
    RootDirectory.validateName(name);
    return roots.get(name).map(RootDirectory.Entry::frame);
  }

  @Override
  public Map<String, Frame> roots() {
    ensureOpen();
    return roots.snapshot();
  }

  /**
   * Frees every owner-tagged block that {@code r} says is no longer referenced (durably, one
   * standalone free each), and remembers {@code r} so that {@link #check()} verifies A7.
   *
   * @return the number of blocks freed
   */
  int reconcileOwners(OwnerReconciler r) {
    this.reconciler = Objects.requireNonNull(r, "reconciler");
    if (readOnly) {
      return 0;
    }
    List<Frame> orphans = ownerOrphans(r);
    for (Frame f : orphans) {
      allocator.free(f.pfn(), f.order(), f.generation());
    }
    if (!orphans.isEmpty()) {
      logger.info("Region {}: freed {} owner-tagged block(s) no longer referenced by their owner", location, orphans.size());
    }
    return orphans.size();
  }

  private List<Frame> ownerOrphans(OwnerReconciler r) {
    List<Frame> orphans = new ArrayList<>();
    for (long pfn = 0; pfn < layout.frameCount(); pfn++) {
      long w = allocator.word(pfn);
      if (FrameWord.isHead(w) && FrameWord.owner(w) != 0) {
        Frame f = new Frame(pfn, FrameWord.order(w), FrameWord.generation(w), regionId);
        if (!r.isReferenced(f, FrameWord.owner(w))) {
          orphans.add(f);
        }
        pfn += (1L << FrameWord.order(w)) - 1;
      }
    }
    return orphans;
  }

  @Override
  public Optional<Frame> frameAt(long pfn) {
    ensureOpen();
    if (pfn < 0 || pfn >= layout.frameCount()) {
      return Optional.empty();
    }
    long w = allocator.word(pfn);
    if (!FrameWord.isHead(w)) {
      return Optional.empty();
    }
    Frame f = new Frame(pfn, FrameWord.order(w), FrameWord.generation(w), regionId);
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
    ensureOpen();
    Map<String, String> props = new java.util.TreeMap<>(medium.properties());
    props.put("medium", medium.description());
    props.put("mode", readOnly ? "read-only" : "read-write");
    props.put("open.ms", String.format(Locale.ROOT, "%.3f", (openMarks[4] - openMarks[0]) / 1e6));
    props.put("open.phases", openPhases(openMarks));
    if (recovery != null) {
      props.put("recovery.recordsReplayed", Integer.toString(recovery.recordsReplayed()));
    }
    return new RegionInfo(
        location,
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
    ensureOpen();
    AllocatorStats a = allocator.stats();
    LogStats l = log.stats();
    PersistStats p = medium.stats();
    return new RegionStats(
        a.frameCount(),
        a.freeFrames(),
        a.freeBlocksPerOrder(),
        a.largestFreeOrder(),
        a.freeFramesOutsideMaxOrderBlocks(),
        committed.sum(),
        l.recordsWritten(),
        p.stores(),
        p.bytesWritten(),
        p.flushes(),
        p.fences());
  }

  @Override
  public CheckReport check() {
    ensureOpen();
    List<String> checks = new ArrayList<>();
    List<CheckReport.Problem> problems = new ArrayList<>();
    byte[] a = new byte[RegionLayout.HEADER_SLOT];
    byte[] b = new byte[RegionLayout.HEADER_SLOT];
    medium.read(RegionLayout.HEADER_A_OFFSET, a, 0, a.length);
    medium.read(RegionLayout.HEADER_B_OFFSET, b, 0, b.length);
    try {
      RegionHeader.Selected s = RegionHeader.select(a, b, location);
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
    for (String p : log.verify()) {
      problems.add(new CheckReport.Problem("redo log", p));
    }
    checks.add("redo log: " + layout.lanes() + " lanes hold no unapplied record (L1), headers sane");
    for (String p : allocator.verify()) {
      problems.add(new CheckReport.Problem("allocator", p));
    }
    checks.add("allocator: invariants A1-A6 over " + layout.frameCount() + " frames");
    for (String p : roots.loadProblems()) {
      problems.add(new CheckReport.Problem("roots", p));
    }
    roots.snapshot().forEach(
        (name, frame) -> {
          try {
            allocator.validate(frame.pfn(), frame.order(), frame.generation());
          } catch (InvalidFrameException e) {
            problems.add(new CheckReport.Problem("roots", "root '" + name + "' points to a frame that is not allocated: " + e.getMessage()));
          }
        });
    checks.add("roots: names valid, every root points to an allocated block");
    OwnerReconciler r = reconciler;
    if (r != null) {
      for (Frame orphan : ownerOrphans(r)) {
        problems.add(new CheckReport.Problem("allocator", "A7: " + orphan + " is tagged with owner "
            + FrameWord.owner(allocator.word(orphan.pfn())) + " but its owner does not reference it"));
      }
      checks.add("allocator: A7, every owner-tagged block is referenced by its owner");
    }
    return new CheckReport(checks, problems);
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    if (!open) {
      return;
    }
    open = false;
    try {
      medium.close();
    } catch (RuntimeException e) {
      throw new NvframeIOException("closing region " + location + " failed", e);
    } finally {
      onClose.run();
    }
    logger.debug("Closed region {}", location);
  }

  /** Runs {@code action} after the medium is closed (releases the in-JVM claim on the file). */
  void onClose(Runnable action) {
    this.onClose = action;
  }

  void ensureOpen() {
    if (!open) {
      throw new AlreadyClosedException("region " + location + " is closed");
    }
  }

  void ensureWritable() {
    ensureOpen();
    if (readOnly) {
      throw new NvframeIOException(
          ErrorCode.READ_ONLY, "region " + location + " is open read-only; open it with Regions.open(path) to change it");
    }
  }

  String location() {
    return location;
  }

  @Override
  public String toString() {
    return "Region(" + location + ", backend=" + header.backend() + ", " + allocator + ")";
  }
}
