package io.nvframe.examples.sortedmap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.Region;
import io.nvframe.core.Regions;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random operations against {@link TreeMap} as the model, seeded: after every batch the region is
 * checked, the tree's invariants verified, every allocated frame accounted for, and the whole
 * content compared. Large values (up to 1.5 KiB) keep leaves small, so a few thousand entries give
 * a tree of height 3-4 with many splits, merges and redistributions.
 */
class ModelTest {
  private static final int BATCHES = 40;
  private static final int OPS_PER_BATCH = 150;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 20261127})
  void randomOperationsMatchTreeMap(long seed) {
    try (Region region = Regions.builder().backend("heap").capacity(64L << 20).maxOrder(4).lanes(4).create()) {
      BTreeMap<byte[], byte[]> map = BTreeMap.open(region, "model", Codecs.BYTES, Codecs.BYTES);
      TreeMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);
      Random random = new Random(seed);
      int maxHeight = 0;
      for (int batch = 0; batch < BATCHES; batch++) {
        String context = "seed " + seed + " batch " + batch;
        try {
          if (batch == BATCHES / 2) {
            assertTrue(map.verifyTree().height() >= 2, context + ": tree too low before clear()");
            model.clear();
            map.clear(); // detaches a tree of height >= 2 and frees it in batches
          }
          for (int op = 0; op < OPS_PER_BATCH; op++) {
            step(random, map, model, batch);
          }
          compareAll(map, model, context);
          maxHeight = Math.max(maxHeight, TestRegions.checkAll(region, map, context).height());
        } catch (AssertionError | RuntimeException e) {
          throw new AssertionError("failed with " + context + " (re-run this seed to reproduce)", e);
        }
      }
      assertTrue(maxHeight >= 2, "seed " + seed + ": the tree should have grown to height >= 2, was " + maxHeight);
    }
  }

  /**
   * Longest keys and largest entries: internal nodes hold only about seven children, so a few
   * hundred entries make a tree of height 4 or more, and every put or remove still fits in one
   * default (4 KiB) log lane, since only allocator entries and metadata words are logged.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {5, 6})
  void largestEntriesMakeTallTreesWithinOneLane(long seed) {
    try (Region region = Regions.builder().backend("heap").capacity(64L << 20).maxOrder(4).lanes(2).create()) {
      BTreeMap<byte[], byte[]> map = BTreeMap.open(region, "tall", Codecs.BYTES, Codecs.BYTES);
      TreeMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);
      Random random = new Random(seed);
      int maxValue = 4096 / 2 - 8 - 4 - BTree.MAX_KEY - 4;
      int maxHeight = 0;
      for (int i = 0; i < 1500; i++) {
        byte[] k = new byte[BTree.MAX_KEY];
        k[random.nextInt(8)] = (byte) random.nextInt(256); // long shared prefixes, differing early
        k[BTree.MAX_KEY - 1] = (byte) random.nextInt(256);
        String context = "seed " + seed + " op " + i;
        if (i < 900 || random.nextInt(3) > 0 && i < 1100) {
          byte[] v = new byte[random.nextInt(maxValue + 1)];
          assertArrayEquals(model.put(k, v), map.put(k, v), context);
        } else {
          byte[] victim = model.isEmpty() ? k : model.ceilingKey(k) != null ? model.ceilingKey(k) : model.firstKey();
          assertArrayEquals(model.remove(victim), map.remove(victim), context);
        }
        if (i % 100 == 99) {
          compareAll(map, model, context);
          maxHeight = Math.max(maxHeight, TestRegions.checkAll(region, map, context).height());
        }
      }
      assertTrue(maxHeight >= 4, "seed " + seed + ": height " + maxHeight + ", expected >= 4");
    }
  }

  private static byte[] key(Random r) {
    // a small alphabet: shared prefixes and plenty of hits among short keys; up to 60 bytes, so
    // that internal nodes fill up too
    byte[] k = new byte[1 + r.nextInt(r.nextInt(60) + 1)];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) (r.nextBoolean() ? 'a' + r.nextInt(4) : 0xF0 + r.nextInt(4));
    }
    return k;
  }

  private static byte[] value(Random r) {
    byte[] v = new byte[r.nextInt(10) == 0 ? r.nextInt(1500) : r.nextInt(500)];
    r.nextBytes(v);
    return v;
  }

  private static void step(Random r, BTreeMap<byte[], byte[]> map, TreeMap<byte[], byte[]> model, int batch) {
    int dice = r.nextInt(100);
    // grow during the first three quarters (with a clear() in the middle), shrink afterwards
    boolean growing = batch < BATCHES * 3 / 4;
    int putShare = growing ? 72 : 25;
    int removeShare = growing ? 13 : 60;
    if (dice < putShare) {
      byte[] k = key(r);
      byte[] v = value(r);
      assertArrayEquals(model.put(k, v), map.put(k, v), "put");
    } else if (dice < putShare + removeShare) {
      byte[] k = r.nextInt(4) == 0 || model.isEmpty() ? key(r) : randomExistingKey(r, model);
      assertArrayEquals(model.remove(k), map.remove(k), "remove");
    } else if (dice < 88) {
      assertEntryEquals(model.pollFirstEntry(), map.pollFirstEntry());
    } else if (dice < 91) {
      assertEntryEquals(model.pollLastEntry(), map.pollLastEntry());
    } else if (dice < 97) {
      byte[] k = key(r);
      assertEntryEquals(model.ceilingEntry(k), map.ceilingEntry(k));
      assertEntryEquals(model.floorEntry(k), map.floorEntry(k));
      assertEntryEquals(model.higherEntry(k), map.higherEntry(k));
      assertEntryEquals(model.lowerEntry(k), map.lowerEntry(k));
    } else if (dice < 99) {
      byte[] a = key(r);
      byte[] b = key(r);
      if (Arrays.compareUnsigned(a, b) > 0) {
        byte[] t = a;
        a = b;
        b = t;
      }
      boolean toInclusive = r.nextBoolean();
      // compare a descending sub-view, then clear a small range through the view
      NavigableMap<byte[], byte[]> mv = model.subMap(a, true, b, toInclusive).descendingMap();
      NavigableMap<byte[], byte[]> tv = map.subMap(a, true, b, toInclusive).descendingMap();
      compareAll(tv, mv, "descending sub-map");
      if (mv.size() < 20) {
        mv.clear();
        tv.clear();
      }
    } else {
      byte[] k = key(r);
      assertEquals(model.containsKey(k), map.containsKey(k), "containsKey");
    }
  }

  private static byte[] randomExistingKey(Random r, TreeMap<byte[], byte[]> model) {
    byte[] probe = key(r);
    byte[] k = model.ceilingKey(probe);
    return k != null ? k : model.firstKey();
  }

  private static void assertEntryEquals(Map.Entry<byte[], byte[]> expected, Map.Entry<byte[], byte[]> actual) {
    if (expected == null) {
      assertNull(actual);
      return;
    }
    assertArrayEquals(expected.getKey(), actual.getKey(), "key");
    assertArrayEquals(expected.getValue(), actual.getValue(), "value");
  }

  private static void compareAll(NavigableMap<byte[], byte[]> actual, NavigableMap<byte[], byte[]> expected,
      String context) {
    assertEquals(expected.size(), actual.size(), context + ": size");
    Iterator<Map.Entry<byte[], byte[]>> it = actual.entrySet().iterator();
    for (Map.Entry<byte[], byte[]> e : expected.entrySet()) {
      assertTrue(it.hasNext(), context + ": iteration ends early");
      Map.Entry<byte[], byte[]> a = it.next();
      assertArrayEquals(e.getKey(), a.getKey(), context + ": key");
      assertArrayEquals(e.getValue(), a.getValue(), context + ": value");
    }
    assertTrue(!it.hasNext(), context + ": iteration goes on");
  }
}
