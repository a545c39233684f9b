package io.nvframe.backend.btt;

/** Little-endian field access in byte arrays (the BTT layout is little-endian throughout). */
final class Le {
  private Le() {}

  static long u32(byte[] b, int off) {
    return i32(b, off) & 0xffffffffL;
  }

  static int i32(byte[] b, int off) {
    return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
  }

  static int u16(byte[] b, int off) {
    return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
  }

  static long i64(byte[] b, int off) {
    return u32(b, off) | u32(b, off + 4) << 32;
  }

  static void put32(byte[] b, int off, int v) {
    b[off] = (byte) v;
    b[off + 1] = (byte) (v >>> 8);
    b[off + 2] = (byte) (v >>> 16);
    b[off + 3] = (byte) (v >>> 24);
  }

  static void put16(byte[] b, int off, int v) {
    b[off] = (byte) v;
    b[off + 1] = (byte) (v >>> 8);
  }

  static void put64(byte[] b, int off, long v) {
    put32(b, off, (int) v);
    put32(b, off + 4, (int) (v >>> 32));
  }
}
