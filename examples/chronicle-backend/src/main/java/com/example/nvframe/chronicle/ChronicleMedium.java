package com.example.nvframe.chronicle;

import io.nvframe.api.AlreadyClosedException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeIOException;
import io.nvframe.api.RegionLockedException;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistCounters;
import io.nvframe.spi.PersistStats;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import net.openhft.chronicle.bytes.MappedBytesStore;
import net.openhft.chronicle.bytes.MappedFile;
import net.openhft.chronicle.core.io.ReferenceOwner;
import net.openhft.posix.MSyncFlag;
import net.openhft.posix.PosixAPI;

/**
 * A {@link Medium} on one Chronicle Bytes mapping of a whole file ({@code MappedFile.ofSingle},
 * {@code MAP_SHARED}), accessed through its {@link MappedBytesStore}.
 *
 * <ul>
 *   <li>8- and 4-byte loads and stores are Chronicle's volatile reads and ordered writes at aligned
 *       addresses: single-copy atomic, and (on x86, the only byte order accepted by the provider)
 *       little-endian.
 *   <li>{@link #flush} records the page-aligned range in a per-thread list (the kernel writes back
 *       whole pages); {@link #fence} calls {@code msync(MS_SYNC)} on every recorded range through
 *       Chronicle's posix binding and returns when the kernel has written them to the file; after a
 *       crash of the process or the machine the data is in the file. A list that fills up is synced
 *       at once (durable earlier than needed is allowed).
 *   <li>There is no {@link Capability#BYTE_ADDRESSABLE}: the mapping belongs to Chronicle, which
 *       unmaps it on close, so no {@link MemorySegment} view is handed out (it could outlive the
 *       mapping); reads and writes copy.
 *   <li>A writable open holds an exclusive {@link FileLock} on the file, a read-only open a shared
 *       one, until {@link #close}.
 * </ul>
 */
final class ChronicleMedium implements Medium {
  static final Set<Capability> CAPABILITIES = Set.of(Capability.DURABLE);

  /** msync works on whole pages. */
  private static final long PAGE = 4096;

  /** Bulk copies of {@link MemorySegment}s go through a byte[] of at most this size. */
  private static final int CHUNK = 64 * 1024;

  /** Pending flush ranges a thread keeps before syncing them early. */
  private static final int MAX_PENDING = 32;

  private final Path path;
  private final long size;
  private final boolean readOnly;
  private final MappedFile file;
  private final MappedBytesStore store;
  private final ReferenceOwner owner;
  private final FileLock lock;
  private final long address;
  private final PersistCounters counters = new PersistCounters();
  private final ThreadLocal<Pending> pending = ThreadLocal.withInitial(Pending::new);
  private volatile boolean open = true;

  private ChronicleMedium(Path path, long size, boolean readOnly, MappedFile file, MappedBytesStore store,
      ReferenceOwner owner, FileLock lock) {
    this.path = path;
    this.size = size;
    this.readOnly = readOnly;
    this.file = file;
    this.store = store;
    this.owner = owner;
    this.lock = lock;
    this.address = store.addressForRead(0);
  }

  // tag::map[]
  /** Maps {@code path} (exactly {@code size} bytes) and locks it; nothing is written. */
  static ChronicleMedium map(Path path, long size, boolean readOnly) {
    MappedFile file;
    try {
      file = MappedFile.ofSingle(path.toFile(), size, readOnly);
    } catch (IOException e) {
      throw new NvframeIOException(ErrorCode.IO_ERROR,
          "chronicle backend: cannot map " + path + (readOnly ? " read-only" : "") + ": " + e, e);
    }
    FileLock lock = null;
    ReferenceOwner owner = ReferenceOwner.temporary("nvframe-chronicle " + path);
    try {
      lock = lock(file, path, readOnly);
      MappedBytesStore store = file.acquireByteStore(owner, 0);
      if (store.start() != 0 || store.capacity() < size) {
        throw new NvframeIOException(ErrorCode.IO_ERROR, "chronicle backend: the mapping of " + path
            + " covers [" + store.start() + ", " + store.capacity() + "), not the whole file of " + size + " bytes");
      }
      return new ChronicleMedium(path, size, readOnly, file, store, owner, lock);
    } catch (IOException e) {
      release(lock);
      file.close();
      throw new NvframeIOException(ErrorCode.IO_ERROR, "chronicle backend: cannot map " + path + ": " + e, e);
    } catch (RuntimeException | Error e) {
      release(lock);
      file.close();
      throw e;
    }
  }

  private static FileLock lock(MappedFile file, Path path, boolean readOnly) throws IOException {
    FileLock lock;
    try {
      lock = file.tryLock(0, Long.MAX_VALUE, readOnly);
    } catch (OverlappingFileLockException e) {
      throw new RegionLockedException(ErrorCode.REGION_LOCKED,
          "chronicle backend: " + path + " is open elsewhere in this JVM; close it there first", e);
    }
    if (lock == null) {
      throw new RegionLockedException(ErrorCode.REGION_LOCKED,
          "chronicle backend: " + path + " is open in another process, which holds its file lock; close it there first");
    }
    return lock;
  }
  // end::map[]

  @Override
  public long size() {
    return size;
  }

  @Override
  public int atomicWriteUnit() {
    return 8;
  }

  @Override
  public int flushGranularity() {
    return (int) PAGE;
  }

  @Override
  public Set<Capability> capabilities() {
    return CAPABILITIES;
  }

  // tag::atomics[]
  @Override
  public long loadLong(long offset) {
    ensureOpen();
    checkAtomic(offset, 8);
    return store.readVolatileLong(offset);
  }

  @Override
  public void storeLong(long offset, long value) {
    ensureWritable();
    checkAtomic(offset, 8);
    store.writeOrderedLong(offset, value);
    counters.store(8);
  }
  // end::atomics[]

  @Override
  public int loadInt(long offset) {
    ensureOpen();
    checkAtomic(offset, 4);
    return store.readVolatileInt(offset);
  }

  @Override
  public void storeInt(long offset, int value) {
    ensureWritable();
    checkAtomic(offset, 4);
    store.writeOrderedInt(offset, value);
    counters.store(4);
  }

  @Override
  public void read(long offset, byte[] dst, int dstOffset, int length) {
    ensureOpen();
    Objects.checkFromIndexSize(dstOffset, length, dst.length);
    Objects.checkFromIndexSize(offset, length, size);
    readInto(offset, dst, dstOffset, length);
  }

  @Override
  public void read(long offset, MemorySegment dst) {
    ensureOpen();
    long length = dst.byteSize();
    Objects.checkFromIndexSize(offset, length, size);
    inChunks(length, new byte[(int) Math.min(length, CHUNK)], (chunk, done, n) -> {
      readInto(offset + done, chunk, 0, n);
      MemorySegment.copy(chunk, 0, dst, ValueLayout.JAVA_BYTE, done, n);
    });
  }

  @Override
  public void write(long offset, byte[] src, int srcOffset, int length) {
    ensureWritable();
    Objects.checkFromIndexSize(srcOffset, length, src.length);
    Objects.checkFromIndexSize(offset, length, size);
    store.write(offset, src, srcOffset, length);
    counters.store(length);
  }

  @Override
  public void write(long offset, MemorySegment src) {
    ensureWritable();
    long length = src.byteSize();
    Objects.checkFromIndexSize(offset, length, size);
    inChunks(length, new byte[(int) Math.min(length, CHUNK)], (chunk, done, n) -> {
      MemorySegment.copy(src, ValueLayout.JAVA_BYTE, done, chunk, 0, n);
      store.write(offset + done, chunk, 0, n);
    });
    counters.store(length);
  }

  @Override
  public void fill(long offset, long length, byte value) {
    ensureWritable();
    Objects.checkFromIndexSize(offset, length, size);
    byte[] pattern = new byte[(int) Math.min(length, CHUNK)];
    Arrays.fill(pattern, value);
    inChunks(length, pattern, (chunk, done, n) -> store.write(offset + done, chunk, 0, n));
    counters.store(length);
  }

  // tag::flush-fence[]
  @Override
  public void flush(long offset, long length) {
    ensureOpen();
    Objects.checkFromIndexSize(offset, length, size);
    counters.flush(length);
    if (length > 0 && !readOnly) {
      long from = offset & -PAGE;
      long to = Math.min(size, (offset + length + PAGE - 1) & -PAGE);
      Pending p = pending.get();
      if (!p.add(from, to)) {
        syncAll(p); // the list is full: sync now, then keep the new range
        p.add(from, to);
      }
    }
  }

  @Override
  public void fence() {
    ensureOpen();
    counters.fence();
    syncAll(pending.get());
  }

  /** msync(MS_SYNC) of every range {@code p} holds; empties it. */
  private void syncAll(Pending p) {
    for (int i = 0; i < p.count; i++) {
      long from = p.from[i];
      long length = p.to[i] - from;
      int rc = PosixAPI.posix().msync(address + from, length, MSyncFlag.MS_SYNC);
      if (rc != 0) {
        p.count = 0;
        throw new NvframeIOException(ErrorCode.IO_ERROR, "chronicle backend: msync of [" + from + ", "
            + (from + length) + ") of " + path + " failed: " + PosixAPI.posix().lastErrorStr()
            + "; the data may not be durable (disk full or I/O error?)");
      }
    }
    p.count = 0;
  }
  // end::flush-fence[]

  @Override
  public Optional<MemorySegment> segment() {
    ensureOpen();
    return Optional.empty();
  }

  @Override
  public PersistStats stats() {
    return counters.snapshot();
  }

  @Override
  public String description() {
    return path.toString();
  }

  @Override
  public Map<String, String> properties() {
    return Map.of(
        "chronicle.mode", "msync",
        "chronicle.mapping", "MappedFile.ofSingle (one MAP_SHARED mapping)",
        "chronicle.durability", "msync(MS_SYNC) of the flushed pages at fence",
        "chronicle.readOnly", Boolean.toString(readOnly));
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  // tag::close[]
  @Override
  public void close() {
    synchronized (this) {
      if (!open) {
        return;
      }
      open = false;
    }
    release(lock);
    store.release(owner); // Chronicle unmaps when the last reference goes
    file.close();
  }
  // end::close[]

  private static void release(FileLock lock) {
    if (lock != null && lock.isValid()) {
      try {
        lock.release();
      } catch (IOException ignored) {
        // closing the file (next) releases it as well
      }
    }
  }

  /** One step of a chunked copy: {@code n} bytes at position {@code done} of the range, through {@code chunk}. */
  private interface ChunkStep {
    void copy(byte[] chunk, long done, int n);
  }

  /** Walks {@code [0, length)} in pieces of at most {@code chunk.length} bytes. */
  private static void inChunks(long length, byte[] chunk, ChunkStep step) {
    for (long done = 0; done < length; ) {
      int n = (int) Math.min(chunk.length, length - done);
      step.copy(chunk, done, n);
      done += n;
    }
  }

  private void readInto(long offset, byte[] dst, int dstOffset, int length) {
    long n = store.read(offset, dst, dstOffset, length);
    if (n != length) {
      throw new NvframeIOException(ErrorCode.IO_ERROR, "chronicle backend: read " + n + " of " + length
          + " bytes at " + offset + " of " + path);
    }
  }

  private void ensureOpen() {
    if (!open) {
      throw new AlreadyClosedException("chronicle medium " + path + " is closed");
    }
  }

  private void ensureWritable() {
    ensureOpen();
    if (readOnly) {
      throw new NvframeIOException(ErrorCode.READ_ONLY,
          "chronicle medium " + path + " is open read-only; reopen it writable to change it");
    }
  }

  private void checkAtomic(long offset, int width) {
    Objects.checkFromIndexSize(offset, width, size);
    if ((offset & (width - 1)) != 0) {
      throw new IllegalArgumentException(
          width + "-byte atomic access at offset " + offset + " of " + path + " is not " + width + "-byte aligned");
    }
  }

  /** Page ranges flushed by one thread and not yet synced; adjacent or overlapping ones merge. */
  private static final class Pending {
    final long[] from = new long[MAX_PENDING];
    final long[] to = new long[MAX_PENDING];
    int count;

    /** Adds [f, t); false when full. */
    boolean add(long f, long t) {
      for (int i = 0; i < count; i++) {
        if (f <= to[i] && t >= from[i]) {
          from[i] = Math.min(from[i], f);
          to[i] = Math.max(to[i], t);
          return true;
        }
      }
      if (count == MAX_PENDING) {
        return false;
      }
      from[count] = f;
      to[count] = t;
      count++;
      return true;
    }
  }
}
