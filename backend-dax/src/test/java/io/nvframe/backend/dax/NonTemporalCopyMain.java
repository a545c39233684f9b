package io.nvframe.backend.dax;

import io.nvframe.spi.PersistStats;
import io.nvframe.spi.ProviderConfig;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Child-JVM program for {@link NonTemporalCopyTest}: in a JVM with the split write-back primitives,
 * opens an {@code emulate} medium with the given {@value DaxBackendProvider#COPY} option, writes
 * seeded random bytes with {@code writeAndFlush} over line-aligned, unaligned, short and long
 * ranges, fences once, and prints one fact per line: {@code AVAILABLE}, {@code REASON}, {@code
 * PROPERTY}, {@code STATS}, {@code RANGES}, {@code MEDIUM} (every range reads back through the
 * medium), {@code FILE} (and through the file after close).
 */
public final class NonTemporalCopyMain {
  /** {@code {offset, length}} pairs, disjoint: whole aligned lines (libpmem's path) and the rest. */
  static final long[][] RANGES = {
    {0, 4096}, {8192, 512}, {65536, 256}, {524288, 64 * 1024}, {4096 * 40, 192}, {4096 * 50 + 64, 1024},
    {4096 * 60 + 100, 1000}, {4096 * 70, 4000}, {4096 * 90, 2048}, {4096 * 80 + 32, 4096}, {(1 << 20) - 4096, 4096},
    {2 << 20, (1 << 20) + 4096}, // more than one NonTemporalCopy.CHUNK
  };

  private NonTemporalCopyMain() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]).resolve("nt-" + args[1] + ".nvf");
    long seed = Long.parseLong(args[2]);
    long size = 4 << 20;
    System.out.println("AVAILABLE " + NonTemporalCopy.available());
    System.out.println("REASON " + NonTemporalCopy.unavailableReason());
    byte[][] data = new byte[RANGES.length][];
    SplittableRandom random = new SplittableRandom(seed);
    boolean mediumOk = true;
    try (MappedMedium m = (MappedMedium) new DaxBackendProvider().create(new ProviderConfig(file, size, false,
        Map.of(DaxBackendProvider.MODE, DaxBackendProvider.MODE_EMULATE, DaxBackendProvider.COPY, args[1])))) {
      System.out.println("PROPERTY " + m.properties().get(DaxBackendProvider.COPY));
      PersistStats before = m.stats();
      long bytes = 0;
      for (int i = 0; i < RANGES.length; i++) {
        int length = (int) RANGES[i][1];
        data[i] = new byte[length + 16];
        random.nextBytes(data[i]);
        m.writeAndFlush(RANGES[i][0], data[i], 16, length); // from inside the array, not its start
        bytes += length;
      }
      m.fence();
      PersistStats d = m.stats().minus(before);
      System.out.println("STATS stores=" + d.stores() + " bytes=" + d.bytesWritten() + "/" + bytes + " flushes="
          + d.flushes() + " fences=" + d.fences());
      System.out.println("RANGES " + m.writebackRanges() + " NT " + m.nonTemporalBytes());
      for (int i = 0; i < RANGES.length; i++) {
        byte[] back = new byte[(int) RANGES[i][1]];
        m.read(RANGES[i][0], back, 0, back.length);
        mediumOk &= Arrays.equals(back, 0, back.length, data[i], 16, 16 + back.length);
      }
    }
    System.out.println("MEDIUM " + mediumOk);
    boolean fileOk = true;
    try (FileChannel ch = FileChannel.open(file)) {
      for (int i = 0; i < RANGES.length; i++) {
        ByteBuffer b = ByteBuffer.allocate((int) RANGES[i][1]);
        ch.read(b, RANGES[i][0]);
        fileOk &= Arrays.equals(b.array(), 0, b.capacity(), data[i], 16, 16 + b.capacity());
      }
    }
    System.out.println("FILE " + fileOk);
  }
}
