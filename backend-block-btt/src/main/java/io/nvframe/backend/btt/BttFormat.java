package io.nvframe.backend.btt;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Parameters of a new BTT layout and the arena geometry they give (UEFI 2.10 section 6.3.1, the
 * same arithmetic as libpmemblk and Linux): arenas of at most {@code maxArenaSize} bytes are packed
 * from offset 0; a remainder of at least {@code minArenaSize} becomes one more, smaller arena. In an
 * arena of {@code S} bytes: {@code flog = roundup(nfree * 64, 4096)}, {@code internal_nlba = (S - 2 *
 * 4096 - flog - 4096) / (internal_lbasize + 4)}, {@code external_nlba = internal_nlba - nfree}, {@code
 * map = roundup(external_nlba * 4, 4096)}; the map and the flog sit right before the backup info
 * block at {@code S - 4096}.
 *
 * @param externalLbaSize the block size users see, 1 .. 2^24 bytes
 * @param nfree free blocks (and flog slots) per arena, default 256
 * @param maxArenaSize largest arena, 512 GiB by default (smaller values are for tests)
 * @param minArenaSize smallest arena, 16 MiB by default (smaller values are for tests)
 * @param major info-block version written (2.0 = UEFI; libpmemblk writes 1.1)
 * @param minor see {@code major}
 * @param parentUuid the container's uuid (libpmemblk: the pool's uuid), 16 bytes
 */
public record BttFormat(
    int externalLbaSize, int nfree, long maxArenaSize, long minArenaSize, int major, int minor, byte[] parentUuid) {
  /** 512 GiB: the largest arena of UEFI, Linux and libpmemblk. */
  public static final long MAX_ARENA = 512L << 30;
  /** 16 MiB: the smallest arena of UEFI, Linux and libpmemblk. */
  public static final long MIN_ARENA = 16L << 20;
  /** Default free blocks per arena. */
  public static final int DEFAULT_NFREE = 256;
  /** Largest external block size accepted. */
  public static final int MAX_LBA_SIZE = 1 << 24;

  public BttFormat {
    if (externalLbaSize < 1 || externalLbaSize > MAX_LBA_SIZE) {
      throw new IllegalArgumentException("BTT block size must be in [1, " + MAX_LBA_SIZE + "] bytes, got " + externalLbaSize);
    }
    if (nfree < 1 || nfree > 65536) {
      throw new IllegalArgumentException("nfree must be in [1, 65536], got " + nfree);
    }
    if (minArenaSize < 4 * BttInfo.SIZE || maxArenaSize < minArenaSize || maxArenaSize > MAX_ARENA) {
      throw new IllegalArgumentException("arena sizes must satisfy 16384 <= min " + minArenaSize + " <= max "
          + maxArenaSize + " <= 512 GiB");
    }
    if (parentUuid == null || parentUuid.length != 16) {
      throw new IllegalArgumentException("parent uuid must have 16 bytes");
    }
    parentUuid = parentUuid.clone();
  }

  /** UEFI defaults: nfree 256, arenas of 16 MiB .. 512 GiB, version 2.0, zero parent uuid. */
  public static BttFormat of(int externalLbaSize) {
    return new BttFormat(externalLbaSize, DEFAULT_NFREE, MAX_ARENA, MIN_ARENA, 2, 0, new byte[16]);
  }

  public BttFormat withNfree(int n) {
    return new BttFormat(externalLbaSize, n, maxArenaSize, minArenaSize, major, minor, parentUuid);
  }

  /** Test geometry: other arena bounds. */
  public BttFormat withArenaSizes(long min, long max) {
    return new BttFormat(externalLbaSize, nfree, max, min, major, minor, parentUuid);
  }

  public BttFormat withVersion(int maj, int min) {
    return new BttFormat(externalLbaSize, nfree, maxArenaSize, minArenaSize, maj, min, parentUuid);
  }

  public BttFormat withParentUuid(byte[] uuid) {
    return new BttFormat(externalLbaSize, nfree, maxArenaSize, minArenaSize, major, minor, uuid);
  }

  @Override
  public byte[] parentUuid() {
    return parentUuid.clone();
  }

  /** Internal block size: at least 512, rounded up to a multiple of 256 (libpmemblk's rule). */
  public int internalLbaSize() {
    long v = Math.max(512, externalLbaSize);
    return (int) BttInfo.roundUp(v, 256);
  }

  /** External blocks of a namespace of {@code rawSize} bytes (0 when it cannot hold a BTT). */
  public long blocksFor(long rawSize) {
    if (rawSize < minArenaSize) {
      return 0;
    }
    try {
      return arenas(rawSize).stream().mapToLong(i -> Integer.toUnsignedLong(i.externalNlba())).sum();
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }

  /**
   * The smallest namespace, a multiple of 4096 bytes, whose BTT offers {@code bytes} of blocks
   * rounded down to whole 4 KiB pages (what {@link BttMedium} exposes), preferring exactly {@code
   * bytes}; throws when that needs more than 2^60 bytes.
   */
  public long rawSizeFor(long bytes) {
    long blocks = (bytes + externalLbaSize - 1) / externalLbaSize;
    long perArena = arenas(maxArenaSize).get(0).externalNlba();
    long full = blocks / perArena;
    long rest = blocks - full * perArena;
    long flog = BttInfo.flogSize(nfree);
    long raw = full * maxArenaSize
        + (rest == 0 ? 0 : Math.max(minArenaSize, 3L * BttInfo.SIZE + flog + (rest + nfree) * (internalLbaSize() + 4L)));
    raw = BttInfo.roundUp(Math.max(raw, minArenaSize), 4096);
    long fallback = -1;
    for (int step = 0; step < 64; step++, raw += 4096) {
      long exposed = blocksFor(raw) * externalLbaSize;
      exposed -= exposed % 4096;
      if (exposed == bytes) {
        return raw;
      }
      if (exposed > bytes && fallback < 0) {
        fallback = raw;
      }
    }
    if (fallback < 0) {
      throw new IllegalArgumentException("no BTT namespace found for " + bytes + " bytes of " + externalLbaSize + "-byte blocks");
    }
    return fallback;
  }

  /** The info blocks of every arena of a namespace of {@code rawSize} bytes (with a fresh uuid). */
  public List<BttInfo> arenas(long rawSize) {
    if (rawSize < minArenaSize) {
      throw new IllegalArgumentException("a BTT needs at least " + minArenaSize + " bytes, the namespace has " + rawSize);
    }
    byte[] uuid = new byte[16];
    new SecureRandom().nextBytes(uuid);
    uuid[6] = (byte) ((uuid[6] & 0x0f) | 0x40);
    uuid[8] = (byte) ((uuid[8] & 0x3f) | 0x80);
    int ils = internalLbaSize();
    List<BttInfo> out = new ArrayList<>();
    long remaining = rawSize;
    while (remaining >= minArenaSize) {
      long size = Math.min(remaining, maxArenaSize);
      remaining -= size;
      long flog = BttInfo.flogSize(nfree);
      long dataAndMap = size - 2L * BttInfo.SIZE - flog;
      long internalNlba = (dataAndMap - BttInfo.SIZE) / (ils + 4L);
      if (internalNlba < 2L * nfree || internalNlba > Btt.POSTMAP_MASK + 1L) {
        throw new IllegalArgumentException("an arena of " + size + " bytes holds " + internalNlba + " blocks of "
            + ils + " bytes; a BTT arena needs between 2 * nfree = " + 2L * nfree + " and 2^30 blocks");
      }
      long externalNlba = internalNlba - nfree;
      long infoOff = size - BttInfo.SIZE;
      long flogOff = infoOff - flog;
      long mapOff = flogOff - BttInfo.mapSize(externalNlba);
      long nextOff = remaining >= minArenaSize ? size : 0;
      out.add(new BttInfo(uuid, parentUuid, 0, major, minor, externalLbaSize, (int) externalNlba, ils,
          (int) internalNlba, nfree, BttInfo.SIZE, nextOff, BttInfo.SIZE, mapOff, flogOff, infoOff));
    }
    return out;
  }
}
