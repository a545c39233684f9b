package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.nvframe.api.CheckReport;
import io.nvframe.api.Frame;
import io.nvframe.api.Region;
import io.nvframe.spi.Medium;
import io.nvframe.tck.FaultInjectingMedium;
import io.nvframe.tck.FaultInjectingMedium.CrashImage;
import io.nvframe.tck.FaultInjectingMedium.Event;
import io.nvframe.tck.TestMedia;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crash at every store, flush and fence of a transaction (and of standalone allocate/free), build
 * both crash images (only persisted data; everything issued), recover, and check: the region is
 * consistent, the logical state is exactly the state before or after the operation (after, once the
 * commit point passed), and recovering again changes nothing.
 */
class CrashSweepTest {
  private static final long CAPACITY = 1L << 20;
  private static final long TIMEOUT = 1_000_000_000L;

  /** The base image: two frames, "a" under root "a" holding 64 bytes of 0x11, "b" allocated. */
  private static byte[] base() {
    Medium m = TestMedia.heap(CAPACITY);
    RegionOpener.format(m, RegionHeader.fresh("heap", RegionLayout.compute(CAPACITY, 4096, 3, 2, 4096)));
    FrameRegion r = RegionOpener.open(m, "base", false, TIMEOUT);
    Frame a = r.allocate(0);
    Frame b = r.allocate(1);
    Frame loose = r.allocate(0); // allocated, under no root: freed by "standalone free"
    r.putLong(a, 64, loose.pfn());
    r.putLong(a, 72, loose.generation());
    r.persist(a, 64, 16);
    r.transact(tx -> {
      tx.write(a, 0, filled(64, 0x11));
      tx.setRoot("a", a);
      tx.setRoot("b", b);
    });
    byte[] image = new byte[(int) CAPACITY];
    m.read(0, image, 0, image.length);
    r.close();
    return image;
  }

  static Stream<Arguments> operations() {
    return Stream.of(
        Arguments.of("alloc+link", (Consumer<Region>) r -> r.transact(tx -> {
          Frame f = tx.allocate(0);
          tx.write(f, 0, filled(4096, 0x22));
          tx.setRoot("c", f);
        })),
        Arguments.of("update 64 B", (Consumer<Region>) r -> {
          Frame a = r.root("a").orElseThrow();
          r.transact(tx -> tx.write(a, 0, filled(64, 0x33)));
        }),
        Arguments.of("single 8 B", (Consumer<Region>) r -> {
          Frame a = r.root("a").orElseThrow();
          r.transact(tx -> tx.putLong(a, 8, 0x4444444444444444L));
        }),
        Arguments.of("free+unlink", (Consumer<Region>) r -> {
          Frame b = r.root("b").orElseThrow();
          r.transact(tx -> {
            tx.free(b);
            tx.removeRoot("b");
          });
        }),
        Arguments.of("standalone alloc", (Consumer<Region>) r -> r.allocate(2)),
        Arguments.of("standalone free", (Consumer<Region>) r -> {
          Frame a = r.root("a").orElseThrow();
          r.free(new Frame(r.getLong(a, 64), 0, (int) r.getLong(a, 72), a.regionId()));
        }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("operations")
  void everyCrashPointRecoversToBeforeOrAfter(String name, Consumer<Region> op) {
    byte[] base = base();
    Map<String, Object> before = logicalState(openOn(TestMedia.heapWith(base)));
    Medium clean = TestMedia.heapWith(base);
    FaultInjectingMedium probe = new FaultInjectingMedium(clean);
    FrameRegion pr = RegionOpener.open(probe, "probe", false, TIMEOUT);
    long fencesBefore = probe.count(Event.FENCE);
    long storesBefore = probe.count(Event.STORE);
    long flushesBefore = probe.count(Event.FLUSH);
    op.accept(pr);
    // compare recovered images with recovered images: a live allocator holds frames in thread caches
    byte[] done = new byte[(int) CAPACITY];
    clean.read(0, done, 0, done.length);
    Map<String, Object> after = logicalState(openOn(TestMedia.heapWith(done)));
    long fences = probe.count(Event.FENCE) - fencesBefore;
    long stores = probe.count(Event.STORE) - storesBefore;
    long flushes = probe.count(Event.FLUSH) - flushesBefore;
    assertTrue(fences >= 1, name + " issued no fence");
    // the last fence of the operation is where it has certainly become durable
    int runs = 0;
    for (Event kind : Event.values()) {
      long total = switch (kind) {
        case STORE -> stores;
        case FLUSH -> flushes;
        case FENCE -> fences;
      };
      for (long k = 1; k <= total; k++) {
        for (CrashImage image : CrashImage.values()) {
          runs++;
          crashAndCheck(name, op, base, kind, k, image, before, after);
        }
      }
    }
    assertTrue(runs > 0);
  }

  private static void crashAndCheck(String name, Consumer<Region> op, byte[] base, Event kind, long k,
      CrashImage imageKind, Map<String, Object> before, Map<String, Object> after) {
    String where = name + ": crash at " + kind + " #" + k + " (relative), image " + imageKind;
    FaultInjectingMedium m = new FaultInjectingMedium(TestMedia.heapWith(base));
    FrameRegion r = RegionOpener.open(m, "crash", false, TIMEOUT);
    long offset = m.count(kind);
    long fencesAtStart = m.count(Event.FENCE);
    m.crashAt(kind, offset + k);
    try {
      op.accept(r);
      fail(where + ": the operation finished without reaching the crash point");
    } catch (FaultInjectingMedium.SimulatedCrash expected) {
      // the process "died" here
    }
    long fencesCompleted = m.count(Event.FENCE) - fencesAtStart - (kind == Event.FENCE ? 1 : 0);
    byte[] image = m.image(imageKind);
    Medium recovered = TestMedia.heapWith(image);
    FrameRegion again = RegionOpener.open(recovered, "recovered", false, TIMEOUT);
    CheckReport report = again.check();
    assertTrue(report.consistent(), where + ": " + report.problems());
    Map<String, Object> state = logicalState(again);
    if (!state.equals(before) && !state.equals(after)) {
      fail(where + ": state after recovery is neither before nor after\n before=" + before + "\n after=" + after
          + "\n got=" + state);
    }
    if (fencesCompleted >= 1) { // every operation here commits at its first fence
      assertEquals(after, state, where + ": the commit point had passed");
    }
    // recovery is idempotent: recovering the recovered image changes nothing
    byte[] once = new byte[(int) CAPACITY];
    recovered.read(0, once, 0, once.length);
    again.close();
    Medium twice = TestMedia.heapWith(once);
    FrameRegion third = RegionOpener.open(twice, "twice", false, TIMEOUT);
    byte[] twiceImage = new byte[(int) CAPACITY];
    twice.read(0, twiceImage, 0, twiceImage.length);
    assertArrayEquals(once, twiceImage, where + ": second recovery changed the image");
    third.close();
  }

  private static FrameRegion openOn(Medium m) {
    return RegionOpener.open(m, "state", false, TIMEOUT);
  }

  /** Roots, the first 64 bytes of each root frame, and the allocator's free block counts. */
  private static Map<String, Object> logicalState(Region r) {
    Map<String, Object> s = new TreeMap<>();
    r.roots().forEach((k, f) -> {
      byte[] head = new byte[16];
      r.read(f, 0, head);
      s.put("root " + k, "pfn=" + f.pfn() + " order=" + f.order() + " data=" + java.util.HexFormat.of().formatHex(head));
    });
    s.put("free", r.stats().freeFrames());
    List<Long> perOrder = new ArrayList<>(r.stats().freeBlocksPerOrder());
    s.put("freeBlocks", perOrder);
    return s;
  }

  static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) value);
    return b;
  }
}
