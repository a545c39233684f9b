package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.Frame;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.api.OutOfFramesException;
import io.nvframe.api.Region;
import io.nvframe.spi.PersistStats;
import io.nvframe.tck.RegionCheckExtension;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Standalone frame operations on both built-in backends. */
class RegionFramesTest {
  @TempDir static Path dir;
  /** Checks and closes every region a test opened. */
  @RegisterExtension final RegionCheckExtension regions = new RegionCheckExtension();

  private Region region;

  static Stream<String> backends() {
    return Stream.of("heap", "dax");
  }

  Region open(String backend) {
    var b = Regions.builder().backend(backend).capacity(4L << 20).maxOrder(4).lanes(2);
    if (backend.equals("dax")) {
      b.path(dir.resolve("frames-" + System.nanoTime() + ".nvf"));
    }
    region = regions.track(b.create());
    return region;
  }


  PersistStats stats() {
    return ((FrameRegion) region).medium.stats();
  }

  @ParameterizedTest
  @MethodSource("backends")
  void allocateAndFreeAreOneStoreAndOneFenceEach(String backend) {
    Region r = open(backend);
    r.allocate(0); // warm the thread cache so the measured calls take the fast path
    PersistStats before = stats();
    Frame f = r.allocate(0);
    PersistStats mid = stats();
    r.free(f);
    PersistStats after = stats();
    PersistStats alloc = mid.minus(before);
    PersistStats free = after.minus(mid);
    assertEquals(1, alloc.fences(), "allocate fences " + alloc);
    assertEquals(1, alloc.flushes(), "allocate flushes " + alloc);
    assertEquals(1, alloc.stores(), "allocate stores " + alloc);
    assertEquals(1, free.fences(), "free fences " + free);
    assertEquals(1, free.stores(), "free stores " + free);
  }

  @ParameterizedTest
  @MethodSource("backends")
  void dataRoundTripsThroughEveryAccessPath(String backend) {
    Region r = open(backend);
    Frame f = r.allocate(1);
    byte[] data = new byte[8192];
    new java.util.Random(7).nextBytes(data);
    r.write(f, 0, data);
    r.persist(f, 0, data.length);
    byte[] back = new byte[data.length];
    r.read(f, 0, back);
    assertArrayEquals(data, back);
    r.putLong(f, 13, -42L);
    assertEquals(-42L, r.getLong(f, 13));
    r.putLong(f, 8184, Long.MAX_VALUE);
    assertEquals(Long.MAX_VALUE, r.getLong(f, 8184));
    MemorySegment dst = MemorySegment.ofArray(new byte[16]);
    r.read(f, 8176, dst);
    assertEquals(Long.MAX_VALUE, dst.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 8));
    MemorySegment view = r.segment(f);
    assertEquals(8192, view.byteSize());
    assertEquals(data[100], view.get(ValueLayout.JAVA_BYTE, 100));
  }

  @ParameterizedTest
  @MethodSource("backends")
  void accessesOutsideTheFrameAreRejected(String backend) {
    Region r = open(backend);
    Frame f = r.allocate(0);
    InvalidFrameException e = assertThrows(InvalidFrameException.class, () -> r.getLong(f, 4090));
    assertEquals(ErrorCode.FRAME_BOUNDS, e.code());
    assertThrows(InvalidFrameException.class, () -> r.write(f, -1, new byte[1]));
    assertThrows(InvalidFrameException.class, () -> r.read(f, 0, new byte[4097]));
    assertThrows(InvalidFrameException.class, () -> r.persist(f, 4000, 100));
  }

  @ParameterizedTest
  @MethodSource("backends")
  void staleHandlesDoubleFreesTailsAndForeignFramesAreRejected(String backend) {
    Region r = open(backend);
    Frame f = r.allocate(0);
    r.putLong(f, 0, 1);
    r.free(f);
    InvalidFrameException e = assertThrows(InvalidFrameException.class, () -> r.getLong(f, 0));
    assertTrue(e.code() == ErrorCode.FRAME_STALE || e.code() == ErrorCode.FRAME_NOT_HEAD, e.getMessage());
    e = assertThrows(InvalidFrameException.class, () -> r.free(f));
    assertEquals(ErrorCode.FRAME_DOUBLE_FREE, e.code(), e.getMessage());

    Frame big = r.allocate(2);
    Frame tail = new Frame(big.pfn() + 1, 0, 0, big.regionId());
    e = assertThrows(InvalidFrameException.class, () -> r.free(tail));
    assertEquals(ErrorCode.FRAME_NOT_HEAD, e.code(), e.getMessage());
    Frame wrongOrder = new Frame(big.pfn(), 1, big.generation(), big.regionId());
    assertThrows(InvalidFrameException.class, () -> r.getLong(wrongOrder, 0));
    Frame foreign = new Frame(big.pfn(), big.order(), big.generation(), big.regionId() + 1);
    e = assertThrows(InvalidFrameException.class, () -> r.free(foreign));
    assertEquals(ErrorCode.FRAME_FOREIGN, e.code());
    Frame beyond = new Frame(1L << 30, 0, 0, big.regionId());
    assertThrows(InvalidFrameException.class, () -> r.getLong(beyond, 0));
    r.free(big);
  }

  @ParameterizedTest
  @MethodSource("backends")
  void exhaustionThrowsWithNumbersAndTryAllocateReturnsEmpty(String backend) {
    Region r = open(backend);
    long frames = r.info().frameCount();
    List<Frame> all = new ArrayList<>();
    for (long i = 0; i < frames; i++) {
      all.add(r.allocate(0));
    }
    assertTrue(r.tryAllocate(0).isEmpty());
    OutOfFramesException e = assertThrows(OutOfFramesException.class, () -> r.allocate(0));
    assertTrue(e.getMessage().contains("order 0") && e.getMessage().contains("0 of " + frames), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> r.allocate(5));
    all.forEach(r::free);
    assertEquals(frames, r.stats().freeFrames());
    assertTrue(r.tryAllocate(4).isPresent());
  }
}
