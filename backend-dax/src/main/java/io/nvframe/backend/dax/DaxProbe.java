package io.nvframe.backend.dax;

import static java.util.Objects.requireNonNull;

import io.nvframe.api.NvframeException;
import io.nvframe.spi.Availability;
import io.nvframe.spi.ProviderConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@link DaxBackendProvider#probe}: which mode a create at the configured path would get, or why it
 * cannot work, without creating or opening anything. It answers for a writable medium (create
 * always is) through {@link DaxMode#resolve}, with "MAP_SYNC accepted" predicted from the mount
 * options for a file ({@link MountTable}: {@code dax} or {@code dax=always}) and assumed for a
 * device DAX.
 */
final class DaxProbe {
  private final Path sysfs;
  private final FilesystemLookup filesystems;

  DaxProbe(Path sysfs, FilesystemLookup filesystems) {
    this.sysfs = requireNonNull(sysfs, "sysfs");
    this.filesystems = requireNonNull(filesystems, "filesystems");
  }

  Availability probe(ProviderConfig config) {
    if (config == null || config.path() == null) {
      return Availability.unavailable("the dax backend needs a path: a file, or a device DAX such as /dev/dax0.0");
    }
    DaxMode mode;
    try {
      mode = DaxOptions.parse(config).mode();
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
    Optional<MountTable.Mount> mount = filesystems.mountOf(dir);
    String fs = mount.map(MountTable.Mount::describe).orElseGet(() -> FilesystemLookup.fileStoreType(dir));
    boolean dax = mount.map(MountTable.Mount::daxAlways).orElse(false);
    boolean perInode = mount.map(MountTable.Mount::daxPerInode).orElse(false);
    String noSync = "MAP_SYNC not supported by " + fs
        + (perInode ? " (mounted dax=inode: only files with the DAX attribute get MAP_SYNC)" : "");
    DaxMode.Resolution r = DaxMode.resolve(mode, dax, false, false);
    if (r.isRefused()) { // NO_MAP_SYNC, the only refusal of a file
      return Availability.unavailable("dax.mode=sync needs MAP_SYNC: " + noSync
          + "; mount a DAX filesystem with -o dax, or use dax.mode=msync");
    }
    if (r.needsWriteback() && !CacheLineWriteback.available()) {
      return Availability.unavailable("dax.mode=" + mode.key() + ": " + CacheLineWriteback.unavailableReason());
    }
    return Availability.available(switch (r.mode()) {
      case SYNC -> "sync (MAP_SYNC: " + fs + " is mounted with dax)";
      case MSYNC -> mode == DaxMode.AUTO
          ? "msync (" + noSync + "; flush = msync of the touched pages)"
          : "msync (flush = msync of the touched pages; " + fs + ")";
      case EMULATE -> "emulate (cache-line write-back on a plain mapping of " + fs
          + "; survives process crashes, power loss only on persistent memory)";
      case NONE -> "none (assumes eADR, CPU caches are persistent; flush is a no-op; " + fs + ")";
      case AUTO -> throw new AssertionError("auto is never a resolved mode");
    });
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
    DaxMode.Resolution r = DaxMode.resolve(mode, true, true, false);
    if (r.isRefused()) { // DEVICE_HAS_NO_MSYNC, the only refusal when MAP_SYNC is accepted
      return Availability.unavailable(what + ": " + DeviceMapper.NO_MSYNC);
    }
    if (r.needsWriteback() && !CacheLineWriteback.available()) {
      return Availability.unavailable(what + " needs cache-line write-back: " + CacheLineWriteback.unavailableReason());
    }
    return Availability.available(what + "; " + switch (r.mode()) {
      case SYNC -> "sync (MAP_SYNC mapping, cache-line write-back)";
      case EMULATE -> "emulate (plain mapping, cache-line write-back)";
      case NONE -> "none (assumes eADR; flush is a no-op)";
      case AUTO, MSYNC -> throw new AssertionError(r.mode() + " is never a resolved device mode");
    });
  }
}
