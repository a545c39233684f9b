package io.nvframe.backend.btt;

/**
 * The flog (free list + log): one 64-byte slot per lane holding two 16-byte entries {@code {lba,
 * old_map, new_map, seq}} (little-endian u32 each; UEFI 2.10 section 6.2.3). The second entry of a
 * slot is at byte 16 (UEFI, PMDK, current Linux: the "(0,1)" layout) or at byte 32 (the "(0,2)"
 * layout that old Linux kernels wrote); readers accept both. {@code seq} cycles 1, 2, 3, 1; 0 means
 * "never written". The current entry of a slot is the one whose seq is the successor of the other's.
 */
final class Flog {
  private Flog() {}

  /** Bytes per lane slot. */
  static final int SLOT = 64;
  /** Bytes per entry. */
  static final int ENTRY = 16;

  /** The sequence number after {@code seq} (1 -> 2 -> 3 -> 1). */
  static int nextSeq(int seq) {
    return seq == 3 ? 1 : seq + 1;
  }

  /** One decoded entry; map values keep their flag bits as stored. */
  record Entry(int lba, int oldMap, int newMap, int seq) {
    static Entry read(io.nvframe.spi.Medium m, long offset) {
      long a = m.loadLong(offset);
      long b = m.loadLong(offset + 8);
      return new Entry((int) a, (int) (a >>> 32), (int) b, (int) (b >>> 32));
    }

    int oldPost() {
      return oldMap & Btt.POSTMAP_MASK;
    }

    int newPost() {
      return newMap & Btt.POSTMAP_MASK;
    }

    boolean isZero() {
      return lba == 0 && oldMap == 0 && newMap == 0 && seq == 0;
    }

    @Override
    public String toString() {
      return String.format("{lba %d, old_map 0x%08x, new_map 0x%08x, seq %d}",
          Integer.toUnsignedLong(lba), oldMap, newMap, Integer.toUnsignedLong(seq));
    }
  }

  /**
   * Which entry of a slot is current: 0 or 1 (index into the pair), or -1 with {@code why} set
   * when the pair is inconsistent (both seq 0, equal seqs, a seq above 3).
   */
  static int current(Entry a, Entry b, StringBuilder why) {
    int sa = a.seq();
    int sb = b.seq();
    if (Integer.compareUnsigned(sa, 3) > 0 || Integer.compareUnsigned(sb, 3) > 0) {
      why.append("OOB_SEQ sequence numbers ").append(Integer.toUnsignedString(sa)).append(", ")
          .append(Integer.toUnsignedString(sb)).append(" (allowed 0..3)");
      return -1;
    }
    if (sa == sb) {
      why.append(sa == 0 ? "LOG_NO_SEQ both entries have sequence number 0"
          : "LOG_EQL_SEQ both entries have sequence number " + sa);
      return -1;
    }
    if (sb == 0) {
      return 0;
    }
    if (sa == 0) {
      return 1;
    }
    return nextSeq(sa) == sb ? 1 : 0;
  }
}
