package io.nvframe.tck;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nvframe.api.AlreadyClosedException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeException;
import io.nvframe.api.RegionLockedException;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import io.nvframe.spi.ProviderConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every {@link Medium} must meet, run against one {@link BackendProvider}.
 *
 * <p>A backend module adds one subclass in its tests:
 *
 * <pre>{@code
 * class DaxBackendContractTest extends MediumContractTest {
 *   protected BackendProvider provider() { return new DaxBackendProvider(); }
 * }
 * }</pre>
 *
 * <p>Media are created through {@link #config(Path, long)}: by default a file {@code
 * dir/medium.nvf} in a fresh temporary directory, or no path when {@link #usesPath()} is false
 * (heap-like backends). Override {@code config} to pass backend options (a mapping mode, a
 * device).
 *
 * <p>What is checked: 8- and 4-byte atomic round trips (aligned, little-endian, up to the last
 * byte); bulk {@code byte[]} and {@link MemorySegment} reads and writes at unaligned offsets; a
 * seeded random sequence of writes compared with a model (the seed is in the test name); bounds
 * errors ({@link IndexOutOfBoundsException}, with nothing written and nothing counted) and
 * misaligned atomic access ({@link IllegalArgumentException}); 8-byte single-copy atomicity under
 * concurrent readers; exact counters (one flush and one fence per {@code persist}); close
 * semantics; truthful capabilities. Capability-gated tests are skipped, not failed, when the
 * backend lacks the capability: persistence across reopen, read-only opens and locking need
 * {@link Capability#DURABLE} (and a path).
 */
public abstract class MediumContractTest {
  /** Default capacity of a test medium: 64 KiB (a multiple of every page and block size). */
  protected static final long DEFAULT_CAPACITY = 64 * 1024;

  /** Set this system property to a number to add that seed to the seeded tests. */
  public static final String SEED_PROPERTY = "nvframe.tck.seed";

  private static final ValueLayout.OfLong LONG_LE =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final List<Medium> opened = new ArrayList<>();
  private Path dir;

  /** The provider under test. */
  protected abstract BackendProvider provider();

  /** True (default) when the backend stores media at a path; false for heap-like backends. */
  protected boolean usesPath() {
    return true;
  }

  /** Capacity of the media the tests create; a multiple of 4096. */
  protected long capacity() {
    return DEFAULT_CAPACITY;
  }

  /**
   * The configuration to create (or open, with the same capacity) a medium in {@code dir}: by
   * default {@code dir/medium.nvf}, or a {@code null} path when {@link #usesPath()} is false.
   */
  protected ProviderConfig config(Path dir, long capacity) {
    return new ProviderConfig(usesPath() ? dir.resolve("medium.nvf") : null, capacity, false, Map.of());
  }

  /** Seeds for the seeded tests: fixed ones, plus {@value #SEED_PROPERTY} when set. */
  public static Stream<Long> seeds() {
    LongStream fixed = LongStream.of(1L, 42L, 0x5EED_0001L, 0xC0FFEEL, 20_240_229L, -7L);
    String extra = System.getProperty(SEED_PROPERTY);
    if (extra != null && !extra.isBlank()) {
      fixed = LongStream.concat(fixed, LongStream.of(Long.decode(extra.trim())));
    }
    return fixed.boxed();
  }

  @BeforeEach
  public final void setUpMediumContract(@TempDir Path tempDir) {
    this.dir = tempDir;
  }

  @AfterEach
  public final void closeMediumContractMedia() {
    for (Medium m : opened) {
      m.close();
    }
    opened.clear();
  }

  // ---------------------------------------------------------------- helpers for subclasses

  /** The temporary directory of the current test. */
  protected final Path dir() {
    return dir;
  }

  /** Creates a medium of {@link #capacity()} bytes; it is closed after the test. */
  protected final Medium create() {
    return track(provider().create(config(dir, capacity())));
  }

  /** Opens the medium created by {@link #create()}; it is closed after the test. */
  protected final Medium reopen(boolean readOnly) {
    ProviderConfig c = config(dir, capacity());
    return track(provider().open(new ProviderConfig(c.path(), c.capacity(), readOnly, c.options())));
  }

  private Medium track(Medium m) {
    opened.add(m);
    return m;
  }

  private boolean durable() {
    return provider().capabilities().contains(Capability.DURABLE);
  }

  private static byte[] randomBytes(SplittableRandom random, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) random.nextInt();
    }
    return b;
  }

  private static byte[] readAll(Medium m) {
    byte[] all = new byte[Math.toIntExact(m.size())];
    m.read(0, all, 0, all.length);
    return all;
  }

  private static void assertCode(ErrorCode code, Executable action, String what) {
    NvframeException e = assertThrows(NvframeException.class, action, what);
    assertEquals(code, e.code(), () -> what + ": wrong error code in: " + e.getMessage());
  }

  // ---------------------------------------------------------------- round trips

  @Test
  public void sizeIsTheRequestedCapacity() {
    Medium m = create();
    assertEquals(capacity(), m.size(), "size of a new medium");
    assertTrue(m.isOpen(), "a new medium is open");
    assertFalse(m.description().isBlank(), "description");
  }

  @Test
  public void longRoundTripAtAlignedOffsetsUpToTheEnd() {
    Medium m = create();
    long[] offsets = {0, 8, 56, 64, 4096 - 8, 4096, m.size() / 2, m.size() - 16, m.size() - 8};
    for (long off : offsets) {
      long value = 0x0102_0304_0506_0708L ^ (off * 0x9E37_79B9_7F4A_7C15L);
      m.storeLong(off, value);
      assertEquals(value, m.loadLong(off), "loadLong after storeLong at offset " + off);
    }
    m.storeLong(0, -1L);
    assertEquals(-1L, m.loadLong(0), "all-ones long");
    m.storeLong(0, Long.MIN_VALUE);
    assertEquals(Long.MIN_VALUE, m.loadLong(0), "Long.MIN_VALUE");
  }

  @Test
  public void intRoundTripAtAlignedOffsetsUpToTheEnd() {
    Medium m = create();
    long[] offsets = {0, 4, 60, 64, 4092, m.size() / 2 + 4, m.size() - 8, m.size() - 4};
    for (long off : offsets) {
      int value = 0xA1B2_C3D4 ^ (int) (off * 0x9E37_79B9L);
      m.storeInt(off, value);
      assertEquals(value, m.loadInt(off), "loadInt after storeInt at offset " + off);
    }
    // neighbours are untouched
    m.storeLong(128, 0);
    m.storeInt(132, -1);
    assertEquals(0, m.loadInt(128), "int next to a stored int");
    assertEquals(0xFFFF_FFFF_0000_0000L, m.loadLong(128), "long view of two ints");
  }

  @Test
  public void atomicAccessIsLittleEndian() {
    Medium m = create();
    m.storeLong(64, 0x0807_0605_0403_0201L);
    byte[] bytes = new byte[8];
    m.read(64, bytes, 0, 8);
    assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, bytes, "storeLong byte order");
    m.write(128, new byte[] {0x11, 0x22, 0x33, 0x44}, 0, 4);
    assertEquals(0x4433_2211, m.loadInt(128), "loadInt byte order");
  }

  @Test
  public void bulkByteArrayRoundTripAtUnalignedOffsets() {
    Medium m = create();
    SplittableRandom random = new SplittableRandom(7);
    long[] offsets = {0, 1, 3, 63, 65, 4095, 4097, m.size() - 100, m.size() - 3, m.size() - 1};
    for (long off : offsets) {
      int len = (int) Math.min(m.size() - off, 1 + random.nextInt(300));
      byte[] src = randomBytes(random, len + 10);
      m.write(off, src, 5, len);
      byte[] dst = new byte[len + 6];
      m.read(off, dst, 3, len);
      assertArrayEquals(
          Arrays.copyOfRange(src, 5, 5 + len), Arrays.copyOfRange(dst, 3, 3 + len),
          "bulk round trip at offset " + off + " length " + len);
      assertEquals(0, dst[0] | dst[1] | dst[2] | dst[len + 3] | dst[len + 4] | dst[len + 5],
          "read wrote outside [dstOffset, dstOffset + length) at offset " + off);
    }
  }

  @Test
  public void bulkSegmentRoundTripWithHeapAndNativeSegments() {
    Medium m = create();
    SplittableRandom random = new SplittableRandom(11);
    byte[] data = randomBytes(random, 777);
    m.write(13, MemorySegment.ofArray(data));
    MemorySegment back = MemorySegment.ofArray(new byte[777]);
    m.read(13, back);
    assertArrayEquals(data, back.toArray(ValueLayout.JAVA_BYTE), "heap segment round trip");
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment nat = arena.allocate(333);
      nat.copyFrom(MemorySegment.ofArray(Arrays.copyOf(data, 333)));
      long end = m.size() - 333;
      m.write(end, nat);
      MemorySegment nat2 = arena.allocate(333);
      m.read(end, nat2);
      assertEquals(-1L, nat.mismatch(nat2), "native segment round trip at the very end");
    }
  }

  @Test
  public void fillSetsExactlyTheRange() {
    Medium m = create();
    m.fill(0, m.size(), (byte) 0x5A);
    m.fill(100, 37, (byte) 0);
    byte[] all = readAll(m);
    for (int i = 0; i < all.length; i++) {
      byte expected = (i >= 100 && i < 137) ? 0 : (byte) 0x5A;
      if (all[i] != expected) {
        fail("fill: byte " + i + " is " + all[i] + ", expected " + expected);
      }
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("seeds")
  public void randomWritesMatchAModel(long seed) {
    Medium m = create();
    int size = Math.toIntExact(m.size());
    byte[] model = readAll(m);
    SplittableRandom random = new SplittableRandom(seed);
    long bytes = 0;
    int ops = 300;
    PersistStats before = m.stats();
    for (int i = 0; i < ops; i++) {
      switch (random.nextInt(5)) {
        case 0 -> {
          int off = random.nextInt(size / 8) * 8;
          long v = random.nextLong();
          m.storeLong(off, v);
          MemorySegment.ofArray(model).set(LONG_LE, off, v);
          bytes += 8;
        }
        case 1 -> {
          int off = random.nextInt(size / 4) * 4;
          int v = random.nextInt();
          m.storeInt(off, v);
          MemorySegment.ofArray(model).set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), off, v);
          bytes += 4;
        }
        case 2 -> {
          int len = 1 + random.nextInt(600);
          int off = random.nextInt(size - len + 1);
          byte[] src = randomBytes(random, len);
          m.write(off, src, 0, len);
          System.arraycopy(src, 0, model, off, len);
          bytes += len;
        }
        case 3 -> {
          int len = 1 + random.nextInt(300);
          int off = random.nextInt(size - len + 1);
          byte[] src = randomBytes(random, len);
          m.write(off, MemorySegment.ofArray(src));
          System.arraycopy(src, 0, model, off, len);
          bytes += len;
        }
        default -> {
          int len = 1 + random.nextInt(200);
          int off = random.nextInt(size - len + 1);
          byte v = (byte) random.nextInt();
          m.fill(off, len, v);
          Arrays.fill(model, off, off + len, v);
          bytes += len;
        }
      }
    }
    byte[] actual = readAll(m);
    int mismatch = Arrays.mismatch(model, actual);
    assertEquals(-1, mismatch, "seed " + seed + ": medium differs from the model at byte " + mismatch);
    PersistStats delta = m.stats().minus(before);
    assertEquals(ops, delta.stores(), "seed " + seed + ": one store counted per call");
    assertEquals(bytes, delta.bytesWritten(), "seed " + seed + ": bytes written");
  }

  // ---------------------------------------------------------------- errors

  @Test
  public void outOfBoundsAccessThrowsAndChangesNothing() {
    Medium m = create();
    long size = m.size();
    m.fill(0, size, (byte) 0x33);
    PersistStats before = m.stats();
    byte[] b8 = new byte[8];
    List<Executable> cases = List.of(
        () -> m.loadLong(size),
        () -> m.loadLong(-8),
        () -> m.loadLong(Long.MAX_VALUE - 7),
        () -> m.storeLong(size, 1),
        () -> m.storeLong(-8, 1),
        () -> m.loadInt(size),
        () -> m.storeInt(size, 1),
        () -> m.read(size - 4, b8, 0, 8),
        () -> m.read(0, b8, 5, 8),
        () -> m.read(-1, b8, 0, 1),
        () -> m.read(size - 7, MemorySegment.ofArray(new byte[8])),
        () -> m.write(size - 1, b8, 0, 2),
        () -> m.write(0, b8, 4, 5),
        () -> m.write(0, b8, 0, -1),
        () -> m.write(Long.MAX_VALUE, b8, 0, 8),
        () -> m.write(size - 7, MemorySegment.ofArray(new byte[8])),
        () -> m.fill(size - 1, 2, (byte) 0),
        () -> m.flush(size - 10, 20),
        () -> m.flush(-1, 1));
    for (int i = 0; i < cases.size(); i++) {
      assertThrows(IndexOutOfBoundsException.class, cases.get(i), "out-of-bounds case #" + i);
    }
    PersistStats after = m.stats();
    assertEquals(before, after, "failed accesses must not be counted");
    byte[] all = readAll(m);
    for (int i = 0; i < all.length; i++) {
      if (all[i] != 0x33) {
        fail("a failed out-of-bounds access changed byte " + i);
      }
    }
  }

  @Test
  public void misalignedAtomicAccessThrowsIllegalArgument() {
    Medium m = create();
    for (int off = 1; off < 8; off++) {
      final long o = 64 + off;
      assertThrows(IllegalArgumentException.class, () -> m.loadLong(o), "loadLong at " + o);
      assertThrows(IllegalArgumentException.class, () -> m.storeLong(o, 1), "storeLong at " + o);
    }
    for (int off = 1; off < 4; off++) {
      final long o = 64 + off;
      assertThrows(IllegalArgumentException.class, () -> m.loadInt(o), "loadInt at " + o);
      assertThrows(IllegalArgumentException.class, () -> m.storeInt(o, 1), "storeInt at " + o);
    }
    assertThrows(IllegalArgumentException.class, () -> m.storeLong(4, 1), "storeLong at 4 (int-aligned only)");
    assertEquals(0, m.stats().stores(), "misaligned stores must not be counted");
  }

  // ---------------------------------------------------------------- concurrency

  @Test
  public void concurrentReadersNeverSeeTornLongs() throws InterruptedException {
    Medium m = create();
    long[] slots = {0, 56, 64, 4096 - 8, m.size() - 8};
    int rounds = 100_000;
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<String> torn = new AtomicReference<>();
    List<Thread> readers = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      readers.add(Thread.ofPlatform().name("tck-reader-" + r).start(() -> {
        long reads = 0;
        do {
          for (long slot : slots) {
            long v = m.loadLong(slot);
            reads++;
            if ((int) v != (int) (v >>> 32)) {
              torn.compareAndSet(null, "torn read at offset " + slot + ": 0x" + Long.toHexString(v));
              return;
            }
          }
        } while (!done.get() || reads < 1000);
      }));
    }
    Thread writer = Thread.ofPlatform().name("tck-writer").start(() -> {
      for (int i = 1; i <= rounds; i++) {
        // low and high halves equal, and every byte changes between neighbouring values
        int half = i * 0x0101_0101 ^ (i << 7);
        long v = (half & 0xFFFF_FFFFL) | ((long) half << 32);
        m.storeLong(slots[i % slots.length], v);
      }
      done.set(true);
    });
    writer.join();
    for (Thread t : readers) {
      t.join();
    }
    assertNull(torn.get(), "8-byte stores must be single-copy atomic");
    assertEquals(rounds, m.stats().stores(), "stores counted under concurrency");
  }

  @Test
  public void concurrentWritersOnDisjointRangesAreAllVisibleAndCounted() throws InterruptedException {
    Medium m = create();
    int threads = 4;
    int stripe = Math.toIntExact(m.size() / threads);
    int persistsPerThread = 50;
    List<Thread> workers = new ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int t = 0; t < threads; t++) {
      final int id = t;
      workers.add(Thread.ofPlatform().name("tck-writer-" + t).start(() -> {
        try {
          SplittableRandom random = new SplittableRandom(id);
          for (int i = 0; i < persistsPerThread; i++) {
            int len = 64;
            int off = id * stripe + random.nextInt(stripe / len) * len;
            byte[] data = new byte[len];
            Arrays.fill(data, (byte) (id + 1));
            m.write(off, data, 0, len);
            m.persist(off, len);
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    for (Thread t : workers) {
      t.join();
    }
    assertNull(failure.get(), () -> "a writer failed: " + failure.get());
    byte[] all = readAll(m);
    for (int i = 0; i < all.length; i++) {
      int owner = i / stripe + 1;
      if (all[i] != 0 && all[i] != owner) {
        fail("byte " + i + " of stripe " + (owner - 1) + " holds " + all[i]);
      }
    }
    PersistStats s = m.stats();
    assertEquals(threads * persistsPerThread, s.stores(), "stores");
    assertEquals(threads * persistsPerThread, s.flushes(), "one flush per persist");
    assertEquals(threads * persistsPerThread, s.fences(), "one fence per persist");
    assertEquals(threads * persistsPerThread * 64L, s.bytesFlushed(), "bytes flushed");
  }

  // ---------------------------------------------------------------- counters

  @Test
  public void countersCountEveryCallExactly() {
    Medium m = create();
    PersistStats before = m.stats();
    m.storeLong(0, 1);
    m.storeInt(8, 2);
    m.write(16, new byte[100], 0, 100);
    m.write(128, MemorySegment.ofArray(new byte[40]));
    m.fill(256, 50, (byte) 7);
    m.loadLong(0);
    m.loadInt(8);
    m.read(0, new byte[64], 0, 64);
    m.read(0, MemorySegment.ofArray(new byte[64]));
    PersistStats afterStores = m.stats().minus(before);
    assertEquals(new PersistStats(5, 8 + 4 + 100 + 40 + 50, 0, 0, 0), afterStores,
        "stores and bytes after 5 stores; loads and reads count nothing");
    m.flush(0, 300);
    m.fence();
    m.flush(1024, 1);
    m.flush(2048, 0);
    PersistStats afterFlush = m.stats().minus(before);
    assertEquals(new PersistStats(5, 202, 3, 301, 1), afterFlush,
        "three flushes (one empty) and one fence");
  }

  @Test
  public void persistIsOneFlushAndOneFence() {
    Medium m = create();
    for (long[] range : new long[][] {{0, 8}, {60, 8}, {0, 4096}, {100, 5000}, {m.size() - 64, 64}}) {
      PersistStats before = m.stats();
      m.persist(range[0], range[1]);
      PersistStats d = m.stats().minus(before);
      assertEquals(1, d.flushes(), "flushes of persist(" + range[0] + ", " + range[1] + ")");
      assertEquals(1, d.fences(), "fences of persist(" + range[0] + ", " + range[1] + ")");
      assertEquals(range[1], d.bytesFlushed(), "bytes flushed by persist(" + range[0] + ", " + range[1] + ")");
      assertEquals(0, d.stores(), "persist stores nothing");
    }
  }

  // ---------------------------------------------------------------- close

  @Test
  public void closeIsIdempotentAndUseAfterCloseThrows() {
    Medium m = create();
    boolean byteAddressable = m.capabilities().contains(Capability.BYTE_ADDRESSABLE);
    MemorySegment view = byteAddressable ? m.segment().orElseThrow() : null;
    m.close();
    assertFalse(m.isOpen(), "isOpen after close");
    assertDoesNotThrow(m::close, "second close");
    byte[] b = new byte[8];
    Map<String, Executable> uses = new java.util.LinkedHashMap<>();
    uses.put("loadLong", () -> m.loadLong(0));
    uses.put("storeLong", () -> m.storeLong(0, 1));
    uses.put("loadInt", () -> m.loadInt(0));
    uses.put("storeInt", () -> m.storeInt(0, 1));
    uses.put("read(byte[])", () -> m.read(0, b, 0, 8));
    uses.put("read(segment)", () -> m.read(0, MemorySegment.ofArray(b)));
    uses.put("write(byte[])", () -> m.write(0, b, 0, 8));
    uses.put("write(segment)", () -> m.write(0, MemorySegment.ofArray(b)));
    uses.put("fill", () -> m.fill(0, 8, (byte) 1));
    uses.put("flush", () -> m.flush(0, 8));
    uses.put("fence", m::fence);
    uses.put("persist", () -> m.persist(0, 8));
    if (byteAddressable) {
      uses.put("segment", m::segment);
    }
    uses.forEach((name, use) -> assertThrows(AlreadyClosedException.class, use, name + " after close"));
    if (view != null) {
      assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0),
          "a segment obtained before close must be unusable after close (unmapped or freed)");
    }
  }

  // ---------------------------------------------------------------- capabilities

  @Test
  public void capabilitiesAreTruthful() {
    Medium m = create();
    Set<Capability> caps = m.capabilities();
    assertTrue(caps.contains(Capability.VOLATILE) ^ caps.contains(Capability.DURABLE),
        "exactly one of VOLATILE and DURABLE: " + caps);
    assertTrue(caps.containsAll(provider().capabilities()),
        "the medium has every capability its provider declares: provider " + provider().capabilities()
            + ", medium " + caps);
    Optional<MemorySegment> seg = m.segment();
    assertEquals(caps.contains(Capability.BYTE_ADDRESSABLE), seg.isPresent(),
        "BYTE_ADDRESSABLE if and only if segment() is present: " + caps);
    seg.ifPresent(s -> assertEquals(m.size(), s.byteSize(), "segment size"));
    if (caps.contains(Capability.SYNC_MAPPING)) {
      assertTrue(caps.contains(Capability.DURABLE) && caps.contains(Capability.BYTE_ADDRESSABLE),
          "SYNC_MAPPING implies DURABLE and BYTE_ADDRESSABLE: " + caps);
    }
    int unit = m.atomicWriteUnit();
    assertTrue(unit >= 8 && Integer.bitCount(unit) == 1, "atomicWriteUnit is a power of two >= 8: " + unit);
    int line = m.flushGranularity();
    assertTrue(line >= 1 && Integer.bitCount(line) == 1, "flushGranularity is a power of two: " + line);
    assertNotNull(m.properties(), "properties");
  }

  @Test
  public void segmentViewIsCoherentWithAtomicAccess() {
    Medium m = create();
    assumeTrue(m.capabilities().contains(Capability.BYTE_ADDRESSABLE), "needs BYTE_ADDRESSABLE");
    MemorySegment s = m.segment().orElseThrow();
    m.storeLong(256, 0x1122_3344_5566_7788L);
    assertEquals(0x1122_3344_5566_7788L, s.get(LONG_LE, 256), "storeLong seen through segment()");
    s.set(LONG_LE, 512, 0x0BAD_CAFEL);
    assertEquals(0x0BAD_CAFEL, m.loadLong(512), "segment write seen by loadLong");
  }

  // ---------------------------------------------------------------- durability and storage

  @Test
  public void persistedDataSurvivesCloseAndReopen() {
    assumeTrue(durable(), "needs DURABLE");
    Medium m = create();
    SplittableRandom random = new SplittableRandom(99);
    byte[] data = randomBytes(random, Math.toIntExact(m.size()));
    m.write(0, data, 0, data.length);
    m.persist(0, data.length);
    m.storeLong(m.size() - 8, 0x7EADBEEFL);
    m.storeInt(100, 0x1234_5678);
    m.persist(m.size() - 8, 8);
    m.persist(100, 4);
    MemorySegment.ofArray(data).set(LONG_LE, data.length - 8, 0x7EADBEEFL);
    MemorySegment.ofArray(data).set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 100, 0x1234_5678);
    m.close();

    Medium again = reopen(false);
    assertEquals(capacity(), again.size(), "size after reopen");
    int mismatch = Arrays.mismatch(data, readAll(again));
    assertEquals(-1, mismatch, "persisted content after reopen differs at byte " + mismatch);
    assertEquals(PersistStats.ZERO, again.stats(), "counters start at zero on open");
  }

  @Test
  public void reopenWithCapacityZeroUsesTheStoredSize() {
    assumeTrue(durable() && usesPath(), "needs DURABLE and a path");
    Medium m = create();
    m.storeLong(8, 77);
    m.persist(8, 8);
    m.close();
    ProviderConfig c = config(dir, capacity());
    Medium again = track(provider().open(new ProviderConfig(c.path(), 0, false, c.options())));
    assertEquals(capacity(), again.size(), "open with capacity 0 takes the stored size");
    assertEquals(77, again.loadLong(8), "content");
  }

  @Test
  public void createRefusesExistingStorageAndLeavesItIntact() {
    assumeTrue(usesPath(), "needs a path");
    Medium m = create();
    m.storeLong(0, 0x5AFEL);
    m.persist(0, 8);
    m.close();
    assertCode(ErrorCode.REGION_EXISTS, () -> track(provider().create(config(dir, capacity()))),
        "create over an existing medium");
    if (durable()) {
      assertEquals(0x5AFEL, reopen(false).loadLong(0), "the existing medium was not touched");
    }
  }

  @Test
  public void createRejectsZeroCapacityAndLeavesNothing() {
    assertCode(ErrorCode.CONFIG_INVALID, () -> track(provider().create(config(dir, 0))), "create with capacity 0");
    ProviderConfig c = config(dir, 0);
    if (c.path() != null) {
      assertFalse(Files.exists(c.path()), "a failed create must leave no file: " + c.path());
    }
  }

  @Test
  public void openOfMissingStorageFailsWithRegionNotFound() {
    assumeTrue(durable() && usesPath(), "needs DURABLE and a path");
    assertCode(ErrorCode.REGION_NOT_FOUND, () -> track(provider().open(config(dir, capacity()))),
        "open of a path that does not exist");
  }

  @Test
  public void secondOpenWhileOpenIsRefusedUntilClose() {
    assumeTrue(durable() && usesPath(), "needs DURABLE and a path");
    Medium first = create();
    first.storeLong(0, 42);
    first.persist(0, 8);
    RegionLockedException e = assertThrows(RegionLockedException.class, () -> reopen(false),
        "a second writable open while the medium is open");
    assertEquals(ErrorCode.REGION_LOCKED, e.code(), "error code");
    assertThrows(RegionLockedException.class, () -> reopen(true), "a read-only open while open writable");
    assertEquals(42, first.loadLong(0), "the first medium keeps working after a refused open");
    first.close();
    Medium second = reopen(false);
    assertEquals(42, second.loadLong(0), "open after close");
  }

  @Test
  public void readOnlyOpenReadsButRejectsWrites() {
    assumeTrue(durable() && usesPath(), "needs DURABLE and a path");
    Medium m = create();
    m.storeLong(16, 0xFEEDL);
    m.persist(16, 8);
    m.close();
    Medium ro = reopen(true);
    assertEquals(0xFEEDL, ro.loadLong(16), "read-only load");
    Map<String, Executable> writes = Map.of(
        "storeLong", () -> ro.storeLong(16, 1),
        "storeInt", () -> ro.storeInt(16, 1),
        "write(byte[])", () -> ro.write(16, new byte[8], 0, 8),
        "write(segment)", () -> ro.write(16, MemorySegment.ofArray(new byte[8])),
        "fill", () -> ro.fill(16, 8, (byte) 1));
    writes.forEach((name, w) -> assertCode(ErrorCode.READ_ONLY, w, name + " on a read-only medium"));
    assertEquals(0xFEEDL, ro.loadLong(16), "content unchanged");
    ro.segment().ifPresent(s -> assertTrue(s.isReadOnly(), "segment of a read-only medium is read-only"));
  }
}
