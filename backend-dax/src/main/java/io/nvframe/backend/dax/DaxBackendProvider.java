package io.nvframe.backend.dax;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.NvframeIOException;
import io.nvframe.spi.Availability;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code dax} backend: a region is a memory-mapped file (on a DAX filesystem for real
 * persistent memory, or any filesystem) or a device DAX ({@code /dev/daxN.M}); backend-dax/README.md
 * describes it for users.
 *
 * <p><b>Mapping modes</b> (option {@value #MODE}):
 *
 * <pre>
 *   mode     file mapping                flush(off, len)                               fence
 *   sync     READ_WRITE_SYNC (MAP_SYNC)  force() of the lines: write-back + sfence     full fence
 *   msync    READ_WRITE                  note the pages (dax.msync=merged, fdatasync)  msync(MS_SYNC) of the noted
 *                                        or msync(MS_SYNC) of them (per-flush)         pages (merged) or fdatasync
 *                                                                                      (fdatasync), full fence
 *   emulate  READ_WRITE                  cache-line write-back (CacheLineWriteback)    sfence (split write-back)
 *                                                                                      or full fence
 *   none     READ_WRITE                  nothing (eADR: caches are persistent)         full fence
 *   auto     sync if the filesystem accepts MAP_SYNC, else msync
 * </pre>
 *
 * A device DAX is mapped with {@code mmap} through FFM and always flushes by cache-line write-back
 * (the kernel implements no msync for it): {@code sync} with MAP_SYNC, {@code emulate} without,
 * {@code auto} tries MAP_SYNC first. {@link DaxMode#resolve} holds the whole table, read-only
 * media included; {@link MappedMedium} the flush and fence.
 *
 * <p>This class dispatches; each job has its class: option parsing {@link DaxOptions}, probe
 * {@link DaxProbe}, file creation {@link RegionFileCreator}, file mapping {@link FileMapper},
 * device mapping {@link DeviceMapper}. {@code open} needs an existing path ({@link
 * ErrorCode#REGION_NOT_FOUND}); a character device is mapped as a device DAX, anything else as a
 * region file whose size is the region size.
 */
public final class DaxBackendProvider implements BackendProvider {
  private static final Logger logger = LoggerFactory.getLogger(DaxBackendProvider.class);

  /** The selection key. */
  public static final String NAME = "dax";

  /**
   * Option: the requested mapping mode, one of {@code auto} (default), {@code sync}, {@code msync},
   * {@code emulate}, {@code none}. Also the property that names the resolved mode of a medium,
   * {@code sync|msync|emulate|none}.
   */
  public static final String MODE = "dax.mode";

  /** {@value #MODE} value (the default): MAP_SYNC when accepted, else msync (file) or emulate (device DAX). */
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

  /**
   * Option: how {@code writeAndFlush} copies a block into the mapping: {@code auto} (default):
   * libpmem's non-temporal copy where it applies (a medium that writes back cache lines with the
   * split primitives, libpmem installed, native access enabled), else a Java copy; {@code libpmem}:
   * the same, but fail when libpmem cannot be used; {@code java}: always a Java copy followed by
   * cache-line write-back. Also the property that names what a medium uses, {@code libpmem|java}.
   */
  public static final String COPY = "dax.copy";

  /** {@value #COPY} value (the default). */
  public static final String COPY_AUTO = "auto";

  /** {@value #COPY} value: libpmem's non-temporal copy or fail. */
  public static final String COPY_LIBPMEM = "libpmem";

  /** {@value #COPY} value: a Java copy through the cache. */
  public static final String COPY_JAVA = "java";

  /**
   * Option: how a medium in mode {@code msync} writes back. {@code merged}: a flush only notes its
   * pages, and the thread's next fence msyncs once, from the lowest to the highest page that thread
   * flushed since its previous fence (the SPI's contract: flushed data is durable once a later fence
   * of the same thread returns); a commit that flushes three ranges then costs one system call
   * instead of three, and the msync also writes back the other dirty pages between those pages,
   * earlier than the kernel's periodic write-back would. {@code fdatasync}: flushes note pages
   * likewise, and the thread's next fence calls {@code fdatasync} on a descriptor of the file, one
   * of a few the medium opens (threads take them in turn); it writes back every dirty page of the
   * file and, unlike msync, takes no lock of the process's address space, so threads do not wait on
   * one another. {@code per-flush}: every flush msyncs its own pages at once. {@code auto} (the
   * default): {@code fdatasync} when the file is on tmpfs or ramfs (where neither call writes
   * anything, so the one that costs least and shares nothing between threads wins), else {@code
   * merged} (on a disk, a sync of the whole file may write pages other threads are still changing);
   * {@code merged} also when native access is off. {@code fdatasync} needs native access ({@code
   * --enable-native-access}). Ignored in the other modes. Also the property that names what a msync
   * medium uses ({@code merged}, {@code fdatasync} or {@code per-flush}).
   */
  public static final String MSYNC = "dax.msync";

  /** {@value #MSYNC} value (the default): {@link #MSYNC_FDATASYNC} on tmpfs and ramfs, else {@link #MSYNC_MERGED}. */
  public static final String MSYNC_AUTO = "auto";

  /** {@value #MSYNC} value: one msync per fence over the pages flushed since the last. */
  public static final String MSYNC_MERGED = "merged";

  /** {@value #MSYNC} value: one fdatasync per fence that follows a flush, on a descriptor the thread shares with few or none. */
  public static final String MSYNC_FDATASYNC = "fdatasync";

  /** {@value #MSYNC} value: one msync per flush. */
  public static final String MSYNC_PER_FLUSH = "per-flush";

  /** Default permissions of created region files. */
  public static final String DEFAULT_FILE_MODE = "rw-------";

  /** Region files are created with a size that is a multiple of this. */
  public static final long CAPACITY_ALIGNMENT = 4096;

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

  private final DaxProbe probe;
  private final FileMapper fileMapper;
  private final RegionFileCreator creator;
  private final DeviceMapper deviceMapper;

  /** The provider, as ServiceLoader creates it. */
  public DaxBackendProvider() {
    this(DeviceDax.SYSFS, MountTable.MOUNTINFO);
  }

  /** For tests: a fake sysfs tree and mount table. */
  DaxBackendProvider(Path sysfs, Path mountinfo) {
    FilesystemLookup filesystems = new FilesystemLookup(mountinfo);
    this.probe = new DaxProbe(sysfs, filesystems);
    this.fileMapper = new FileMapper(filesystems);
    this.creator = new RegionFileCreator(fileMapper);
    this.deviceMapper = new DeviceMapper(sysfs);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<Capability> capabilities() {
    return MappedMedium.CAPABILITIES;
  }

  @Override
  public String description() {
    return "memory-mapped file or device DAX: MAP_SYNC where the filesystem supports it, else msync";
  }

  @Override
  public Availability probe(ProviderConfig config) {
    return probe.probe(config);
  }

  @Override
  public Medium create(ProviderConfig config) {
    Path path = DaxOptions.requirePath(config, "create");
    DaxOptions options = DaxOptions.parse(config);
    logger.debug("dax: create {} capacity={} {}", path, config.capacity(), options);
    if (DeviceDax.isCharacterDevice(path)) {
      return deviceMapper.map(path, config.capacity(), false, options.mode(), options.copy(), options.msync(), "created on");
    }
    return creator.create(path, config.capacity(), options);
  }

  @Override
  public Medium open(ProviderConfig config) {
    Path path = DaxOptions.requirePath(config, "open");
    DaxOptions options = DaxOptions.parse(config);
    logger.debug("dax: open {} capacity={} readOnly={} {}", path, config.capacity(), config.readOnly(), options);
    BasicFileAttributes attributes; // one stat for the three questions below
    try {
      attributes = Files.readAttributes(path, BasicFileAttributes.class);
    } catch (IOException e) {
      throw new NvframeConfigurationException(ErrorCode.REGION_NOT_FOUND,
          "region " + path + " does not exist; create it first, or check the path", e);
    }
    if (attributes.isOther() && DeviceDax.isCharacterDevice(path)) {
      return deviceMapper.map(path, config.capacity(), config.readOnly(), options.mode(), options.copy(), options.msync(), "opened");
    }
    if (attributes.isDirectory()) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "region path " + path + " is a directory; give the path of a region file");
    }
    FileMapper.requireWriteback(path, options.mode(), config.readOnly());
    try {
      return fileMapper.map(path, config.capacity(), config.readOnly(), options.mode(), options.copy(), options.msync(), "opened", null);
    } catch (IOException e) {
      throw new NvframeIOException(ErrorCode.IO_ERROR, "cannot map region " + path + ": " + e
          + "; check 'ulimit -v' and the vm.max_map_count sysctl", e);
    }
  }
}
