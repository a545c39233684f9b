package io.nvframe.examples.sortedmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.Region;
import io.nvframe.core.Regions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Several writer threads, each owning a key prefix, put and remove against their own model while
 * reader threads scan and look up the whole map. Verified: every reader sees ascending keys and
 * values that belong to their keys; every writer reads its own writes; at the end the map equals
 * the union of the writers' models, the tree invariants hold and no frame leaked.
 */
class StressTest {
  private static final int WRITERS = 3;
  private static final int READERS = 2;
  private static final int OPS = 2500;

  @Test
  void concurrentWritersAndReaders() throws Exception {
    long seed = System.nanoTime();
    try (Region region = Regions.builder().backend("heap").capacity(64L << 20).maxOrder(4).lanes(8).create()) {
      BTreeMap<String, String> map = BTreeMap.open(region, "stress", Codecs.STRING, Codecs.STRING);
      List<TreeMap<String, String>> models = new ArrayList<>();
      ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
      AtomicBoolean writing = new AtomicBoolean(true);
      CountDownLatch writersDone = new CountDownLatch(WRITERS);
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        TreeMap<String, String> model = new TreeMap<>();
        models.add(model);
        Random random = new Random(seed + w);
        String prefix = "w" + w + "/";
        threads.add(Thread.ofPlatform().name("writer-" + w).start(() -> {
          try {
            for (int i = 0; i < OPS; i++) {
              String k = prefix + Integer.toString(random.nextInt(800), 36);
              if (random.nextInt(3) == 0) {
                assertEquals(model.remove(k), map.remove(k), "remove " + k);
              } else {
                String v = k + "=" + i + "#".repeat(random.nextInt(120));
                assertEquals(model.put(k, v), map.put(k, v), "put " + k);
                assertEquals(v, map.get(k), "read own write " + k);
              }
            }
          } catch (Throwable t) {
            failures.add(t);
          } finally {
            writersDone.countDown();
          }
        }));
      }
      for (int r = 0; r < READERS; r++) {
        Random random = new Random(seed + 100 + r);
        threads.add(Thread.ofPlatform().name("reader-" + r).start(() -> {
          try {
            while (writing.get()) {
              String previous = null;
              for (Map.Entry<String, String> e : map.entrySet()) {
                assertTrue(previous == null || previous.compareTo(e.getKey()) < 0, "scan not ascending");
                assertTrue(e.getValue().startsWith(e.getKey() + "="), "value of another key");
                previous = e.getKey();
              }
              String probe = "w" + random.nextInt(WRITERS) + "/" + Integer.toString(random.nextInt(800), 36);
              String v = map.get(probe);
              assertTrue(v == null || v.startsWith(probe + "="), "value of another key");
              Map.Entry<String, String> c = map.ceilingEntry(probe);
              assertTrue(c == null || c.getKey().compareTo(probe) >= 0, "ceiling below probe");
            }
          } catch (Throwable t) {
            failures.add(t);
          }
        }));
      }
      writersDone.await();
      writing.set(false);
      for (Thread t : threads) {
        t.join();
      }
      if (!failures.isEmpty()) {
        AssertionError e = new AssertionError("seed " + seed + ": " + failures.size() + " thread(s) failed");
        failures.forEach(e::addSuppressed);
        throw e;
      }
      TreeMap<String, String> expected = new TreeMap<>();
      models.forEach(expected::putAll);
      assertEquals(expected, map, "seed " + seed);
      TestRegions.checkAll(region, map, "seed " + seed);
    }
  }
}
