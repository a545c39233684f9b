package io.nvframe.backend.btt;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.spi.Medium;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Where a BTT lives in a medium: after a libpmemblk pool header, or raw at an offset.
 *
 * <p>A libpmemblk pool starts with a 4096-byte pool header (signature {@code "PMEMBLK\0"}, pool-set
 * uuid at byte 24), followed by the pool descriptor ({@code bsize} u32 at byte 4096, {@code
 * is_zeroed} at 4100, then run-time fields) and the BTT namespace, which starts at the first page
 * boundary after the descriptor and runs to the end of the pool. The BTT's info blocks carry the
 * pool-set uuid as their parent uuid. This class finds the namespace by looking for the info
 * signature on the page boundaries after the header (the page size is the writer's: 4 KiB on x86-64,
 * 64 KiB on ppc64); in a pool that was never written there is no info block yet and the namespace
 * starts at 8192, where libpmemblk on x86-64 puts it.
 *
 * @param offset first byte of the BTT namespace
 * @param rawSize bytes of the namespace
 * @param parentUuid expected parent uuid of the info blocks, or null (raw BTT)
 * @param pool true for a libpmemblk pool
 * @param poolBlockSize the pool descriptor's block size (0 for a raw BTT)
 * @param laidOut whether an info signature was found at {@code offset}
 */
public record BttLocation(long offset, long rawSize, byte[] parentUuid, boolean pool, int poolBlockSize, boolean laidOut) {
  static final byte[] PMEMBLK_SIG = "PMEMBLK\0".getBytes(StandardCharsets.US_ASCII);
  /** Size of a PMDK pool header. */
  static final int POOL_HEADER = 4096;
  /** Largest page size searched for the namespace start. */
  static final int MAX_PAGE = 65536;
  /** Namespace start of a libpmemblk pool without a BTT layout (x86-64 page size). */
  static final long PMEMBLK_DEFAULT_DATA = 8192;

  public BttLocation {
    parentUuid = parentUuid == null ? null : parentUuid.clone();
  }

  @Override
  public byte[] parentUuid() {
    return parentUuid == null ? null : parentUuid.clone();
  }

  /** A raw BTT at {@code offset}, to the end of the medium. */
  public static BttLocation raw(Medium m, long offset) {
    if (offset < 0 || offset >= m.size()) {
      throw new IllegalArgumentException("offset " + offset + " is outside " + m.description() + " (" + m.size() + " bytes)");
    }
    return new BttLocation(offset, m.size() - offset, null, false, 0, Btt.hasLayout(m, offset));
  }

  /** True when the medium starts with a libpmemblk pool header. */
  public static boolean isPmemBlkPool(Medium m) {
    if (m.size() < POOL_HEADER + 8) {
      return false;
    }
    byte[] sig = new byte[8];
    m.read(0, sig, 0, 8);
    return Arrays.equals(sig, PMEMBLK_SIG);
  }

  /**
   * Finds the BTT: a libpmemblk pool (then the namespace after its header), else the first BTT info
   * signature on a 4 KiB boundary from 0 to 64 KiB (a raw BTT at 0, or after the 8 KiB header prefix
   * of an nvframe region on BTT). Throws when neither holds.
   */
  public static BttLocation find(Medium m) {
    if (isPmemBlkPool(m)) {
      return pmemBlk(m);
    }
    for (long off = 0; off <= MAX_PAGE && off + 2L * BttInfo.SIZE <= m.size(); off += 4096) {
      if (Btt.hasLayout(m, off)) {
        return raw(m, off);
      }
    }
    throw new MediaCorruptedException(ErrorCode.NOT_A_REGION, m.description()
        + " holds neither a libpmemblk pool (signature PMEMBLK) nor a BTT arena (signature BTT_ARENA_INFO) at a "
        + "4 KiB boundary up to offset " + MAX_PAGE + "; give the BTT's offset with --offset");
  }

  /** The namespace of a libpmemblk pool. */
  public static BttLocation pmemBlk(Medium m) {
    byte[] hdr = new byte[POOL_HEADER + 8];
    m.read(0, hdr, 0, hdr.length);
    byte[] poolsetUuid = Arrays.copyOfRange(hdr, 24, 40);
    int bsize = Le.i32(hdr, POOL_HEADER);
    for (long off = POOL_HEADER; off <= MAX_PAGE && off + 2L * BttInfo.SIZE <= m.size(); off += 4096) {
      if (Btt.hasLayout(m, off)) {
        return new BttLocation(off, m.size() - off, poolsetUuid, true, bsize, true);
      }
    }
    if (m.size() <= PMEMBLK_DEFAULT_DATA) {
      throw new MediaCorruptedException(ErrorCode.SIZE_MISMATCH, "libpmemblk pool " + m.description() + " is only "
          + m.size() + " bytes, too small for a BTT");
    }
    return new BttLocation(PMEMBLK_DEFAULT_DATA, m.size() - PMEMBLK_DEFAULT_DATA, poolsetUuid, true, bsize, false);
  }

  /** Open options matching this location (parent uuid checked for pools). */
  public Btt.Options options(boolean readOnly) {
    return Btt.Options.defaults().withReadOnly(readOnly).withParentUuid(parentUuid);
  }

  /** A format for this location: libpmemblk's (version 1.1, parent = pool-set uuid) in a pool. */
  public BttFormat format(int blockSize) {
    BttFormat f = BttFormat.of(blockSize);
    return pool ? f.withVersion(1, 1).withParentUuid(parentUuid) : f;
  }
}
