package io.nvframe.redo;

/**
 * The fields of a {@link Footprint}, between {@link LinePadding} and the footprint's 64 bytes after
 * them (a write set's footprint is rewritten on every commit).
 */
abstract class FootprintFields extends LinePadding {
  /** Unused longs on either side of the entries of {@link #x}: one cache line. */
  static final int PAD = 8;
  /** Index in {@link #x} of the first exact page. */
  static final int PAGE_AT = PAD + 2 * Footprint.EXACT;

  long words0;
  long words1;
  long runs0;
  long runs1;
  long lines0;
  long lines1;
  long pages;
  long bigPages;
  /** Ranges kept exactly ({@link Footprint#exactStart}), or -1 when more than {@value Footprint#EXACT} were added. */
  int exactCount;
  /** Distinct pages (offset / 4096) of the exact ranges, or -1 when there are more than {@value Footprint#PAGES} or the ranges are not exact. */
  int pageCount;
  /**
   * {@link #PAD} unused longs, then range i as {@code [x[PAD + 2i], x[PAD + 2i + 1])} for i below
   * {@link #exactCount}, then page i at {@code x[PAD + 2 * EXACT + i]} for i below {@link
   * #pageCount}, then {@link #PAD} unused longs: no other object's data shares a line with the
   * entries.
   */
  final long[] x = new long[PAD + 2 * Footprint.EXACT + Footprint.PAGES + PAD];
}

/**
 * A summary of byte ranges of the medium, small enough to publish per lane and to compare on every
 * commit: which records' deferred invalidations a commit has to make durable
 * ({@link PendingInvalidations}). Two footprints {@link #overlaps overlap} whenever their ranges
 * share a byte (never a false "disjoint"); they may also overlap when the ranges do not (hash
 * collisions, neighbouring bytes of one line or page), which only costs a flush.
 *
 * <p>Layout, four 128-bit hash sets and two 64-bit ones, each bit chosen by a multiplicative hash
 * of a word, line or page index:
 *
 * <pre>
 *   range kind                           sets it adds to
 *   word:  inside one aligned 8-byte word   words (its word), lines (its line), pages (its page)
 *   small: other, over at most SMALL_LINES   runs (its lines), lines (its lines), pages (its pages)
 *          64-byte lines
 *   big:   every other range                 bigPages (its pages), pages (its pages);
 *                                            all 64 bits when it spans more than 63 pages
 * </pre>
 *
 * <p>Why a shared byte always gives a shared bit: let byte b lie in range r of footprint A and in
 * range s of footprint B. Both words: b's word is in both word sets. One word, one small: b's line
 * is in the word's lines set and the small range's runs set. Both small: b's line is in both runs
 * sets (and lines sets). One of them big: b's page is in its big pages and in the other's pages,
 * which every range adds to. So {@code (A.words & B.words) | (A.runs & B.lines) | (A.lines &
 * B.runs) | (A.bigPages & B.pages) | (A.pages & B.bigPages)} is not zero. Keeping 8-byte ranges by
 * word keeps two transactions that change neighbouring words of one line (frame words of adjacent
 * frames, say) apart.
 *
 * <p><b>Exact ranges.</b> A footprint of at most {@value #EXACT} ranges also keeps them as they are
 * ({@link #exactCount}, {@link #exactStart}), and, when they lie in at most {@value #PAGES} distinct
 * pages, those pages ({@link #pageCount}, {@link #exactPage}); a footprint with more keeps {@code
 * -1} there and only the hash sets. Two exact footprints overlap exactly when their ranges share a
 * byte ({@link #overlaps} compares the ranges and not the hashes), so a transaction's few ranges
 * never collide with another thread's: with hash sets alone, two threads whose pages happened to
 * share a bucket read each other's lane on every commit and closed each other's open lane on about
 * one commit in fifty (benchmarks/results.md). {@link Lane} keeps the exact ranges of its published
 * record and the exact pages of its summary the same way.
 */
final class Footprint extends FootprintFields {
  /** Ranges over at most this many lines are kept line by line. */
  static final int SMALL_LINES = 4;
  /** A footprint of at most this many ranges keeps them exactly. */
  static final int EXACT = 4;
  /** ... and the distinct pages of those ranges, when there are at most this many. */
  static final int PAGES = 6;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  @SuppressWarnings("unused")
  private long q0, q1, q2, q3, q4, q5, q6, q7;

  /** Start of exact range i (meaningful below {@link #exactCount}). */
  long exactStart(int i) {
    return x[PAD + 2 * i];
  }

  /** End (exclusive) of exact range i (meaningful below {@link #exactCount}). */
  long exactEnd(int i) {
    return x[PAD + 2 * i + 1];
  }

  /** Exact page i (below {@link #pageCount}). */
  long exactPage(int i) {
    return x[PAGE_AT + i];
  }

  /** A footprint that overlaps every non-empty footprint: for writes whose bytes are not known. */
  static Footprint everything() {
    Footprint f = new Footprint();
    f.words0 = -1L;
    f.words1 = -1L;
    f.runs0 = -1L;
    f.runs1 = -1L;
    f.lines0 = -1L;
    f.lines1 = -1L;
    f.pages = -1L;
    f.bigPages = -1L;
    f.exactCount = -1;
    f.pageCount = -1;
    return f;
  }

  void clear() {
    words0 = 0;
    words1 = 0;
    runs0 = 0;
    runs1 = 0;
    lines0 = 0;
    lines1 = 0;
    pages = 0;
    bigPages = 0;
    exactCount = 0;
    pageCount = 0;
  }

  /** Adds the bytes {@code [offset, offset + length)}; {@code length > 0}. */
  void add(long offset, long length) {
    addExact(offset, length);
    long last = offset + length - 1;
    long firstLine = offset >>> 6;
    long lastLine = last >>> 6;
    long firstPage = offset >>> 12;
    long lastPage = last >>> 12;
    long p = lastPage - firstPage >= 63 ? -1L : pageBits(firstPage, lastPage);
    pages |= p;
    if (offset >>> 3 == last >>> 3) {
      int w = bit128(offset >>> 3);
      int l = bit128(firstLine);
      if (w < 64) {
        words0 |= 1L << w;
      } else {
        words1 |= 1L << w;
      }
      if (l < 64) {
        lines0 |= 1L << l;
      } else {
        lines1 |= 1L << l;
      }
    } else if (lastLine - firstLine < SMALL_LINES) {
      for (long line = firstLine; line <= lastLine; line++) {
        int l = bit128(line);
        if (l < 64) {
          runs0 |= 1L << l;
          lines0 |= 1L << l;
        } else {
          runs1 |= 1L << l;
          lines1 |= 1L << l;
        }
      }
    } else {
      bigPages |= p;
    }
  }

  private void addExact(long offset, long length) {
    int n = exactCount;
    if (n < 0) {
      return;
    }
    if (n == EXACT) {
      exactCount = -1;
      pageCount = -1;
      return;
    }
    x[PAD + 2 * n] = offset;
    x[PAD + 2 * n + 1] = offset + length;
    exactCount = n + 1;
    int pc = pageCount;
    if (pc < 0) {
      return;
    }
    long firstPage = offset >>> 12;
    long lastPage = (offset + length - 1) >>> 12;
    if (lastPage - firstPage >= PAGES) {
      pageCount = -1;
      return;
    }
    for (long page = firstPage; page <= lastPage; page++) {
      if (!holdsPage(pc, page)) {
        if (pc == PAGES) {
          pageCount = -1;
          return;
        }
        x[PAGE_AT + pc++] = page;
      }
    }
    pageCount = pc;
  }

  private boolean holdsPage(int count, long page) {
    for (int i = 0; i < count; i++) {
      if (x[PAGE_AT + i] == page) {
        return true;
      }
    }
    return false;
  }

  /** Whether this footprint's ranges are kept exactly. */
  boolean isExact() {
    return exactCount >= 0;
  }

  /**
   * Whether one of this footprint's exact ranges shares a byte with {@code [start, end)}; only
   * when {@link #isExact()}.
   */
  boolean overlapsRange(long start, long end) {
    for (int i = 0, n = exactCount; i < n; i++) {
      if (x[PAD + 2 * i] < end && start < x[PAD + 2 * i + 1]) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code page} holds a byte of this footprint's ranges; only when {@link #pageCount} is not -1. */
  boolean touchesPage(long page) {
    return holdsPage(pageCount, page);
  }

  private static int bit128(long index) {
    return (int) ((index * GOLDEN) >>> 57);
  }

  private static long pageBits(long firstPage, long lastPage) {
    long bits = 0;
    for (long page = firstPage; page <= lastPage; page++) {
      bits |= 1L << ((page * GOLDEN) >>> 58);
    }
    return bits;
  }

  /** Whether a byte may belong to both footprints (see the class comment): exact when both are exact. */
  boolean overlaps(Footprint o) {
    if (exactCount >= 0 && o.exactCount >= 0) {
      for (int i = 0, n = o.exactCount; i < n; i++) {
        if (overlapsRange(o.exactStart(i), o.exactEnd(i))) {
          return true;
        }
      }
      return false;
    }
    return overlaps(o.words0, o.words1, o.runs0, o.runs1, o.lines0, o.lines1, o.pages, o.bigPages);
  }

  /** Whether a byte may belong to this footprint and to the one with these fields. */
  boolean overlaps(long oWords0, long oWords1, long oRuns0, long oRuns1, long oLines0, long oLines1,
      long oPages, long oBigPages) {
    return ((words0 & oWords0) | (words1 & oWords1)
            | (runs0 & oLines0) | (runs1 & oLines1) | (lines0 & oRuns0) | (lines1 & oRuns1)
            | (bigPages & oPages) | (pages & oBigPages)) != 0;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(String.format("words %016x%016x runs %016x%016x lines %016x%016x pages %016x big %016x",
        words1, words0, runs1, runs0, lines1, lines0, pages, bigPages));
    if (exactCount < 0) {
      return b.append(" inexact").toString();
    }
    b.append(" exact");
    for (int i = 0; i < exactCount; i++) {
      b.append(" [").append(exactStart(i)).append(", ").append(exactEnd(i)).append(')');
    }
    return b.toString();
  }
}
