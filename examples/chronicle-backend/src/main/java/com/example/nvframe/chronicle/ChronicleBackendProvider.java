package com.example.nvframe.chronicle;

import io.nvframe.api.BackendUnavailableException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.NvframeIOException;
import io.nvframe.spi.Availability;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;

// tag::provider-class[]
/**
 * The {@code chronicle} backend: a region file mapped with Chronicle Bytes ({@code MappedFile},
 * one mapping of the whole file), made durable with {@code msync(MS_SYNC)} through Chronicle's
 * posix binding. See {@link ChronicleMedium} for what flush and fence do.
 *
 * <p>Chronicle needs JVM flags ({@link #REQUIRED_FLAGS}); {@link #probe} reports them missing and
 * {@link #create}/{@link #open} refuse to start without them, instead of failing deep inside
 * Chronicle.
 */
public final class ChronicleBackendProvider implements BackendProvider {
  /** The selection key: {@code Regions.builder().backend("chronicle")}. */
  public static final String NAME = "chronicle";

  /** Sizes must be whole pages: msync works on pages. */
  static final long CAPACITY_ALIGNMENT = 4096;

  /**
   * The JVM options Chronicle needs, read from this jar's {@value #JVM_OPTIONS_RESOURCE} (written
   * by the build from the pom's {@code chronicle.jvm.flags}, which also sets the tests' flags).
   */
  public static final String REQUIRED_FLAGS = jvmOptions();

  /** Where the JVM options are; {@code nvframe bench} starts this backend's JVM with them. */
  public static final String JVM_OPTIONS_RESOURCE = "/META-INF/nvframe/chronicle.jvm-options";

  /** ServiceLoader needs a public no-arg constructor; it must not touch Chronicle. */
  public ChronicleBackendProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<Capability> capabilities() {
    return ChronicleMedium.CAPABILITIES;
  }

  @Override
  public String description() {
    return "example third-party backend: a file mapped by Chronicle Bytes, msync on fence";
  }
  // end::provider-class[]

  // tag::probe[]
  @Override
  public Availability probe(ProviderConfig config) {
    String missing = missingPrerequisite();
    if (missing != null) {
      return Availability.unavailable(missing);
    }
    if (config.path() == null) {
      return Availability.unavailable("the chronicle backend stores a region in a file; give a path");
    }
    return Availability.available("file mapped by Chronicle Bytes, msync(MS_SYNC) on fence");
  }

  /** Why Chronicle cannot run in this JVM, or null when it can. Loads no Chronicle class. */
  static String missingPrerequisite() {
    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
      return "Chronicle Bytes stores in native byte order, and nvframe media are little-endian; this CPU is big-endian";
    }
    ClassLoader loader = ChronicleBackendProvider.class.getClassLoader();
    Module chronicle;
    try {
      chronicle = Class.forName("net.openhft.chronicle.core.OS", false, loader).getModule();
      Class.forName("net.openhft.posix.PosixAPI", false, loader);
    } catch (ClassNotFoundException e) {
      return "Chronicle Bytes is not on the class path (" + e.getMessage()
          + "); add net.openhft:chronicle-bytes and net.openhft:posix";
    }
    Module base = Object.class.getModule();
    if (!base.isOpen("sun.nio.ch", chronicle) || !base.isOpen("java.lang.reflect", chronicle)) {
      return "Chronicle Bytes needs the JVM flags " + REQUIRED_FLAGS + " (this JVM was started without them)";
    }
    return null;
  }
  // end::probe[]

  // tag::create[]
  @Override
  public Medium create(ProviderConfig config) {
    Path path = requirePath(config, "create");
    long capacity = config.capacity();
    if (capacity <= 0 || capacity % CAPACITY_ALIGNMENT != 0) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "chronicle backend: capacity must be a positive multiple of " + CAPACITY_ALIGNMENT + " bytes, got "
              + capacity + "; set it with capacity(...)");
    }
    requirePrerequisites();
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      throw exists(path, null);
    }
    boolean done = false;
    try {
      // the file gets its full size (sparse) and is synced with its directory entry before mapping
      try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
          raf.setLength(capacity);
        }
        channel.force(true);
      }
      syncDirectory(path);
      Medium medium = ChronicleMedium.map(path, capacity, false);
      done = true;
      return medium;
    } catch (FileAlreadyExistsException e) {
      done = true; // someone else's file: leave it
      throw exists(path, e);
    } catch (IOException e) {
      throw new NvframeIOException(ErrorCode.IO_ERROR, "chronicle backend: cannot create " + path + ": " + e, e);
    } finally {
      if (!done) {
        try {
          Files.deleteIfExists(path);
        } catch (IOException ignored) {
          // the original failure is what the caller needs to see
        }
      }
    }
  }
  // end::create[]

  // tag::open[]
  @Override
  public Medium open(ProviderConfig config) {
    Path path = requirePath(config, "open");
    requirePrerequisites();
    long size;
    try {
      size = Files.size(path);
    } catch (NoSuchFileException e) {
      throw new NvframeConfigurationException(ErrorCode.REGION_NOT_FOUND,
          "chronicle backend: region file " + path + " does not exist; create it first, or check the path", e);
    } catch (IOException e) {
      throw new NvframeIOException(ErrorCode.IO_ERROR, "chronicle backend: cannot stat " + path + ": " + e, e);
    }
    if (config.capacity() != 0 && config.capacity() != size) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "chronicle backend: " + path + " holds " + size + " bytes, but capacity " + config.capacity()
              + " was requested; open with capacity 0 to take the file's size");
    }
    if (size <= 0 || size % CAPACITY_ALIGNMENT != 0) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "chronicle backend: " + path + " is " + size + " bytes, not a positive multiple of "
              + CAPACITY_ALIGNMENT + "; it was not made by this backend");
    }
    return ChronicleMedium.map(path, size, config.readOnly());
  }
  // end::open[]

  private static Path requirePath(ProviderConfig config, String what) {
    if (config.path() == null) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "chronicle backend: cannot " + what + " a region without a path; set it with path(...)");
    }
    return config.path();
  }

  private static void requirePrerequisites() {
    String missing = missingPrerequisite();
    if (missing != null) {
      throw new BackendUnavailableException(ErrorCode.BACKEND_UNAVAILABLE, "chronicle backend: " + missing);
    }
  }

  private static NvframeConfigurationException exists(Path path, Exception cause) {
    return new NvframeConfigurationException(ErrorCode.REGION_EXISTS,
        "chronicle backend: cannot create " + path + ": the path already exists; open it, or delete it to start over",
        cause);
  }

  private static String jvmOptions() {
    try (var in = ChronicleBackendProvider.class.getResourceAsStream(JVM_OPTIONS_RESOURCE)) {
      if (in == null) {
        return "(unknown: " + JVM_OPTIONS_RESOURCE + " is missing from the jar)";
      }
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      return "(unknown: cannot read " + JVM_OPTIONS_RESOURCE + ": " + e + ")";
    }
  }

  /** fsync of the directory, so that the new file's name is durable too. */
  private static void syncDirectory(Path path) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    if (dir != null) {
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      }
    }
  }
}
