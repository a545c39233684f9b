package io.nvframe.backend.dax;

import io.nvframe.spi.PersistStats;
import io.nvframe.spi.ProviderConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Map;

/**
 * Child-JVM program for {@link SplitWritebackTest}: opens an {@code emulate} medium in the JVM it
 * was started in, flushes three separate ranges and fences once, then prints one fact per line
 * ({@code SPLIT}, {@code PROPERTY}, {@code STATS}, {@code RANGES}, {@code FILE}, {@code REASON}).
 */
public final class SplitWritebackMain {
  private SplitWritebackMain() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]).resolve("split.nvf");
    long size = 1 << 20;
    System.out.println("SPLIT " + CacheLineWriteback.split());
    System.out.println("REASON " + CacheLineWriteback.notSplitReason());
    long[] offsets = {0, 4096, size - 64};
    try (MappedMedium m = (MappedMedium) new DaxBackendProvider()
        .create(new ProviderConfig(file, size, false, Map.of(DaxBackendProvider.MODE, DaxBackendProvider.MODE_EMULATE)))) {
      System.out.println("PROPERTY " + m.properties().get(MappedMedium.WRITEBACK_PROPERTY));
      PersistStats before = m.stats();
      for (int i = 0; i < offsets.length; i++) {
        m.storeLong(offsets[i], 0x0102030405060708L * (i + 1));
        m.flush(offsets[i], 8);
      }
      m.fence();
      PersistStats d = m.stats().minus(before);
      System.out.println("STATS stores=" + d.stores() + " flushes=" + d.flushes() + " fences=" + d.fences());
      System.out.println("RANGES " + m.writebackRanges() + " " + m.writebackBytes());
    }
    StringBuilder values = new StringBuilder("FILE");
    try (FileChannel ch = FileChannel.open(file)) {
      for (long at : offsets) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(b, at);
        values.append(' ').append(Long.toHexString(b.getLong(0)));
      }
    }
    System.out.println(values);
  }
}
