package io.nvframe.redo;

import static java.util.Objects.requireNonNull;

import io.nvframe.spi.Medium;
import java.util.Arrays;
import java.util.Objects;

/**
 * The fields of a {@link WriteSet}, between {@link LinePadding} and the write set's 64 bytes after
 * them (a thread's write set is rewritten by every transaction).
 */
abstract class WriteSetFields extends LinePadding {
  /** Unused longs, and bytes, on either side of the entries of {@link #durable} and {@link #scratchWord}: one cache line. */
  static final int L = 8;
  static final int B = 64;

  final RedoLog log;
  final long lowerBound;
  final long upperBound;
  final RangeMap ranges = new RangeMap();
  /** An 8-byte scratch word at index {@link #B} of 64 unused bytes on either side. */
  final byte[] scratchWord = new byte[B + Long.BYTES + B];
  final Footprint footprint = new Footprint();
  /** {@link #footprint} holds the current ranges (cleared by every change of their geometry). */
  boolean footprintValid;
  /**
   * The lane of this write set's last logged commit, which it may have left open, and that
   * record's generation; -1: none. Kept across {@link WriteSet#clear()}; used by {@link RedoLog} only.
   */
  int lastLane = -1;
  long lastGeneration;
  /** The lane pair this write set alternates in ({@code 2 * pair}, {@code 2 * pair + 1}); -1 until its first logged commit. */
  int pair = -1;
  /** Durable range i starts at {@code durable[L + 2i]} and has length {@code durable[L + 2i + 1]}, with {@link #L} unused longs on either side. */
  long[] durable = new long[L + 8 + L];
  int durableCount;
  // encoding cache, valid while !dirty
  boolean dirty = true;
  long payloadBytes;
  int entries;
  // what walkFrom left
  int walkNext;
  int walkCount;

  WriteSetFields(RedoLog log, long lowerBound, long upperBound) {
    this.log = log;
    this.lowerBound = lowerBound;
    this.upperBound = upperBound;
  }
}

/**
 * The changes of one transaction, kept in DRAM until {@link RedoLog#commit(WriteSet)}.
 *
 * <h2>Model</h2>
 *
 * A write set is a map from medium offsets to bytes: a {@link RangeMap} (sorted arrays over one
 * append-only byte arena, reused across transactions) of <em>non-overlapping</em> byte ranges keyed
 * by their start offset. Writing {@code [s, e)} first cuts every stored range
 * that overlaps it (keeping the parts before {@code s} and after {@code e}) and then stores the new
 * range whole, so the later write always wins. Ranges that merely touch are kept apart; they merge
 * only when encoded.
 *
 * <h2>Encoding (what {@link #entryCount()} and {@link #encodedBytes()} describe)</h2>
 *
 * Ranges are visited in offset order:
 *
 * <ol>
 *   <li>a range of exactly 8 bytes at an 8-byte aligned offset becomes a SET8 entry (16 bytes;
 *       applied with an atomic 8-byte store, so concurrent readers never see half of it);
 *   <li>any other range starts a COPY entry that absorbs every following range which is adjacent
 *       to it and is not itself an aligned 8-byte range (16 bytes + the data padded to 8);
 *   <li>a COPY run that turns out to be exactly one aligned 8-byte word is emitted as SET8.
 * </ol>
 *
 * So {@code putLong} at an aligned offset always yields a SET8, and a transaction with exactly one
 * aligned 8-byte change (and no durable ranges) commits with a single atomic store and one fence.
 *
 * <h2>Bounds</h2>
 *
 * Targets of writes and durable ranges must lie in {@code [areaEnd, medium.size())} of the log that
 * made the write set: the log area itself is never a target. Violations throw {@link
 * IllegalArgumentException} at the call, before anything is stored. Reads ({@link #getLong}, {@link
 * #read}) may address any byte of the base medium.
 *
 * <p>Durable ranges ({@link #addDurableRange}) are not logged: they name bytes the caller has
 * already written directly to the medium (a frame allocated in this transaction, unreachable until
 * commit) and that {@code commit} must flush before the commit point.
 *
 * <p>A write set is used by one thread at a time and may be reused after {@link #clear()}.
 */
public final class WriteSet extends WriteSetFields {
  private final Encoder encoder = new Encoder();
  private Window window;
  private Applier applier;
  @SuppressWarnings("unused")
  private long q0, q1, q2, q3, q4, q5, q6, q7;

  WriteSet(RedoLog log, long lowerBound, long upperBound) {
    super(log, lowerBound, upperBound);
  }

  /**
   * Records an 8-byte little-endian store of {@code value} at {@code offset}. At an 8-byte aligned
   * offset this is a SET8 entry; elsewhere it is a COPY of 8 bytes.
   *
   * @throws IllegalArgumentException if {@code [offset, offset + 8)} is not inside {@code [areaEnd,
   *     medium size)}
   */
  public void putLong(long offset, long value) {
    checkTarget(offset, Long.BYTES, "putLong");
    int floor = ranges.floor(offset);
    if (floor >= 0 && ranges.start(floor) == offset && ranges.length(floor) == Long.BYTES) {
      RecordFormat.putLong(ranges.arena(), ranges.at(floor), value); // same word rewritten: shape unchanged
      return;
    }
    int a = ranges.allocate(Long.BYTES);
    RecordFormat.putLong(ranges.arena(), a, value);
    insert(offset, a, Long.BYTES);
  }

  /**
   * Records a write of {@code src[srcOffset, srcOffset + length)} at {@code offset} (a COPY entry,
   * or SET8 when it is exactly one aligned word).
   *
   * @throws IndexOutOfBoundsException if the source range is outside {@code src}
   * @throws IllegalArgumentException if the target is not inside {@code [areaEnd, medium size)}
   */
  public void write(long offset, byte[] src, int srcOffset, int length) {
    requireNonNull(src, "src");
    Objects.checkFromIndexSize(srcOffset, length, src.length);
    checkTarget(offset, length, "write");
    if (length == 0) {
      return;
    }
    int floor = ranges.floor(offset);
    if (floor >= 0 && ranges.start(floor) == offset && ranges.length(floor) == length) {
      System.arraycopy(src, srcOffset, ranges.arena(), ranges.at(floor), length); // exact overwrite
      return;
    }
    int a = ranges.allocate(length);
    System.arraycopy(src, srcOffset, ranges.arena(), a, length);
    insert(offset, a, length);
  }

  /**
   * The 8-byte little-endian value at {@code offset} as this transaction sees it: {@code base}
   * overlaid with this write set's bytes (read-your-writes).
   */
  public long getLong(long offset, Medium base) {
    requireNonNull(base, "base");
    int floor = ranges.floor(offset);
    if (floor >= 0 && ranges.start(floor) == offset && ranges.length(floor) >= Long.BYTES) {
      return RecordFormat.getLong(ranges.arena(), ranges.at(floor));
    }
    boolean touched =
        (floor >= 0 && ranges.start(floor) + ranges.length(floor) > offset)
            || hasRangeStartingIn(offset, offset + Long.BYTES);
    if (!touched && (offset & 7) == 0) {
      return base.loadLong(offset);
    }
    byte[] tmp = new byte[Long.BYTES];
    base.read(offset, tmp, 0, Long.BYTES);
    overlay(offset, tmp, 0, Long.BYTES);
    return RecordFormat.getLong(tmp, 0);
  }

  /**
   * Reads {@code length} bytes at {@code offset} as this transaction sees them: {@code base}
   * overlaid with this write set's bytes.
   */
  public void read(long offset, byte[] dst, int dstOffset, int length, Medium base) {
    requireNonNull(dst, "dst");
    requireNonNull(base, "base");
    Objects.checkFromIndexSize(dstOffset, length, dst.length);
    base.read(offset, dst, dstOffset, length);
    overlay(offset, dst, dstOffset, length);
  }

  /**
   * Registers {@code [offset, offset + length)} as written directly to the medium by the caller;
   * commit flushes it before the commit point. Not logged; costs no log space.
   *
   * @throws IllegalArgumentException if the range is not inside {@code [areaEnd, medium size)}
   */
  public void addDurableRange(long offset, long length) {
    checkTarget(offset, length, "addDurableRange");
    if (length == 0) {
      return;
    }
    if (L + durableCount * 2 == durable.length - L) {
      durable = Arrays.copyOf(durable, L + durableCount * 4 + L);
    }
    durable[L + durableCount * 2] = offset;
    durable[L + durableCount * 2 + 1] = length;
    durableCount++;
    footprintValid = false;
  }

  /** True when there are neither changes nor durable ranges: committing does nothing. */
  public boolean isEmpty() {
    return ranges.isEmpty() && durableCount == 0;
  }

  /** Entries the redo record would hold (after the encoding rules in the class comment). */
  public int entryCount() {
    encodeSizes();
    return entries;
  }

  /**
   * Size in bytes of the redo record this write set encodes to: the 64-byte header plus the
   * payload. A commit fits when {@code encodedBytes() - 64 <= log.laneCapacity()}.
   */
  public long encodedBytes() {
    encodeSizes();
    return RedoLog.HEADER_BYTES + payloadBytes;
  }

  /** Forgets every change and durable range; the write set can be reused. */
  public void clear() {
    ranges.clear();
    durableCount = 0;
    dirty = true;
    footprintValid = false;
  }

  @Override
  public String toString() {
    return "WriteSet(" + ranges.size() + " ranges, " + entryCount() + " entries, "
        + encodedBytes() + " record bytes, " + durableCount + " durable ranges)";
  }

  // ---- package-private, for RedoLog -------------------------------------------------------------

  RedoLog log() {
    return log;
  }

  long payloadBytes() {
    encodeSizes();
    return payloadBytes;
  }

  int durableCount() {
    return durableCount;
  }

  void addDurableRangesTo(FlushPlan plan) {
    for (int i = 0; i < durableCount; i++) {
      plan.add(durable[L + i * 2], durable[L + i * 2 + 1]);
    }
  }

  /**
   * The footprint of every byte this write set's commit makes durable outside its lane: the
   * targets of its changes and its durable ranges (a scratch object of this write set, recomputed
   * by each call).
   */
  Footprint footprint() {
    Footprint f = footprint;
    if (footprintValid) {
      return f; // a single-word commit asks twice (RedoLog.overlapsItsOpenRecord, its fence)
    }
    f.clear();
    for (int i = 0, n = ranges.size(); i < n; i++) {
      f.add(ranges.start(i), ranges.length(i));
    }
    for (int i = 0; i < durableCount; i++) {
      f.add(durable[L + i * 2], durable[L + i * 2 + 1]);
    }
    footprintValid = true;
    return f;
  }

  /** The target of the single SET8 entry; only when {@code payloadBytes() == 16}. */
  long singleWordOffset() {
    assert payloadBytes() == RecordFormat.SET8_BYTES;
    return ranges.start(0);
  }

  /** The value of the single SET8 entry; only when {@code payloadBytes() == 16}. */
  long singleWordValue() {
    assert payloadBytes() == RecordFormat.SET8_BYTES;
    if (ranges.size() == 1) {
      return RecordFormat.getLong(ranges.arena(), ranges.at(0));
    }
    byte[] tmp = new byte[Long.BYTES];
    overlay(ranges.start(0), tmp, 0, Long.BYTES);
    return RecordFormat.getLong(tmp, 0);
  }

  /**
   * Encodes the entries into {@code buf} from {@code at} on and returns the payload size. The
   * caller has checked that {@code payloadBytes()} fits.
   */
  int encodePayload(byte[] buf, int at) {
    if (ranges.size() == 1) { // one entry (measure's rule), written without the walk
      long target = ranges.start(0);
      int length = ranges.length(0);
      byte[] arena = ranges.arena();
      int from = ranges.at(0);
      entries = 1;
      if (isWord(target, length)) {
        RecordFormat.putSet8(buf, at, target, RecordFormat.getLong(arena, from));
        return RecordFormat.SET8_BYTES;
      }
      int dataAt = at + RecordFormat.COPY_HEADER_BYTES;
      RecordFormat.putCopyHeader(buf, at, target, length);
      System.arraycopy(arena, from, buf, dataAt, length);
      int padded = RecordFormat.align8(length);
      Arrays.fill(buf, dataAt + length, dataAt + padded, (byte) 0);
      return RecordFormat.COPY_HEADER_BYTES + padded;
    }
    encoder.buf = buf;
    long n = walk(encoder, at);
    assert n == payloadBytes() : n + " != " + payloadBytes;
    return (int) n;
  }

  /**
   * Encodes the payload bytes at positions {@code [from, to)} (counted from the payload's start)
   * into {@code dst} from {@code dstAt} on: the record {@link #encodePayload} writes, one window at
   * a time, so a large record can be streamed through a small buffer. A sequence of windows starts
   * at {@code from == 0} and continues where the previous window ended; {@code to <=
   * payloadBytes()}.
   */
  void encodeWindow(byte[] dst, int dstAt, long from, long to) {
    encodeSizes();
    if (window == null) {
      window = new Window();
    }
    window.encode(dst, dstAt, from, to);
  }

  /**
   * Where the payload bytes at positions {@code [from, to)} lie in one piece in {@link #arena()}:
   * when they are all data of one COPY entry, at least 64 bytes, and the entry's ranges there
   * follow each other in the arena, returns the arena offset of byte {@code from}; else -1. Counts
   * as the window {@code [from, to)} of an {@link #encodeWindow} sequence, so encoding may
   * continue after it; a caller that gets -1 encodes the window instead.
   */
  int windowInArena(long from, long to) {
    encodeSizes();
    if (window == null) {
      window = new Window();
    }
    return window.inArena(from, to);
  }

  /** The arena that {@link #windowInArena} offsets point into; valid until the next change. */
  byte[] arena() {
    return ranges.arena();
  }

  /**
   * Applies the changes to {@code medium} as applying the encoded record does ({@link
   * RecordFormat#apply}): SET8 entries with an atomic 8-byte store, COPY runs with bulk writes from
   * the write set's own bytes ({@link RecordFormat#writeCopy}); adds what needs a flush to {@code
   * plan}. Returns the number of entries.
   */
  int applyTo(Medium medium, FlushPlan plan) {
    if (applier == null) {
      applier = new Applier();
    }
    applier.medium = medium;
    applier.plan = plan;
    walkFrom(applier, 0, 0, Long.MAX_VALUE);
    applier.medium = null;
    applier.plan = null;
    return walkCount;
  }

  // ---- internals --------------------------------------------------------------------------------

  private void checkTarget(long offset, long length, String what) {
    if (length < 0 || offset < lowerBound || offset > upperBound - length) {
      throw new IllegalArgumentException(
          what + " of " + length + " bytes at offset " + offset + " is outside the writable range ["
              + lowerBound + ", " + upperBound + ") of " + log.describe()
              + (offset < lowerBound && offset + Math.max(length, 0) > log.areaOffset()
                  ? " (it overlaps the redo-log area, which transactions must never change)"
                  : "")
              + "; pass a pool offset of a frame or metadata word past the log area");
    }
  }

  /** Stores {@code [start, start + n)} with its bytes at arena offset {@code a}, cutting what it overlaps. */
  private void insert(long start, int a, int n) {
    long end = start + n;
    int floor = ranges.floor(start);
    if (floor >= 0 && ranges.start(floor) < start) {
      long fStart = ranges.start(floor);
      int fAt = ranges.at(floor);
      long fEnd = fStart + ranges.length(floor);
      if (fEnd > start) {
        ranges.truncate(floor, (int) (start - fStart));
        if (fEnd > end) {
          ranges.put(end, fAt + (int) (end - fStart), (int) (fEnd - end));
        }
      }
    }
    // ranges starting inside [start, end): drop, keeping any tail beyond end
    int from = ranges.ceiling(start);
    int to = from;
    int tailAt = -1;
    int tailLength = 0;
    while (to < ranges.size() && ranges.start(to) < end) {
      long eStart = ranges.start(to);
      long eEnd = eStart + ranges.length(to);
      if (eEnd > end) {
        tailAt = ranges.at(to) + (int) (end - eStart);
        tailLength = (int) (eEnd - end);
      }
      to++;
    }
    ranges.remove(from, to);
    if (tailAt >= 0) {
      ranges.put(end, tailAt, tailLength);
    }
    ranges.put(start, a, n);
    dirty = true;
    footprintValid = false;
  }

  private boolean hasRangeStartingIn(long from, long to) {
    int i = ranges.ceiling(from);
    return i < ranges.size() && ranges.start(i) < to;
  }

  private void overlay(long offset, byte[] dst, int dstOffset, int length) {
    if (ranges.isEmpty() || length == 0) {
      return;
    }
    long end = offset + length;
    int floor = ranges.floor(offset);
    if (floor >= 0 && ranges.start(floor) < offset) {
      copyIntersection(floor, offset, end, dst, dstOffset);
    }
    for (int i = ranges.ceiling(offset); i < ranges.size() && ranges.start(i) < end; i++) {
      copyIntersection(i, offset, end, dst, dstOffset);
    }
  }

  /** Copies the part of range {@code i} inside {@code [offset, end)} to {@code dst}. */
  private void copyIntersection(int i, long offset, long end, byte[] dst, int dstOffset) {
    long rStart = ranges.start(i);
    long from = Math.max(rStart, offset);
    long to = Math.min(rStart + ranges.length(i), end);
    if (from < to) {
      System.arraycopy(ranges.arena(), ranges.at(i) + (int) (from - rStart), dst,
          dstOffset + (int) (from - offset), (int) (to - from));
    }
  }

  private static boolean isWord(long offset, int length) {
    return length == Long.BYTES && (offset & 7) == 0;
  }

  private void encodeSizes() {
    if (dirty) {
      payloadBytes = measure();
      dirty = false;
    }
  }

  /** The payload size of the encoding; sets {@link #entries}; writes nothing. */
  private long measure() {
    if (ranges.size() == 1) { // one entry: SET8 for an aligned word, else one COPY
      entries = 1;
      int length = ranges.length(0);
      return isWord(ranges.start(0), length) ? RecordFormat.SET8_BYTES : RecordFormat.copyEntryBytes(length);
    }
    return walk(MEASURE, 0);
  }

  /**
   * Walks the ranges with the encoding rules (class comment), hands each entry and its payload
   * position to {@code out}, sets {@link #entries} and returns the payload size. {@link #MEASURE}
   * only counts; {@link #encoder} writes the entries.
   */
  private long walk(EntrySink out, int at) {
    long end = walkFrom(out, 0, at, Long.MAX_VALUE);
    entries = walkCount;
    return end - at;
  }

  /**
   * {@link #walk} from range {@code i}, the first range of an entry at payload position {@code
   * pos}, handing {@code out} every entry that starts below {@code stop}. Returns the end of the
   * last entry handed over; {@link #walkNext} is then the range index after it and {@link
   * #walkCount} the number of entries handed over.
   */
  private long walkFrom(EntrySink out, int i, long pos, long stop) {
    int n = 0;
    int size = ranges.size();
    while (i < size && pos < stop) {
      long start = ranges.start(i);
      int length0 = ranges.length(i);
      n++;
      if (isWord(start, length0)) {
        out.wordRange(pos, start, ranges.at(i));
        pos += RecordFormat.SET8_BYTES;
        i++;
        continue;
      }
      i++;
      // a COPY run: this range and every adjacent range after it that is not an aligned word
      long end = start + length0;
      while (i < size && ranges.start(i) == end && !isWord(end, ranges.length(i))) {
        end += ranges.length(i);
        i++;
      }
      long length = end - start;
      if (length == Long.BYTES && (start & 7) == 0) {
        out.wordRun(pos, start);
        pos += RecordFormat.SET8_BYTES;
      } else {
        out.copyRun(pos, start, length);
        pos += RecordFormat.copyEntryBytes(length);
      }
    }
    walkNext = i;
    walkCount = n;
    return pos;
  }

  /** The aligned word at {@code target} as the ranges of a SET8 run cover it. */
  private long runWord(long target) {
    Arrays.fill(scratchWord, B, B + Long.BYTES, (byte) 0);
    overlay(target, scratchWord, B, Long.BYTES);
    return RecordFormat.getLong(scratchWord, B);
  }

  /** What {@link #walk} does with each entry at payload position {@code pos}. */
  private abstract static class EntrySink extends LinePadding {
    /** A SET8 entry for the aligned 8-byte range at {@code target}, its bytes at arena offset {@code at}. */
    abstract void wordRange(long pos, long target, int at);

    /** A SET8 entry for a run of adjacent ranges that covers exactly the aligned word at {@code target}. */
    abstract void wordRun(long pos, long target);

    /** A COPY entry for the run of adjacent ranges {@code [target, target + length)}. */
    abstract void copyRun(long pos, long target, long length);
  }

  /** Encodes one window of the payload at a time ({@link #encodeWindow}). */
  private final class Window extends EntrySink {
    private final byte[] head = new byte[RecordFormat.COPY_HEADER_BYTES];
    private byte[] dst;
    private int dstAt;
    private long lo;
    private long hi;
    /** Where the next window's walk starts: range index and payload position of an entry. */
    private int resumeIndex;
    private long resumePos;
    /** The last entry handed over: its target, position and end. */
    private long lastTarget;
    private long lastPos;
    private long lastEnd;

    /** The COPY run whose first range is {@link #runIndex} ends at medium offset {@link #runEnd}. */
    private int runIndex = -1;
    private long runEnd;

    private void next(long from, long to) {
      assert from == 0 || from == hi : "windows must be contiguous: " + from + " after " + hi;
      assert to <= payloadBytes && from <= to : from + ".." + to + " of " + payloadBytes;
      if (from == 0) {
        resumeIndex = 0;
        resumePos = 0;
        runIndex = -1;
      }
    }

    int inArena(long from, long to) {
      next(from, to);
      int i = resumeIndex;
      long data = resumePos + RecordFormat.COPY_HEADER_BYTES;
      if (to - from < RecordFormat.LINK_BYTES || i >= ranges.size() || from < data
          || isWord(ranges.start(i), ranges.length(i))) {
        return -1;
      }
      if (runIndex != i) {
        // the run's extent, found once per entry: adjacent ranges that are not aligned words
        long end = ranges.start(i) + ranges.length(i);
        for (int k = i + 1; k < ranges.size() && ranges.start(k) == end && !isWord(end, ranges.length(k)); k++) {
          end += ranges.length(k);
        }
        runIndex = i;
        runEnd = end;
      }
      long t0 = ranges.start(i) + (from - data);
      long t1 = ranges.start(i) + (to - data);
      if (t1 > runEnd) {
        return -1;
      }
      int k = ranges.floor(t0);
      int at = ranges.at(k) + (int) (t0 - ranges.start(k));
      long cover = ranges.start(k) + ranges.length(k);
      int next = ranges.at(k) + ranges.length(k);
      while (cover < t1) {
        k++;
        if (ranges.at(k) != next) {
          return -1;
        }
        cover += ranges.length(k);
        next += ranges.length(k);
      }
      // the resume point stays at this entry, which starts before the next window
      lo = from;
      hi = to;
      return at;
    }

    void encode(byte[] dst, int dstAt, long from, long to) {
      next(from, to);
      Objects.checkFromIndexSize(dstAt, to - from, dst.length);
      this.dst = dst;
      this.dstAt = dstAt;
      this.lo = from;
      this.hi = to;
      lastEnd = -1;
      long end = walkFrom(this, resumeIndex, resumePos, to);
      if (lastEnd > to) {
        // the last entry continues in the next window; its first range starts at its target
        resumeIndex = ranges.ceiling(lastTarget);
        resumePos = lastPos;
      } else {
        resumeIndex = walkNext;
        resumePos = end;
      }
      this.dst = null;
    }

    /** Copies the part of {@code src[0, n)}, the entry bytes at payload position {@code pos}, inside the window. */
    private void part(long pos, byte[] src, int n) {
      long a = Math.max(pos, lo);
      long b = Math.min(pos + n, hi);
      if (a < b) {
        System.arraycopy(src, (int) (a - pos), dst, dstAt + (int) (a - lo), (int) (b - a));
      }
    }

    private void handed(long target, long pos, long bytes) {
      lastTarget = target;
      lastPos = pos;
      lastEnd = pos + bytes;
    }

    @Override
    void wordRange(long pos, long target, int at) {
      RecordFormat.putSet8(head, 0, target, RecordFormat.getLong(ranges.arena(), at));
      part(pos, head, RecordFormat.SET8_BYTES);
      handed(target, pos, RecordFormat.SET8_BYTES);
    }

    @Override
    void wordRun(long pos, long target) {
      RecordFormat.putSet8(head, 0, target, runWord(target));
      part(pos, head, RecordFormat.SET8_BYTES);
      handed(target, pos, RecordFormat.SET8_BYTES);
    }

    @Override
    void copyRun(long pos, long target, long length) {
      RecordFormat.putCopyHeader(head, 0, target, (int) length);
      part(pos, head, RecordFormat.COPY_HEADER_BYTES);
      long data = pos + RecordFormat.COPY_HEADER_BYTES;
      long a = Math.max(data, lo);
      long b = Math.min(data + length, hi);
      if (a < b) {
        overlay(target + (a - data), dst, dstAt + (int) (a - lo), (int) (b - a));
      }
      long padEnd = Math.min(data + RecordFormat.align8(length), hi);
      a = Math.max(data + length, lo);
      if (a < padEnd) {
        Arrays.fill(dst, dstAt + (int) (a - lo), dstAt + (int) (padEnd - lo), (byte) 0);
      }
      handed(target, pos, RecordFormat.copyEntryBytes(length));
    }
  }

  /** Applies the entries to a medium ({@link #applyTo}). */
  private final class Applier extends EntrySink {
    private Medium medium;
    private FlushPlan plan;

    @Override
    void wordRange(long pos, long target, int at) {
      medium.storeLong(target, RecordFormat.getLong(ranges.arena(), at));
      plan.add(target, Long.BYTES);
    }

    @Override
    void wordRun(long pos, long target) {
      medium.storeLong(target, runWord(target));
      plan.add(target, Long.BYTES);
    }

    @Override
    void copyRun(long pos, long target, long length) {
      // the run's ranges, adjacent on the medium; those whose bytes also follow each other in the
      // arena are written with one call
      long end = target + length;
      byte[] arena = ranges.arena();
      int i = ranges.ceiling(target);
      while (i < ranges.size() && ranges.start(i) < end) {
        long start = ranges.start(i);
        int at = ranges.at(i);
        int n = ranges.length(i);
        i++;
        while (i < ranges.size() && ranges.start(i) < end && ranges.at(i) == at + n) {
          n += ranges.length(i);
          i++;
        }
        RecordFormat.writeCopy(medium, start, arena, at, n, plan);
      }
    }
  }

  /** Keeps no entry: a walk with it only measures. */
  private static final EntrySink MEASURE =
      new EntrySink() {
        @Override
        void wordRange(long pos, long target, int at) {}

        @Override
        void wordRun(long pos, long target) {}

        @Override
        void copyRun(long pos, long target, long length) {}
      };

  /** Writes the entries into {@code buf}, the record buffer of the latest {@link #encodePayload}. */
  private final class Encoder extends EntrySink {
    byte[] buf;

    @Override
    void wordRange(long pos, long target, int at) {
      RecordFormat.putSet8(buf, (int) pos, target, RecordFormat.getLong(ranges.arena(), at));
    }

    @Override
    void wordRun(long pos, long target) {
      RecordFormat.putSet8(buf, (int) pos, target, runWord(target));
    }

    @Override
    void copyRun(long pos, long target, long length) {
      int dataAt = (int) pos + RecordFormat.COPY_HEADER_BYTES;
      RecordFormat.putCopyHeader(buf, (int) pos, target, (int) length);
      long end = target + length;
      for (int i = ranges.ceiling(target); i < ranges.size() && ranges.start(i) < end; i++) {
        System.arraycopy(ranges.arena(), ranges.at(i), buf, dataAt + (int) (ranges.start(i) - target), ranges.length(i));
      }
      Arrays.fill(buf, dataAt + (int) length, dataAt + (int) RecordFormat.align8(length), (byte) 0);
    }
  }
}
