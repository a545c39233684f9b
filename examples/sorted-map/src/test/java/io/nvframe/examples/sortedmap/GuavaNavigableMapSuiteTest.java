package io.nvframe.examples.sortedmap;

import com.google.common.collect.testing.NavigableMapTestSuiteBuilder;
import com.google.common.collect.testing.TestStringSortedMapGenerator;
import com.google.common.collect.testing.features.CollectionFeature;
import com.google.common.collect.testing.features.CollectionSize;
import com.google.common.collect.testing.features.MapFeature;
import io.nvframe.api.Region;
import io.nvframe.core.Regions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.SortedMap;
import junit.framework.Test;
import junit.framework.TestSuite;

/**
 * Guava testlib's contract tests for {@link java.util.NavigableMap}, run against {@link BTreeMap}
 * (JUnit 3 suite, run by the JUnit Vintage engine). The builder derives suites for the descending
 * map, sub-maps, head and tail maps, key sets, values and entry sets.
 *
 * <p>Every map the suite creates is a new tree under its own root of one shared heap region; the
 * oldest trees are dropped (all their frames freed) as new ones are created, so the region also
 * sees thousands of create/drop cycles.
 */
public final class GuavaNavigableMapSuiteTest {
  private static final int LIVE_MAPS = 16;
  private static Region region;
  private static final Deque<BTreeMap<String, String>> live = new ArrayDeque<>();
  private static int created;

  private GuavaNavigableMapSuiteTest() {}

  public static Test suite() {
    TestSuite suite = new TestSuite("BTreeMap");
    suite.addTest(NavigableMapTestSuiteBuilder.using(new TestStringSortedMapGenerator() {
          @Override
          protected SortedMap<String, String> create(Map.Entry<String, String>[] entries) {
            BTreeMap<String, String> map = newMap();
            for (Map.Entry<String, String> e : entries) {
              map.put(e.getKey(), e.getValue());
            }
            return map;
          }
        })
        .named("BTreeMap<String, String>")
        .withFeatures(
            MapFeature.GENERAL_PURPOSE,
            CollectionFeature.SUPPORTS_ITERATOR_REMOVE,
            CollectionFeature.KNOWN_ORDER,
            CollectionSize.ANY)
        .createTestSuite());
    return suite;
  }

  private static synchronized BTreeMap<String, String> newMap() {
    if (region == null) {
      region = Regions.builder().backend("heap").capacity(64L << 20).maxOrder(4).lanes(4).create();
    }
    while (live.size() >= LIVE_MAPS) {
      live.removeFirst().drop();
    }
    BTreeMap<String, String> map = BTreeMap.open(region, "guava-" + created++, Codecs.STRING, Codecs.STRING);
    live.addLast(map);
    return map;
  }
}
