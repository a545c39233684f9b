package io.nvframe.backend.dax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nvframe.api.AlreadyClosedException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeIOException;
import io.nvframe.spi.ProviderConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dax.msync=fdatasync} ({@link FileSyncs}): which files {@code auto} picks it for, one
 * descriptor per thread up to the slot count, every descriptor closed with the medium, a sync that
 * follows the file through a rename, and a failing fdatasync reported as an I/O error. The page
 * counting it shares with merged msync is in MappedMediumFlushTest.
 */
class FdatasyncTest {
  private static final long SIZE = 1 << 20;
  private static final Path SHM = Path.of("/dev/shm");

  @TempDir Path tmp;

  private static MappedMedium create(Path file, String msync) {
    Map<String, String> options = msync == null
        ? Map.of(DaxBackendProvider.MODE, "msync")
        : Map.of(DaxBackendProvider.MODE, "msync", DaxBackendProvider.MSYNC, msync);
    return (MappedMedium) new DaxBackendProvider().create(new ProviderConfig(file, SIZE, false, options));
  }

  private static boolean memoryBacked(Path dir) throws IOException {
    String type = Files.getFileStore(dir).type();
    return type.equals("tmpfs") || type.equals("ramfs");
  }

  /** The descriptors of this process open on {@code file}, from /proc/self/fd. */
  private static List<Integer> descriptorsOf(Path file) throws IOException {
    Path real = file.toRealPath();
    List<Integer> fds = new ArrayList<>();
    try (Stream<Path> entries = Files.list(Path.of("/proc/self/fd"))) {
      for (Path e : entries.toList()) {
        try {
          if (Files.readSymbolicLink(e).equals(real)) {
            fds.add(Integer.parseInt(e.getFileName().toString()));
          }
        } catch (IOException gone) {
          // the listing's own descriptor, closed by now
        }
      }
    }
    return fds;
  }

  @Test
  void autoSyncsWithFdatasyncOnMemoryFilesystemsAndWithMergedMsyncElsewhere() throws Exception {
    try (MappedMedium m = create(tmp.resolve("a.nvf"), null)) {
      assertEquals(memoryBacked(tmp) ? "fdatasync" : "merged", m.properties().get(DaxBackendProvider.MSYNC),
          "auto on " + Files.getFileStore(tmp).type());
    }
    assumeTrue(Files.isDirectory(SHM) && memoryBacked(SHM), "needs a tmpfs at /dev/shm");
    Path shm = Files.createTempDirectory(SHM, "nvframe-fdatasync-test");
    try (MappedMedium m = create(shm.resolve("a.nvf"), "AUTO")) {
      assertEquals("fdatasync", m.properties().get(DaxBackendProvider.MSYNC), "auto on tmpfs");
      m.persist(4096, 8);
      assertEquals(1, m.writebackRanges());
      assertEquals(1, m.syncDescriptors());
    } finally {
      Files.deleteIfExists(shm.resolve("a.nvf"));
      Files.delete(shm);
    }
  }

  @Test
  void eachThreadSyncsThroughItsOwnDescriptorUntilTheSlotsRunOut() throws Exception {
    int slots = FileSyncs.defaultSlots();
    Path file = tmp.resolve("threads.nvf");
    try (MappedMedium m = create(file, "fdatasync")) {
      int base = descriptorsOf(file).size();
      m.fence();
      assertEquals(0, m.syncDescriptors(), "a fence with nothing flushed syncs nothing and opens nothing");
      m.persist(0, 8);
      m.persist(64, 8);
      assertEquals(1, m.syncDescriptors(), "one descriptor for this thread, kept");
      for (int i = 1; i <= slots; i++) {
        long offset = 4096L * i;
        Thread t = Thread.ofPlatform().start(() -> m.persist(offset, 8));
        t.join();
        assertEquals(Math.min(i + 1, slots), m.syncDescriptors(), "after " + (i + 1) + " threads");
      }
      assertEquals(slots + 1 + 1, m.writebackRanges(), "one sync per persist");
      assertEquals(base + slots, descriptorsOf(file).size(), "the slots' descriptors are open on this file");
    }
    assertEquals(List.of(), descriptorsOf(file), "close closes every descriptor");
  }

  @Test
  void theDescriptorsFollowTheFileThroughARename() throws Exception {
    Path file = tmp.resolve("before.nvf");
    Path renamed = tmp.resolve("after.nvf");
    try (MappedMedium m = create(file, "fdatasync")) {
      Files.move(file, renamed);
      Files.writeString(file, "another file under the old name");
      m.storeLong(8192, 0x5EED);
      m.persist(8192, 8);
      List<Integer> fds = descriptorsOf(renamed);
      assertTrue(fds.size() >= 2, "the lock's descriptor and the thread's: " + fds);
      assertEquals(List.of(), descriptorsOf(file), "nothing opened the new file under the old name");
    }
    assertEquals(List.of(), descriptorsOf(renamed));
  }

  @Test
  void aFailingFdatasyncIsAnIoErrorThatNamesTheFileAndTheErrno() throws Exception {
    Path file = tmp.resolve("fail.nvf");
    try (MappedMedium m = create(file, "fdatasync")) {
      m.persist(0, 8);
      assertEquals(1, m.syncDescriptors(), "this thread has slot 0");
      // /dev/null takes no fdatasync (EINVAL): the next sync through slot 0 fails
      m.fileSyncs().substitute(0, NativeFiles.open(Path.of("/dev/null"), NativeFiles.O_RDWR));
      m.storeLong(0, 1);
      m.flush(0, 8);
      NvframeIOException e = assertThrows(NvframeIOException.class, m::fence);
      assertEquals(ErrorCode.IO_ERROR, e.code());
      assertTrue(e.getMessage().contains("fdatasync of " + file.toAbsolutePath()), e.getMessage());
      assertTrue(e.getMessage().contains("(errno 22)"), e.getMessage());
      assertTrue(e.getMessage().contains("bytes [0, 4096)"), e.getMessage());
      assertTrue(e.getMessage().contains("dmesg"), e.getMessage());
      assertEquals(1, m.writebackRanges(), "the failed sync is not counted");
      m.fence();
      assertEquals(1, m.writebackRanges(), "the failed range was reported once, not again");
    }
  }

  @Test
  void aFenceAfterCloseIsRefused() {
    MappedMedium m = create(tmp.resolve("closed.nvf"), "fdatasync");
    m.flush(0, 8);
    m.close();
    assertThrows(AlreadyClosedException.class, m::fence);
  }
}
