package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link LongMap} behaves like a {@link LinkedHashMap} without removal, on both
 * sides of the linear/indexed switch and across clears (the map is reused by the next transaction).
 */
class LongMapTest {
  static LongStream seeds() {
    return LongStream.rangeClosed(1, 30);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void matchesALinkedHashMapAcrossClears(long seed) {
    Random r = new Random(seed);
    LongMap<String> map = new LongMap<>();
    for (int round = 0; round < 6; round++) {
      Map<Long, String> model = new LinkedHashMap<>();
      int ops = r.nextInt(r.nextBoolean() ? 12 : 300);
      long range = 1 + r.nextInt(r.nextBoolean() ? 16 : 100_000);
      for (int i = 0; i < ops; i++) {
        long key = r.nextBoolean() ? r.nextLong(range) : r.nextLong(range) * 4096 - 1;
        String what = "seed " + seed + " round " + round + " op " + i + " key " + key;
        if (r.nextInt(3) == 0) {
          assertEquals(model.containsKey(key), map.containsKey(key), what);
          assertEquals(model.get(key), map.get(key), what);
        } else {
          String v = r.nextInt(5) == 0 ? null : "v" + i;
          model.put(key, v);
          map.put(key, v);
        }
      }
      assertEquals(model.size(), map.size(), "seed " + seed + " round " + round);
      List<Long> keys = new ArrayList<>();
      List<String> values = new ArrayList<>();
      for (int i = 0; i < map.size(); i++) {
        keys.add(map.key(i));
        values.add(map.value(i));
      }
      assertEquals(new ArrayList<>(model.keySet()), keys, "insertion order, seed " + seed);
      assertEquals(new ArrayList<>(model.values()), values, "seed " + seed);
      for (long k : model.keySet()) {
        assertEquals(true, map.containsKey(k), "seed " + seed + " key " + k);
      }
      map.clear();
      assertEquals(0, map.size());
      for (long k : model.keySet()) {
        assertEquals(false, map.containsKey(k), "cleared, seed " + seed + " key " + k);
      }
    }
  }

  @Test
  void indexOutsideTheEntriesIsRejected() {
    LongMap<String> map = new LongMap<>();
    map.put(5, "a");
    assertThrows(IndexOutOfBoundsException.class, () -> map.key(1));
    assertThrows(IndexOutOfBoundsException.class, () -> map.value(-1));
  }
}
