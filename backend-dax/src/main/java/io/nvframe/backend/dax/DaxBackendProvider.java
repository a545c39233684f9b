package io.nvframe.backend.dax;

import static java.util.Objects.requireNonNull;

import io.nvframe.api.BackendUnavailableException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.NvframeException;
import io.nvframe.api.NvframeIOException;
import io.nvframe.spi.Availability;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import jdk.nio.mapmode.ExtendedMapMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code dax} backend: a region is a memory-mapped file (on a DAX filesystem for real
 * persistent memory, or any filesystem) or a device DAX ({@code /dev/daxN.M}).
 *
 * <p><b>Mapping modes</b> (option {@value #MODE}):
 *
 * <pre>
 *   mode     mapping                     flush(off, len)                          fence
 *   auto     sync if the map call         as sync / msync                          full fence
 *            accepts MAP_SYNC, else msync
 *   sync     READ_WRITE_SYNC (MAP_SYNC)   force() of the 64-B-aligned slice:       full fence
 *                                        cache-line write-back + sfence
 *   msync    READ_WRITE                   force() of the page-aligned slice: msync full fence
 *   emulate  READ_WRITE                   Unsafe.writebackMemory of the lines      full fence
 *   none     READ_WRITE                   nothing (eADR: caches are persistent)    full fence
 * </pre>
 *
 * On filesystems without MAP_SYNC (tmpfs, ext4 or xfs without {@code -o dax}) the JDK's map call
 * fails with {@code IOException("Operation not supported")}, or with {@code
 * UnsupportedOperationException} where the JVM has no write-back instruction; {@code auto} treats
 * both as "fall back to msync", {@code sync} reports them as {@link BackendUnavailableException}.
 *
 * <p><b>create</b> (files): (1) validate options and capacity (> 0, multiple of {@value
 * #CAPACITY_ALIGNMENT}) before touching the disk; (2) refuse an existing path ({@link
 * ErrorCode#REGION_EXISTS}); (3) create the file with mode {@link ProviderConfig#FILE_MODE}
 * (default {@value #DEFAULT_FILE_MODE}, applied again after creation so the umask cannot narrow
 * it); (4) reserve the space: {@code posix_fallocate} through FFM when native access is enabled,
 * else by writing zeros, or a sparse file with {@value #PREALLOCATE}{@code =false}; (5) open, lock,
 * fsync, map as in {@code open}; (6) fsync the directory. If any step after (3) fails, the file is
 * deleted, and the error names the bytes needed and the usable space.
 *
 * <p><b>open</b>: the path must exist ({@link ErrorCode#REGION_NOT_FOUND}); its size is the file
 * size (a non-zero {@code capacity} must match it). The file is locked for the medium's lifetime
 * (see {@link LockedFile}): exclusively, or shared when read-only; a read-only medium is mapped
 * {@code READ_ONLY} and refuses writes.
 *
 * <p><b>Device DAX</b> (a character device whose sysfs subsystem is {@code dax}): the size comes
 * from sysfs and the mapping length must be a multiple of the device alignment (at least 2 MiB;
 * see {@link DeviceDax}); nothing is truncated, fallocated or deleted. The JDK cannot map a
 * character device ({@code FileChannel.map} tries to extend the zero-sized "file"), so the mapping
 * is made with {@code mmap(MAP_SHARED_VALIDATE | MAP_SYNC)} through FFM. The kernel implements no
 * msync for device DAX, so its flush is always cache-line write-back, which needs the same JVM flag
 * as {@code emulate} (or {@code none} on eADR hardware).
 */
public final class DaxBackendProvider implements BackendProvider {
  private static final Logger logger = LoggerFactory.getLogger(DaxBackendProvider.class);

  /** The selection key. */
  public static final String NAME = "dax";

  /** Option: the mapping mode, one of {@code auto} (default), {@code sync}, {@code msync}, {@code emulate}, {@code none}. */
  public static final String MODE = "dax.mode";

  /** {@value #MODE} value: MAP_SYNC when available, else msync (the default). */
  public static final String MODE_AUTO = "auto";

  /** {@value #MODE} value: MAP_SYNC or fail. */
  public static final String MODE_SYNC = "sync";

  /** {@value #MODE} value: plain mapping, flush with msync. */
  public static final String MODE_MSYNC = "msync";

  /** {@value #MODE} value: plain mapping, flush with cache-line write-back (needs a JVM flag; for DRAM benchmarks). */
  public static final String MODE_EMULATE = "emulate";

  /** {@value #MODE} value: no flush at all (eADR platforms). */
  public static final String MODE_NONE = "none";

  /** Option: {@code true} (default) reserves the file's blocks at create; {@code false} makes a sparse file. */
  public static final String PREALLOCATE = "dax.preallocate";

  /** Default permissions of created region files. */
  public static final String DEFAULT_FILE_MODE = "rw-------";

  /** Region files are created with a size that is a multiple of this. */
  public static final long CAPACITY_ALIGNMENT = 4096;

  /** Property: the resolved mode, {@code sync|msync|emulate|none}. */
  public static final String PROPERTY_MODE = "dax.mode";

  /** Property: the absolute path of the file or device. */
  public static final String PROPERTY_FILE = "dax.file";

  /** Property: {@code true} for a device DAX. */
  public static final String PROPERTY_DEVICE = "dax.device";

  /** Property: the filesystem type ({@code ext4}, {@code tmpfs}, ...) or {@code devdax}. */
  public static final String PROPERTY_FILESYSTEM = "dax.fs";

  /** Property: {@code true} when the medium is read-only. */
  public static final String PROPERTY_READ_ONLY = "dax.readOnly";

  /**
   * Property: how the file is locked, {@code ofd} (open-file-description lock, needs native access)
   * or {@code posix} (classic lock: other code in this JVM must not open and close the file while
   * the medium is open).
   */
  public static final String PROPERTY_LOCK = "dax.lock";

  private static final Set<String> OPTIONS = Set.of(MODE, PREALLOCATE);
  /** {@link #PROPERTY_FILESYSTEM} of a device DAX. */
  private static final String DEVICE_FILESYSTEM = "devdax";
  private static final Set<Capability> CAPABILITIES =
      Set.copyOf(EnumSet.of(Capability.DURABLE, Capability.BYTE_ADDRESSABLE));
  private static final Set<Capability> SYNC_CAPABILITIES =
      Set.copyOf(EnumSet.of(Capability.DURABLE, Capability.BYTE_ADDRESSABLE, Capability.SYNC_MAPPING));
  private static final int ZERO_CHUNK = 1 << 20;
  private static final AtomicBoolean zeroFillNoted = new AtomicBoolean();

  private final Path sysfs;
  private final Path mountinfo;

  /** The provider, as ServiceLoader creates it. */
  public DaxBackendProvider() {
    this(DeviceDax.SYSFS, MountTable.MOUNTINFO);
  }

  /** For tests: a fake sysfs tree and mount table. */
  DaxBackendProvider(Path sysfs, Path mountinfo) {
    this.sysfs = requireNonNull(sysfs, "sysfs");
    this.mountinfo = requireNonNull(mountinfo, "mountinfo");
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<Capability> capabilities() {
    return CAPABILITIES;
  }

  @Override
  public String description() {
    return "memory-mapped file or device DAX: MAP_SYNC where the filesystem supports it, else msync";
  }

  // ------------------------------------------------------------------------------------ options

  /** The parsed options of one call. */
  private record Options(DaxMode mode, boolean preallocate, Set<PosixFilePermission> fileMode) {
    static Options parse(ProviderConfig config) {
      Set<String> unknown = new TreeSet<>();
      for (String key : config.options().keySet()) {
        if (key.startsWith(NAME + ".") && !OPTIONS.contains(key)) {
          unknown.add(key);
        }
      }
      if (!unknown.isEmpty()) {
        throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
            "unknown dax option(s) " + unknown + "; the dax backend understands " + new TreeSet<>(OPTIONS)
                + " and " + ProviderConfig.FILE_MODE);
      }
      DaxMode mode = DaxMode.parse(config.option(MODE, MODE_AUTO));
      String pre = config.option(PREALLOCATE, "true").trim();
      if (!pre.equalsIgnoreCase("true") && !pre.equalsIgnoreCase("false")) {
        throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
            "option " + PREALLOCATE + "='" + pre + "' must be true or false");
      }
      return new Options(mode, pre.equalsIgnoreCase("true"),
          parseFileMode(config.option(ProviderConfig.FILE_MODE, DEFAULT_FILE_MODE)));
    }
  }

  /** Parses {@code rw-r-----} or octal {@code 640}/{@code 0640}. */
  static Set<PosixFilePermission> parseFileMode(String value) {
    String v = value.trim();
    if (isOctalMode(v)) {
      int bits = Integer.parseInt(v, 8);
      Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
      PosixFilePermission[] order = {
        PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE,
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE
      };
      for (int i = 0; i < order.length; i++) {
        if ((bits & (0400 >> i)) != 0) {
          perms.add(order[i]);
        }
      }
      return perms;
    }
    try {
      return PosixFilePermissions.fromString(v);
    } catch (IllegalArgumentException e) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "option " + ProviderConfig.FILE_MODE + "='" + value + "' is not a file mode; use a permission string like "
              + DEFAULT_FILE_MODE + " or octal like 0600", e);
    }
  }

  /** {@code 640} or {@code 0640}: three octal digits with an optional leading zero. */
  private static boolean isOctalMode(String v) {
    int from = v.length() == 4 && v.charAt(0) == '0' ? 1 : 0;
    if (v.length() - from != 3) {
      return false;
    }
    for (int i = from; i < v.length(); i++) {
      if (v.charAt(i) < '0' || v.charAt(i) > '7') {
        return false;
      }
    }
    return true;
  }

  private static Path requirePath(ProviderConfig config, String verb) {
    requireNonNull(config, "config");
    if (config.path() == null) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "the dax backend needs a path to " + verb + " a region: a file (on a DAX-mounted filesystem for "
              + "persistent memory) or a device DAX such as /dev/dax0.0");
    }
    return config.path().toAbsolutePath().normalize();
  }

  // ------------------------------------------------------------------------------------ probe

  @Override
  public Availability probe(ProviderConfig config) {
    if (config == null || config.path() == null) {
      return Availability.unavailable("the dax backend needs a path: a file, or a device DAX such as /dev/dax0.0");
    }
    DaxMode mode;
    try {
      mode = Options.parse(config).mode();
    } catch (NvframeException e) {
      return Availability.unavailable(e.getMessage());
    }
    Path path = config.path().toAbsolutePath().normalize();
    if (DeviceDax.isCharacterDevice(path)) {
      return probeDevice(path, mode);
    }
    if (Files.isDirectory(path)) {
      return Availability.unavailable(path + " is a directory; give the path of a region file in it");
    }
    Path dir = path.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      return Availability.unavailable("directory " + dir + " does not exist; create it first");
    }
    Optional<MountTable.Mount> mount = mountOf(dir);
    String fs = mount.map(MountTable.Mount::describe).orElseGet(() -> fileStoreType(dir));
    boolean dax = mount.map(MountTable.Mount::daxAlways).orElse(false);
    boolean perInode = mount.map(MountTable.Mount::daxPerInode).orElse(false);
    String noSync = "MAP_SYNC not supported by " + fs
        + (perInode ? " (mounted dax=inode: only files with the DAX attribute get MAP_SYNC)" : "");
    return switch (mode) {
      case AUTO -> Availability.available(dax
          ? "sync (MAP_SYNC: " + fs + " is mounted with dax)"
          : "msync (" + noSync + "; flush = msync of the touched pages)");
      case SYNC -> dax
          ? Availability.available("sync (MAP_SYNC: " + fs + " is mounted with dax)")
          : Availability.unavailable("dax.mode=sync needs MAP_SYNC: " + noSync
              + "; mount a DAX filesystem with -o dax, or use dax.mode=msync");
      case MSYNC -> Availability.available("msync (flush = msync of the touched pages; " + fs + ")");
      case EMULATE -> CacheLineWriteback.available()
          ? Availability.available("emulate (cache-line write-back on a plain mapping of " + fs
              + "; survives process crashes, power loss only on persistent memory)")
          : Availability.unavailable("dax.mode=emulate: " + CacheLineWriteback.unavailableReason());
      case NONE -> Availability.available("none (assumes eADR, CPU caches are persistent; flush is a no-op; " + fs + ")");
    };
  }

  private Availability probeDevice(Path path, DaxMode mode) {
    DeviceDax.Geometry g;
    try {
      g = DeviceDax.geometry(path, sysfs);
    } catch (NvframeException e) {
      return Availability.unavailable(e.getMessage());
    }
    String what = "device DAX " + path + " (" + g.size() + " bytes, alignment " + g.alignment() + ")";
    if (!NativeFiles.supported()) {
      return Availability.unavailable(what + ": device DAX is supported on Linux x86-64 and AArch64 only");
    }
    return switch (mode) {
      case MSYNC -> Availability.unavailable(what + ": " + deviceMsyncMessage());
      case NONE -> Availability.available(what + "; none (assumes eADR; flush is a no-op)");
      default -> CacheLineWriteback.available()
          ? Availability.available(what + "; " + (mode == DaxMode.EMULATE ? "emulate" : "sync")
              + " (MAP_SYNC mapping, cache-line write-back)")
          : Availability.unavailable(what + " needs cache-line write-back: " + CacheLineWriteback.unavailableReason());
    };
  }

  /**
   * The type of the filesystem holding a mapped file's directory ({@link #PROPERTY_FILESYSTEM}),
   * looked up on first use: from the mount table, else from the JDK's file store. Reading the mount
   * table costs about 0.3 ms, a tenth of a whole open, and an open needs the answer only for its
   * INFO line or a MAP_SYNC error; {@link MappedMedium#properties()} asks when someone reads them.
   */
  private final class Filesystem implements Supplier<String> {
    private final Path dir;
    private volatile String type;

    Filesystem(Path dir) {
      this.dir = dir;
    }

    @Override
    public String get() {
      String t = type;
      if (t == null) { // racing threads compute the same answer
        t = lookUp();
        type = t;
      }
      return t;
    }

    private String lookUp() {
      return mountOf(dir).map(MountTable.Mount::fsType).orElseGet(() -> fileStoreType(dir));
    }
  }

  /** The mount holding {@code dir}, or empty when the path or the mount table cannot be read. */
  private Optional<MountTable.Mount> mountOf(Path dir) {
    try {
      return MountTable.find(dir.toRealPath(), mountinfo);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static String fileStoreType(Path dir) {
    try {
      return Files.getFileStore(dir).type();
    } catch (IOException e) {
      return "an unknown filesystem";
    }
  }

  private static String deviceMsyncMessage() {
    return "a device DAX has no page cache and the kernel implements no msync for it, so dax.mode=msync cannot work; "
        + "use dax.mode=auto or sync (cache-line write-back), or none on eADR hardware";
  }

  // ------------------------------------------------------------------------------------ create

  @Override
  public Medium create(ProviderConfig config) {
    Path path = requirePath(config, "create");
    Options options = Options.parse(config);
    logger.debug("dax: create {} capacity={} {}", path, config.capacity(), options);
    if (DeviceDax.isCharacterDevice(path)) {
      return mapDevice(path, config.capacity(), false, options.mode(), "created on");
    }
    long capacity = config.capacity();
    if (capacity <= 0 || capacity % CAPACITY_ALIGNMENT != 0) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "cannot create region " + path + " with capacity " + capacity + " bytes: the capacity must be > 0 and a "
              + "multiple of " + CAPACITY_ALIGNMENT + " (e.g. " + Math.max(CAPACITY_ALIGNMENT,
                  (capacity + CAPACITY_ALIGNMENT - 1) / CAPACITY_ALIGNMENT * CAPACITY_ALIGNMENT) + ")");
    }
    if (options.mode() == DaxMode.EMULATE) {
      CacheLineWriteback.require("dax.mode=emulate for " + path);
    }
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      throw new NvframeConfigurationException(ErrorCode.REGION_EXISTS,
          "cannot create region " + path + ": the path already exists; use open, or delete it to start over");
    }
    Path dir = path.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "cannot create region " + path + ": directory " + dir + " does not exist; create it first");
    }
    boolean posix = createFile(path, options.fileMode());
    boolean done = false;
    try {
      if (posix) {
        Files.setPosixFilePermissions(path, options.fileMode());
      }
      String reservation = reserve(path, capacity, options.preallocate());
      MappedMedium medium = mapFile(path, capacity, false, options.mode(), "created", reservation);
      syncDirectory(dir);
      done = true;
      return medium;
    } catch (IOException e) {
      throw createFailure(path, capacity, e);
    } finally {
      if (!done) {
        deletePartial(path);
      }
    }
  }

  /** Creates the empty file; returns whether it has POSIX permissions. */
  private static boolean createFile(Path path, Set<PosixFilePermission> mode) {
    try {
      if (path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.createFile(path, PosixFilePermissions.asFileAttribute(mode));
        return true;
      }
      Files.createFile(path);
      return false;
    } catch (FileAlreadyExistsException e) {
      throw new NvframeConfigurationException(ErrorCode.REGION_EXISTS,
          "cannot create region " + path + ": the path already exists; use open, or delete it to start over", e);
    } catch (IOException e) {
      throw new NvframeIOException(ErrorCode.IO_ERROR,
          "cannot create region file " + path + ": " + e + "; check that the directory is writable", e);
    }
  }

  /**
   * Reserves {@code capacity} bytes for the new file at {@code path}; returns how. Runs before the
   * file is locked: the native path opens and closes its own descriptor.
   */
  static String reserve(Path path, long capacity, boolean preallocate) throws IOException {
    if (!preallocate) {
      try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(new byte[1]), capacity - 1);
      }
      return "sparse";
    }
    if (NativeFiles.supported() && NativeFiles.nativeAccessEnabled()) {
      int fd = NativeFiles.open(path, NativeFiles.O_WRONLY);
      int err;
      try {
        err = NativeFiles.posixFallocate(fd, 0, capacity);
      } finally {
        NativeFiles.close(fd);
      }
      if (err != 0) {
        throw new IOException("posix_fallocate of " + capacity + " bytes failed: " + NativeFiles.strerror(err)
            + " (errno " + err + ")");
      }
      return "posix_fallocate";
    }
    if (zeroFillNoted.compareAndSet(false, true)) {
      logger.info("dax: reserving region space by writing zeros; start java with {} to use posix_fallocate instead",
          NativeFiles.nativeAccessFlag());
    }
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
      zeroFill(ch, capacity);
    }
    return "zero-filled";
  }

  /** Writes {@code capacity} zero bytes from offset 0 (the fallback preallocation). */
  static void zeroFill(FileChannel ch, long capacity) throws IOException {
    ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(ZERO_CHUNK, capacity));
    long pos = 0;
    while (pos < capacity) {
      zeros.clear().limit((int) Math.min(zeros.capacity(), capacity - pos));
      while (zeros.hasRemaining()) {
        pos += ch.write(zeros, pos);
      }
    }
  }

  private static NvframeIOException createFailure(Path path, long capacity, IOException e) {
    Path dir = path.getParent();
    String space;
    String fs;
    try {
      space = Files.getFileStore(dir).getUsableSpace() + " bytes";
      fs = Files.getFileStore(dir).type();
    } catch (IOException ignored) {
      space = "unknown";
      fs = "unknown";
    }
    return new NvframeIOException(ErrorCode.IO_ERROR,
        "cannot create region " + path + " of " + capacity + " bytes on " + fs + " (usable space in " + dir + ": "
            + space + "): " + e.getMessage() + "; the partial file was deleted; free space, choose a smaller capacity "
            + "or another directory, or set " + PREALLOCATE + "=false for a sparse file", e);
  }

  private static void deletePartial(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      logger.warn("could not delete the partially created region file {}; delete it by hand", path, e);
    }
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      logger.debug("fsync of directory {} not possible here; the new file's name is durable once the OS writes it",
          dir, e);
    }
  }

  // ------------------------------------------------------------------------------------ open

  @Override
  public Medium open(ProviderConfig config) {
    Path path = requirePath(config, "open");
    Options options = Options.parse(config);
    logger.debug("dax: open {} capacity={} readOnly={} {}", path, config.capacity(), config.readOnly(), options);
    BasicFileAttributes attributes; // one stat for the three questions below
    try {
      attributes = Files.readAttributes(path, BasicFileAttributes.class);
    } catch (IOException e) {
      attributes = null;
    }
    if (attributes == null) {
      throw new NvframeConfigurationException(ErrorCode.REGION_NOT_FOUND,
          "region " + path + " does not exist; create it first, or check the path");
    }
    if (attributes.isOther() && DeviceDax.isCharacterDevice(path)) {
      return mapDevice(path, config.capacity(), config.readOnly(), options.mode(), "opened");
    }
    if (attributes.isDirectory()) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "region path " + path + " is a directory; give the path of a region file");
    }
    if (!config.readOnly() && options.mode() == DaxMode.EMULATE) {
      CacheLineWriteback.require("dax.mode=emulate for " + path);
    }
    try {
      return mapFile(path, config.capacity(), config.readOnly(), options.mode(), "opened", null);
    } catch (IOException e) {
      throw new NvframeIOException(ErrorCode.IO_ERROR, "cannot map region " + path + ": " + e
          + "; check 'ulimit -v' and the vm.max_map_count sysctl", e);
    }
  }

  /**
   * Locks and maps a region file.
   *
   * @param capacity the expected size, or 0 for the file's size
   * @param reservation how a new file's space was reserved, or null for open
   */
  private MappedMedium mapFile(Path path, long capacity, boolean readOnly, DaxMode mode, String verb,
      String reservation) throws IOException {
    LockedFile file = LockedFile.open(path, readOnly);
    Arena arena = null;
    try {
      FileChannel ch = file.channel();
      long size = ch.size();
      if (size == 0) {
        throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
            "region file " + path + " is empty (0 bytes), so it holds no region; delete it and create the region again");
      }
      if (capacity > 0 && capacity != size) {
        throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
            "region file " + path + " has " + size + " bytes but capacity " + capacity
                + " was requested; pass capacity 0 to use the file's size");
      }
      if (reservation != null) {
        ch.force(true);
      }
      Filesystem fs = new Filesystem(path.getParent());
      arena = Arena.ofShared();
      MemorySegment segment;
      DaxMode resolved;
      MappedMedium.Flush flush;
      String why;
      if (readOnly) {
        // READ_ONLY_SYNC segments are not marked read-only by the JDK; a read-only mapping never writes back anyway
        segment = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        resolved = (mode == DaxMode.AUTO || mode == DaxMode.SYNC) ? DaxMode.MSYNC : mode;
        flush = MappedMedium.Flush.NOTHING;
        why = "read-only mapping, nothing to write back";
      } else {
        switch (mode) {
          case AUTO, SYNC -> {
            MemorySegment sync = null;
            Exception refused = null;
            try {
              sync = ch.map(ExtendedMapMode.READ_WRITE_SYNC, 0, size, arena);
            } catch (UnsupportedOperationException e) {
              refused = e;
            } catch (IOException e) {
              if (!isNotSupported(e)) {
                throw e;
              }
              refused = e;
            }
            if (sync != null) {
              segment = sync;
              resolved = DaxMode.SYNC;
              flush = MappedMedium.Flush.FORCE_LINES;
              why = "MAP_SYNC accepted; flush = cache-line write-back";
            } else if (mode == DaxMode.SYNC) {
              throw new BackendUnavailableException(ErrorCode.MAPPING_MODE_UNSUPPORTED,
                  "dax.mode=sync: cannot map " + path + " with MAP_SYNC: the " + fs.get() + " filesystem does not "
                      + "support it (" + refused + "); mount a DAX-capable filesystem (ext4 or xfs on pmem) with "
                      + "-o dax, or use dax.mode=msync", refused);
            } else {
              segment = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
              resolved = DaxMode.MSYNC;
              flush = MappedMedium.Flush.FORCE_PAGES;
              why = "MAP_SYNC not supported by this filesystem (" + refused.getMessage()
                  + "); flush = msync of the touched pages";
            }
          }
          case MSYNC -> {
            segment = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            resolved = DaxMode.MSYNC;
            flush = MappedMedium.Flush.FORCE_PAGES;
            why = "requested; flush = msync of the touched pages";
          }
          case EMULATE -> {
            CacheLineWriteback.require("dax.mode=emulate for " + path);
            segment = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            resolved = DaxMode.EMULATE;
            flush = MappedMedium.Flush.WRITEBACK_LINES;
            why = "requested; flush = cache-line write-back on a plain mapping (not power-fail safe unless the "
                + "file is on persistent memory)";
          }
          case NONE -> {
            segment = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            resolved = DaxMode.NONE;
            flush = MappedMedium.Flush.NOTHING;
            why = "requested; assumes eADR (persistent CPU caches), flush is a no-op";
          }
          default -> throw new AssertionError(mode);
        }
      }
      Map<String, String> props = properties(resolved, path, false, readOnly);
      props.put(PROPERTY_LOCK, file.lockKind());
      if (reservation != null) {
        props.put("dax.reservation", reservation);
      }
      MappedMedium medium = new MappedMedium(segment, arena, file, resolved, flush, readOnly,
          resolved == DaxMode.SYNC ? SYNC_CAPABILITIES : CAPABILITIES, props, fs);
      if (logger.isInfoEnabled()) {
        logger.info("dax: {} {} ({} bytes on {}{}), mode {}: {}", verb, path, size, fs.get(),
            readOnly ? ", read-only" : "", resolved.key(), why);
      }
      return medium;
    } catch (IOException | RuntimeException | Error e) {
      if (arena != null) {
        arena.close();
      }
      file.close();
      throw e;
    }
  }

  private static boolean isNotSupported(IOException e) {
    String m = e.getMessage();
    return m != null && m.contains("not supported");
  }

  private static Map<String, String> properties(DaxMode mode, Path path, boolean device, boolean readOnly) {
    Map<String, String> props = new LinkedHashMap<>();
    props.put(PROPERTY_MODE, mode.key());
    props.put(PROPERTY_FILE, path.toString());
    props.put(PROPERTY_DEVICE, Boolean.toString(device));
    props.put(PROPERTY_READ_ONLY, Boolean.toString(readOnly));
    return props;
  }

  // ------------------------------------------------------------------------------------ device DAX

  private MappedMedium mapDevice(Path path, long capacity, boolean readOnly, DaxMode mode, String verb) {
    if (!NativeFiles.supported()) {
      throw new BackendUnavailableException(ErrorCode.BACKEND_UNAVAILABLE,
          "device DAX " + path + " is supported on Linux x86-64 and AArch64 only, not on "
              + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
    }
    DeviceDax.Geometry geometry = DeviceDax.geometry(path, sysfs);
    long size = geometry.mappingSize(capacity);
    if (!readOnly && mode == DaxMode.MSYNC) {
      throw new BackendUnavailableException(ErrorCode.MAPPING_MODE_UNSUPPORTED, "device DAX " + path + ": "
          + deviceMsyncMessage());
    }
    if (!readOnly && mode != DaxMode.NONE) {
      CacheLineWriteback.require("device DAX " + path + " (dax.mode=" + mode.key() + ")");
    }
    LockedFile file = LockedFile.open(path, readOnly);
    Arena arena = null;
    long address = 0;
    try {
      int fd = file.nativeFd();
      if (fd < 0) {
        fd = NativeFiles.open(path, readOnly ? NativeFiles.O_RDONLY : NativeFiles.O_RDWR);
        file.attachNativeFd(fd);
      }
      DaxMode resolved;
      MappedMedium.Flush flush;
      String why;
      if (readOnly) {
        address = NativeFiles.mmap(fd, size, false, NativeFiles.MAP_SHARED);
        resolved = mode == DaxMode.NONE ? DaxMode.NONE : DaxMode.SYNC;
        flush = MappedMedium.Flush.NOTHING;
        why = "read-only mapping, nothing to write back";
      } else if (mode == DaxMode.AUTO || mode == DaxMode.SYNC) {
        flush = MappedMedium.Flush.WRITEBACK_LINES;
        NativeFiles.NativeError refused = null;
        try {
          address = NativeFiles.mmap(fd, size, true, NativeFiles.MAP_SHARED_VALIDATE | NativeFiles.MAP_SYNC);
        } catch (NativeFiles.NativeError e) {
          if (e.errno() != NativeFiles.EOPNOTSUPP && e.errno() != NativeFiles.EINVAL) {
            throw e;
          }
          refused = e;
        }
        if (refused == null) {
          resolved = DaxMode.SYNC;
          why = "MAP_SYNC mapping; flush = cache-line write-back";
        } else if (mode == DaxMode.SYNC) {
          throw new BackendUnavailableException(ErrorCode.MAPPING_MODE_UNSUPPORTED,
              "dax.mode=sync: device " + path + " refused a MAP_SYNC mapping (" + refused.getMessage()
                  + "); is it really a device DAX of a kernel >= 4.15? Use dax.mode=emulate to map it without MAP_SYNC",
              refused);
        } else {
          address = NativeFiles.mmap(fd, size, true, NativeFiles.MAP_SHARED);
          resolved = DaxMode.EMULATE;
          why = "MAP_SYNC refused (" + refused.getMessage() + "); flush = cache-line write-back on a plain mapping";
        }
      } else {
        address = NativeFiles.mmap(fd, size, true, NativeFiles.MAP_SHARED);
        resolved = mode;
        flush = mode == DaxMode.NONE ? MappedMedium.Flush.NOTHING : MappedMedium.Flush.WRITEBACK_LINES;
        why = mode == DaxMode.NONE ? "requested; assumes eADR, flush is a no-op" : "requested; cache-line write-back";
      }
      arena = Arena.ofShared();
      final long mapped = address;
      MemorySegment segment =
          MemorySegment.ofAddress(address).reinterpret(size, arena, s -> NativeFiles.munmap(mapped, size));
      address = 0; // the arena owns it now
      if (readOnly) {
        segment = segment.asReadOnly();
      }
      Map<String, String> props = properties(resolved, path, true, readOnly);
      props.put(PROPERTY_LOCK, file.lockKind());
      props.put("dax.alignment", Long.toString(geometry.alignment()));
      MappedMedium medium = new MappedMedium(segment, arena, file, resolved, flush, readOnly,
          resolved == DaxMode.SYNC ? SYNC_CAPABILITIES : CAPABILITIES, props, () -> DEVICE_FILESYSTEM);
      logger.info("dax: {} device DAX {} ({} of {} bytes, alignment {}{}), mode {}: {}", verb, path, size,
          geometry.size(), geometry.alignment(), readOnly ? ", read-only" : "", resolved.key(), why);
      return medium;
    } catch (IOException | NativeFiles.NativeError e) {
      cleanupDevice(arena, address, size, file);
      throw new NvframeIOException(ErrorCode.IO_ERROR, "cannot map device DAX " + path + " (" + size + " bytes): "
          + e.getMessage(), e);
    } catch (IllegalCallerException | LinkageError e) {
      cleanupDevice(arena, address, size, file);
      throw new BackendUnavailableException(ErrorCode.BACKEND_UNAVAILABLE, "device DAX " + path
          + " is mapped with native calls, which this JVM refuses (" + e + "); start java with "
          + NativeFiles.nativeAccessFlag(), e);
    } catch (RuntimeException | Error e) {
      cleanupDevice(arena, address, size, file);
      throw e;
    }
  }

  private static void cleanupDevice(Arena arena, long address, long size, LockedFile file) {
    if (address != 0) {
      NativeFiles.munmap(address, size); // mapped, but not yet owned by the arena
    }
    if (arena != null) {
      arena.close();
    }
    file.close();
  }
}
