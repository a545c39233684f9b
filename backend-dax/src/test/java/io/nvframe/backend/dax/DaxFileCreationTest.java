package io.nvframe.backend.dax;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.NvframeIOException;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** create(): file modes, refusing existing paths, space reservation, and cleanup when it fails. */
class DaxFileCreationTest {
  private static final long MIB = 1 << 20;

  /** A 1 MiB tmpfs for the ENOSPC test, when this process may mount one. */
  private static Path tinyFs;
  private static final List<String> whyNoTinyFs = new ArrayList<>();

  @TempDir Path tmp;

  @BeforeAll
  static void mountTinyTmpfs() {
    Optional<Path> mounted = TestFs.mountTmpfs("1m", whyNoTinyFs);
    tinyFs = mounted.orElse(null);
  }

  @AfterAll
  static void unmountTinyTmpfs() throws IOException {
    if (tinyFs != null) {
      TestFs.unmount(tinyFs);
    }
  }

  private static Medium create(Path file, long capacity, Map<String, String> options) {
    return new DaxBackendProvider().create(new ProviderConfig(file, capacity, false, options));
  }

  @Test
  void defaultFileModeIs0600() throws IOException {
    Path file = tmp.resolve("default.nvf");
    try (Medium m = create(file, MIB, Map.of())) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }
  }

  @ParameterizedTest(name = "file.mode={0}")
  @CsvSource({"rw-r-----, rw-r-----", "0644, rw-r--r--", "660, rw-rw----", "rw-rw-rw-, rw-rw-rw-"})
  void customFileModeIsHonouredDespiteTheUmask(String mode, String expected) throws IOException {
    Path file = tmp.resolve("custom.nvf");
    try (Medium m = create(file, MIB, Map.of(ProviderConfig.FILE_MODE, mode))) {
      assertEquals(expected, PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), "mode " + mode);
    }
  }

  @ParameterizedTest(name = "file.mode={0}")
  @ValueSource(strings = {"rwx", "0800", "64", "06400", "1640", "rw-r--r--x"})
  void invalidFileModeIsRejectedWithoutCreatingAFile(String mode) {
    Path file = tmp.resolve("badmode.nvf");
    var e = assertThrows(NvframeConfigurationException.class,
        () -> create(file, MIB, Map.of(ProviderConfig.FILE_MODE, mode)));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertTrue(e.getMessage().contains(ProviderConfig.FILE_MODE), e.getMessage());
    assertFalse(Files.exists(file));
  }

  @Test
  void existingPathIsRefusedAndLeftUntouched() throws IOException {
    Path file = tmp.resolve("existing.nvf");
    byte[] content = "not a region, but someone's data".getBytes();
    Files.write(file, content);
    var e = assertThrows(NvframeConfigurationException.class, () -> create(file, MIB, Map.of()));
    assertEquals(ErrorCode.REGION_EXISTS, e.code());
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("use open, or delete it"),
        e.getMessage());
    assertArrayEquals(content, Files.readAllBytes(file), "the existing file is unchanged");
  }

  @Test
  void danglingSymlinkCountsAsExisting() throws IOException {
    Path link = tmp.resolve("link.nvf");
    Files.createSymbolicLink(link, tmp.resolve("target-that-does-not-exist"));
    var e = assertThrows(NvframeConfigurationException.class, () -> create(link, MIB, Map.of()));
    assertEquals(ErrorCode.REGION_EXISTS, e.code());
    assertFalse(Files.exists(tmp.resolve("target-that-does-not-exist")), "nothing created through the link");
  }

  @Test
  void openOfAMissingFileIsRegionNotFound() {
    Path file = tmp.resolve("missing.nvf");
    var e = assertThrows(NvframeConfigurationException.class,
        () -> new DaxBackendProvider().open(new ProviderConfig(file, 0, false, Map.of())));
    assertEquals(ErrorCode.REGION_NOT_FOUND, e.code());
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  @ParameterizedTest(name = "capacity {0}")
  @ValueSource(longs = {0, 1, 4095, 4097, 1_000_000})
  void capacityMustBeAPositiveMultipleOf4096AndNoFileIsLeft(long capacity) {
    Path file = tmp.resolve("cap.nvf");
    var e = assertThrows(NvframeConfigurationException.class, () -> create(file, capacity, Map.of()));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertTrue(e.getMessage().contains(Long.toString(capacity)) && e.getMessage().contains("4096"), e.getMessage());
    assertFalse(Files.exists(file), "no file after a refused create");
  }

  @Test
  void parentDirectoryMustExist() {
    Path file = tmp.resolve("no-such-dir").resolve("r.nvf");
    var e = assertThrows(NvframeConfigurationException.class, () -> create(file, MIB, Map.of()));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertTrue(e.getMessage().contains(tmp.resolve("no-such-dir").toString()), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("no-such-dir")));
  }

  @Test
  void preallocationReservesBlocksAndSparseDoesNot() throws IOException {
    long capacity = 8 * MIB;
    Path full = tmp.resolve("full.nvf");
    Path sparse = tmp.resolve("sparse.nvf");
    try (Medium f = create(full, capacity, Map.of());
        Medium s = create(sparse, capacity, Map.of(DaxBackendProvider.PREALLOCATE, "false"))) {
      assertEquals(capacity, f.size());
      assertEquals(capacity, s.size());
      String how = f.properties().get("dax.reservation");
      assertEquals(NativeFiles.nativeAccessEnabled() ? "posix_fallocate" : "zero-filled", how);
      assertEquals("sparse", s.properties().get("dax.reservation"));
    }
    assertEquals(capacity, Files.size(full));
    assertEquals(capacity, Files.size(sparse));
    long fullBlocks = TestFs.allocatedBytes(full);
    long sparseBlocks = TestFs.allocatedBytes(sparse);
    assertTrue(fullBlocks >= capacity, "preallocated file has its blocks: " + fullBlocks);
    assertTrue(sparseBlocks < capacity / 8, "sparse file has (almost) none: " + sparseBlocks);
  }

  @Test
  void zeroFillFallbackWritesEveryByte() throws IOException {
    Path file = tmp.resolve("zero.nvf");
    long capacity = 3 * MIB + 4096;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      RegionFileCreator.zeroFill(ch, capacity);
    }
    assertEquals(capacity, Files.size(file));
    assertTrue(TestFs.allocatedBytes(file) >= capacity, "zero-filled blocks are allocated");
    byte[] all = Files.readAllBytes(file);
    for (byte b : all) {
      if (b != 0) {
        throw new AssertionError("zero fill wrote a non-zero byte");
      }
    }
  }

  @Test
  void createOnAFullFilesystemFailsWithTheNumbersAndLeavesNoFile() {
    assumeTrue(tinyFs != null, () -> "cannot mount a 1 MiB tmpfs here: " + whyNoTinyFs);
    Path file = tinyFs.resolve("big.nvf");
    long capacity = 4 * MIB;
    var e = assertThrows(NvframeIOException.class, () -> create(file, capacity, Map.of()));
    assertEquals(ErrorCode.IO_ERROR, e.code());
    String msg = e.getMessage();
    assertTrue(msg.contains(Long.toString(capacity)) && msg.contains("usable space"), msg);
    assertTrue(msg.contains("No space left on device"), "the cause is named: " + msg);
    assertTrue(msg.contains(DaxBackendProvider.PREALLOCATE + "=false"), "suggests a sparse file: " + msg);
    assertFalse(Files.exists(file), "the partial file is deleted");
  }

  @Test
  void zeroFillOnAFullFilesystemFailsToo() throws IOException {
    assumeTrue(tinyFs != null, () -> "cannot mount a 1 MiB tmpfs here: " + whyNoTinyFs);
    Path file = tinyFs.resolve("zero-big.nvf");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      IOException e = assertThrows(IOException.class, () -> RegionFileCreator.zeroFill(ch, 4 * MIB));
      assertTrue(e.getMessage().contains("No space left"), e.getMessage());
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  void smallRegionFitsOnTheTinyFilesystem() {
    assumeTrue(tinyFs != null, () -> "cannot mount a 1 MiB tmpfs here: " + whyNoTinyFs);
    Path file = tinyFs.resolve("small.nvf");
    try (Medium m = create(file, 256 * 1024, Map.of())) {
      m.storeLong(0, 1);
      m.persist(0, 8);
      assertEquals("tmpfs", m.properties().get(DaxBackendProvider.PROPERTY_FILESYSTEM));
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // the tmpfs is unmounted anyway
      }
    }
  }
}
