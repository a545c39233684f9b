package io.nvframe.backend.dax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link DaxMode#resolve} over every combination of its inputs (5 modes x MAP_SYNC accepted or not
 * x file or device x writable or read-only = 40), against the table spelled out here row by row,
 * without the wildcards of the table in {@link DaxMode}.
 */
class DaxModeResolveTest {
  /** requested, MAP_SYNC accepted, target, read-only -> mode flush mapping, or "refused WHY". */
  private static final String EXPECTED = """
      auto    yes file   rw  sync    FORCE_LINES     MAP_SYNC
      auto    no  file   rw  msync   FORCE_PAGES     PLAIN
      auto    yes file   ro  msync   NOTHING         READ_ONLY
      auto    no  file   ro  msync   NOTHING         READ_ONLY
      auto    yes device rw  sync    WRITEBACK_LINES MAP_SYNC
      auto    no  device rw  emulate WRITEBACK_LINES PLAIN
      auto    yes device ro  emulate NOTHING         READ_ONLY
      auto    no  device ro  emulate NOTHING         READ_ONLY
      sync    yes file   rw  sync    FORCE_LINES     MAP_SYNC
      sync    no  file   rw  refused NO_MAP_SYNC
      sync    yes file   ro  msync   NOTHING         READ_ONLY
      sync    no  file   ro  msync   NOTHING         READ_ONLY
      sync    yes device rw  sync    WRITEBACK_LINES MAP_SYNC
      sync    no  device rw  refused NO_MAP_SYNC
      sync    yes device ro  emulate NOTHING         READ_ONLY
      sync    no  device ro  emulate NOTHING         READ_ONLY
      msync   yes file   rw  msync   FORCE_PAGES     PLAIN
      msync   no  file   rw  msync   FORCE_PAGES     PLAIN
      msync   yes file   ro  msync   NOTHING         READ_ONLY
      msync   no  file   ro  msync   NOTHING         READ_ONLY
      msync   yes device rw  refused DEVICE_HAS_NO_MSYNC
      msync   no  device rw  refused DEVICE_HAS_NO_MSYNC
      msync   yes device ro  refused DEVICE_HAS_NO_MSYNC
      msync   no  device ro  refused DEVICE_HAS_NO_MSYNC
      emulate yes file   rw  emulate WRITEBACK_LINES PLAIN
      emulate no  file   rw  emulate WRITEBACK_LINES PLAIN
      emulate yes file   ro  emulate NOTHING         READ_ONLY
      emulate no  file   ro  emulate NOTHING         READ_ONLY
      emulate yes device rw  emulate WRITEBACK_LINES PLAIN
      emulate no  device rw  emulate WRITEBACK_LINES PLAIN
      emulate yes device ro  emulate NOTHING         READ_ONLY
      emulate no  device ro  emulate NOTHING         READ_ONLY
      none    yes file   rw  none    NOTHING         PLAIN
      none    no  file   rw  none    NOTHING         PLAIN
      none    yes file   ro  none    NOTHING         READ_ONLY
      none    no  file   ro  none    NOTHING         READ_ONLY
      none    yes device rw  none    NOTHING         PLAIN
      none    no  device rw  none    NOTHING         PLAIN
      none    yes device ro  none    NOTHING         READ_ONLY
      none    no  device ro  none    NOTHING         READ_ONLY
      """;

  private static String key(DaxMode requested, boolean mapSync, boolean device, boolean readOnly) {
    return requested.key() + " " + (mapSync ? "yes" : "no") + " " + (device ? "device" : "file") + " "
        + (readOnly ? "ro" : "rw");
  }

  private static Map<String, String> expected() {
    Map<String, String> byKey = new HashMap<>();
    for (String line : EXPECTED.strip().split("\n")) {
      String[] f = line.trim().split("\\s+");
      String previous = byKey.put(f[0] + " " + f[1] + " " + f[2] + " " + f[3],
          String.join(" ", List.of(f).subList(4, f.length)));
      assertEquals(null, previous, "duplicate expected row: " + line);
    }
    return byKey;
  }

  static List<Arguments> combinations() {
    List<Arguments> all = new ArrayList<>();
    for (DaxMode requested : DaxMode.values()) {
      for (boolean mapSync : new boolean[] {true, false}) {
        for (boolean device : new boolean[] {false, true}) {
          for (boolean readOnly : new boolean[] {false, true}) {
            all.add(Arguments.of(requested, mapSync, device, readOnly));
          }
        }
      }
    }
    return all;
  }

  private static String describe(DaxMode.Resolution r) {
    return r.isRefused()
        ? "refused " + r.refusal()
        : r.mode().key() + " " + r.flush() + " " + r.mapping();
  }

  @ParameterizedTest(name = "{0} mapSync={1} device={2} readOnly={3}")
  @MethodSource("combinations")
  void everyCombinationResolvesAsTheTableSays(DaxMode requested, boolean mapSync, boolean device, boolean readOnly) {
    String k = key(requested, mapSync, device, readOnly);
    String want = expected().get(k);
    assertNotNull(want, "no expected row for " + k);
    assertEquals(want, describe(DaxMode.resolve(requested, mapSync, device, readOnly)), k);
  }

  @Test
  void theExpectedTableHasExactlyTheFortyCombinations() {
    assertEquals(combinations().size(), expected().size());
    assertEquals(40, expected().size());
  }

  @Test
  void writebackIsNeededExactlyForCacheLineWritebackOutcomes() {
    for (Arguments a : combinations()) {
      Object[] in = a.get();
      DaxMode.Resolution r = DaxMode.resolve((DaxMode) in[0], (boolean) in[1], (boolean) in[2], (boolean) in[3]);
      boolean writableEmulateOrDevice = !(boolean) in[3] && r.mode() != DaxMode.NONE
          && ((boolean) in[2] || in[0] == DaxMode.EMULATE);
      assertEquals(!r.isRefused() && writableEmulateOrDevice, r.needsWriteback(),
          () -> key((DaxMode) in[0], (boolean) in[1], (boolean) in[2], (boolean) in[3]));
    }
  }

  @Test
  void whyNamesTheRefusedMapSyncAndTheFlush() {
    DaxMode.Resolution fallback = DaxMode.resolve(DaxMode.AUTO, false, false, false);
    String why = fallback.why("Operation not supported");
    assertTrue(why.startsWith("MAP_SYNC not supported here (Operation not supported)"), why);
    assertTrue(why.contains("msync"), why);
    assertTrue(DaxMode.resolve(DaxMode.AUTO, true, false, false).why(null).startsWith("MAP_SYNC accepted"));
    assertTrue(DaxMode.resolve(DaxMode.SYNC, true, true, true).why(null).contains("nothing to write back"));
    assertTrue(DaxMode.resolve(DaxMode.NONE, true, false, false).why(null).toLowerCase(Locale.ROOT)
        .contains("eadr"));
  }
}
