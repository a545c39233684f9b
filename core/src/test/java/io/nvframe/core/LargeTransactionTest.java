package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.Frame;
import io.nvframe.api.Region;
import io.nvframe.tck.RegionCheckExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transactions far larger than a redo-log lane (4032 payload bytes), committed whole through
 * extension frames and checked again after a reopen: 1024 frames allocated, written and linked;
 * 4 MiB of existing frames rewritten; 1024 frames freed; and ({@code -Plong}) 64 MiB rewritten in
 * a 1 GiB region. After each, every extension frame is free again (free-frame counts are exact).
 */
class LargeTransactionTest {
  @TempDir Path dir;
  @RegisterExtension final RegionCheckExtension regions = new RegionCheckExtension();

  private Region create(Path file, long capacity) {
    return regions.track(Regions.builder().backend("dax").path(file).capacity(capacity).maxOrder(10).create());
  }

  private Region reopen(Region r, Path file) {
    r.close();
    return regions.track(Regions.builder().path(file).open());
  }

  @Test
  void allocateWriteAndLink1024FramesThenFreeThemInOneTransactionEach() {
    Path file = dir.resolve("links.nvf");
    Region r = create(file, 64L << 20);
    long free0 = r.stats().freeFrames();
    List<Frame> frames = new ArrayList<>();
    r.transact(tx -> {
      Frame directory = tx.allocate(1); // 8 KiB: 1024 links
      for (int i = 0; i < 1024; i++) {
        Frame f = tx.allocate(0);
        tx.putLong(f, 0, 1000L + i);
        tx.putLong(directory, 8L * i, f.pfn());
        frames.add(f);
      }
      tx.setRoot("directory", directory);
    });
    assertEquals(free0 - 1024 - 2, r.stats().freeFrames(), "1024 frames + the directory, no extension frame kept");
    r = reopen(r, file);
    Frame directory = r.root("directory").orElseThrow();
    for (int i = 0; i < 1024; i++) {
      Frame f = r.frameAt(r.getLong(directory, 8L * i)).orElseThrow();
      assertEquals(frames.get(i), f);
      assertEquals(1000L + i, r.getLong(f, 0));
    }
    assertEquals(free0 - 1026, r.stats().freeFrames());

    Region region = r;
    region.transact(tx -> {
      for (int i = 0; i < 1024; i++) {
        tx.free(frames.get(i));
        tx.putLong(directory, 8L * i, 0);
      }
    });
    assertEquals(free0 - 2, region.stats().freeFrames());
    r = reopen(region, file);
    assertEquals(free0 - 2, r.stats().freeFrames(), "the frees survive the reopen");
    assertEquals(0L, r.getLong(r.root("directory").orElseThrow(), 8L * 1023));
    assertTrue(r.check().consistent(), r.check().problems().toString());
  }

  @Test
  void rewrite4MiBOfExistingFramesInOneTransaction() {
    rewrite(dir.resolve("rewrite.nvf"), 64L << 20, 4 << 20);
  }

  @Tag("long")
  @Test
  void rewrite64MiBInA1GiBRegion() {
    rewrite(dir.resolve("rewrite64.nvf"), 1L << 30, 64 << 20);
  }

  private void rewrite(Path file, long capacity, int bytes) {
    Region r = create(file, capacity);
    int blockBytes = 4096 << 10;
    List<Frame> blocks = new ArrayList<>();
    for (int done = 0; done < bytes; done += blockBytes) {
      blocks.add(r.allocate(10));
    }
    long free0 = r.stats().freeFrames();
    Random rnd = new Random(bytes);
    byte[][] data = new byte[blocks.size()][];
    r.transact(tx -> {
      for (int i = 0; i < blocks.size(); i++) {
        data[i] = new byte[Math.min(blockBytes, bytes - i * blockBytes)];
        rnd.nextBytes(data[i]);
        tx.write(blocks.get(i), 0, data[i]);
      }
      tx.setRoot("first", blocks.get(0));
    });
    assertEquals(free0, r.stats().freeFrames(), "every extension frame is free again");
    r = reopen(r, file);
    for (int i = 0; i < blocks.size(); i++) {
      byte[] got = new byte[data[i].length];
      r.read(blocks.get(i), 0, got);
      assertArrayEquals(data[i], got, "block " + i);
    }
    assertEquals(free0, r.stats().freeFrames());
  }
}
