package io.nvframe.backend.dax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.nvframe.api.BackendUnavailableException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.spi.Availability;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import io.nvframe.tck.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.io.TempDirFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/** Which mapping mode a medium gets, what it reports, and the errors for modes that cannot work here. */
class DaxModeSelectionTest {
  private static final long MIB = 1 << 20;

  @TempDir Path tmp;

  /** On /dev/shm when it is writable (a tmpfs on Linux), else in the default temporary folder. */
  @TempDir(factory = ShmTempDirFactory.class)
  Path shm;

  /** Makes {@link #shm}; JUnit deletes it after each test like any temporary directory. */
  static final class ShmTempDirFactory implements TempDirFactory {
    @Override
    public Path createTempDirectory(AnnotatedElementContext element, ExtensionContext extension) throws IOException {
      Path devShm = Path.of("/dev/shm");
      return Files.isDirectory(devShm) && Files.isWritable(devShm)
          ? Files.createTempDirectory(devShm, "nvframe-dax-test-")
          : Files.createTempDirectory("nvframe-dax-test-");
    }
  }

  private Path dir(String where) throws IOException {
    if (where.equals("shm")) {
      assumeTrue(Files.getFileStore(shm).type().equals("tmpfs"), "/dev/shm is not a tmpfs here");
      return shm;
    }
    return tmp;
  }

  private static ProviderConfig config(Path file, String mode) {
    Map<String, String> options = new HashMap<>();
    if (mode != null) {
      options.put(DaxBackendProvider.MODE, mode);
    }
    return new ProviderConfig(file, MIB, false, options);
  }

  /** True when MAP_SYNC works in {@code dir} (a real DAX mount), which changes what auto must pick. */
  private static boolean mapSyncWorks(Path dir) {
    return new DaxBackendProvider().probe(config(dir.resolve("x.nvf"), "sync")).available();
  }

  @ParameterizedTest(name = "auto on {0}")
  @ValueSource(strings = {"tmp", "shm"})
  void autoFallsBackToMsyncWithoutMapSync(String where) throws IOException {
    Path d = dir(where);
    assumeTrue(!mapSyncWorks(d), "this directory supports MAP_SYNC");
    try (Medium m = new DaxBackendProvider().create(config(d.resolve("auto.nvf"), null))) {
      assertEquals("msync", m.properties().get(DaxBackendProvider.MODE), "mode property on " + d);
      assertEquals(Files.getFileStore(d).type(), m.properties().get(DaxBackendProvider.PROPERTY_FILESYSTEM));
      assertEquals("false", m.properties().get(DaxBackendProvider.PROPERTY_DEVICE));
      assertEquals(d.resolve("auto.nvf").toAbsolutePath().toString(), m.properties().get(DaxBackendProvider.PROPERTY_FILE));
      assertFalse(m.capabilities().contains(Capability.SYNC_MAPPING), "no SYNC_MAPPING on an msync mapping");
      assertEquals(FlushPrimitive.FORCE_PAGES, ((MappedMedium) m).flushPrimitive());
    }
  }

  @ParameterizedTest(name = "sync on {0}")
  @ValueSource(strings = {"tmp", "shm"})
  void syncWithoutMapSyncIsUnavailableAndLeavesNoFile(String where) throws IOException {
    Path d = dir(where);
    assumeTrue(!mapSyncWorks(d), "this directory supports MAP_SYNC");
    Path file = d.resolve("sync.nvf");
    BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
        () -> new DaxBackendProvider().create(config(file, "sync")));
    assertEquals(ErrorCode.MAPPING_MODE_UNSUPPORTED, e.code());
    String fs = Files.getFileStore(d).type();
    assertTrue(e.getMessage().contains(file.toString()), "names the path: " + e.getMessage());
    assertTrue(e.getMessage().contains(fs), "names the filesystem " + fs + ": " + e.getMessage());
    assertTrue(e.getMessage().contains("-o dax") && e.getMessage().contains("msync"),
        "says to mount with -o dax or use msync: " + e.getMessage());
    assertFalse(Files.exists(file), "the partial file is deleted");
    assertFalse(LockedFile.isOpenInThisJvm(d), "nothing stays registered");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"msync", "none", "emulate"})
  void explicitModesAreReported(String mode) throws IOException {
    assumeTrue(!mode.equals("emulate") || CacheLineWriteback.available(), "emulate needs the write-back export");
    try (Medium m = new DaxBackendProvider().create(config(tmp.resolve(mode + ".nvf"), mode))) {
      assertEquals(mode, m.properties().get(DaxBackendProvider.MODE), "mode property");
      assertEquals(Map.of("msync", FlushPrimitive.FORCE_PAGES, "none", FlushPrimitive.NOTHING,
          "emulate", FlushPrimitive.WRITEBACK_LINES).get(mode), ((MappedMedium) m).flushPrimitive(), mode);
      assertEquals(java.util.Set.of(Capability.DURABLE, Capability.BYTE_ADDRESSABLE),
          m.capabilities(), mode + " capabilities");
    }
  }

  @Test
  void chosenModeIsLoggedAtInfo() throws IOException {
    Logger logger = (Logger) LoggerFactory.getLogger(DaxBackendProvider.class);
    Level before = logger.getLevel();
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    logger.setLevel(Level.INFO);
    logger.setAdditive(false); // keep the line out of the console
    try (Medium m = new DaxBackendProvider().create(config(tmp.resolve("log.nvf"), null))) {
      String mode = m.properties().get(DaxBackendProvider.MODE);
      List<ILoggingEvent> infos = appender.list.stream().filter(e -> e.getLevel() == Level.INFO).toList();
      assertEquals(1, infos.size(), "one INFO line per create: " + appender.list);
      String line = infos.get(0).getFormattedMessage();
      assertTrue(line.contains("mode " + mode) && line.contains(tmp.resolve("log.nvf").toString()),
          "the INFO line names the path and the mode: " + line);
      if (mode.equals("msync")) {
        assertTrue(line.contains("MAP_SYNC not supported"), "and why auto fell back: " + line);
      }
    } finally {
      logger.detachAppender(appender);
      logger.setLevel(before);
      logger.setAdditive(true);
    }
  }

  @Test
  void emulateWithoutTheExportFailsWithTheFlagToAdd(@TempDir Path logs) {
    List<String> command = ChildJvm.classPathCommand(
        List.of("-Xmx64m"), EmulateWithoutExportMain.class.getName(), List.of(tmp.toString()));
    ChildJvm.Finished run = ChildJvm.run(command, logs, "emulate", 120);
    assertEmulateRefusedNaming("--add-exports java.base/jdk.internal.misc=ALL-UNNAMED", run);
  }

  /**
   * {@link EmulateWithoutExportMain} exited normally, found write-back unavailable, and its probe and
   * its error ({@code MAPPING_MODE_UNSUPPORTED}) name {@code flag}; the error also names msync; no file.
   */
  private static List<String> assertEmulateRefusedNaming(String flag, ChildJvm.Finished run) {
    assertEquals(0, run.exitCode(), run::describe);
    List<String> lines = run.stdout().lines().toList();
    assertTrue(lines.contains("AVAILABLE false"), run::describe);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("PROBE false") && l.contains(flag)),
        "probe says unavailable and names the flag: " + run.describe());
    assertTrue(lines.contains("CODE " + ErrorCode.MAPPING_MODE_UNSUPPORTED), run::describe);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("MESSAGE") && l.contains(flag) && l.contains("msync")),
        "the error names the flag and the alternative: " + run.describe());
    assertTrue(lines.contains("EXISTS false"), "no file is created: " + run.describe());
    return lines;
  }

  /**
   * In a JVM without C2 the write-back stubs are missing and calling them crashes the JVM
   * (WritebackStubs): emulate is refused with the flag named, and auto falls back to msync.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"-Xint", "-XX:TieredStopAtLevel=1", "-XX:TieredStopAtLevel=3"})
  void emulateWithoutTheC2CompilerIsRefusedInsteadOfCrashingTheJvm(String flag, @TempDir Path logs) {
    List<String> command = ChildJvm.classPathCommand(
        List.of("-Xmx64m", flag, "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED"),
        EmulateWithoutExportMain.class.getName(), List.of(tmp.toString(), "auto"));
    ChildJvm.Finished run = ChildJvm.run(command, logs, "no-c2", 120);
    List<String> lines = assertEmulateRefusedNaming(flag, run);
    assertTrue(lines.contains("AUTO msync"), "auto still works, with msync: " + run.describe());
  }

  @Test
  void writebackStubsAreMissingExactlyWithoutC2() {
    assertEquals("-Xint", WritebackStubs.fromFlags(false, false, 4));
    assertEquals("-XX:TieredStopAtLevel=1", WritebackStubs.fromFlags(true, true, 1));
    assertEquals("-XX:TieredStopAtLevel=3", WritebackStubs.fromFlags(true, true, 3));
    assertNull(WritebackStubs.fromFlags(true, true, 4), "default: tiered up to C2");
    assertNull(WritebackStubs.fromFlags(true, false, 4), "-XX:-TieredCompilation: C2 alone");
    assertNull(WritebackStubs.missing(), "this test JVM runs with C2");
  }

  @Test
  void exportFlagNamesTheModuleOnTheModulePath() {
    Module named = Object.class.getModule();
    assertEquals("--add-exports java.base/jdk.internal.misc=java.base", CacheLineWriteback.exportFlag(named));
    assertTrue(CacheLineWriteback.missingExportMessage(named).contains("module java.base"));
    Module unnamed = DaxModeSelectionTest.class.getModule();
    assertEquals("--add-exports java.base/jdk.internal.misc=ALL-UNNAMED", CacheLineWriteback.exportFlag(unnamed));
    assertTrue(CacheLineWriteback.missingExportMessage(unnamed).contains("class path"));
  }

  @Test
  void badOptionsAreRejectedBeforeAnythingIsCreated() {
    Path file = tmp.resolve("bad.nvf");
    var e = assertThrows(NvframeConfigurationException.class,
        () -> new DaxBackendProvider().create(config(file, "fast")));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertTrue(e.getMessage().contains("auto, sync, msync, emulate, none"), e.getMessage());
    var typo = assertThrows(NvframeConfigurationException.class, () -> new DaxBackendProvider()
        .create(new ProviderConfig(file, MIB, false, Map.of("dax.mdoe", "msync"))));
    assertTrue(typo.getMessage().contains("dax.mdoe") && typo.getMessage().contains(DaxBackendProvider.MODE),
        typo.getMessage());
    var pre = assertThrows(NvframeConfigurationException.class, () -> new DaxBackendProvider()
        .create(new ProviderConfig(file, MIB, false, Map.of(DaxBackendProvider.PREALLOCATE, "yes"))));
    assertTrue(pre.getMessage().contains(DaxBackendProvider.PREALLOCATE), pre.getMessage());
    assertFalse(Files.exists(file));
  }

  @Test
  void probeSaysWhichModeWouldBeUsed() throws IOException {
    DaxBackendProvider p = new DaxBackendProvider();
    Path file = tmp.resolve("probe.nvf");
    assumeTrue(!mapSyncWorks(tmp), "this directory supports MAP_SYNC");
    String fs = Files.getFileStore(tmp).type();
    Availability auto = p.probe(config(file, null));
    assertTrue(auto.available() && auto.reason().startsWith("msync (MAP_SYNC not supported by " + fs), auto.reason());
    Availability sync = p.probe(config(file, "sync"));
    assertFalse(sync.available(), sync.reason());
    assertTrue(sync.reason().contains("-o dax"), sync.reason());
    assertTrue(p.probe(config(file, "msync")).available());
    assertTrue(p.probe(config(file, "none")).reason().startsWith("none"));
    assertEquals(CacheLineWriteback.available(), p.probe(config(file, "emulate")).available());
    assertFalse(p.probe(new ProviderConfig(null, MIB, false, Map.of())).available(), "no path");
    Availability missing = p.probe(config(tmp.resolve("no/such/dir/r.nvf"), null));
    assertFalse(missing.available());
    assertTrue(missing.reason().contains("does not exist"), missing.reason());
    assertFalse(p.probe(config(file, "fast")).available(), "bad mode");
    assertFalse(Files.exists(file), "probe creates nothing");
  }

  @Test
  void probeReadsDaxMountOptions(@TempDir Path fake) throws IOException {
    Path mountinfo = fake.resolve("mountinfo");
    Files.writeString(mountinfo, String.join("\n",
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
        "40 22 259:0 / " + tmp + " rw,relatime shared:2 - ext4 /dev/pmem0 rw,dax=always",
        ""));
    DaxBackendProvider p = new DaxBackendProvider(DeviceDax.SYSFS, mountinfo);
    Availability auto = p.probe(config(tmp.resolve("r.nvf"), null));
    assertTrue(auto.reason().startsWith("sync (MAP_SYNC: ext4 at " + tmp + " is mounted with dax)"), auto.reason());
    assertTrue(p.probe(config(tmp.resolve("r.nvf"), "sync")).available());
    Availability elsewhere = p.probe(config(fake.resolve("r.nvf"), "sync"));
    assertFalse(elsewhere.available(), "a directory outside the dax mount: " + elsewhere.reason());
  }
}
