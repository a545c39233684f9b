package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.BackendUnavailableException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.ProviderConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProviderRegistryTest {
  private static final ProviderConfig NO_PATH = new ProviderConfig(null, 0, false, Map.of());
  @TempDir Path tmp;

  private ProviderConfig withPath() {
    return new ProviderConfig(tmp.resolve("r.nvf"), 1 << 20, false, Map.of());
  }

  @Test
  void discoveryRunsOncePerClassLoader() throws Exception {
    ClassLoader mine = getClass().getClassLoader();
    ProviderRegistry first = ProviderRegistry.forLoader(mine);
    assertSame(first, ProviderRegistry.forLoader(mine), "the same loader reuses its registry");
    assertSame(first.require("dax"), ProviderRegistry.forLoader(mine).require("dax"));
    try (java.net.URLClassLoader other = new java.net.URLClassLoader(new java.net.URL[0], mine)) {
      ProviderRegistry second = ProviderRegistry.forLoader(other);
      assertNotSame(first, second, "another loader gets its own discovery");
      assertEquals(first.providers().keySet(), second.providers().keySet());
    }
  }

  @Test
  void findsTheInstalledBackendsByName() {
    ProviderRegistry r = ProviderRegistry.load(getClass().getClassLoader());
    assertEquals("heap", r.require("heap").name());
    assertEquals("dax", r.require("dax").name());
    assertTrue(r.loadFailures().isEmpty(), r.loadFailures().toString());
  }

  @Test
  void unknownNameListsAvailableNamesAndTheArtifactForFirstPartyNames() {
    ProviderRegistry r = ProviderRegistry.load(getClass().getClassLoader());
    NvframeConfigurationException e = assertThrows(NvframeConfigurationException.class, () -> r.require("btt"));
    assertEquals(ErrorCode.BACKEND_UNKNOWN, e.code());
    assertTrue(e.getMessage().contains("available: dax, heap"), e.getMessage());
    assertTrue(e.getMessage().contains("io.nvframe:nvframe-backend-block-btt"), e.getMessage());
    assertTrue(e.getMessage().endsWith("[NV-002]"), e.getMessage());
    e = assertThrows(NvframeConfigurationException.class, () -> r.require("DAX"));
    assertTrue(e.getMessage().contains("lower-case"), e.getMessage());
  }

  @Test
  void twoProvidersWithOneNameFailNamingBothClasses(@TempDir Path dir) {
    ClassLoader loader = TestProviders.withProviders(dir, true, TestProviders.SecondHeapProvider.class);
    NvframeConfigurationException e =
        assertThrows(NvframeConfigurationException.class, () -> ProviderRegistry.load(loader));
    assertEquals(ErrorCode.BACKEND_DUPLICATE, e.code());
    assertTrue(e.getMessage().contains("HeapBackendProvider"), e.getMessage());
    assertTrue(e.getMessage().contains("SecondHeapProvider"), e.getMessage());
  }

  @Test
  void aProviderThatFailsToLoadIsSkippedAndReported(@TempDir Path dir) {
    ClassLoader loader = TestProviders.withProviders(dir, true, TestProviders.BrokenProvider.class);
    ProviderRegistry r = ProviderRegistry.load(loader);
    assertEquals("heap", r.require("heap").name());
    assertEquals(1, r.loadFailures().size());
    NvframeConfigurationException e = assertThrows(NvframeConfigurationException.class, () -> r.require("broken"));
    assertTrue(e.getMessage().contains("failed to load"), e.getMessage());
  }

  @Test
  void autoSelectionPicksTheOnlyAvailableDurableBackendNeverHeap() {
    ProviderRegistry r = ProviderRegistry.load(getClass().getClassLoader());
    // heap is installed and available here: only the rule keeps it from being chosen
    assertTrue(r.require("heap").probe(withPath()).available(), "heap must be a real candidate");
    assertEquals("dax", r.autoSelect(withPath()).name());
  }

  @Test
  void autoSelectionWithOnlyTheRealHeapBackendRefusesAndSaysWhy(@TempDir Path dir) throws Exception {
    // the real heap backend alone, found through ServiceLoader like any other backend
    Class<?> heapClass = Class.forName("io.nvframe.backend.heap.HeapBackendProvider");
    ClassLoader loader = TestProviders.withProviders(dir, false, heapClass);
    ProviderRegistry r = ProviderRegistry.load(loader);
    assertEquals(Set.of("heap"), r.providers().keySet());
    BackendProvider heap = r.require("heap");
    assertSame(heapClass, heap.getClass());
    for (ProviderConfig cfg : List.of(NO_PATH, withPath())) {
      assertTrue(heap.probe(cfg).available(), "heap must be a real candidate");
      NvframeConfigurationException e = assertThrows(NvframeConfigurationException.class, () -> r.autoSelect(cfg));
      assertEquals(ErrorCode.BACKEND_AMBIGUOUS, e.code());
      assertTrue(e.getMessage().contains("no durable backend is available"), e.getMessage());
      assertTrue(e.getMessage().contains("never chosen implicitly"), e.getMessage());
    }
    // and through the public builder: no backend named, only heap installed -> no region
    Assumptions.assumeTrue(System.getProperty(Regions.BACKEND_PROPERTY) == null, "a backend is named by property");
    NvframeConfigurationException e =
        assertThrows(
            NvframeConfigurationException.class,
            () -> Regions.builder().classLoader(loader).capacity(8L << 20).create().close());
    assertEquals(ErrorCode.BACKEND_AMBIGUOUS, e.code());
  }

  @Test
  void autoSelectionWithAnUnavailableDurableBackendStillPicksTheAvailableOne(@TempDir Path dir) {
    ClassLoader loader = TestProviders.withProviders(dir, true, TestProviders.UnavailableProvider.class);
    ProviderRegistry r = ProviderRegistry.load(loader);
    assertEquals("dax", r.autoSelect(withPath()).name());
    BackendUnavailableException e =
        assertThrows(BackendUnavailableException.class, () -> r.select("never", NO_PATH));
    assertTrue(e.getMessage().contains("no such hardware in tests"), e.getMessage());
  }

  @Test
  void availableBackendsListsNameCapabilitiesAndAvailability() {
    var list = Regions.availableBackends();
    assertEquals(2, list.size(), list.toString());
    assertTrue(list.stream().allMatch(b -> !b.reason().isEmpty()));
  }
}
