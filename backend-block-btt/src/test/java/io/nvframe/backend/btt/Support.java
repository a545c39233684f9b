package io.nvframe.backend.btt;

import io.nvframe.spi.Medium;
import io.nvframe.tck.TestMedia;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/** Test helpers: heap media, block patterns, the libpmemblk fixture. */
final class Support {
  private Support() {}

  static final long MIB = 1L << 20;

  /** A small test geometry: arenas of 1 .. 4 MiB, nfree 16. */
  static BttFormat small(int blockSize) {
    return BttFormat.of(blockSize).withNfree(16).withArenaSizes(MIB, 4 * MIB);
  }

  static Btt.Options smallOptions() {
    return Btt.Options.defaults().withMaxArenaSize(4 * MIB);
  }

  static Medium heap(long size) {
    return TestMedia.heap(size);
  }

  /** A copy of {@code m}'s bytes in a new heap medium. */
  static Medium copy(Medium m) {
    byte[] all = new byte[(int) m.size()];
    m.read(0, all, 0, all.length);
    return TestMedia.heapWith(all);
  }

  static byte[] image(Medium m) {
    byte[] all = new byte[(int) m.size()];
    m.read(0, all, 0, all.length);
    return all;
  }

  /** Block content: {@code (lba * 31 + j * 7 + version * 13) & 0xff}. */
  static byte[] pattern(long lba, int version, int size) {
    byte[] b = new byte[size];
    for (int j = 0; j < size; j++) {
      b[j] = (byte) (lba * 31 + j * 7 + version * 13);
    }
    return b;
  }

  static byte[] read(Btt btt, long lba) {
    byte[] b = new byte[btt.blockSize()];
    btt.read(lba, b, 0);
    return b;
  }

  /** The fixture directory {@code shared/fixtures/btt}, searched upward from the working directory. */
  static Optional<Path> fixtureDir() {
    String prop = System.getProperty("nvframe.btt.fixtures");
    if (prop != null) {
      return Optional.of(Path.of(prop)).filter(Files::isDirectory);
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path c = p.resolve("shared/fixtures/btt");
      if (Files.isRegularFile(c.resolve("pmemblk-4096-seed5.pool.gz"))) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /** The gunzipped fixture pool, or empty (with the reason printed) when absent. */
  static Optional<byte[]> fixturePool() {
    Optional<Path> dir = fixtureDir();
    if (dir.isEmpty()) {
      System.out.println("SKIP: BTT fixture shared/fixtures/btt/pmemblk-4096-seed5.pool.gz not found above "
          + Path.of("").toAbsolutePath() + " (set -Dnvframe.btt.fixtures=DIR)");
      return Optional.empty();
    }
    try (InputStream in = new GZIPInputStream(Files.newInputStream(dir.get().resolve("pmemblk-4096-seed5.pool.gz")))) {
      return Optional.of(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Expected fixture content per its README; null for an Error block. */
  static byte[] fixtureExpected(int i) {
    byte[] b = new byte[4096];
    if (i % 11 == 0 || i % 13 == 0) {
      return b;
    }
    if (i % 17 == 0) {
      return null;
    }
    int times = i % 5 == 0 ? 2 : 1;
    for (int j = 0; j < 4096; j++) {
      b[j] = (byte) ((i * 31 + j * 7 + 5 + times * 13) & 0xff);
    }
    return b;
  }
}
