package io.nvframe.redo;

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
 */
final class Footprint {
  /** Ranges over at most this many lines are kept line by line. */
  static final int SMALL_LINES = 4;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  long words0;
  long words1;
  long runs0;
  long runs1;
  long lines0;
  long lines1;
  long pages;
  long bigPages;

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
  }

  /** Adds the bytes {@code [offset, offset + length)}; {@code length > 0}. */
  void add(long offset, long length) {
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

  /** Whether a byte may belong to both footprints (see the class comment). */
  boolean overlaps(Footprint o) {
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
    return String.format("words %016x%016x runs %016x%016x lines %016x%016x pages %016x big %016x",
        words1, words0, runs1, runs0, lines1, lines0, pages, bigPages);
  }
}
