package io.nvframe.tck.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.SegmentMedium;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * What a backend outside this repository does: its own {@link io.nvframe.spi.Medium} (here a
 * minimal {@link SegmentMedium} over native memory, written against spi alone) under a structure
 * that must survive crashes, run through the whole simulator with nothing but tck and spi.
 */
class ThirdPartyBackendTest {
  /** A backend's medium: native memory, flush and fence counted (no real persistence needed). */
  static final class NativeMedium extends SegmentMedium {
    final AtomicLong flushes = new AtomicLong();
    final AtomicLong fences = new AtomicLong();

    NativeMedium(long size) {
      super(Arena.ofAuto().allocate(size, 64), "native-test");
    }

    @Override
    protected void doFlush(long offset, long length) {
      flushes.incrementAndGet();
    }

    @Override
    protected void doFence() {
      fences.incrementAndGet();
    }

    @Override
    protected void doClose() {
      // memory freed by the GC
    }

    @Override
    public java.util.Set<io.nvframe.spi.Capability> capabilities() {
      return java.util.Set.of(io.nvframe.spi.Capability.VOLATILE, io.nvframe.spi.Capability.BYTE_ADDRESSABLE);
    }

  }

  @Test
  void theWholeSimulatorRunsOnAThirdPartyMedium() {
    List<NativeMedium> made = new ArrayList<>();
    CrashScenario<ToyLog> s = ToyLog.scenario(ToyLog.Bug.NONE, () -> {
      NativeMedium m = new NativeMedium(ToyLog.SIZE);
      made.add(m);
      return m;
    });
    for (CrashOptions.Strategy strategy : CrashOptions.Strategy.values()) {
      CrashReport r = CrashSimulator.run(s, CrashOptions.defaults().strategy(strategy));
      assertTrue(r.points() >= 10 && r.images() >= r.points(), r.toString());
    }
    assertEquals(2, made.size(), "one medium per simulation");
    assertTrue(made.get(0).fences.get() > 0, "the recorded operations reached the backend's medium");
    // and a protocol bug on that medium is caught just the same
    CrashFailure f = assertThrows(CrashFailure.class, () -> CrashSimulator.run(
        ToyLog.scenario(ToyLog.Bug.TORN_PAIR, () -> new NativeMedium(ToyLog.SIZE)), CrashOptions.defaults()));
    assertEquals("invariants", f.check());
  }
}
