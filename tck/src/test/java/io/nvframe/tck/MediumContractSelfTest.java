package io.nvframe.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.nvframe.spi.Availability;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import io.nvframe.spi.ProviderConfig;
import io.nvframe.spi.SegmentMedium;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * Proves that {@link MediumContractTest} can fail: a correct volatile medium passes every test, and
 * each deliberately broken medium fails exactly the tests that cover its defect.
 *
 * <p>The contract subclasses are static nested classes, which surefire does not run on its own
 * (its default excludes match {@code *$*}); they are run here through the JUnit engine test kit.
 */
class MediumContractSelfTest {

  /** A correct volatile medium over a shared arena. */
  static final class ArenaMedium extends SegmentMedium {
    private final Arena arena;

    ArenaMedium(Arena arena, long size) {
      super(arena.allocate(size, 4096), "arena(" + size + ")");
      this.arena = arena;
    }

    @Override
    public Set<Capability> capabilities() {
      return Set.of(Capability.VOLATILE, Capability.BYTE_ADDRESSABLE);
    }

    @Override
    protected void doFlush(long offset, long length) {}

    @Override
    protected void doFence() {}

    @Override
    protected void doClose() {
      arena.close();
    }
  }

  /** Forwards everything to a correct medium; broken variants override one thing. */
  static class Forwarding implements Medium {
    final Medium d;

    Forwarding(Medium d) {
      this.d = d;
    }

    @Override public long size() { return d.size(); }
    @Override public int atomicWriteUnit() { return d.atomicWriteUnit(); }
    @Override public int flushGranularity() { return d.flushGranularity(); }
    @Override public Set<Capability> capabilities() { return d.capabilities(); }
    @Override public long loadLong(long o) { return d.loadLong(o); }
    @Override public void storeLong(long o, long v) { d.storeLong(o, v); }
    @Override public int loadInt(long o) { return d.loadInt(o); }
    @Override public void storeInt(long o, int v) { d.storeInt(o, v); }
    @Override public void read(long o, byte[] b, int p, int l) { d.read(o, b, p, l); }
    @Override public void read(long o, MemorySegment s) { d.read(o, s); }
    @Override public void write(long o, byte[] b, int p, int l) { d.write(o, b, p, l); }
    @Override public void write(long o, MemorySegment s) { d.write(o, s); }
    @Override public void fill(long o, long l, byte v) { d.fill(o, l, v); }
    @Override public void flush(long o, long l) { d.flush(o, l); }
    @Override public void fence() { d.fence(); }
    @Override public Optional<MemorySegment> segment() { return d.segment(); }
    @Override public PersistStats stats() { return d.stats(); }
    @Override public String description() { return "forwarding(" + d.description() + ")"; }
    @Override public boolean isOpen() { return d.isOpen(); }
    @Override public void close() { d.close(); }
  }

  /** A volatile provider whose media pass through {@code wrap}. */
  record ArenaProvider(UnaryOperator<Medium> wrap) implements BackendProvider {
    @Override
    public String name() {
      return "arena-test";
    }

    @Override
    public Set<Capability> capabilities() {
      return Set.of(Capability.VOLATILE, Capability.BYTE_ADDRESSABLE);
    }

    @Override
    public Availability probe(ProviderConfig config) {
      return Availability.available("test medium");
    }

    @Override
    public Medium create(ProviderConfig config) {
      if (config.capacity() <= 0) {
        throw new io.nvframe.api.NvframeConfigurationException(
            io.nvframe.api.ErrorCode.CONFIG_INVALID, "capacity must be > 0");
      }
      return wrap.apply(new ArenaMedium(Arena.ofShared(), config.capacity()));
    }

    @Override
    public Medium open(ProviderConfig config) {
      throw new UnsupportedOperationException("volatile");
    }
  }

  abstract static class VolatileContract extends MediumContractTest {
    abstract UnaryOperator<Medium> wrap();

    @Override
    protected BackendProvider provider() {
      return new ArenaProvider(wrap());
    }

    @Override
    protected boolean usesPath() {
      return false;
    }
  }

  static final class Correct extends VolatileContract {
    @Override
    UnaryOperator<Medium> wrap() {
      return m -> m;
    }
  }

  /** persist() flushes but never fences. */
  static final class PersistWithoutFence extends VolatileContract {
    @Override
    UnaryOperator<Medium> wrap() {
      return m -> new Forwarding(m) {
        @Override
        public void persist(long o, long l) {
          d.flush(o, l);
        }
      };
    }
  }

  /** storeLong writes big-endian. */
  static final class BigEndianLongs extends VolatileContract {
    @Override
    UnaryOperator<Medium> wrap() {
      return m -> new Forwarding(m) {
        @Override
        public void storeLong(long o, long v) {
          d.storeLong(o, Long.reverseBytes(v));
        }

        @Override
        public long loadLong(long o) {
          return Long.reverseBytes(d.loadLong(o));
        }
      };
    }
  }

  /** Claims BYTE_ADDRESSABLE but hides its segment. */
  static final class HiddenSegment extends VolatileContract {
    @Override
    UnaryOperator<Medium> wrap() {
      return m -> new Forwarding(m) {
        @Override
        public Optional<MemorySegment> segment() {
          return Optional.empty();
        }
      };
    }
  }

  /** Clamps out-of-range bulk writes instead of throwing, and counts them. */
  static final class ClampingWrites extends VolatileContract {
    @Override
    UnaryOperator<Medium> wrap() {
      return m -> new Forwarding(m) {
        @Override
        public void write(long o, byte[] b, int p, int l) {
          if (o >= 0 && l >= 0 && p >= 0 && p + l <= b.length && o < size()) {
            d.write(o, b, p, (int) Math.min(l, size() - o));
          } else {
            d.write(o, b, p, l);
          }
        }
      };
    }
  }

  /** fence() keeps working after close. */
  static final class FenceAfterClose extends VolatileContract {
    @Override
    UnaryOperator<Medium> wrap() {
      return m -> new Forwarding(m) {
        @Override
        public void fence() {
          if (d.isOpen()) {
            d.fence();
          }
        }

        @Override
        public void persist(long o, long l) {
          d.flush(o, l);
          fence();
        }
      };
    }
  }

  private static Set<String> failedTests(Class<?> contract) {
    EngineExecutionResults results =
        EngineTestKit.engine("junit-jupiter").selectors(selectClass(contract)).execute();
    assertEquals(0, results.containerEvents().failed().count(),
        () -> contract.getSimpleName() + ": container failures " + describe(results.containerEvents().failed().list()));
    assertTrue(results.testEvents().succeeded().count() > 10,
        contract.getSimpleName() + ": most contract tests should still pass");
    return results.testEvents().failed().stream()
        .map(e -> e.getTestDescriptor().getLegacyReportingName().replaceAll("\\(.*", ""))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static String describe(List<Event> events) {
    return events.stream().map(Event::toString).collect(Collectors.joining("\n"));
  }

  @Test
  void correctMediumPassesEveryTest() {
    EngineExecutionResults results =
        EngineTestKit.engine("junit-jupiter").selectors(selectClass(Correct.class)).execute();
    assertEquals(0, results.testEvents().failed().count(),
        () -> "failures: " + describe(results.testEvents().failed().list()));
    assertTrue(results.testEvents().succeeded().count() >= 20,
        "expected at least 20 passing contract tests, got " + results.testEvents().succeeded().count());
    // durability, locking and path tests are skipped for a volatile, path-less backend
    assertTrue(results.testEvents().skipped().count() + results.testEvents().aborted().count() >= 5,
        "capability-gated tests are skipped");
  }

  @Test
  void persistWithoutFenceIsCaught() {
    Set<String> failed = failedTests(PersistWithoutFence.class);
    assertTrue(failed.contains("persistIsOneFlushAndOneFence"), "failed: " + failed);
    assertTrue(failed.contains("concurrentWritersOnDisjointRangesAreAllVisibleAndCounted"), "failed: " + failed);
  }

  @Test
  void bigEndianLongsAreCaught() {
    Set<String> failed = failedTests(BigEndianLongs.class);
    assertEquals(
        Set.of("atomicAccessIsLittleEndian", "intRoundTripAtAlignedOffsetsUpToTheEnd", "randomWritesMatchAModel",
            "segmentViewIsCoherentWithAtomicAccess"),
        failed);
  }

  @Test
  void hiddenSegmentIsCaught() {
    Set<String> failed = failedTests(HiddenSegment.class);
    assertTrue(failed.contains("capabilitiesAreTruthful"), "failed: " + failed);
  }

  @Test
  void clampedOutOfBoundsWritesAreCaught() {
    Set<String> failed = failedTests(ClampingWrites.class);
    assertEquals(Set.of("outOfBoundsAccessThrowsAndChangesNothing"), failed);
  }

  @Test
  void fenceAfterCloseIsCaught() {
    Set<String> failed = failedTests(FenceAfterClose.class);
    assertEquals(Set.of("closeIsIdempotentAndUseAfterCloseThrows"), failed);
  }
}
