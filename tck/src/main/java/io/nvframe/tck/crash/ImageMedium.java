package io.nvframe.tck.crash;

import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A crash image as a {@link Medium}: a shared, never-modified base array, plus private copy-on-write
 * pages of 4 KiB. Creating an image costs an array of page references, not a copy of the region, so
 * recovery on a crash image costs what recovery reads and writes.
 *
 * <p>{@link #fork()} gives an independent image with the same content (pages are shared until one
 * side writes them). An optional {@link AccessHook} sees the first access to each watched line
 * before the access happens; the lazy strategy decides the line's crash content there, and the
 * read lint records reads of lines that are not durable.
 *
 * <p>Flushes and fences are counted and otherwise ignored. Single-threaded: recovery on a crash
 * image must be deterministic, so the simulator runs it on one thread.
 */
public final class ImageMedium implements Medium {
  /** Sees the first access to a watched line. */
  public interface AccessHook {
    /**
     * Called before the first read or write of watched line {@code line} through any image that
     * shares the hook; the hook decides the line with {@link ImageMedium#decideLine}.
     */
    void firstAccess(ImageMedium image, long line, boolean write);
  }

  static final int PAGE_SHIFT = 12;
  static final int PAGE = 1 << PAGE_SHIFT;

  private final byte[] base;
  private final int lineSize;
  private final byte[][] pages;
  /** Pages this image may write in place (not shared with a fork). */
  private final boolean[] owned;
  private final Watch watch;
  private boolean open = true;
  private long stores;
  private long bytesWritten;
  private long flushes;
  private long bytesFlushed;
  private long fences;

  /** The watched lines and their hook, shared by an image and its forks. */
  static final class Watch {
    final AccessHook hook;
    final java.util.BitSet lines = new java.util.BitSet();
    final java.util.BitSet pages = new java.util.BitSet();
    final java.util.List<ImageMedium> family = new java.util.ArrayList<>();

    Watch(AccessHook hook) {
      this.hook = hook;
    }
  }

  /**
   * An image whose content is {@code base} (not copied; it must not change while the image is in
   * use), with lines of {@code lineSize} bytes for the access hook.
   */
  public ImageMedium(byte[] base, int lineSize) {
    this(base, lineSize, new byte[(base.length + PAGE - 1) >>> PAGE_SHIFT][], null);
  }

  private ImageMedium(byte[] base, int lineSize, byte[][] pages, Watch watch) {
    this.base = Objects.requireNonNull(base, "base");
    if (lineSize <= 0 || Integer.bitCount(lineSize) != 1) {
      throw new IllegalArgumentException("line size must be a power of two, got " + lineSize);
    }
    this.lineSize = lineSize;
    this.pages = pages;
    this.owned = new boolean[pages.length];
    this.watch = watch;
  }

  /** A new image over {@code base} whose watched lines report their first access to {@code hook}. */
  public static ImageMedium watched(byte[] base, int lineSize, AccessHook hook) {
    Watch w = new Watch(Objects.requireNonNull(hook, "hook"));
    ImageMedium m = new ImageMedium(base, lineSize, new byte[(base.length + PAGE - 1) >>> PAGE_SHIFT][], w);
    w.family.add(m);
    return m;
  }

  /**
   * Decides the content of an undecided watched line for this image and every image forked from
   * the same origin (they must agree on what the crash left there).
   */
  public void decideLine(long line, byte[] content) {
    if (watch == null) {
      setLine(line, content);
      return;
    }
    for (ImageMedium m : watch.family) {
      m.setLine(line, content);
    }
  }

  /** Adds {@code line} to the watched lines (no effect without a hook). */
  public void watch(long line) {
    if (watch != null) {
      watch.lines.set(Math.toIntExact(line));
      watch.pages.set(Math.toIntExact(line * lineSize >>> PAGE_SHIFT));
    }
  }

  /** Removes {@code line} from the watched lines. */
  public void unwatch(long line) {
    if (watch != null) {
      watch.lines.clear(Math.toIntExact(line));
    }
  }

  /** An independent image with this image's current content; both share the access hook. */
  public ImageMedium fork() {
    Arrays.fill(owned, false);
    ImageMedium f = new ImageMedium(base, lineSize, pages.clone(), watch);
    if (watch != null) {
      watch.family.add(f);
    }
    return f;
  }

  /** Sets the bytes of one line without counting a store or triggering the hook. */
  public void setLine(long line, byte[] content) {
    long start = line * lineSize;
    int n = (int) Math.min(lineSize, base.length - start);
    rawWrite(start, content, 0, n);
  }

  /** The bytes of one line, without triggering the hook. */
  public byte[] line(long line) {
    long start = line * lineSize;
    byte[] out = new byte[(int) Math.min(lineSize, base.length - start)];
    rawRead(start, out, 0, out.length);
    return out;
  }

  /** A full copy of the content (for nested crash images and failure reports). */
  public byte[] toByteArray() {
    byte[] out = new byte[base.length];
    rawRead(0, out, 0, out.length);
    return out;
  }

  /** Whether both images hold the same bytes; pages shared by a fork are compared by identity. */
  public boolean sameContent(ImageMedium other) {
    if (other.base.length != base.length) {
      return false;
    }
    return firstDifference(other) < 0;
  }

  /** The first offset where the images differ, or -1. */
  public long firstDifference(ImageMedium other) {
    for (int p = 0; p < pages.length; p++) {
      byte[] a = pages[p];
      byte[] b = other.pages[p];
      if (a == b && other.base == base) {
        continue;
      }
      int from = p << PAGE_SHIFT;
      int len = Math.min(PAGE, base.length - from);
      byte[] x = a != null ? a : Arrays.copyOfRange(base, from, from + len);
      byte[] y = b != null ? b : Arrays.copyOfRange(other.base, from, from + len);
      int m = Arrays.mismatch(x, 0, len, y, 0, len);
      if (m >= 0) {
        return from + m;
      }
    }
    return -1;
  }

  private void touch(long offset, long length, boolean write) {
    if (watch == null || length <= 0) {
      return;
    }
    int firstPage = (int) (offset >>> PAGE_SHIFT);
    int lastPage = (int) ((offset + length - 1) >>> PAGE_SHIFT);
    if (watch.pages.nextSetBit(firstPage) < 0 || watch.pages.nextSetBit(firstPage) > lastPage) {
      return;
    }
    long first = offset / lineSize;
    long last = (offset + length - 1) / lineSize;
    if (write) {
      // a write copies a whole page: decide every watched line of the touched pages first
      first = ((long) firstPage << PAGE_SHIFT) / lineSize;
      last = Math.min((((long) lastPage + 1) << PAGE_SHIFT) / lineSize, (base.length + lineSize - 1) / lineSize) - 1;
    }
    for (int l = watch.lines.nextSetBit((int) first); l >= 0 && l <= last; l = watch.lines.nextSetBit(l + 1)) {
      watch.lines.clear(l);
      watch.hook.firstAccess(this, l, write);
    }
  }

  private void check(long offset, long length) {
    if (!open) {
      throw new io.nvframe.api.AlreadyClosedException("crash image is closed");
    }
    if (offset < 0 || length < 0 || offset + length > base.length) {
      throw new IndexOutOfBoundsException(
          "access [" + offset + ", " + (offset + length) + ") outside the image of " + base.length + " bytes");
    }
  }

  private static void aligned(long offset, int n) {
    if ((offset & (n - 1)) != 0) {
      throw new IllegalArgumentException(n + "-byte access at offset " + offset + " is not " + n + "-byte aligned");
    }
  }

  private void rawRead(long offset, byte[] dst, int dstOffset, int length) {
    long pos = offset;
    int done = 0;
    while (done < length) {
      int p = (int) (pos >>> PAGE_SHIFT);
      int in = (int) (pos & (PAGE - 1));
      int n = Math.min(length - done, PAGE - in);
      byte[] page = pages[p];
      if (page != null) {
        System.arraycopy(page, in, dst, dstOffset + done, n);
      } else {
        System.arraycopy(base, (int) pos, dst, dstOffset + done, n);
      }
      done += n;
      pos += n;
    }
  }

  private void rawWrite(long offset, byte[] src, int srcOffset, int length) {
    long pos = offset;
    int done = 0;
    while (done < length) {
      int p = (int) (pos >>> PAGE_SHIFT);
      int in = (int) (pos & (PAGE - 1));
      int n = Math.min(length - done, PAGE - in);
      System.arraycopy(src, srcOffset + done, writablePage(p), in, n);
      done += n;
      pos += n;
    }
  }

  private byte[] writablePage(int p) {
    if (!owned[p]) {
      byte[] copy = new byte[PAGE];
      int from = p << PAGE_SHIFT;
      if (pages[p] != null) {
        System.arraycopy(pages[p], 0, copy, 0, PAGE);
      } else {
        System.arraycopy(base, from, copy, 0, Math.min(PAGE, base.length - from));
      }
      pages[p] = copy;
      owned[p] = true;
    }
    return pages[p];
  }

  /** The array holding {@code offset}: its private page, else the base. */
  private byte[] arrayOf(long offset) {
    byte[] page = pages[(int) (offset >>> PAGE_SHIFT)];
    return page != null ? page : base;
  }

  /** The index of {@code offset} in {@link #arrayOf}. */
  private int indexOf(long offset) {
    return pages[(int) (offset >>> PAGE_SHIFT)] != null ? (int) (offset & (PAGE - 1)) : (int) offset;
  }

  @Override
  public long size() {
    return base.length;
  }

  @Override
  public int atomicWriteUnit() {
    return 8;
  }

  @Override
  public int flushGranularity() {
    return lineSize;
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.VOLATILE);
  }

  @Override
  public long loadLong(long offset) {
    check(offset, 8);
    aligned(offset, 8);
    touch(offset, 8, false);
    return (long) LONG.get(arrayOf(offset), indexOf(offset));
  }

  @Override
  public void storeLong(long offset, long value) {
    check(offset, 8);
    aligned(offset, 8);
    touch(offset, 8, true);
    LONG.set(writablePage((int) (offset >>> PAGE_SHIFT)), (int) (offset & (PAGE - 1)), value);
    stores++;
    bytesWritten += 8;
  }

  @Override
  public int loadInt(long offset) {
    check(offset, 4);
    aligned(offset, 4);
    touch(offset, 4, false);
    return (int) INT.get(arrayOf(offset), indexOf(offset));
  }

  @Override
  public void storeInt(long offset, int value) {
    check(offset, 4);
    aligned(offset, 4);
    touch(offset, 4, true);
    INT.set(writablePage((int) (offset >>> PAGE_SHIFT)), (int) (offset & (PAGE - 1)), value);
    stores++;
    bytesWritten += 4;
  }

  @Override
  public void read(long offset, byte[] dst, int dstOffset, int length) {
    check(offset, length);
    Objects.checkFromIndexSize(dstOffset, length, dst.length);
    touch(offset, length, false);
    rawRead(offset, dst, dstOffset, length);
  }

  @Override
  public void read(long offset, MemorySegment dst) {
    byte[] tmp = new byte[Math.toIntExact(dst.byteSize())];
    read(offset, tmp, 0, tmp.length);
    MemorySegment.copy(MemorySegment.ofArray(tmp), 0, dst, 0, tmp.length);
  }

  @Override
  public void write(long offset, byte[] src, int srcOffset, int length) {
    check(offset, length);
    Objects.checkFromIndexSize(srcOffset, length, src.length);
    touch(offset, length, true);
    rawWrite(offset, src, srcOffset, length);
    stores++;
    bytesWritten += length;
  }

  @Override
  public void write(long offset, MemorySegment src) {
    byte[] tmp = src.toArray(ValueLayout.JAVA_BYTE);
    write(offset, tmp, 0, tmp.length);
  }

  @Override
  public void flush(long offset, long length) {
    check(offset, length);
    flushes++;
    bytesFlushed += length;
  }

  @Override
  public void fence() {
    fences++;
  }

  @Override
  public Optional<MemorySegment> segment() {
    return Optional.empty();
  }

  @Override
  public PersistStats stats() {
    return new PersistStats(stores, bytesWritten, flushes, bytesFlushed, fences);
  }

  @Override
  public String description() {
    return "crash-image";
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  /** Marks the image closed; its content stays readable through {@link #toByteArray()}. */
  @Override
  public void close() {
    open = false;
  }

  private static final java.lang.invoke.VarHandle LONG =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
  private static final java.lang.invoke.VarHandle INT =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
}
