package io.nvframe.backend.dax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The FFM libc calls behind preallocation and device DAX mapping, tried on ordinary files. */
class NativeFilesTest {
  @TempDir Path tmp;

  @BeforeEach
  void linuxOnly() {
    assumeTrue(NativeFiles.supported(), "Linux x86-64/AArch64 only");
  }

  @Test
  void posixFallocateReservesTheBytes() throws IOException {
    Path file = Files.createFile(tmp.resolve("fa"));
    int fd = NativeFiles.open(file, NativeFiles.O_WRONLY);
    try {
      assertEquals(0, NativeFiles.posixFallocate(fd, 0, 2 << 20));
    } finally {
      NativeFiles.close(fd);
    }
    assertEquals(2 << 20, Files.size(file));
    assertTrue(TestFs.allocatedBytes(file) >= 2 << 20);
  }

  @Test
  void openOfAMissingFileReportsErrno() {
    IOException e = assertThrows(IOException.class, () -> NativeFiles.open(tmp.resolve("missing"), NativeFiles.O_RDONLY));
    assertTrue(e.getMessage().contains("No such file") && e.getMessage().contains("errno 2"), e.getMessage());
    assertTrue(NativeFiles.strerror(NativeFiles.ENOSPC).contains("space"));
  }

  @Test
  void mmapRefusesMapSyncOnAnOrdinaryFileAndMapsItPlainly() throws Exception {
    Path file = tmp.resolve("map");
    Files.write(file, new byte[8192]);
    int fd = NativeFiles.open(file, NativeFiles.O_RDWR);
    try {
      NativeFiles.NativeError refused = assertThrows(NativeFiles.NativeError.class,
          () -> NativeFiles.mmap(fd, 8192, true, NativeFiles.MAP_SHARED_VALIDATE | NativeFiles.MAP_SYNC));
      assertEquals(NativeFiles.EOPNOTSUPP, refused.errno(), refused.getMessage());
      long address = NativeFiles.mmap(fd, 8192, true, NativeFiles.MAP_SHARED);
      try (Arena arena = Arena.ofShared()) {
        MemorySegment s = MemorySegment.ofAddress(address).reinterpret(8192, arena, x -> NativeFiles.munmap(address, 8192));
        s.set(ValueLayout.JAVA_BYTE, 4097, (byte) 42);
      }
    } finally {
      NativeFiles.close(fd);
    }
    assertEquals(42, Files.readAllBytes(file)[4097], "the shared mapping wrote through to the file");
  }

  /**
   * {@code msync} as MappedMedium's msync-mode flush calls it: 0 for the pages of a shared mapping,
   * -1 (EINVAL) for an address that is not page-aligned, and for a range that is not mapped
   * (ENOMEM), where MappedMedium repeats the write-back with the JDK's force to report the error.
   */
  @Test
  void msyncOfMappedPagesSucceedsAndOfBadRangesFails() throws Exception {
    Path file = tmp.resolve("msync");
    Files.write(file, new byte[8192]);
    int fd = NativeFiles.open(file, NativeFiles.O_RDWR);
    try {
      long address = NativeFiles.mmap(fd, 8192, true, NativeFiles.MAP_SHARED);
      try {
        MemorySegment.ofAddress(address).reinterpret(8192).set(ValueLayout.JAVA_BYTE, 100, (byte) 7);
        assertEquals(0, NativeFiles.msync(address, 8192));
        assertEquals(0, NativeFiles.msync(address + 4096, 4096));
        assertEquals(-1, NativeFiles.msync(address + 64, 4096), "not page-aligned");
      } finally {
        assertEquals(0, NativeFiles.munmap(address, 8192));
      }
      assertEquals(-1, NativeFiles.msync(address, 4096), "no longer mapped");
    } finally {
      NativeFiles.close(fd);
    }
    assertEquals(7, Files.readAllBytes(file)[100]);
  }
}
