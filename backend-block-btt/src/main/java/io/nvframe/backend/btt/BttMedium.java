package io.nvframe.backend.btt;

import io.nvframe.api.AlreadyClosedException;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistCounters;
import io.nvframe.spi.PersistStats;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BTT namespace as a {@link Medium}: byte {@code i} is byte {@code i % blockSize} of block {@code i
 * / blockSize}. Stores go to a volatile copy of the touched block; {@link #flush} writes every touched
 * block of the range atomically through the BTT (three fences of the medium underneath per block),
 * so {@link #atomicWriteUnit()} and {@link #flushGranularity()} are the block size and {@link
 * #fence()} has nothing left to wait for. Reads see the volatile copy when there is one. Dirty
 * blocks are written back at {@link #close()}.
 *
 * <p>Each block's copy is guarded by one of 256 striped monitors, so 8-byte loads and stores are
 * single-copy atomic for concurrent threads (the block size must be a multiple of 8).
 */
public final class BttMedium implements Medium {
  private static final int STRIPES = 256;

  private final Btt btt;
  private final Medium inner;
  private final int bs;
  private final long size;
  private final Set<Capability> capabilities;
  private final Map<String, String> properties;
  private final ConcurrentHashMap<Long, byte[]> dirty = new ConcurrentHashMap<>();
  private final Object[] stripes = new Object[STRIPES];
  private final PersistCounters counters = new PersistCounters();
  private final java.util.concurrent.atomic.LongAdder blockWrites = new java.util.concurrent.atomic.LongAdder();
  private final long mirrorBytes;
  private volatile boolean open = true;

  public BttMedium(Btt btt, Map<String, String> extraProperties) {
    this(btt, extraProperties, 0);
  }

  /**
   * A medium over {@code btt} whose first {@code mirrorBytes} bytes are also copied, after each BTT
   * write that changes them, to the same offsets of the medium underneath (the raw prefix before a
   * BTT that starts at {@code mirrorBytes}): a region's header copies stay readable straight from the
   * file, where nvframe looks up a region's backend and geometry before opening it.
   */
  public BttMedium(Btt btt, Map<String, String> extraProperties, long mirrorBytes) {
    this.btt = Objects.requireNonNull(btt, "btt");
    if (mirrorBytes < 0 || mirrorBytes > btt.base()) {
      throw new IllegalArgumentException("mirror of " + mirrorBytes + " bytes does not fit before the BTT at " + btt.base());
    }
    this.mirrorBytes = mirrorBytes;
    this.inner = btt.medium();
    this.bs = btt.blockSize();
    if (bs % 8 != 0) {
      throw new IllegalArgumentException("a BTT medium needs a block size that is a multiple of 8, got " + bs);
    }
    // a whole number of 4 KiB pages (regions lay out pages); a tail of smaller blocks stays unused
    long bytes = btt.blockCount() * bs;
    this.size = bytes - bytes % 4096;
    EnumSet<Capability> caps = EnumSet.of(Capability.ATOMIC_BLOCK_WRITE);
    if (inner.capabilities().contains(Capability.DURABLE)) {
      caps.add(Capability.DURABLE);
    }
    if (inner.capabilities().contains(Capability.VOLATILE)) {
      caps.add(Capability.VOLATILE);
    }
    this.capabilities = Set.copyOf(caps);
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Object();
    }
    Map<String, String> p = new LinkedHashMap<>();
    p.put("btt.blockSize", Integer.toString(bs));
    p.put("btt.blocks", Long.toString(btt.blockCount()));
    p.put("btt.arenas", Integer.toString(btt.arenaCount()));
    p.put("btt.offset", Long.toString(btt.base()));
    p.put("btt.lanes", Integer.toString(btt.laneCount()));
    p.put("btt.medium", inner.description());
    p.putAll(extraProperties);
    this.properties = Map.copyOf(p);
  }

  /** The BTT underneath. */
  public Btt btt() {
    return btt;
  }

  /** Counters of the byte-addressable medium underneath (its fences are the real cost). */
  public PersistStats innerStats() {
    return inner.stats();
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public int atomicWriteUnit() {
    return bs;
  }

  @Override
  public int flushGranularity() {
    return bs;
  }

  @Override
  public Set<Capability> capabilities() {
    return capabilities;
  }

  private Object stripe(long lba) {
    return stripes[(int) (lba % STRIPES)];
  }

  /** The block's volatile copy, loaded from the BTT on first touch; caller holds the stripe. */
  private byte[] dirtyBlock(long lba) {
    byte[] d = dirty.get(lba);
    if (d == null) {
      d = new byte[bs];
      btt.read(lba, d, 0);
      dirty.put(lba, d);
    }
    return d;
  }

  private void readBytes(long offset, byte[] dst, int dstOff, int len) {
    while (len > 0) {
      long lba = offset / bs;
      int in = (int) (offset % bs);
      int n = Math.min(len, bs - in);
      synchronized (stripe(lba)) {
        byte[] d = dirty.get(lba);
        if (d != null) {
          System.arraycopy(d, in, dst, dstOff, n);
        } else {
          btt.read(lba, in, dst, dstOff, n);
        }
      }
      offset += n;
      dstOff += n;
      len -= n;
    }
  }

  private void writeBytes(long offset, byte[] src, int srcOff, int len) {
    while (len > 0) {
      long lba = offset / bs;
      int in = (int) (offset % bs);
      int n = Math.min(len, bs - in);
      synchronized (stripe(lba)) {
        System.arraycopy(src, srcOff, dirtyBlock(lba), in, n);
      }
      offset += n;
      srcOff += n;
      len -= n;
    }
  }

  private void checkAtomic(long offset, int width) {
    ensureOpen();
    Objects.checkFromIndexSize(offset, width, size);
    if ((offset & (width - 1)) != 0) {
      throw new IllegalArgumentException(width + "-byte atomic access at offset " + offset + " of "
          + description() + " is not " + width + "-byte aligned");
    }
  }

  @Override
  public long loadLong(long offset) {
    checkAtomic(offset, 8);
    byte[] b = new byte[8];
    readBytes(offset, b, 0, 8);
    return Le.i64(b, 0);
  }

  @Override
  public void storeLong(long offset, long value) {
    checkAtomic(offset, 8);
    ensureWritable();
    byte[] b = new byte[8];
    Le.put64(b, 0, value);
    writeBytes(offset, b, 0, 8);
    counters.store(8);
  }

  @Override
  public int loadInt(long offset) {
    checkAtomic(offset, 4);
    byte[] b = new byte[4];
    readBytes(offset, b, 0, 4);
    return Le.i32(b, 0);
  }

  @Override
  public void storeInt(long offset, int value) {
    checkAtomic(offset, 4);
    ensureWritable();
    byte[] b = new byte[4];
    Le.put32(b, 0, value);
    writeBytes(offset, b, 0, 4);
    counters.store(4);
  }

  @Override
  public void read(long offset, byte[] dst, int dstOffset, int length) {
    ensureOpen();
    Objects.checkFromIndexSize(dstOffset, length, dst.length);
    Objects.checkFromIndexSize(offset, length, size);
    readBytes(offset, dst, dstOffset, length);
  }

  @Override
  public void read(long offset, MemorySegment dst) {
    ensureOpen();
    Objects.checkFromIndexSize(offset, dst.byteSize(), size);
    byte[] buf = new byte[(int) Math.min(dst.byteSize(), 1 << 20)];
    for (long done = 0; done < dst.byteSize(); ) {
      int n = (int) Math.min(buf.length, dst.byteSize() - done);
      readBytes(offset + done, buf, 0, n);
      MemorySegment.copy(buf, 0, dst, ValueLayout.JAVA_BYTE, done, n);
      done += n;
    }
  }

  @Override
  public void write(long offset, byte[] src, int srcOffset, int length) {
    ensureWritable();
    Objects.checkFromIndexSize(srcOffset, length, src.length);
    Objects.checkFromIndexSize(offset, length, size);
    writeBytes(offset, src, srcOffset, length);
    counters.store(length);
  }

  @Override
  public void write(long offset, MemorySegment src) {
    ensureWritable();
    Objects.checkFromIndexSize(offset, src.byteSize(), size);
    byte[] buf = new byte[(int) Math.min(src.byteSize(), 1 << 20)];
    for (long done = 0; done < src.byteSize(); ) {
      int n = (int) Math.min(buf.length, src.byteSize() - done);
      MemorySegment.copy(src, ValueLayout.JAVA_BYTE, done, buf, 0, n);
      writeBytes(offset + done, buf, 0, n);
      done += n;
    }
    counters.store(src.byteSize());
  }

  @Override
  public void flush(long offset, long length) {
    ensureOpen();
    Objects.checkFromIndexSize(offset, length, size);
    counters.flush(length);
    if (length == 0 || dirty.isEmpty()) {
      return;
    }
    long first = offset / bs;
    long last = (offset + length - 1) / bs;
    for (long lba = first; lba <= last; lba++) {
      writeBack(lba);
    }
  }

  private void writeBack(long lba) {
    synchronized (stripe(lba)) {
      byte[] d = dirty.get(lba);
      if (d != null) {
        btt.write(lba, d, 0);
        blockWrites.increment();
        long at = lba * bs;
        if (at < mirrorBytes) {
          int n = (int) Math.min(bs, mirrorBytes - at);
          inner.write(at, d, 0, n);
          inner.persist(at, n);
        }
        dirty.remove(lba);
      }
    }
  }

  /** Counted; the BTT write in {@link #flush} already made the blocks durable. */
  @Override
  public void fence() {
    ensureOpen();
    counters.fence();
  }

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
    return "btt(" + bs + " B blocks) on " + inner.description();
  }

  /** Static facts plus the live counts {@code btt.blockWrites}, {@code btt.inner.flushes} and {@code btt.inner.fences}. */
  @Override
  public Map<String, String> properties() {
    Map<String, String> p = new java.util.TreeMap<>(properties);
    PersistStats s = inner.stats();
    p.put("btt.blockWrites", Long.toString(blockWrites.sum()));
    p.put("btt.inner.flushes", Long.toString(s.flushes()));
    p.put("btt.inner.fences", Long.toString(s.fences()));
    return p;
  }

  /** BTT block writes done by {@link #flush} and {@link #close}. */
  public long blockWrites() {
    return blockWrites.sum();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    if (!open) {
      return;
    }
    synchronized (this) {
      if (!open) {
        return;
      }
      try {
        if (!btt.readOnly()) {
          for (Long lba : dirty.keySet().toArray(new Long[0])) {
            writeBack(lba);
          }
        }
      } finally {
        open = false;
        btt.close();
        inner.close();
      }
    }
  }

  private void ensureOpen() {
    if (!open) {
      throw new AlreadyClosedException("medium " + description() + " is closed");
    }
  }

  private void ensureWritable() {
    ensureOpen();
    if (btt.readOnly()) {
      throw new io.nvframe.api.NvframeIOException(io.nvframe.api.ErrorCode.READ_ONLY,
          "medium " + description() + " is open read-only; reopen it writable to change it");
    }
  }
}
