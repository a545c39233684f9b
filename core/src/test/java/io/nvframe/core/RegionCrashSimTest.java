package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.Frame;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.api.NvframeException;
import io.nvframe.api.Region;
import io.nvframe.spi.Medium;
import io.nvframe.tck.TestMedia;
import io.nvframe.tck.crash.CrashOptions;
import io.nvframe.tck.crash.CrashScenario;
import io.nvframe.tck.crash.CrashTally;
import io.nvframe.tck.crash.HandOffBackendProvider;
import io.nvframe.tck.crash.PersistencyMode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The crash simulator on whole regions through the public API only ({@link Regions}, {@link
 * Region}, transactions): region create, 64-byte update, alloc + link, multi-frame transaction,
 * roots set and removed, free + unlink, standalone allocate and free, with owner reconciliation at
 * open. Recovery is a real {@code Regions.builder()...open()}: header selection, log replay,
 * allocator rebuild, owner reconciliation. The region lives on a medium handed out by a test-only
 * backend (tck's {@link HandOffBackendProvider}, registered through a class loader by {@link TestProviders}).
 */
class RegionCrashSimTest {
  private static final long CAPACITY = 1L << 20;
  private static final CrashTally TALLY = new CrashTally("core");
  @TempDir static Path dir;

  private static ClassLoader loader;

  private static synchronized ClassLoader loader() {
    if (loader == null) {
      loader = TestProviders.withProviders(dir.resolve("providers"), true, HandOffBackendProvider.class);
    }
    return loader;
  }

  /** Open needs a region file for the header probe; the medium itself comes from the backend. */
  private static void headerFile(Path file, Medium m) throws IOException {
    byte[] head = new byte[8192];
    m.read(0, head, 0, head.length);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.write(head);
      f.setLength(CAPACITY);
    }
  }

  private static Region open(Path file, Medium m) {
    HandOffBackendProvider.hand(m);
    return Regions.builder().path(file).classLoader(loader())
        .ownerReconciler((frame, owner) -> owner != 77) // owner 77: allocated, never linked
        .open();
  }

  /** Hides close: a region closes its medium, the simulator still needs it. */
  private static final class KeepOpen extends io.nvframe.tck.crash.ForwardingMedium {
    KeepOpen(Medium m) {
      super(m);
    }

    @Override
    public void close() {
      // the simulator owns the medium
    }
  }

  /** The region's areas (public {@code RegionInfo}) for a region of this test's geometry. */
  private static List<io.nvframe.api.RegionInfo.Area> areas() {
    HandOffBackendProvider.hand(TestMedia.heap(CAPACITY));
    try (Region r = create()) {
      return r.info().areas();
    }
  }

  private static Region create() {
    return Regions.builder().backend("crashsim").capacity(CAPACITY).classLoader(loader())
        .frameSize(4096).maxOrder(3).lanes(2).create();
  }

  /** Inside an area named {@code name}. */
  private static boolean in(List<io.nvframe.api.RegionInfo.Area> areas, String name, long off, long len) {
    for (var a : areas) {
      if (a.name().equals(name) && off >= a.offset() && off + len <= a.offset() + a.length()) {
        return true;
      }
    }
    return false;
  }

  enum Shape {
    CREATE_AND_HEADER,
    TRANSACTIONS,
    STANDALONE,
    /** Data written into a frame allocated in the same transaction (a durable range of the log). */
    FRESH_DATA,
    /** Transactions whose redo record is larger than a lane (continued in extension frames). */
    LARGE
  }

  static CrashScenario<Region> scenario(Shape shape) throws IOException {
    Path file = Files.createTempFile(dir, "region", ".nvf");
    Files.delete(file);
    List<io.nvframe.api.RegionInfo.Area> areas = areas();
    return CrashScenario.<Region>named("region " + shape)
        .medium(() -> {
          Medium m = TestMedia.heap(CAPACITY);
          if (shape != Shape.CREATE_AND_HEADER) {
            HandOffBackendProvider.hand(new KeepOpen(m));
            Region r = create();
            Frame a = r.allocate(0);
            r.transact(tx -> {
              tx.write(a, 0, filled(64, 0x11));
              tx.setRoot("a", a);
            });
            r.close();
            try {
              headerFile(file, m);
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
          return m;
        })
        .driver((m, ops) -> {
          Region[] r = new Region[1];
          if (shape == Shape.CREATE_AND_HEADER) {
            ops.run("create", () -> {
              HandOffBackendProvider.hand(new KeepOpen(m));
              r[0] = create();
            });
            headerFile(file, m);
            ops.run("first root", () -> r[0].transact(tx -> tx.setRoot("first", tx.allocate(0))));
            ops.run("header: second root", () -> r[0].transact(tx -> tx.setRoot("second", tx.allocate(1))));
            r[0].close();
            return;
          }
          r[0] = open(file, new KeepOpen(m));
          Region region = r[0];
          Frame a = region.root("a").orElseThrow();
          if (shape == Shape.TRANSACTIONS) {
            ops.run("update 64 B", () -> region.transact(tx -> tx.write(a, 0, filled(64, 0x33))));
            ops.run("alloc + link", () -> region.transact(tx -> tx.setRoot("c", tx.allocate(1))));
            ops.run("multi-frame", () -> region.transact(tx -> {
              Frame c = tx.root("c").orElseThrow();
              Frame d = tx.allocate(0);
              tx.write(a, 100, filled(40, 0x44));
              tx.write(c, 4000, filled(300, 0x55));
              tx.setRoot("d", d);
            }));
            ops.run("write d", () -> region.transact(tx -> tx.write(tx.root("d").orElseThrow(), 0, filled(16, 0x66))));
            ops.run("alloc + write + link", () -> region.transact(tx -> {
              Frame f = tx.allocate(0);
              tx.write(f, 0, filled(256, 0x22));
              tx.write(a, 200, filled(24, 0x77));
              tx.setRoot("e", f);
            }));
            ops.run("free + unlink", () -> region.transact(tx -> {
              tx.free(tx.root("d").orElseThrow());
              tx.removeRoot("d");
            }));
            ops.run("single 8 B", () -> region.transact(tx -> tx.putLong(a, 8, 0x4444444444444444L)));
          } else if (shape == Shape.LARGE) {
            Frame big = region.root("a").orElseThrow();
            ops.run("rewrite 6 KiB (chained record)", () -> region.transact(tx -> {
              Frame b = tx.allocate(1);
              tx.write(b, 0, filled(64, 0x5A));
              tx.setRoot("big", b);
              tx.write(big, 0, filled(4096, 0x61));
              tx.write(big, 100, filled(2000, 0x62));
            }));
            ops.run("rewrite 8 KiB of the new block (chained record)", () -> region.transact(tx -> {
              Frame b = tx.root("big").orElseThrow();
              tx.write(b, 0, filled(8192, 0x63));
              tx.putLong(big, 8, 0x7777777777777777L);
            }));
            var stats = ((FrameRegion) region).ctx.log.stats();
            if (stats.bytesLogged() < 4096 + 8192) {
              throw new AssertionError("the LARGE scenario must write records larger than a lane: " + stats);
            }
          } else if (shape == Shape.FRESH_DATA) {
            ops.run("alloc + write + link", () -> region.transact(tx -> {
              Frame f = tx.allocate(0);
              tx.write(f, 0, filled(256, 0x22));
              tx.setRoot("c", f);
            }));
          } else {
            Frame[] loose = new Frame[1];
            ops.run("standalone allocate", () -> loose[0] = region.allocate(2));
            ops.run("standalone free", () -> region.free(loose[0]));
            ops.run("allocate never linked (reconciled at open)", () -> region.allocate(0, 77));
          }
          region.close();
        })
        .recover(m -> open(file, m))
        .invariants(r -> {
          var report = r.check();
          if (!report.consistent()) {
            throw new AssertionError("check() after recovery: " + report.problems());
          }
        })
        .observe(RegionCrashSimTest::state)
        // lane headers: the log's state words are its commit words
        // (but their APPLIED state word, bytes 24-31, which whoever adopts or closes an open lane
        // stores for a record of an earlier operation, log-redo/README.md "Open lanes": it does not
        // publish this operation's stores, and the crash images check it)
        .commitWords((off, len) -> {
          long inLane = (off - areas.stream().filter(x -> x.name().equals("lane logs")).findFirst().orElseThrow().offset())
              % RegionBuilder.DEFAULT_LANE_SIZE;
          return in(areas, "lane logs", off, len) && inLane < 64 && !(inLane == 24 && len == 8);
        })
        // the APPLIED state word (bytes 24-31 of a lane header, log-redo/README.md) is made durable
        // by the next fence that needs it, and a logged commit's targets (root directory, frame
        // table, data frames) by the next commit that adopts or closes its open lane (log-redo/README.md,
        // "Open lanes"): not by their own operation; the crash images check what that means
        .deferredStores((off, len) -> (in(areas, "lane logs", off, len)
            && (off - areas.stream().filter(x -> x.name().equals("lane logs")).findFirst().orElseThrow().offset())
                % RegionBuilder.DEFAULT_LANE_SIZE == 24 && len == 8)
            || in(areas, "root directory", off, len) || in(areas, "frame table", off, len)
            || in(areas, "data frames", off, len))
        // recovery validates these before trusting them: header copies and lane records by CRC,
        // frame words are single atomic commit words
        .readTolerated((off, len) -> in(areas, "header A", off, len) || in(areas, "header B", off, len)
            || in(areas, "lane logs", off, len) || in(areas, "frame table", off, len)
            // extension frames of chained records, validated by the record's CRC: only in the
            // scenario that has them, so data reads stay checked everywhere else
            || (shape == Shape.LARGE && in(areas, "data frames", off, len)))
        // before create returned there may be no valid header yet: the oracle accepts this only
        // where the state before "create" is allowed
        .unrecoverable(t -> t instanceof MediaCorruptedException e
            && (e.code() == io.nvframe.api.ErrorCode.NOT_A_REGION || e.code() == io.nvframe.api.ErrorCode.HEADER_CORRUPT))
        .close(Region::close)
        .build();
  }

  /** Roots with their first 16 bytes and a digest of each root frame, and the free block counts. */
  static Object state(Region r) {
    Map<String, Object> s = new TreeMap<>();
    r.roots().forEach((k, f) -> {
      byte[] data = new byte[(int) (4096L << f.order())];
      r.read(f, 0, data);
      s.put("root " + k, "pfn=" + f.pfn() + " order=" + f.order() + " head="
          + java.util.HexFormat.of().formatHex(Arrays.copyOf(data, 16)) + " hash=" + Arrays.hashCode(data));
    });
    // free frames only: the split into blocks per order depends on what a thread cache holds
    s.put("free", r.stats().freeFrames());
    return s;
  }

  static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = Shape.class, names = {"CREATE_AND_HEADER", "TRANSACTIONS", "STANDALONE", "FRESH_DATA", "LARGE"})
  void everyCrashImageRecovers(Shape shape) throws IOException {
    var r = TALLY.run(scenario(shape), CrashOptions.defaults().cap(1024, 64));
    System.out.println("crash-sim report: " + r);
    assertTrue(r.points() >= 3, r.toString());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = Shape.class, names = {"TRANSACTIONS", "STANDALONE", "FRESH_DATA"})
  void underEadr(Shape shape) throws IOException {
    TALLY.run(scenario(shape), CrashOptions.defaults().mode(PersistencyMode.EADR).nested(0, 0));
  }

  @AfterAll
  static void figures() {
    System.out.println(TALLY.figureLine());
    System.out.println("crash-sim lints: core " + TALLY.performanceLints());
  }
}
