package io.nvframe.backend.dax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.RegionLockedException;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import io.nvframe.tck.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A region is held by one medium at a time, across processes and within this JVM. */
class DaxLockTest {
  @TempDir Path tmp;
  private Path file;

  @BeforeEach
  void createRegion() {
    file = tmp.resolve("locked.nvf");
    try (Medium m = new DaxBackendProvider().create(new ProviderConfig(file, 1 << 20, false, Map.of()))) {
      m.storeLong(0, 4242);
      m.persist(0, 8);
    }
  }

  private static Medium open(Path file, boolean readOnly) {
    return new DaxBackendProvider().open(new ProviderConfig(file, 0, readOnly, Map.of()));
  }

  /** Runs {@link LockProbeMain} once and returns its first output line. */
  private String probeFromChild(String access) {
    ChildJvm.Finished run = ChildJvm.run(
        ChildJvm.classPathCommand(List.of("-Xmx64m"), LockProbeMain.class.getName(),
            List.of(file.toString(), access, "probe")),
        tmp, "probe-" + access, 120);
    assertEquals(0, run.exitCode(), run::describe);
    return run.stdout().lines().findFirst().orElseThrow(() -> new AssertionError("no output: " + run.describe()));
  }

  @Test
  void regionHeldByAnotherProcessIsLockedUntilItCloses() throws Exception {
    Process child = ChildJvm.start(
        ChildJvm.classPathCommand(List.of("-Xmx64m"), LockProbeMain.class.getName(),
            List.of(file.toString(), "rw", "hold")),
        tmp, "holder");
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String first = out.readLine();
      assertEquals("OPENED 4242", first, "the child opened the region");

      RegionLockedException e = assertThrows(RegionLockedException.class, () -> open(file, false));
      assertEquals(ErrorCode.REGION_LOCKED, e.code());
      assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("another process"),
          e.getMessage());
      assertThrows(RegionLockedException.class, () -> open(file, true), "read-only open vs. a writer");
      assertFalse(LockedFile.isOpenInThisJvm(file), "a refused open leaves nothing registered");

      child.getOutputStream().close(); // tells the child to close the region and exit
      assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child exits after stdin closes");
      assertEquals(0, child.exitValue());
    } finally {
      child.destroyForcibly();
    }
    try (Medium m = open(file, false)) {
      assertEquals(4242, m.loadLong(0), "open works once the other process closed it");
    }
  }

  @Test
  void refusedSecondOpenInThisJvmKeepsTheFirstHoldersLock() {
    try (Medium first = open(file, false)) {
      RegionLockedException e = assertThrows(RegionLockedException.class, () -> open(file, false));
      assertTrue(e.getMessage().contains("already open in this JVM"), e.getMessage());
      assertThrows(RegionLockedException.class, () -> open(file, true));
      // POSIX locks vanish when the process closes ANY descriptor of the file; the refusal must not
      // have opened (and closed) one, so another process still sees the lock
      String seen = probeFromChild("rw");
      assertTrue(seen.startsWith("LOCKED"), "another process must still see the lock: " + seen);
      assertEquals(4242, first.loadLong(0));
    }
    assertEquals("OPENED 4242", probeFromChild("rw"), "closing releases the lock");
  }

  @Test
  void lockSurvivesOtherCodeOpeningAndClosingTheFile() throws IOException {
    assumeTrue(NativeFiles.supported() && NativeFiles.nativeAccessEnabled(),
        "open-file-description locks need native access (--enable-native-access)");
    try (Medium m = open(file, false)) {
      assertEquals("ofd", m.properties().get(DaxBackendProvider.PROPERTY_LOCK));
      assertEquals(1 << 20, Files.readAllBytes(file).length); // opens and closes another descriptor of the file
      String seen = probeFromChild("rw");
      assertTrue(seen.startsWith("LOCKED"), "a classic POSIX lock would be gone now; the OFD lock is not: " + seen);
    }
  }

  @Test
  void fdatasyncDescriptorsLeaveTheLockInPlaceUntilClose() throws Exception {
    Map<String, String> fdatasync = Map.of(DaxBackendProvider.MODE, "msync", DaxBackendProvider.MSYNC, "fdatasync");
    assumeTrue(NativeFiles.supported() && NativeFiles.nativeAccessEnabled(), "fdatasync needs native access");
    try (MappedMedium m = (MappedMedium) new DaxBackendProvider().open(new ProviderConfig(file, 0, false, fdatasync))) {
      for (int i = 0; i < 3; i++) {
        long offset = 4096L * (i + 1);
        Thread t = Thread.ofPlatform().start(() -> m.persist(offset, 8));
        t.join();
      }
      assertEquals(3, m.syncDescriptors(), "three threads, three descriptors");
      String seen = probeFromChild("rw");
      assertTrue(seen.startsWith("LOCKED"), "opening descriptors for fdatasync keeps the lock: " + seen);
    }
    assertEquals("OPENED 4242", probeFromChild("rw"), "closing releases the lock");
  }

  @Test
  void fdatasyncWithoutNativeAccessIsAConfigurationErrorThatSaysWhatToDo() {
    ChildJvm.Finished run = ChildJvm.run( // the child runs without --enable-native-access
        ChildJvm.classPathCommand(List.of("-Xmx64m"), LockProbeMain.class.getName(),
            List.of(file.toString(), "rw", "probe", "dax.mode=msync,dax.msync=fdatasync")),
        tmp, "probe-fdatasync", 120);
    assertEquals(1, run.exitCode(), run::describe);
    assertTrue(run.stdout().contains("NvframeConfigurationException")
        && run.stdout().contains("dax.msync=fdatasync calls fdatasync through FFM, which needs the JVM flag "
            + "--enable-native-access=ALL-UNNAMED; or use dax.msync=merged"), run::describe);
    assertEquals("OPENED 4242", probeFromChild("rw"), "the refused open left the region unlocked");
  }

  @Test
  void readOnlyOpensShareTheLockAcrossProcesses() {
    try (Medium ro = open(file, true)) {
      assertNotNull(ro);
      assertEquals("OPENED 4242", probeFromChild("ro"), "a second reader in another process");
      String writer = probeFromChild("rw");
      assertTrue(writer.startsWith("LOCKED"), "a writer waits for the readers: " + writer);
    }
  }
}
