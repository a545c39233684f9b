package io.nvframe.backend.dax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nvframe.api.BackendUnavailableException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.NvframeIOException;
import io.nvframe.api.RegionLockedException;
import io.nvframe.spi.Availability;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import io.nvframe.spi.ProviderConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Device DAX geometry from a fake sysfs tree, and the device code path end to end on {@code
 * /dev/zero} dressed up as a device DAX by that fake tree (this machine has no {@code /dev/dax*}).
 * {@code /dev/zero} accepts a shared mapping but refuses MAP_SYNC, so {@code auto} ends in mode
 * {@code emulate} here; on a real device DAX it is {@code sync}.
 */
class DeviceDaxTest {
  private static final long MIB = 1 << 20;
  private static final Path ZERO = Path.of("/dev/zero");

  @TempDir Path sysfs;

  /** Builds {@code sysfs/dev/char/major:minor} with the given subsystem, size and optional align. */
  private Path fakeDevice(int major, int minor, String subsystem, String size, String align) throws IOException {
    Path dir = Files.createDirectories(sysfs.resolve("dev/char/" + major + ":" + minor));
    Files.createSymbolicLink(dir.resolve("subsystem"), Path.of("../../../class/" + subsystem));
    if (size != null) {
      Files.writeString(dir.resolve("size"), size + "\n");
    }
    if (align != null) {
      Files.writeString(dir.resolve("align"), align + "\n");
    }
    return dir;
  }

  /** glibc's makedev. */
  private static long makedev(long major, long minor) {
    return ((major & 0xFFF) << 8) | ((major & ~0xFFFL) << 32) | (minor & 0xFF) | ((minor & ~0xFFL) << 12);
  }

  @ParameterizedTest(name = "{0}:{1}")
  @CsvSource({"1, 5", "252, 0", "259, 3", "4095, 255", "4096, 256", "511, 1048575"})
  void majorAndMinorDecodeGlibcDevT(long major, long minor) {
    long rdev = makedev(major, minor);
    assertEquals(major, DeviceDax.major(rdev), "major of " + rdev);
    assertEquals(minor, DeviceDax.minor(rdev), "minor of " + rdev);
  }

  @Test
  void devZeroIsACharacterDeviceWithTheExpectedNumbers() throws IOException {
    assumeTrue(Files.exists(ZERO), "/dev/zero");
    assertTrue(DeviceDax.isCharacterDevice(ZERO));
    long rdev = ((Number) Files.getAttribute(ZERO, "unix:rdev")).longValue();
    assertEquals(1, DeviceDax.major(rdev));
    assertEquals(5, DeviceDax.minor(rdev));
    assertFalse(DeviceDax.isCharacterDevice(sysfs), "a directory");
    assertFalse(DeviceDax.isCharacterDevice(sysfs.resolve("missing")), "a missing path");
  }

  @Test
  void geometryReadsSizeAndDefaultsTo2MibAlignment() throws IOException {
    fakeDevice(252, 0, "dax", "17179869184", null);
    DeviceDax.Geometry g = DeviceDax.geometry(Path.of("/dev/dax0.0"), 252, 0, sysfs);
    assertEquals(16L << 30, g.size());
    assertEquals(2 * MIB, g.alignment());
    assertEquals(16L << 30, g.mappingSize(0), "capacity 0 = whole device");
    assertEquals(4 * MIB, g.mappingSize(4 * MIB));
  }

  @Test
  void alignFileRaisesButNeverLowersTheAlignment() throws IOException {
    fakeDevice(252, 1, "dax", Long.toString(3L << 30), Long.toString(1L << 30));
    assertEquals(1L << 30, DeviceDax.geometry(Path.of("/dev/dax0.1"), 252, 1, sysfs).alignment());
    fakeDevice(252, 2, "dax", Long.toString(3L << 30), "4096");
    assertEquals(2 * MIB, DeviceDax.geometry(Path.of("/dev/dax0.2"), 252, 2, sysfs).alignment());
    fakeDevice(252, 3, "dax", Long.toString(3L << 30), "3000");
    assertThrows(NvframeIOException.class, () -> DeviceDax.geometry(Path.of("/dev/dax0.3"), 252, 3, sysfs),
        "alignment not a power of two");
  }

  @Test
  void mappingSizeRulesAndMessages() throws IOException {
    fakeDevice(252, 4, "dax", Long.toString(5 * MIB + 12345), null);
    DeviceDax.Geometry g = DeviceDax.geometry(Path.of("/dev/dax0.4"), 252, 4, sysfs);
    assertEquals(4 * MIB, g.mappingSize(0), "whole device rounded down to 2 MiB");
    var unaligned = assertThrows(NvframeConfigurationException.class, () -> g.mappingSize(3 * MIB));
    assertEquals(ErrorCode.CONFIG_INVALID, unaligned.code());
    assertTrue(unaligned.getMessage().contains("use " + 2 * MIB + " or " + 4 * MIB), unaligned.getMessage());
    var tooBig = assertThrows(NvframeConfigurationException.class, () -> g.mappingSize(6 * MIB));
    assertTrue(tooBig.getMessage().contains("at most " + 4 * MIB), tooBig.getMessage());

    fakeDevice(252, 5, "dax", Long.toString(MIB), null);
    DeviceDax.Geometry tiny = DeviceDax.geometry(Path.of("/dev/dax0.5"), 252, 5, sysfs);
    assertThrows(NvframeConfigurationException.class, () -> tiny.mappingSize(0), "smaller than the alignment");
  }

  @Test
  void nonDaxDevicesAndBrokenSysfsAreRefused() throws IOException {
    fakeDevice(1, 3, "mem", "0", null);
    var mem = assertThrows(BackendUnavailableException.class,
        () -> DeviceDax.geometry(Path.of("/dev/null"), 1, 3, sysfs));
    assertTrue(mem.getMessage().contains("not a device DAX") && mem.getMessage().contains("'mem'"), mem.getMessage());
    var missing = assertThrows(BackendUnavailableException.class,
        () -> DeviceDax.geometry(Path.of("/dev/dax9.9"), 250, 9, sysfs));
    assertTrue(missing.getMessage().contains("not a device DAX"), missing.getMessage());
    fakeDevice(252, 6, "dax", "lots", null);
    var garbage = assertThrows(NvframeIOException.class, () -> DeviceDax.geometry(Path.of("/dev/dax0.6"), 252, 6, sysfs));
    assertTrue(garbage.getMessage().contains("'lots'"), garbage.getMessage());
    fakeDevice(252, 7, "dax", "0", null);
    assertThrows(BackendUnavailableException.class, () -> DeviceDax.geometry(Path.of("/dev/dax0.7"), 252, 7, sysfs),
        "a disabled namespace reports size 0");
  }

  // ------------------------------------------------------------------ /dev/zero as a fake device DAX

  @BeforeEach
  void devZeroAsDeviceDax() throws IOException {
    fakeDevice(1, 5, "dax", Long.toString(8 * MIB), null);
  }

  private DaxBackendProvider fakeProvider() {
    return new DaxBackendProvider(sysfs, MountTable.MOUNTINFO);
  }

  private static ProviderConfig zero(long capacity, String mode) {
    return new ProviderConfig(ZERO, capacity, false, mode == null ? Map.of() : Map.of(DaxBackendProvider.MODE, mode));
  }

  @Test
  void deviceCodePathEndToEnd() {
    assumeTrue(Files.exists(ZERO) && NativeFiles.supported() && CacheLineWriteback.available(),
        "needs /dev/zero, Linux x86-64/AArch64 and the write-back export");
    try (Medium m = fakeProvider().create(zero(0, null))) {
      assertEquals(8 * MIB, m.size(), "capacity 0 = whole (fake) device");
      Map<String, String> p = m.properties();
      assertEquals("true", p.get(DaxBackendProvider.PROPERTY_DEVICE));
      assertEquals("devdax", p.get(DaxBackendProvider.PROPERTY_FILESYSTEM));
      assertEquals("emulate", p.get(DaxBackendProvider.MODE), "/dev/zero refuses MAP_SYNC");
      assertEquals(Long.toString(2 * MIB), p.get("dax.alignment"));
      assertFalse(m.capabilities().contains(Capability.SYNC_MAPPING));
      m.storeLong(8 * MIB - 8, 99);
      m.write(3 * MIB - 5, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0, 10);
      m.persist(3 * MIB - 5, 10);
      assertEquals(99, m.loadLong(8 * MIB - 8));
      assertEquals(new PersistStats(2, 18, 1, 10, 1), m.stats());
      MappedMedium mm = (MappedMedium) m;
      assertEquals(1, mm.writebackRanges(), "one write-back range");
      assertEquals(128, mm.writebackBytes(), "two cache lines: [3 MiB - 64, 3 MiB + 64)");
      assertThrows(RegionLockedException.class, () -> fakeProvider().open(zero(0, null)), "held by this medium");
    }
    assertTrue(DeviceDax.isCharacterDevice(ZERO), "the device is never deleted or truncated");
    try (Medium m = fakeProvider().open(zero(4 * MIB, "none"))) {
      assertEquals(4 * MIB, m.size());
      assertEquals("none", m.properties().get(DaxBackendProvider.MODE));
      m.persist(0, 64);
      assertEquals(0, ((MappedMedium) m).writebackRanges());
    }
  }

  @Test
  void deviceModesThatCannotWorkAreRefused() {
    assumeTrue(Files.exists(ZERO) && NativeFiles.supported(), "needs /dev/zero on Linux");
    var msync = assertThrows(BackendUnavailableException.class, () -> fakeProvider().create(zero(0, "msync")));
    assertEquals(ErrorCode.MAPPING_MODE_UNSUPPORTED, msync.code());
    assertTrue(msync.getMessage().contains("no msync"), msync.getMessage());
    assumeTrue(CacheLineWriteback.available(), "needs the write-back export");
    var sync = assertThrows(BackendUnavailableException.class, () -> fakeProvider().create(zero(0, "sync")));
    assertEquals(ErrorCode.MAPPING_MODE_UNSUPPORTED, sync.code());
    assertTrue(sync.getMessage().contains("MAP_SYNC"), sync.getMessage());
    var unaligned = assertThrows(NvframeConfigurationException.class, () -> fakeProvider().create(zero(3 * MIB, null)));
    assertTrue(unaligned.getMessage().contains("alignment"), unaligned.getMessage());
    assertTrue(DeviceDax.isCharacterDevice(ZERO), "failures leave the device alone");
    assertFalse(LockedFile.isOpenInThisJvm(ZERO), "and release it");
  }

  @Test
  void readOnlyDeviceIsAPlainReadOnlyMappingAndRefusesMsync() {
    assumeTrue(Files.exists(ZERO) && NativeFiles.supported(), "needs /dev/zero on Linux");
    for (String mode : new String[] {null, "sync", "emulate"}) {
      ProviderConfig ro = new ProviderConfig(ZERO, 2 * MIB, true,
          mode == null ? Map.of() : Map.of(DaxBackendProvider.MODE, mode));
      try (Medium m = fakeProvider().open(ro)) {
        assertEquals("emulate", m.properties().get(DaxBackendProvider.MODE), "the mode of a plain mapping: " + mode);
        assertEquals("true", m.properties().get(DaxBackendProvider.PROPERTY_READ_ONLY));
        assertFalse(m.capabilities().contains(Capability.SYNC_MAPPING), "no MAP_SYNC mapping: " + mode);
        assertEquals(FlushPrimitive.NOTHING, ((MappedMedium) m).flushPrimitive());
        m.persist(0, 64);
        assertEquals(0, ((MappedMedium) m).writebackRanges(), "a read-only medium writes nothing back");
      }
    }
    var msync = assertThrows(BackendUnavailableException.class,
        () -> fakeProvider().open(new ProviderConfig(ZERO, 2 * MIB, true, Map.of(DaxBackendProvider.MODE, "msync"))));
    assertEquals(ErrorCode.MAPPING_MODE_UNSUPPORTED, msync.code());
    assertFalse(LockedFile.isOpenInThisJvm(ZERO), "released after the refusal");
  }

  @Test
  void realSysfsKnowsDevZeroIsNoDeviceDax() {
    assumeTrue(Files.exists(ZERO) && Files.isDirectory(Path.of("/sys/dev/char/1:5")), "needs /dev/zero and sysfs");
    DaxBackendProvider real = new DaxBackendProvider();
    var e = assertThrows(BackendUnavailableException.class, () -> real.open(zero(0, null)));
    assertTrue(e.getMessage().contains("not a device DAX") && e.getMessage().contains("'mem'"), e.getMessage());
    Availability a = real.probe(zero(0, null));
    assertFalse(a.available());
    assertTrue(a.reason().contains("not a device DAX"), a.reason());
  }

  @Test
  void probeDescribesTheFakeDevice() {
    assumeTrue(Files.exists(ZERO) && NativeFiles.supported(), "needs /dev/zero on Linux");
    Availability a = fakeProvider().probe(zero(0, null));
    assertTrue(a.reason().startsWith("device DAX /dev/zero (" + 8 * MIB + " bytes, alignment " + 2 * MIB + ")"),
        a.reason());
    assertEquals(CacheLineWriteback.available(), a.available());
    assertFalse(fakeProvider().probe(zero(0, "msync")).available());
    assertTrue(fakeProvider().probe(zero(0, "none")).available());
  }
}
