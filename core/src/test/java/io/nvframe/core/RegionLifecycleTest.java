package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.AlreadyClosedException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.Frame;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.NvframeException;
import io.nvframe.api.NvframeIOException;
import io.nvframe.api.Region;
import io.nvframe.api.RegionInfo;
import io.nvframe.api.RegionLockedException;
import io.nvframe.api.UnsupportedFormatException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegionLifecycleTest {
  static final long SIZE = 8L << 20;

  @TempDir Path dir;

  Region create(Path file) {
    return Regions.builder().backend("dax").path(file).capacity(SIZE).maxOrder(6).lanes(4).create();
  }

  @Test
  void createReopenKeepsIdentityGeometryAndData() {
    Path file = dir.resolve("r.nvf");
    RegionInfo before;
    Frame f;
    try (Region r = create(file)) {
      before = r.info();
      f = r.allocate(2);
      r.putLong(f, 8, 0x1122334455667788L);
      r.persist(f, 8, 8);
      r.transact(tx -> tx.setRoot("main", f));
    }
    try (Region r = Regions.open(file)) {
      RegionInfo after = r.info();
      assertEquals(before.uuid(), after.uuid());
      assertEquals(before.frameCount(), after.frameCount());
      assertEquals(before.areas(), after.areas());
      assertEquals("dax", after.backend());
      Frame again = r.root("main").orElseThrow();
      assertEquals(f.pfn(), again.pfn());
      assertEquals(0x1122334455667788L, r.getLong(again, 8));
      assertTrue(r.check().consistent(), r.check().problems().toString());
    }
  }

  @Test
  void heapRegionsWorkAndCannotBeReopened() {
    try (Region r = Regions.builder().backend("heap").capacity(SIZE).maxOrder(6).lanes(4).create()) {
      assertEquals("heap", r.info().backend());
      Frame f = r.allocate(0);
      r.write(f, 0, "hello".getBytes(StandardCharsets.US_ASCII));
      byte[] back = new byte[5];
      r.read(f, 0, back);
      assertEquals("hello", new String(back, StandardCharsets.US_ASCII));
      assertTrue(r.check().consistent());
    }
    NvframeConfigurationException e =
        assertThrows(NvframeConfigurationException.class, () -> Regions.builder().backend("heap").open());
    assertTrue(e.getMessage().contains("path"), e.getMessage());
  }

  @Test
  void defaultBackendIsTheOnlyDurableOneNotHeap() {
    try (Region r = Regions.builder().path(dir.resolve("d.nvf")).capacity(SIZE).maxOrder(6).lanes(4).create()) {
      assertEquals("dax", r.info().backend());
    }
  }

  @Test
  void unknownBackendNameIsAClearError() {
    NvframeConfigurationException e = assertThrows(NvframeConfigurationException.class,
        () -> Regions.builder().backend("nope").path(dir.resolve("x")).capacity(SIZE).create());
    assertEquals(ErrorCode.BACKEND_UNKNOWN, e.code());
    assertTrue(e.getMessage().contains("dax, heap"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("x")));
  }

  @Test
  void createRefusesAnExistingFileAndLeavesItAlone() throws IOException {
    Path file = dir.resolve("exists.nvf");
    Files.writeString(file, "precious");
    NvframeException e = assertThrows(NvframeException.class, () -> create(file));
    assertEquals(ErrorCode.REGION_EXISTS, e.code(), e.getMessage());
    assertEquals("precious", Files.readString(file));
  }

  @Test
  void badGeometryFailsBeforeAnyFileIsCreated() {
    Path file = dir.resolve("geo.nvf");
    assertThrows(NvframeConfigurationException.class,
        () -> Regions.builder().backend("dax").path(file).capacity(SIZE).frameSize(3000).create());
    assertFalse(Files.exists(file));
    assertThrows(NvframeConfigurationException.class,
        () -> Regions.builder().backend("dax").path(file).capacity(16384).create());
    assertFalse(Files.exists(file));
  }

  @Test
  void openingAMissingFileSaysSo() {
    NvframeIOException e = assertThrows(NvframeIOException.class, () -> Regions.open(dir.resolve("missing.nvf")));
    assertEquals(ErrorCode.REGION_NOT_FOUND, e.code());
  }

  @Test
  void aFileThatIsNotARegionIsRejectedUnchanged() throws Exception {
    Path file = dir.resolve("text.nvf");
    byte[] junk = new byte[64 << 10];
    new java.util.Random(1).nextBytes(junk);
    Files.write(file, junk);
    MediaCorruptedException e = assertThrows(MediaCorruptedException.class, () -> Regions.open(file));
    assertEquals(ErrorCode.NOT_A_REGION, e.code());
    assertArrayEquals(junk, Files.readAllBytes(file));
    Files.write(file, new byte[100]);
    e = assertThrows(MediaCorruptedException.class, () -> Regions.open(file));
    assertEquals(ErrorCode.NOT_A_REGION, e.code());
    assertTrue(e.getMessage().contains("100 bytes"), e.getMessage());
  }

  @Test
  void truncatedRegionIsASizeMismatchAndIsNotModified() throws Exception {
    Path file = dir.resolve("t.nvf");
    create(file).close();
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(SIZE - 4096);
    }
    String before = digest(file);
    MediaCorruptedException e = assertThrows(MediaCorruptedException.class, () -> Regions.open(file));
    assertEquals(ErrorCode.SIZE_MISMATCH, e.code());
    assertTrue(e.getMessage().contains(String.valueOf(SIZE)), e.getMessage());
    assertEquals(before, digest(file));
  }

  @Test
  void corruptCopyAIsReadFromBAndRepairedOnWritableOpenOnly() throws Exception {
    Path file = dir.resolve("a.nvf");
    create(file).close();
    flipByte(file, 70);
    String before = digest(file);
    try (Region r = Regions.openReadOnly(file)) {
      assertFalse(r.check().consistent(), "check must report the damaged copy");
    }
    assertEquals(before, digest(file), "a read-only open must not modify the file");
    try (Region r = Regions.open(file)) {
      assertTrue(r.check().consistent(), r.check().problems().toString());
    }
    try (Region r = Regions.openReadOnly(file)) {
      assertTrue(r.check().consistent(), "copy A was repaired");
    }
  }

  @Test
  void bothCopiesCorruptIsHeaderCorruptAndUnmodified() throws Exception {
    Path file = dir.resolve("ab.nvf");
    create(file).close();
    flipByte(file, 70);
    flipByte(file, 4096 + 70);
    String before = digest(file);
    MediaCorruptedException e = assertThrows(MediaCorruptedException.class, () -> Regions.open(file));
    assertEquals(ErrorCode.HEADER_CORRUPT, e.code());
    assertEquals(before, digest(file));
  }

  @Test
  void newerFormatVersionIsRefused() throws Exception {
    Path file = dir.resolve("v.nvf");
    create(file).close();
    rewriteHeaders(file, b -> b.putInt(8, 2));
    UnsupportedFormatException e = assertThrows(UnsupportedFormatException.class, () -> Regions.open(file));
    assertEquals(ErrorCode.FORMAT_TOO_NEW, e.code());
  }

  @Test
  void aRegionWrittenByAMissingBackendSaysWhichAndHowToGetIt() throws Exception {
    Path file = dir.resolve("b.nvf");
    create(file).close();
    rewriteHeaders(file, b -> b.put(32, "btt\0".getBytes(StandardCharsets.US_ASCII)));
    UnsupportedFormatException e = assertThrows(UnsupportedFormatException.class, () -> Regions.open(file));
    assertEquals(ErrorCode.BACKEND_UNKNOWN, e.code());
    assertTrue(e.getMessage().contains("'btt'") && e.getMessage().contains("nvframe-backend-block-btt"), e.getMessage());
  }

  @Test
  void geometryAskedOnOpenMustMatchTheHeader() {
    Path file = dir.resolve("g.nvf");
    create(file).close();
    NvframeConfigurationException e = assertThrows(NvframeConfigurationException.class,
        () -> Regions.builder().path(file).maxOrder(3).open());
    assertTrue(e.getMessage().contains("max order 6"), e.getMessage());
    e = assertThrows(NvframeConfigurationException.class, () -> Regions.builder().path(file).backend("heap").open());
    assertTrue(e.getMessage().contains("'dax'"), e.getMessage());
  }

  @Test
  void aSecondOpenWhileOpenIsRefused() {
    Path file = dir.resolve("l.nvf");
    try (Region r = create(file)) {
      RegionLockedException e = assertThrows(RegionLockedException.class, () -> Regions.open(file));
      assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
    }
    Regions.open(file).close();
  }

  @Test
  void openOrCreateCreatesThenOpens() {
    Path file = dir.resolve("oc.nvf");
    java.util.UUID id;
    try (Region r = Regions.builder().backend("dax").path(file).capacity(SIZE).maxOrder(6).lanes(4).openOrCreate()) {
      id = r.info().uuid();
    }
    try (Region r = Regions.builder().path(file).openOrCreate()) {
      assertEquals(id, r.info().uuid());
    }
  }

  @Test
  void useAfterCloseIsAlreadyClosed() {
    Region r = create(dir.resolve("c.nvf"));
    Frame f = r.allocate(0);
    r.close();
    r.close();
    assertFalse(r.isOpen());
    assertThrows(AlreadyClosedException.class, () -> r.allocate(0));
    assertThrows(AlreadyClosedException.class, () -> r.getLong(f, 0));
    assertThrows(AlreadyClosedException.class, r::begin);
    assertThrows(AlreadyClosedException.class, r::info);
  }

  @Test
  void readOnlyRegionsRefuseWrites() {
    Path file = dir.resolve("ro.nvf");
    Frame f;
    try (Region r = create(file)) {
      f = r.allocate(0);
    }
    try (Region r = Regions.openReadOnly(file)) {
      NvframeIOException e = assertThrows(NvframeIOException.class, () -> r.allocate(0));
      assertEquals(ErrorCode.READ_ONLY, e.code());
      Frame same = new Frame(f.pfn(), f.order(), f.generation(), f.regionId());
      assertEquals(0L, r.getLong(same, 0));
      assertThrows(NvframeIOException.class, () -> r.putLong(same, 0, 1));
      assertThrows(NvframeIOException.class, r::begin);
    }
  }

  static void flipByte(Path file, long offset) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(offset);
      int b = raf.read();
      raf.seek(offset);
      raf.write(b ^ 0x01);
    }
  }

  /** Edits both header copies and fixes their checksums. */
  static void rewriteHeaders(Path file, java.util.function.Consumer<ByteBuffer> edit) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      for (long at : new long[] {0, 4096}) {
        byte[] slot = new byte[4096];
        raf.seek(at);
        raf.readFully(slot);
        ByteBuffer b = ByteBuffer.wrap(slot).order(ByteOrder.LITTLE_ENDIAN);
        edit.accept(b);
        b.putInt(RegionHeader.CRC_OFFSET, RegionHeader.crc(slot));
        raf.seek(at);
        raf.write(slot);
      }
    }
  }

  static String digest(Path file) throws IOException, NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
