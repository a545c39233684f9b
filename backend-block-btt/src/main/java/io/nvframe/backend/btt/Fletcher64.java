package io.nvframe.backend.btt;

/**
 * The Fletcher64 checksum of BTT info blocks (UEFI 2.10 section 6.2.1): over the block read as
 * little-endian 32-bit words, {@code lo += word; hi += lo} modulo 2^32, result {@code hi << 32 | lo};
 * the 8-byte checksum field counts as zero.
 */
final class Fletcher64 {
  private Fletcher64() {}

  /** Checksum of {@code b[0, length)} with the 8 bytes at {@code checksumOffset} taken as zero. */
  static long compute(byte[] b, int length, int checksumOffset) {
    if ((length & 3) != 0) {
      throw new IllegalArgumentException("Fletcher64 needs a multiple of 4 bytes, got " + length);
    }
    long lo = 0;
    long hi = 0;
    for (int i = 0; i < length; i += 4) {
      long word = i >= checksumOffset && i < checksumOffset + 8 ? 0 : Le.u32(b, i);
      lo = (lo + word) & 0xffffffffL;
      hi = (hi + lo) & 0xffffffffL;
    }
    return hi << 32 | lo;
  }
}
