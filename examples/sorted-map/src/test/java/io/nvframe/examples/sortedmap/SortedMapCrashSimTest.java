package io.nvframe.examples.sortedmap;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.Region;
import io.nvframe.api.RegionInfo;
import io.nvframe.core.RegionBuilder;
import io.nvframe.core.Regions;
import io.nvframe.spi.Medium;
import io.nvframe.tck.TestMedia;
import io.nvframe.tck.crash.CrashOptions;
import io.nvframe.tck.crash.CrashReport;
import io.nvframe.tck.crash.CrashScenario;
import io.nvframe.tck.crash.CrashTally;
import io.nvframe.tck.crash.HandOffBackendProvider;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tck crash simulator on the B+-tree map: the map lives in a region on the simulator's medium
 * (handed out by tck's {@link HandOffBackendProvider}, registered for the region builder through a class
 * loader that adds {@code src/test/resources/crashsim-provider/META-INF/services}); the
 * operations are puts and removes that split the root leaf, split a leaf under an internal root,
 * update in place, and merge leaves back down to a single root leaf. On every crash image: {@code
 * Regions...open()} (header selection, log replay, allocator rebuild) and {@code BTreeMap.open} do
 * not throw, {@code Region.check()} is consistent, the tree invariants hold ({@code verifyTree()})
 * and the map reaches exactly the allocated frames (no leak), the contents are those after the
 * durable operations or after the one in flight (durable puts present, in-flight all or nothing),
 * recovery is idempotent, and sampled crashes inside recovery recover to the same contents.
 */
class SortedMapCrashSimTest {
  static final long CAPACITY = 1L << 20;
  static final String ROOT = "map";
  private static final CrashTally TALLY = new CrashTally("sorted-map");
  @TempDir static Path dir;

  /** The recovered region and map. */
  record Recovered(Region region, BTreeMap<String, String> map) {}

  private static ClassLoader loader;

  /** The test class path plus the {@code crashsim} registration in test resources. */
  static synchronized ClassLoader loader() {
    if (loader == null) {
      URL services = SortedMapCrashSimTest.class.getResource("/crashsim-provider/");
      if (services == null) {
        throw new IllegalStateException("test resource crashsim-provider/ is missing");
      }
      loader = new URLClassLoader(new URL[] {services}, SortedMapCrashSimTest.class.getClassLoader());
    }
    return loader;
  }

  static Region create() {
    return Regions.builder().backend("crashsim").capacity(CAPACITY).classLoader(loader())
        .frameSize(4096).maxOrder(3).lanes(2).create();
  }

  static Recovered recover(Path file, Medium m) {
    HandOffBackendProvider.hand(m);
    Region r = Regions.builder().path(file).classLoader(loader()).open();
    try {
      return new Recovered(r, BTreeMap.open(r, ROOT, Codecs.STRING, Codecs.STRING));
    } catch (RuntimeException e) {
      r.close();
      throw e;
    }
  }

  /** Open probes the region file's header (backend name, geometry); the medium comes from the backend. */
  static void headerFile(Path file, Medium m) {
    byte[] head = new byte[8192];
    m.read(0, head, 0, head.length);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.write(head);
      f.setLength(CAPACITY);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A value of {@code len} characters for key {@code k}, version {@code v}. */
  static String value(String k, int v, int len) {
    StringBuilder sb = new StringBuilder(len);
    for (int i = 0; i < len; i++) {
      sb.append((char) ('a' + (k.hashCode() * 31 + v * 7 + i) % 26));
    }
    return sb.toString();
  }

  /** Contents as {@code key=length:crc32c} per entry, in key order. */
  static List<String> contents(BTreeMap<String, String> map) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, String> e : map.entrySet()) {
      CRC32C c = new CRC32C();
      c.update(e.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.add(e.getKey() + "=" + e.getValue().length() + ":" + Long.toHexString(c.getValue()));
    }
    return out;
  }

  /** Leaves of the tree after each operation of the uninterrupted run (the driver records them). */
  static final List<String> SHAPES = new ArrayList<>();

  /** Records the shape after an operation (outside the operation's markers; reads only). */
  private static void shape(BTreeMap<String, String> map, String op) {
    BTreeMap.TreeShape s = map.verifyTree();
    synchronized (SHAPES) {
      SHAPES.add(op + ": height " + s.height() + ", leaves " + s.leaves());
    }
  }

  /**
   * Starting state: a region whose only user is the map, holding k0..k2 with 900-character values
   * (one root leaf). Values of 900 characters fill a 4 KiB leaf with four entries, so the fifth
   * splits it; the removes then underflow leaves and merge them.
   */
  static CrashScenario<Recovered> scenario() throws IOException {
    Path file = Files.createTempFile(dir, "map", ".nvf");
    Files.delete(file);
    List<RegionInfo.Area> areas;
    HandOffBackendProvider.hand(TestMedia.heap(CAPACITY));
    try (Region r = create()) {
      areas = r.info().areas();
    }
    return CrashScenario.<Recovered>named("sorted map puts and removes")
        .medium(() -> {
          Medium m = TestMedia.heap(CAPACITY);
          HandOffBackendProvider.hand(HandOffBackendProvider.keepOpen(m));
          try (Region r = create()) {
            BTreeMap<String, String> map = BTreeMap.open(r, ROOT, Codecs.STRING, Codecs.STRING);
            for (int i = 0; i < 3; i++) {
              map.put("k" + i, value("k" + i, 1, 900));
            }
          }
          headerFile(file, m);
          return m;
        })
        .driver((m, ops) -> {
          HandOffBackendProvider.hand(HandOffBackendProvider.keepOpen(m));
          try (Region region = Regions.builder().path(file).classLoader(loader()).open()) {
            BTreeMap<String, String> map = BTreeMap.open(region, ROOT, Codecs.STRING, Codecs.STRING);
            synchronized (SHAPES) {
              SHAPES.clear();
            }
            shape(map, "start");
            for (int i = 3; i < 6; i++) {
              String k = "k" + i;
              ops.run("put " + k, () -> map.put(k, value(k, 1, 900)));
              shape(map, "put " + k);
            }
            ops.run("put k1 (update, shorter)", () -> map.put("k1", value("k1", 2, 40)));
            shape(map, "update k1");
            for (int i = 7; i < 10; i++) {
              String k = "k" + i;
              ops.run("put " + k, () -> map.put(k, value(k, 1, 900)));
              shape(map, "put " + k);
            }
            for (String k : List.of("k0", "k3", "k4", "k7", "k8", "k5")) {
              ops.run("remove " + k, () -> map.remove(k));
              shape(map, "remove " + k);
            }
          }
        })
        .recover(m -> recover(file, m))
        .invariants(r -> TestRegions.checkAll(r.region(), r.map(), "after recovery"))
        .observe(r -> contents(r.map()))
        // the log's state words (lane headers) are its commit words
        // lane headers but their APPLIED state word (bytes 24-31), which whoever adopts or closes an
        // open lane stores for a record of an earlier operation (log-redo/README.md, "Open lanes"):
        // it does not publish this operation's stores, and the crash images check it
        .commitWords((off, len) -> in(areas, "lane logs", off, len)
            && (off - area(areas, "lane logs").offset()) % RegionBuilder.DEFAULT_LANE_SIZE < 64
            && !((off - area(areas, "lane logs").offset()) % RegionBuilder.DEFAULT_LANE_SIZE == 24 && len == 8))
        // the APPLIED state word (bytes 24-31 of a lane header, log-redo/README.md) is made durable
        // by the next fence that needs it, and a logged commit's targets (root directory, frame
        // table, data frames) by the next commit that adopts or closes its open lane (log-redo/README.md,
        // "Open lanes"): not by their own operation; the crash images check what that means
        .deferredStores((off, len) -> (in(areas, "lane logs", off, len)
            && (off - area(areas, "lane logs").offset()) % RegionBuilder.DEFAULT_LANE_SIZE == 24 && len == 8)
            || in(areas, "root directory", off, len) || in(areas, "frame table", off, len)
            || in(areas, "data frames", off, len))
        // recovery validates these before trusting them: header copies and lane records by CRC,
        // frame words are single atomic commit words
        .readTolerated((off, len) -> in(areas, "header A", off, len) || in(areas, "header B", off, len)
            || in(areas, "lane logs", off, len) || in(areas, "frame table", off, len))
        .close(r -> r.region().close())
        .build();
  }

  static RegionInfo.Area area(List<RegionInfo.Area> areas, String name) {
    return areas.stream().filter(a -> a.name().equals(name)).findFirst().orElseThrow();
  }

  static boolean in(List<RegionInfo.Area> areas, String name, long off, long len) {
    RegionInfo.Area a = area(areas, name);
    return off >= a.offset() && off + len <= a.offset() + a.length();
  }

  @Test
  void putsAndRemovesWithSplitsAndMergesSurviveEveryCrash() throws IOException {
    CrashReport r = TALLY.run(scenario(), CrashOptions.defaults().cap(256, 16));
    System.out.println(r);
    List<String> shapes;
    synchronized (SHAPES) {
      shapes = List.copyOf(SHAPES);
    }
    System.out.println("sorted-map crash scenario shapes: " + shapes);
    // the scenario must exercise what it claims: a split (more leaves) and a merge (fewer leaves)
    List<Long> leaves = shapes.stream().map(s -> Long.parseLong(s.substring(s.lastIndexOf(' ') + 1))).toList();
    boolean split = false;
    boolean merge = false;
    for (int i = 1; i < leaves.size(); i++) {
      split |= leaves.get(i) > leaves.get(i - 1);
      merge |= leaves.get(i) < leaves.get(i - 1);
    }
    assertTrue(split && merge, "no split or no merge in " + shapes);
    assertTrue(r.images() > r.points(), r.toString());
  }

  @AfterAll
  static void figures() {
    if (TALLY.images() > 0) {
      System.out.println(TALLY.figureLine());
    }
  }
}
