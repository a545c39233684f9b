package io.nvframe.backend.dax;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeIOException;
import io.nvframe.spi.Capability;
import io.nvframe.spi.PersistCounters;
import io.nvframe.spi.SegmentMedium;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A medium over one shared mapping of a region file or device DAX.
 *
 * <p>The mapping belongs to a shared {@link Arena}: {@link #close()} closes the arena, which unmaps
 * at once (every thread's later access fails instead of touching freed memory), then releases the
 * {@link LockedFile}.
 *
 * <p><b>Flush.</b> {@code flush(offset, length)} widens the range to the unit of the medium's
 * {@link FlushPrimitive} and writes it back in one call, so one {@code persist} over adjacent lines
 * is one range:
 *
 * <pre>
 *   unit  = 4096 (msync works on pages) or 64 (cache lines)
 *   start = offset rounded down to unit
 *   end   = min(offset + length rounded up to unit, size)
 *
 *   FORCE_LINES     MAP_SYNC file mapping: segment.asSlice(start, end - start).force(); the JDK
 *                   writes back each line and issues one store fence
 *   FORCE_PAGES     plain file mapping: msync(MS_SYNC) of the pages (NativeFiles.msync, else the
 *                   same force() call); with dax.msync=merged not at flush but at the thread's
 *                   next fence, below; with dax.msync=fdatasync an fdatasync at that fence
 *   WRITEBACK_LINES emulate mode and device DAX, two ways (see CacheLineWriteback):
 *     split          (java.base/jdk.internal.misc opened) CacheLineWriteback.writebackLines(address
 *                    + start, ...): one CLWB per line, no fence
 *     per-flush      (only exported) CacheLineWriteback.writeback(address + start, ...): CLWB per
 *                    line + SFENCE
 *   NOTHING         mode none (eADR) and read-only media
 * </pre>
 *
 * <p><b>Merged msync and fdatasync.</b> With {@code dax.msync=merged}, a flush in msync mode only
 * widens the calling thread's pending page range {@code [lo, hi)} to cover its pages; the thread's
 * next fence msyncs that range once (if any) and empties it. With {@code dax.msync=fdatasync} the
 * flush does the same and the fence, if the range is not empty, calls {@code fdatasync} on the
 * thread's descriptor of the file ({@link FileSyncs}) instead: it writes back every dirty page of
 * the file, the range included, and takes no lock of the process's address space (msync takes the
 * mmap lock and a reference to the mapped file, two cache lines every syncing thread writes). The
 * SPI requires flushed data to be durable once a later fence of the same thread returns, not
 * before, so a commit that flushes its record, its targets and another lane's header before its one
 * fence makes one system call instead of three. Either call also writes back other dirty pages
 * (msync those in the range, fdatasync all of the file's), which is harmless: a byte may become
 * durable earlier than required. Each thread's range lives in an array of its own (a {@link
 * ThreadLocal}), with 64 unused bytes on either side of its two entries. {@link #close()} msyncs the
 * whole mapping (or fdatasyncs the file) first, so flushes that no fence followed are written too.
 *
 * <p><b>Fence.</b> With split write-back, {@code fence} is the one post-write-back fence that
 * completes every line this thread started ({@code SFENCE} on x86, like PMDK's {@code
 * pmem_drain}), so a commit that flushes three ranges before its commit point pays one fence, not
 * three. In every other mode the write-back is synchronous at {@code flush}, so {@code fence} has
 * nothing left to wait for and is a full memory fence ({@link VarHandle#fullFence()}), which orders
 * this thread's later stores after everything before it.
 *
 * <p><b>Write and flush.</b> {@code writeAndFlush} (a block write that is flushed at once, as the
 * BTT backend writes its data blocks) copies and starts write-back in one pass when the medium uses
 * libpmem's non-temporal copy ({@link NonTemporalCopy}, option {@value DaxBackendProvider#COPY}):
 *
 * <pre>
 *   libpmem   split WRITEBACK_LINES medium, libpmem usable, option auto or libpmem, range of whole
 *             64-byte-aligned lines, at least 512 bytes: pmem_memcpy with non-temporal stores, no
 *             line write-back (the stores bypass the cache); the next fence (SFENCE) drains them
 *   java      everything else: MemorySegment.copy, then the flush above
 * </pre>
 *
 * <p>Counters (SPI {@code stats()}) count calls: one flush and one fence per {@code persist},
 * whatever the mode; {@link #writebackRanges()} and {@link #writebackBytes()} count what actually
 * reached the write-back primitive. The property {@value #WRITEBACK_PROPERTY} says which write-back
 * a {@code WRITEBACK_LINES} medium uses ({@code split} or {@code per-flush}), {@value
 * DaxBackendProvider#COPY} which copy {@code writeAndFlush} uses ({@code libpmem} or {@code java}).
 */
final class MappedMedium extends SegmentMedium {
  private static final Logger logger = LoggerFactory.getLogger(MappedMedium.class);
  /** Property naming the write-back of a {@code WRITEBACK_LINES} medium: {@code split} or {@code per-flush}. */
  static final String WRITEBACK_PROPERTY = "dax.writeback";

  /** Capabilities of every medium. */
  static final Set<Capability> CAPABILITIES = Set.of(Capability.DURABLE, Capability.BYTE_ADDRESSABLE);

  /** Capabilities of a medium in mode {@code sync} (a MAP_SYNC mapping). */
  static final Set<Capability> SYNC_CAPABILITIES =
      Set.of(Capability.DURABLE, Capability.BYTE_ADDRESSABLE, Capability.SYNC_MAPPING);

  private final Arena arena;
  private final LockedFile file;
  private final DaxMode mode;
  private final FlushPrimitive flush;
  /** WRITEBACK_LINES with the split primitives: flush starts write-back, fence completes it. */
  private final boolean split;
  private final boolean readOnly;
  /** FORCE_PAGES calls msync through {@link NativeFiles#msync} (no slice allocated per flush). */
  private final boolean nativeMsync;
  /** FORCE_PAGES with {@code dax.msync=merged} or {@code fdatasync}: flushes note pages, fences sync them. */
  private final boolean mergedMsync;
  /** With {@code dax.msync=fdatasync}: the descriptors fences sync through; else null. */
  private final FileSyncs fileSyncs;
  /** The resolved {@value DaxBackendProvider#MSYNC}: merged, fdatasync or per-flush (FORCE_PAGES only). */
  private final String msyncKind;
  /** The calling thread's pending pages and sync slot, for {@link #mergedMsync}. */
  private final ThreadLocal<PendingSync> pending = ThreadLocal.withInitial(PendingSync::new);
  /** Where the range's entries start: 64 unused bytes before them, and as many after. */
  private static final int LO = 8;
  private static final int HI = LO + 1;
  /** {@code writeAndFlush} of whole lines copies with libpmem's non-temporal stores. */
  private final boolean nonTemporal;
  private final Set<Capability> capabilities;
  /** The properties but {@link DaxBackendProvider#PROPERTY_FILESYSTEM}, which {@link #filesystem} gives. */
  private final Map<String, String> fixedProperties;
  private final Supplier<String> filesystem;
  private volatile Map<String, String> properties;
  /**
   * What reached the write-back primitive (flushes = ranges, bytesFlushed = bytes) and what was
   * copied with non-temporal stores instead (stores = copies, bytesWritten = bytes). Per-thread
   * counters: an atomic increment between a write-back and its fence would wait for the write-back.
   */
  private final PersistCounters writebacks = new PersistCounters();

  /**
   * A medium over {@code segment}, which {@code arena} owns; takes over {@code file}.
   *
   * @param copy the {@value DaxBackendProvider#COPY} option: {@code auto}, {@code libpmem} (already
   *     checked to be usable) or {@code java}
   * @param msync the {@value DaxBackendProvider#MSYNC} option: {@code auto}, {@code merged}, {@code
   *     fdatasync} (native access already checked) or {@code per-flush}
   * @param extraProperties properties besides mode, file, device, read-only, lock, write-back, msync and copy
   * @param filesystem the {@link DaxBackendProvider#PROPERTY_FILESYSTEM} value, asked for on first use
   */
  MappedMedium(
      MemorySegment segment,
      Arena arena,
      LockedFile file,
      DaxMode mode,
      FlushPrimitive flush,
      String copy,
      String msync,
      boolean readOnly,
      boolean device,
      Map<String, String> extraProperties,
      Supplier<String> filesystem) {
    super(segment, file.path().toString());
    assert mode != DaxMode.AUTO : "a medium has a resolved mode";
    this.arena = arena;
    this.file = file;
    this.mode = mode;
    this.flush = readOnly ? FlushPrimitive.NOTHING : flush;
    this.split = this.flush == FlushPrimitive.WRITEBACK_LINES && CacheLineWriteback.split();
    this.readOnly = readOnly;
    this.nativeMsync = this.flush == FlushPrimitive.FORCE_PAGES && NativeFiles.supported()
        && NativeFiles.nativeAccessEnabled();
    this.msyncKind = this.flush == FlushPrimitive.FORCE_PAGES ? resolveMsync(msync, file) : null;
    this.mergedMsync = msyncKind != null && !msyncKind.equals(DaxBackendProvider.MSYNC_PER_FLUSH);
    this.fileSyncs = DaxBackendProvider.MSYNC_FDATASYNC.equals(msyncKind) ? openSyncs(file) : null;
    this.nonTemporal = split && !DaxBackendProvider.COPY_JAVA.equals(copy) && NonTemporalCopy.available();
    this.capabilities = mode == DaxMode.SYNC ? SYNC_CAPABILITIES : CAPABILITIES;
    Map<String, String> fixed = new HashMap<>(extraProperties);
    fixed.put(DaxBackendProvider.MODE, mode.key());
    fixed.put(DaxBackendProvider.PROPERTY_FILE, file.path().toString());
    fixed.put(DaxBackendProvider.PROPERTY_DEVICE, Boolean.toString(device));
    fixed.put(DaxBackendProvider.PROPERTY_READ_ONLY, Boolean.toString(readOnly));
    fixed.put(DaxBackendProvider.PROPERTY_LOCK, file.lockKind());
    if (this.flush == FlushPrimitive.WRITEBACK_LINES) {
      fixed.put(WRITEBACK_PROPERTY, split ? "split" : "per-flush");
    }
    if (this.flush == FlushPrimitive.FORCE_PAGES) {
      fixed.put(DaxBackendProvider.MSYNC, msyncKind);
    }
    fixed.put(DaxBackendProvider.COPY, nonTemporal ? DaxBackendProvider.COPY_LIBPMEM : DaxBackendProvider.COPY_JAVA);
    this.fixedProperties = Map.copyOf(fixed);
    this.filesystem = filesystem;
  }

  /**
   * {@code auto} becomes {@code fdatasync} when the file is on tmpfs or ramfs and this JVM may call
   * native code with a descriptor of it at hand, else {@code merged}; other values stay.
   */
  private static String resolveMsync(String msync, LockedFile file) {
    if (!DaxBackendProvider.MSYNC_AUTO.equals(msync)) {
      return msync;
    }
    int fd = file.nativeFd();
    if (fd >= 0) {
      try {
        long type = NativeFiles.fstatfsType(fd);
        if (type == NativeFiles.TMPFS_MAGIC || type == NativeFiles.RAMFS_MAGIC) {
          return DaxBackendProvider.MSYNC_FDATASYNC;
        }
      } catch (NativeFiles.NativeError e) {
        logger.debug("dax: fstatfs of {} failed ({}); msync mode syncs with merged msync", file.path(), e.getMessage());
      }
    }
    return DaxBackendProvider.MSYNC_MERGED;
  }

  private static FileSyncs openSyncs(LockedFile file) {
    try {
      return new FileSyncs(file.path(), file.nativeFd(), FileSyncs.defaultSlots());
    } catch (IOException e) {
      throw new NvframeIOException(ErrorCode.IO_ERROR, "cannot open a descriptor of " + file.path()
          + " for dax.msync=fdatasync: " + e.getMessage() + "; or use dax.msync=merged", e);
    }
  }

  @Override
  public Set<Capability> capabilities() {
    return capabilities;
  }

  @Override
  public Map<String, String> properties() {
    Map<String, String> p = properties;
    if (p == null) { // the filesystem type is looked up on first use; racing threads agree
      Map<String, String> all = new HashMap<>(fixedProperties);
      all.put(DaxBackendProvider.PROPERTY_FILESYSTEM, filesystem.get());
      p = Map.copyOf(all);
      properties = p;
    }
    return p;
  }

  @Override
  protected boolean readOnly() {
    return readOnly;
  }

  /** The resolved mode. */
  DaxMode mode() {
    return mode;
  }

  /**
   * The unit a flush really writes back: a page in msync mode (one msync covers whole pages, so
   * callers such as the redo log's flush plan merge ranges per page), a cache line otherwise.
   */
  @Override
  public int flushGranularity() {
    return (int) flush.unit;
  }

  /** What flushes call to write back. */
  FlushPrimitive flushPrimitive() {
    return flush;
  }

  /** True when flushes only start write-back and {@link #fence()} completes it (split write-back). */
  boolean splitWriteback() {
    return split;
  }

  /** The descriptors of {@code dax.msync=fdatasync}, or null. */
  FileSyncs fileSyncs() {
    return fileSyncs;
  }

  /** Descriptors opened for fdatasync besides the lock's (0 unless {@code dax.msync=fdatasync}). */
  int syncDescriptors() {
    return fileSyncs == null ? 0 : fileSyncs.opened();
  }

  /** Ranges handed to the write-back primitive (force, msync, fdatasync or cache-line write-back). */
  long writebackRanges() {
    return writebacks.snapshot().flushes();
  }

  /** Bytes covered by those ranges, after widening to the flush unit. */
  long writebackBytes() {
    return writebacks.snapshot().bytesFlushed();
  }

  /** Bytes {@code writeAndFlush} copied with libpmem's non-temporal stores (no write-back range). */
  long nonTemporalBytes() {
    return writebacks.snapshot().bytesWritten();
  }

  @Override
  protected void doFlush(long offset, long length) {
    if (flush == FlushPrimitive.NOTHING) {
      return;
    }
    long unit = flush.unit;
    long start = offset & -unit;
    long end = Math.min((offset + length + unit - 1) & -unit, size());
    if (mergedMsync) {
      long[] range = pending.get().range;
      if (range[HI] == 0) {
        range[LO] = start;
        range[HI] = end;
      } else {
        range[LO] = Math.min(range[LO], start);
        range[HI] = Math.max(range[HI], end);
      }
      return;
    }
    writeback(start, end);
  }

  /** Hands the unit-aligned {@code [start, end)} to the write-back primitive and counts it. */
  private void writeback(long start, long end) {
    try {
      switch (flush) {
        case FORCE_PAGES -> {
          // msync of the pages without allocating a slice per flush (a flush of every commit);
          // on failure the JDK's force repeats it and reports the errno
          if (!nativeMsync || NativeFiles.msync(segment.address() + start, end - start) != 0) {
            segment.asSlice(start, end - start).force();
          }
        }
        case FORCE_LINES -> segment.asSlice(start, end - start).force();
        case WRITEBACK_LINES -> {
          if (split) {
            CacheLineWriteback.writebackLines(segment.address() + start, end - start);
          } else {
            CacheLineWriteback.writeback(segment.address() + start, end - start);
          }
        }
        case NOTHING -> throw new AssertionError("handled above");
      }
    } catch (UncheckedIOException e) {
      throw new NvframeIOException(ErrorCode.IO_ERROR,
          "writing back bytes [" + start + ", " + end + ") of " + description() + " (" + mode.key()
              + ") failed: " + e.getCause().getMessage()
              + "; data in that range may not be durable; check the device and the kernel log (dmesg)", e);
    }
    writebacks.flush(end - start);
  }

  /** fdatasync through the thread's descriptor, for the pending pages {@code [start, end)}; counts them. */
  private void fdatasync(PendingSync p, long start, long end) {
    if (p.slot < 0) {
      p.errno = Arena.ofAuto().allocate(NativeFiles.errnoStateLayout());
      p.slot = fileSyncs.slotForNewThread();
    }
    int errno;
    try {
      errno = fileSyncs.sync(p.errno, p.slot);
    } catch (IllegalStateException e) { // the medium was closed after this fence began
      ensureOpen();
      throw e;
    }
    if (errno != 0) {
      ensureOpen(); // a fence racing close: the descriptor may be gone
      throw syncFailed(errno, "bytes [" + start + ", " + end + ")");
    }
    writebacks.flush(end - start);
  }

  private NvframeIOException syncFailed(int errno, String what) {
    return new NvframeIOException(ErrorCode.IO_ERROR,
        "fdatasync of " + description() + " (msync mode, dax.msync=fdatasync) failed: " + NativeFiles.strerror(errno)
            + " (errno " + errno + "); " + what + " and other data written since the last sync may not be durable; "
            + "check the device and the kernel log (dmesg)");
  }

  @Override
  protected void doWriteAndFlush(long offset, byte[] src, int srcOffset, int length) {
    long address = segment.address() + offset;
    if (nonTemporal && NonTemporalCopy.eligible(address, length)) {
      NonTemporalCopy.copy(address, src, srcOffset, length);
      writebacks.store(length);
    } else {
      super.doWriteAndFlush(offset, src, srcOffset, length);
    }
  }

  @Override
  protected void doFence() {
    if (mergedMsync) {
      PendingSync p = pending.get();
      long[] range = p.range;
      long end = range[HI];
      if (end != 0) {
        range[HI] = 0; // emptied first: a failing sync is reported once, for the range it covered
        if (fileSyncs != null) {
          fdatasync(p, range[LO], end);
        } else {
          writeback(range[LO], end);
        }
      }
    }
    if (split) {
      CacheLineWriteback.drain();
      // the post-sync fence orders the medium's later stores; this keeps the compiler from moving
      // any later store above it as well (no instruction on x86)
      VarHandle.storeStoreFence();
    } else {
      VarHandle.fullFence();
    }
  }

  @Override
  protected void doClose() {
    try {
      if (fileSyncs != null) { // the pages of flushes that no fence of their thread followed
        int errno = fileSyncs.syncBase(Arena.ofAuto().allocate(NativeFiles.errnoStateLayout()));
        if (errno != 0) {
          throw syncFailed(errno, "the whole file");
        }
        writebacks.flush(size());
      } else if (mergedMsync) {
        writeback(0, size());
      }
    } finally {
      try {
        arena.close();
      } finally {
        try {
          file.close();
        } finally {
          if (fileSyncs != null) {
            fileSyncs.close(); // after the lock is gone: closing a descriptor drops a classic lock
          }
        }
      }
    }
  }

  /** One thread's state for {@link #mergedMsync}. */
  private static final class PendingSync {
    /** Pages flushed since the thread's last fence: {@code [range[LO], range[HI])}, empty when {@code range[HI] == 0}. */
    final long[] range = new long[LO + 2 + LO];
    /** The thread's {@link FileSyncs} slot, -1 until its first fdatasync. */
    int slot = -1;
    /** Where fdatasync stores errno for this thread, allocated at its first fdatasync. */
    MemorySegment errno;
  }

  @Override
  public String toString() {
    return "MappedMedium(" + description() + ", " + size() + " bytes, mode=" + mode.key()
        + (readOnly ? ", read-only" : "") + ")";
  }
}
