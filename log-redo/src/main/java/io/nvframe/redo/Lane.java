package io.nvframe.redo;

import io.nvframe.spi.Medium;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

/**
 * A lane's page summary on a cache line of its own (padding on both sides, {@link LinePadding}
 * before it): the union of the {@link Footprint#pages} sets of the lane's recently published
 * records. The owner writes it only when a record adds a page bit (or when it resets it, below),
 * so while a thread keeps working in the same pages the line stays shared between the cores, and a
 * flusher on another core tests it without a cache miss ({@link Lane#mayTouchPages}) and reads the
 * lane's pending generation and footprint (a line the owner writes on every commit) only when the
 * pages overlap.
 *
 * <p>Invariant: from before a record's generation is published until it is replaced, the summary
 * holds every page bit of that record's footprint. The owner only adds bits, except when the union
 * would hold more than {@value #RESET_BITS} bits, and at every {@value #PRUNE_EVERY}th record it
 * publishes: then it sets the summary to the new record's pages alone, which still covers the
 * record being published (the records replaced by it are durably overwritten). So the summary
 * holds at most {@value #RESET_BITS} bits or exactly the last record's pages. The same holds for
 * the exact page numbers kept beside it ({@link #pageCount}).
 *
 * <p>The periodic prune bounds how long a page no record of the lane uses any more stays in the
 * summary: without it, a lane whose thread works in one page, after one record of another thread
 * in that thread's page (a thread takes another pair's lane when its own is locked, {@link
 * RedoLog}), would keep that page for good, and every commit of the other thread would find the
 * pages overlapping and read the lane's pending line, which the owner writes on every commit (a
 * cache miss on each side for each commit). A prune costs at most one write of this line per
 * {@value #PRUNE_EVERY} records.
 */
@SuppressWarnings("unused")
abstract class LaneSummary extends LinePadding {
  /** Bits the union may hold before it is reset to one record's pages. */
  static final int RESET_BITS = 16;
  /** Every this many records published, the summary is set to the new record's pages alone. */
  static final int PRUNE_EVERY = 64;
  /** See the class comment; opaque stores by the lock holder, opaque reads by flushers (never torn). */
  long summary;
  /**
   * The same summary exactly, for records whose {@link Footprint#pageCount} is not -1: the number
   * of pages in {@link #page0} to {@link #page5} (at most {@link Footprint#PAGES}), or -1 when the
   * last record's pages are not known exactly (then only {@link #summary} is used). The owner adds
   * the pages of each record it publishes and, when they do not fit, sets the pages to the record's
   * alone. Written by the lock holder, read by flushers: a flusher that reads pages being rewritten
   * reads them for a record the lane's next record already overwrote durably (as for the footprint,
   * {@link PendingInvalidations}). A long, so that the JVM does not place it in the 4 bytes after
   * the object header, on the line before the padding.
   */
  long pageCount;
  long page0;
  long page1;
  long page2;
  long page3;
  long page4;
  long page5;
  private long s1, s2, s3, s4, s5, s6, s7;

  /** Summary page {@code i} (below {@link #pageCount}). */
  final long page(int i) {
    return switch (i) {
      case 0 -> page0;
      case 1 -> page1;
      case 2 -> page2;
      case 3 -> page3;
      case 4 -> page4;
      default -> page5;
    };
  }

  private void setPage(int i, long page) {
    switch (i) {
      case 0 -> page0 = page;
      case 1 -> page1 = page;
      case 2 -> page2 = page;
      case 3 -> page3 = page;
      case 4 -> page4 = page;
      default -> page5 = page;
    }
  }

  /**
   * Makes the exact pages cover {@code f}'s pages (or -1 when {@code f}'s are not exact): adds those
   * missing while they fit, else, or when {@code prune}, sets them to {@code f}'s alone. Writes the
   * line only when something changes, so a lane working in the same pages keeps it shared between
   * cores.
   */
  final void coverPages(Footprint f, boolean prune) {
    int n = (int) pageCount;
    int fc = f.pageCount;
    if (fc < 0) {
      if (n >= 0) {
        pageCount = -1;
      }
      return;
    }
    if (prune) {
      if (n == fc && holdsAll(f)) {
        return; // already f's pages alone (a footprint's exact pages are distinct)
      }
    } else if (n >= 0) {
      int m = n;
      for (int i = 0; i < fc && m >= 0; i++) {
        long page = f.exactPage(i);
        if (!holds(m, page)) {
          if (m == Footprint.PAGES) {
            m = -1; // does not fit: set to f's pages below
          } else {
            setPage(m++, page);
          }
        }
      }
      if (m >= 0) {
        if (m != n) {
          pageCount = m;
        }
        return;
      }
    }
    for (int i = 0; i < fc; i++) {
      setPage(i, f.exactPage(i));
    }
    pageCount = fc;
  }

  private boolean holdsAll(Footprint f) {
    for (int i = 0; i < f.pageCount; i++) {
      if (!holds((int) pageCount, f.exactPage(i))) {
        return false;
      }
    }
    return true;
  }

  private boolean holds(int count, long page) {
    for (int i = 0; i < count; i++) {
      if (page(i) == page) {
        return true;
      }
    }
    return false;
  }
}

/**
 * One lane of a {@link RedoLog}: its place on the medium, the lock a commit holds from writing the
 * record to invalidating it, and the scratch state reused by every commit on the lane (record
 * buffer, CRC, flush plan) and the lane's record counters. Everything but {@link #id}, {@link
 * #offset} and the lock ({@link #holder}) is written only under the lock. The counters are written by the lock
 * holder with opaque stores (no atomic instruction on the commit path, no counter shared by all
 * lanes) and summed over the lanes by {@link RedoLog#stats()}.
 *
 * <p>The fields are padded by 64 bytes on both sides ({@link LinePadding} before them, {@link
 * Padded}'s after them: the JVM lays out a superclass's fields before a subclass's), so two threads
 * committing on neighbouring lanes do not write one cache line. {@link #pending()} is read by other threads ({@link
 * PendingInvalidations}).
 */
abstract sealed class Lane extends LaneSummary permits Lane.Padded {
  private static final VarHandle SUMMARY;
  private static final VarHandle RECORDS;
  private static final VarHandle BYTES;
  private static final VarHandle PENDING;
  private static final VarHandle HOLDER;
  /** Where a record starts in {@link #buffer()}: after 64 unused bytes. */
  static final int BUFFER_AT = 64;
  /** Spins of {@link #lock()} before it yields, and yields before it parks for {@value #PARK_NANOS} ns at a time. */
  private static final int SPINS = 128;
  private static final int YIELDS = 1024;
  private static final long PARK_NANOS = 20_000;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      SUMMARY = l.findVarHandle(LaneSummary.class, "summary", long.class);
      RECORDS = l.findVarHandle(Lane.class, "records", long.class);
      BYTES = l.findVarHandle(Lane.class, "bytes", long.class);
      PENDING = l.findVarHandle(Lane.class, "pending", long.class);
      HOLDER = l.findVarHandle(Lane.class, "holder", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final int id;
  final long offset;
  /**
   * The lane lock ({@link #tryLock}, {@link #lock}, {@link #unlock}): the {@link Thread#threadId()}
   * of the thread holding it, 0 when it is free, taken with a compare-and-set and released with a
   * release store; {@link #holds} counts re-entries. Fields of the padded lane rather than a {@code
   * ReentrantLock}, whose two objects (written on every commit) the collector may place on a line
   * of another thread's hot data (seen in a two-thread run: a lane's {@code ReentrantLock} beside
   * the other thread's write-set array). A number rather than the thread, so taking it stores no
   * reference.
   */
  @SuppressWarnings("unused") // through HOLDER
  private volatile long holder;
  /** Times the holder took the lock without releasing it. Written by the holder only. */
  private int holds;
  final CRC32C crc = new CRC32C();
  final FlushPlan plan;
  /** Sequence number of the lane's last generation ({@code generation = sequence * lanes + id}). */
  long sequence;
  private final int size;
  private byte[] buffer;
  @SuppressWarnings("unused") // through RECORDS
  private long records;
  @SuppressWarnings("unused") // through BYTES
  private long bytes;
  /** Generation of the lane's applied record whose APPLIED word may not be durable; 0: none. */
  @SuppressWarnings("unused") // through PENDING
  private volatile long pending;
  /**
   * The generation of {@link #pending()} while the lane is <em>open</em>: its record is committed
   * and applied with plain stores, but its targets are not flushed (their line runs are in {@link
   * #plan}) and its APPLIED word is not stored; 0 when it is not open. Set with the generation by
   * {@link #publish}, cleared by whoever closes the lane under its lock ({@link
   * PendingInvalidations#close}).
   */
  private volatile long open;
  /** The APPLIED state word of the open record, stored when the lane is closed. Under the lock. */
  long openApplied;
  /**
   * The lane whose record this lane's record of generation {@link #pending()} was committed after
   * while that one was open and overlapping ({@code -1}: none), and that record's generation: its
   * APPLIED word was stored and flushed by this record's thread after this record's commit point,
   * but not fenced, so whoever stores this record's APPLIED word flushes that lane's header before
   * the fence that precedes the store, while that lane still holds that generation
   * (log-redo/README.md, "Open lanes"). Written with the footprint, before the generation.
   */
  private int predLane = -1;
  private long predGen;
  /** Records published since the summary was last pruned ({@link LaneSummary#PRUNE_EVERY}). Under the lock. */
  private int sincePrune;
  /**
   * The {@link Footprint} of the record of generation {@link #pending()}, next to it so a flusher
   * reads both from one line: written by the lock holder before it publishes the generation, read
   * by other threads ({@link PendingInvalidations}).
   */
  private long words0;
  private long words1;
  private long runs0;
  private long runs1;
  private long lines0;
  private long lines1;
  private long pages;
  private long bigPages;
  /**
   * The record's exact ranges ({@link Footprint#exactCount}, -1: not exact) and the ranges {@code
   * [t0s, t0e)} to {@code [t3s, t3e)}; a long count, like {@link LaneSummary#pageCount}.
   */
  private long targetCount;
  private long t0s, t0e, t1s, t1e, t2s, t2e, t3s, t3e;
  /** Scratch of this lane's commits for {@link PendingInvalidations#flush}. Under the lock. */
  final PendingInvalidations.Seen seen = new PendingInvalidations.Seen();

  /** A new lane (with its padding). */
  static Lane create(int id, long offset, int size, Medium medium, long sequence) {
    return new Padded(id, offset, size, medium, sequence);
  }

  /** The 64 bytes after the fields of {@link Lane}. */
  @SuppressWarnings("unused")
  static final class Padded extends Lane {
    private long q0, q1, q2, q3, q4, q5, q6, q7;

    Padded(int id, long offset, int size, Medium medium, long sequence) {
      super(id, offset, size, medium, sequence);
    }
  }

  private Lane(int id, long offset, int size, Medium medium, long sequence) {
    this.id = id;
    this.offset = offset;
    this.size = size;
    this.plan = new FlushPlan(medium);
    this.sequence = sequence;
  }

  /** Takes the lane lock if it is free or held by this thread; false when another thread holds it. */
  boolean tryLock() {
    long me = Thread.currentThread().threadId();
    long h = (long) HOLDER.getAcquire(this);
    if (h == me) {
      holds++;
      return true;
    }
    if (h == 0 && HOLDER.compareAndSet(this, 0L, me)) {
      holds = 1;
      return true;
    }
    return false;
  }

  /**
   * Takes the lane lock, waiting for its holder: spins, then yields, then parks {@value
   * #PARK_NANOS} ns at a time (a lane is held for one commit; waiting is rare: every lane busy,
   * {@link RedoLog}'s lockAll). Not interruptible.
   */
  void lock() {
    for (int tries = 1; !tryLock(); tries++) {
      if (tries < SPINS) {
        Thread.onSpinWait();
      } else if (tries < YIELDS) {
        Thread.yield();
      } else {
        LockSupport.parkNanos(PARK_NANOS);
      }
    }
  }

  /** Releases the lane lock once; throws {@link IllegalMonitorStateException} if this thread does not hold it. */
  void unlock() {
    if ((long) HOLDER.getOpaque(this) != Thread.currentThread().threadId()) {
      throw new IllegalMonitorStateException("lane " + id + " is not locked by this thread");
    }
    if (--holds == 0) {
      HOLDER.setRelease(this, 0L);
    }
  }

  /** Whether this thread holds the lane lock. */
  boolean isHeldByCurrentThread() {
    return (long) HOLDER.getOpaque(this) == Thread.currentThread().threadId();
  }

  /** Counts one record of {@code recordBytes} written on this lane. Under the lock. */
  void countRecord(long recordBytes) {
    assert isHeldByCurrentThread();
    RECORDS.setOpaque(this, (long) RECORDS.getOpaque(this) + 1);
    BYTES.setOpaque(this, (long) BYTES.getOpaque(this) + recordBytes);
  }

  /** Records written on this lane since open. */
  long records() {
    return (long) RECORDS.getOpaque(this);
  }

  /** Record bytes written on this lane since open. */
  long bytes() {
    return (long) BYTES.getOpaque(this);
  }

  /** See {@link PendingInvalidations}. */
  long pending() {
    return pending;
  }

  /**
   * Publishes the record of {@code generation}, with the footprint of its targets and its
   * predecessor ({@code predLane}, {@code -1}: none; see {@link #predLane()}): {@code open} when its
   * targets are applied but not flushed (then {@code applied} is its APPLIED word, stored when the
   * lane is closed), else its APPLIED word is stored and not durable yet. Under the lock, after the
   * record's commit point.
   */
  void publish(long generation, Footprint footprint, boolean open, long applied, int predLane, long predGen) {
    boolean prune = ++sincePrune >= PRUNE_EVERY;
    if (prune) {
      sincePrune = 0;
    }
    long s = (long) SUMMARY.getOpaque(this);
    long p = footprint.pages;
    long next = prune || Long.bitCount(s | p) > RESET_BITS ? p : s | p;
    if (next != s) {
      SUMMARY.setOpaque(this, next);
    }
    coverPages(footprint, prune);
    words0 = footprint.words0;
    words1 = footprint.words1;
    runs0 = footprint.runs0;
    runs1 = footprint.runs1;
    lines0 = footprint.lines0;
    lines1 = footprint.lines1;
    pages = footprint.pages;
    bigPages = footprint.bigPages;
    t0s = footprint.exactStart(0);
    t0e = footprint.exactEnd(0);
    t1s = footprint.exactStart(1);
    t1e = footprint.exactEnd(1);
    t2s = footprint.exactStart(2);
    t2e = footprint.exactEnd(2);
    t3s = footprint.exactStart(3);
    t3e = footprint.exactEnd(3);
    targetCount = footprint.exactCount;
    this.predLane = predLane;
    this.predGen = predGen;
    openApplied = applied;
    if (open) {
      this.open = generation; // before the generation: a reader that sees it sees the lane open
    }
    pending = generation;
  }

  /** The generation of the open record, or 0 (see {@link #open}). */
  long openGeneration() {
    return open;
  }

  /** The lane is no longer open: its targets are durable and its APPLIED word is stored. Under the lock. */
  void closed() {
    open = 0;
  }

  /** The predecessor lane of the published record, or -1 (read after {@link #pending()}). */
  int predLane() {
    return predLane;
  }

  /** The generation the predecessor lane held (read after {@link #pending()}). */
  long predGeneration() {
    return predGen;
  }

  /**
   * Whether the record of the pending generation may target a byte of {@code footprint}. Read
   * after {@link #pending()}; a footprint being replaced by the owner belongs to a record that
   * its next record already overwrote durably ({@link PendingInvalidations}).
   */
  boolean mayTarget(Footprint footprint) {
    long n = targetCount;
    if (n >= 0 && footprint.isExact()) { // both exact: only a shared byte
      return n > 0 && (footprint.overlapsRange(t0s, t0e)
          || n > 1 && (footprint.overlapsRange(t1s, t1e)
          || n > 2 && (footprint.overlapsRange(t2s, t2e)
          || n > 3 && footprint.overlapsRange(t3s, t3e))));
    }
    return footprint.overlaps(words0, words1, runs0, runs1, lines0, lines1, pages, bigPages);
  }

  /**
   * Whether a record this lane has pending may target one of the pages of {@code footprint}: false
   * only when none of its pages is in the summary: no shared page bit, or, when both are exact, no
   * shared exact page. Read before {@link
   * #pending()}, by any thread; for a flusher ordered after a record by the caller's locks, the
   * summary it reads covers that record ({@link LaneSummary}).
   */
  boolean mayTouchPages(Footprint footprint) {
    if (((long) SUMMARY.getOpaque(this) & footprint.pages) == 0) {
      return false; // no shared page bit: no shared page (one AND decides most tests)
    }
    int n = (int) pageCount;
    if (n >= 0 && footprint.pageCount >= 0) { // both exact: only a shared page
      for (int i = 0; i < n; i++) {
        if (footprint.touchesPage(page(i))) {
          return true;
        }
      }
      return false;
    }
    return true;
  }

  /** Clears the pending generation if it still is {@code generation}. Any thread. */
  boolean retirePending(long generation) {
    return PENDING.compareAndSet(this, generation, 0L);
  }

  /**
   * The record buffer, allocated on first use: the record is built in its {@code laneSize} bytes
   * from {@link #BUFFER_AT}, with 64 unused bytes on either side, so that the line of the record's
   * header (written on every commit) holds no other object's data.
   */
  byte[] buffer() {
    assert isHeldByCurrentThread();
    byte[] b = buffer;
    if (b == null) {
      b = new byte[BUFFER_AT + size + BUFFER_AT];
      buffer = b;
    }
    return b;
  }
}
