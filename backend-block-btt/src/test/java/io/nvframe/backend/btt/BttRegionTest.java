package io.nvframe.backend.btt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.Frame;
import io.nvframe.api.Region;
import io.nvframe.api.Transaction;
import io.nvframe.core.Regions;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A region on BTT (page = block): create, allocate, transact, roots, reopen, check; and the fences
 * each region operation costs on the byte-addressable medium underneath (each BTT block write is 3).
 */
class BttRegionTest {
  @TempDir Path dir;

  private static long inner(Region r, String key) {
    return Long.parseLong(r.info().medium().get(key));
  }

  private record Cost(long blockWrites, long fences) {}

  private static Cost cost(Region r, Runnable op) {
    long w = inner(r, "btt.blockWrites");
    long f = inner(r, "btt.inner.fences");
    op.run();
    return new Cost(inner(r, "btt.blockWrites") - w, inner(r, "btt.inner.fences") - f);
  }

  @Test
  void regionFeaturesWorkOnBttAndEachBlockWriteCostsThreeFences() {
    Path file = dir.resolve("r.nvf");
    Frame kept;
    try (Region r = Regions.builder().path(file).backend("btt").capacity(32L << 20).create()) {
      assertEquals("btt", r.info().backend());
      assertEquals("4096", r.info().medium().get("btt.blockSize"));
      Frame[] f = new Frame[1];
      Cost alloc = cost(r, () -> f[0] = r.allocate(0));
      Cost put = cost(r, () -> {
        try (Transaction tx = r.begin()) {
          tx.putLong(f[0], 0, 42L);
          tx.commit();
        }
      });
      Cost put2 = cost(r, () -> {
        try (Transaction tx = r.begin()) {
          tx.putLong(f[0], 8, 1L);
          tx.putLong(f[0], 16, 2L);
          tx.commit();
        }
      });
      Cost root = cost(r, () -> {
        try (Transaction tx = r.begin()) {
          tx.setRoot("a", f[0]);
          tx.commit();
        }
      });
      Frame[] g = new Frame[1];
      Cost allocFree = cost(r, () -> r.free(g[0] = r.allocate(0)));
      for (Cost c : new Cost[] {alloc, put, put2, root, allocFree}) {
        assertEquals(3 * c.blockWrites(), c.fences(), "every inner fence belongs to a BTT block write: " + c);
        assertTrue(c.blockWrites() > 0, c.toString());
      }
      System.out.printf("region on BTT, block writes / inner fences: allocate %s, tx 1 putLong %s, tx 2 putLongs %s, "
          + "setRoot %s, allocate+free %s%n", alloc, put, put2, root, allocFree);
      kept = f[0];
      assertTrue(r.check().consistent(), r.check().problems().toString());
    }
    try (Region r = Regions.open(file)) {
      assertEquals(42L, r.getLong(r.root("a").orElseThrow(), 0));
      assertEquals(2L, r.getLong(kept, 16));
      assertTrue(r.check().consistent(), r.check().problems().toString());
    }
    // the BTT inside the region file is consistent too
    try (BttFiles.Opened o = BttFiles.open(file, true, null)) {
      assertEquals(BttBackendProvider.REGION_PREFIX, o.location().offset());
      BttCheck.Report rep = BttCheck.check(o.medium(), o.location().offset(), o.location().rawSize(), o.location().options(true));
      assertTrue(rep.consistent(), rep.problems().toString());
    }
  }

  @Test
  void providerReportsBlockAtomicityAndCapabilities() {
    BttBackendProvider p = new BttBackendProvider();
    try (Medium m = p.create(new ProviderConfig(null, 20L << 20, false, Map.of(BttBackendProvider.MEDIUM, "heap",
        BttBackendProvider.BLOCK_SIZE, "512")))) {
      assertEquals(512, m.atomicWriteUnit());
      assertEquals(512, m.flushGranularity());
      assertTrue(m.capabilities().contains(Capability.ATOMIC_BLOCK_WRITE));
      assertTrue(m.capabilities().contains(Capability.VOLATILE));
      assertEquals(0, m.size() % 4096);
      // block 20 is past the 8 KiB whose writes are also mirrored before the BTT
      m.storeLong(20 * 512 + 8, 77L);
      assertEquals(77L, m.loadLong(20 * 512 + 8));
      BttMedium bm = (BttMedium) m;
      long before = bm.innerStats().fences();
      m.persist(20 * 512, 16);
      assertEquals(3, bm.innerStats().fences() - before, "one block written through the BTT");
      assertEquals(77L, m.loadLong(20 * 512 + 8));
      before = bm.innerStats().fences();
      m.storeLong(8, 5L);
      m.persist(8, 8);
      assertEquals(4, bm.innerStats().fences() - before, "block 0: BTT write + its mirror in the prefix");
      byte[] back = new byte[8];
      bm.btt().read(20, 8, back, 0, 8);
      assertEquals(77L, Le.i64(back, 0), "the flushed block is in the BTT");
    }
  }
}
