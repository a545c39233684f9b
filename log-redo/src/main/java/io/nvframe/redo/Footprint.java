package io.nvframe.redo;

/**
 * A summary of byte ranges of the medium, small enough to publish per lane and to compare on every
 * commit: which records' deferred invalidations a commit has to make durable
 * ({@link PendingInvalidations}). Two footprints {@link #overlaps overlap} whenever their ranges
 * share a byte (never a false "disjoint"); they may also overlap when the ranges do not (hash
 * collisions, neighbouring bytes of one line or page), which only costs a flush.
 *
 * <p>Layout: a range over at most {@link #SMALL_LINES} 64-byte lines is <em>small</em> and sets the
 * bit of each of its lines in the 128-bit {@link #lines0}/{@link #lines1} set; every range sets the
 * bit of each of its 4 KiB pages in {@link #pages}; a range that is not small also sets them in
 * {@link #bigPages} (all 64 bits when it spans more than 64 pages). Bits are chosen by a
 * multiplicative hash of the line or page index.
 *
 * <p>Why a shared byte always gives a shared bit: let byte b lie in range r of footprint A and in
 * range s of footprint B. If r and s are both small, b's line sets the same bit of both line
 * sets. If r is not small, b's page is in A's big pages and in B's pages (s sets its pages there,
 * whatever its size); symmetrically if s is not small. So {@code (A.lines & B.lines) | (A.bigPages
 * & B.pages) | (A.pages & B.bigPages)} is not zero.
 */
final class Footprint {
  /** Ranges over at most this many lines are kept line by line. */
  static final int SMALL_LINES = 4;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  long lines0;
  long lines1;
  long pages;
  long bigPages;

  /** A footprint that overlaps every non-empty footprint: for writes whose bytes are not known. */
  static Footprint everything() {
    Footprint f = new Footprint();
    f.lines0 = -1L;
    f.lines1 = -1L;
    f.pages = -1L;
    f.bigPages = -1L;
    return f;
  }

  void clear() {
    lines0 = 0;
    lines1 = 0;
    pages = 0;
    bigPages = 0;
  }

  /** Adds the bytes {@code [offset, offset + length)}; {@code length > 0}. */
  void add(long offset, long length) {
    long firstLine = offset >>> 6;
    long lastLine = (offset + length - 1) >>> 6;
    long firstPage = offset >>> 12;
    long lastPage = (offset + length - 1) >>> 12;
    long p = lastPage - firstPage >= 63 ? -1L : pageBits(firstPage, lastPage);
    pages |= p;
    if (lastLine - firstLine < SMALL_LINES) {
      for (long line = firstLine; line <= lastLine; line++) {
        int bit = (int) ((line * GOLDEN) >>> 57);
        if (bit < 64) {
          lines0 |= 1L << bit;
        } else {
          lines1 |= 1L << bit;
        }
      }
    } else {
      bigPages |= p;
    }
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
    return overlaps(o.lines0, o.lines1, o.pages, o.bigPages);
  }

  /** Whether a byte may belong to this footprint and the one with these fields. */
  boolean overlaps(long oLines0, long oLines1, long oPages, long oBigPages) {
    return ((lines0 & oLines0) | (lines1 & oLines1) | (bigPages & oPages) | (pages & oBigPages)) != 0;
  }

  @Override
  public String toString() {
    return String.format("lines %016x%016x pages %016x big %016x", lines1, lines0, pages, bigPages);
  }
}
