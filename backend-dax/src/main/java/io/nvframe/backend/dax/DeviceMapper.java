package io.nvframe.backend.dax;

import static java.util.Objects.requireNonNull;

import io.nvframe.api.BackendUnavailableException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeIOException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locks and maps a device DAX ({@code /dev/daxN.M}) for a {@link MappedMedium}.
 *
 * <p>The size comes from sysfs and the mapping length must be a multiple of the device alignment
 * ({@link DeviceDax}); nothing is truncated, fallocated or deleted. The JDK cannot map a character
 * device ({@code FileChannel.map} tries to extend the zero-sized "file"), so the mapping is made
 * with {@code mmap} through FFM ({@link NativeFiles}) and unmapped by the medium's arena:
 *
 * <pre>
 *   1. resolve the mode as if MAP_SYNC is accepted ({@link DaxMode#resolve}); refuse msync, which
 *      the kernel does not implement for a device DAX; require cache-line write-back if the
 *      outcome flushes with it (checked before the device is opened)
 *   2. lock the device (LockedFile) and get a native descriptor of it
 *   3. mapping MAP_SYNC: mmap(MAP_SHARED_VALIDATE | MAP_SYNC); if the kernel refuses the flags
 *      (EOPNOTSUPP, EINVAL), resolve again with MAP_SYNC refused: auto becomes emulate, sync fails
 *   4. otherwise mmap(MAP_SHARED), read-only for a read-only medium
 * </pre>
 *
 * Any failure unmaps, closes the arena and releases the lock.
 */
final class DeviceMapper {
  /** {@link DaxBackendProvider#PROPERTY_FILESYSTEM} of a device DAX. */
  static final String FILESYSTEM = "devdax";

  /** Why {@code dax.mode=msync} cannot work on a device DAX. */
  static final String NO_MSYNC =
      "a device DAX has no page cache and the kernel implements no msync for it, so dax.mode=msync cannot work; "
          + "use dax.mode=auto or sync (cache-line write-back), or none on eADR hardware";

  /** The backend's INFO lines share the provider's logger. */
  private static final Logger logger = LoggerFactory.getLogger(DaxBackendProvider.class);

  private final Path sysfs;

  /** Reads device geometry below {@code sysfs} ({@link DeviceDax#SYSFS}, or a fake tree in tests). */
  DeviceMapper(Path sysfs) {
    this.sysfs = requireNonNull(sysfs, "sysfs");
  }

  /**
   * Maps device DAX {@code path}.
   *
   * @param capacity the mapping length, or 0 for the whole device rounded down to its alignment
   * @param verb "created on" or "opened", for the INFO line
   */
  MappedMedium map(Path path, long capacity, boolean readOnly, DaxMode mode, String copy, String msync, String verb) {
    if (!NativeFiles.supported()) {
      throw new BackendUnavailableException(ErrorCode.BACKEND_UNAVAILABLE,
          "device DAX " + path + " is supported on Linux x86-64 and AArch64 only, not on "
              + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
    }
    DeviceDax.Geometry geometry = DeviceDax.geometry(path, sysfs);
    long size = geometry.mappingSize(capacity);
    DaxMode.Resolution planned = DaxMode.resolve(mode, true, true, readOnly);
    if (planned.isRefused()) {
      throw new BackendUnavailableException(ErrorCode.MAPPING_MODE_UNSUPPORTED, "device DAX " + path + ": " + NO_MSYNC);
    }
    if (planned.needsWriteback()) {
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
      DaxMode.Resolution resolved = planned;
      String refused = null;
      if (planned.mapping() == DaxMode.Mapping.MAP_SYNC) {
        try {
          address = NativeFiles.mmap(fd, size, true, NativeFiles.MAP_SHARED_VALIDATE | NativeFiles.MAP_SYNC);
        } catch (NativeFiles.NativeError e) {
          if (e.errno() != NativeFiles.EOPNOTSUPP && e.errno() != NativeFiles.EINVAL) {
            throw e;
          }
          refused = e.getMessage();
          resolved = DaxMode.resolve(mode, false, true, readOnly);
          if (resolved.isRefused()) {
            throw new BackendUnavailableException(ErrorCode.MAPPING_MODE_UNSUPPORTED,
                "dax.mode=sync: device " + path + " refused a MAP_SYNC mapping (" + refused + "); is it really a "
                    + "device DAX of a kernel >= 4.15? Use dax.mode=emulate to map it without MAP_SYNC", e);
          }
        }
      }
      if (resolved.mapping() != DaxMode.Mapping.MAP_SYNC) {
        address = NativeFiles.mmap(fd, size, resolved.mapping() == DaxMode.Mapping.PLAIN, NativeFiles.MAP_SHARED);
      }
      arena = Arena.ofShared();
      final long mapped = address;
      MemorySegment segment =
          MemorySegment.ofAddress(address).reinterpret(size, arena, s -> NativeFiles.munmap(mapped, size));
      address = 0; // the arena owns it now
      if (readOnly) {
        segment = segment.asReadOnly();
      }
      MappedMedium medium = new MappedMedium(segment, arena, file, resolved.mode(), resolved.flush(), copy, msync, readOnly,
          true, Map.of("dax.alignment", Long.toString(geometry.alignment())), () -> FILESYSTEM);
      logger.info("dax: {} device DAX {} ({} of {} bytes, alignment {}{}), mode {}: {}", verb, path, size,
          geometry.size(), geometry.alignment(), readOnly ? ", read-only" : "", resolved.mode().key(),
          resolved.why(refused));
      return medium;
    } catch (IOException | NativeFiles.NativeError e) {
      cleanup(arena, address, size, file);
      throw new NvframeIOException(ErrorCode.IO_ERROR, "cannot map device DAX " + path + " (" + size + " bytes): "
          + e.getMessage(), e);
    } catch (IllegalCallerException | LinkageError e) {
      cleanup(arena, address, size, file);
      throw new BackendUnavailableException(ErrorCode.BACKEND_UNAVAILABLE, "device DAX " + path
          + " is mapped with native calls, which this JVM refuses (" + e + "); start java with "
          + NativeFiles.nativeAccessFlag(), e);
    } catch (RuntimeException | Error e) {
      cleanup(arena, address, size, file);
      throw e;
    }
  }

  private static void cleanup(Arena arena, long address, long size, LockedFile file) {
    if (address != 0) {
      NativeFiles.munmap(address, size); // mapped, but not yet owned by the arena
    }
    if (arena != null) {
      arena.close();
    }
    file.close();
  }
}
