package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.CheckReport;
import io.nvframe.api.Frame;
import io.nvframe.api.Region;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A7: owner-tagged blocks that their owner no longer references are freed at open. */
class OwnerReconcilerTest {
  @TempDir Path dir;

  @Test
  void orphansAreFreedAtOpenAndReportedByCheck() {
    Path file = dir.resolve("owners.nvf");
    List<Frame> tagged = new ArrayList<>();
    Frame anonymous;
    try (Region r = Regions.builder().backend("dax").path(file).capacity(8L << 20).maxOrder(5).lanes(2).create()) {
      for (int i = 1; i <= 10; i++) {
        tagged.add(r.allocate(i % 3, 1000 + i));
      }
      anonymous = r.allocate(0);
    }
    // the owner layer still references owners 1001..1005 only
    Set<Long> live = new HashSet<>(List.of(1001L, 1002L, 1003L, 1004L, 1005L));
    long freeBefore;
    try (Region r = Regions.builder().path(file).ownerReconciler((f, owner) -> live.contains(owner)).open()) {
      for (Frame f : tagged.subList(0, 5)) {
        assertEquals(f.pfn(), r.frameAt(f.pfn()).orElseThrow().pfn(), "referenced block kept: " + f);
      }
      for (Frame f : tagged.subList(5, 10)) {
        assertTrue(r.frameAt(f.pfn()).isEmpty(), "orphan freed: " + f);
      }
      assertTrue(r.frameAt(anonymous.pfn()).isPresent(), "owner 0 is never reconciled");
      CheckReport report = r.check();
      assertTrue(report.consistent(), report.problems().toString());
      assertTrue(report.checks().stream().anyMatch(c -> c.contains("A7")), report.checks().toString());
      // an orphan created while open is reported (and repaired at the next open)
      r.allocate(0, 4242);
      report = r.check();
      assertFalse(report.consistent());
      assertTrue(report.problems().get(0).message().contains("owner 4242"), report.problems().toString());
      freeBefore = r.stats().freeFrames();
    }
    try (Region r = Regions.builder().path(file).ownerReconciler((f, owner) -> live.contains(owner)).open()) {
      assertEquals(freeBefore + 1, r.stats().freeFrames());
      assertTrue(r.check().consistent());
    }
  }

  @Test
  void frameAtFindsHeadsOnly() {
    try (Region r = Regions.builder().backend("heap").capacity(4L << 20).maxOrder(4).lanes(2).create()) {
      Frame f = r.allocate(2);
      assertEquals(f, r.frameAt(f.pfn()).orElseThrow());
      assertTrue(r.frameAt(f.pfn() + 1).isEmpty());
      assertTrue(r.frameAt(-1).isEmpty());
      assertTrue(r.frameAt(1L << 40).isEmpty());
      r.free(f);
      assertTrue(r.frameAt(f.pfn()).isEmpty());
    }
  }
}
