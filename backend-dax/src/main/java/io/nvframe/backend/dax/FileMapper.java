package io.nvframe.backend.dax;

import static java.util.Objects.requireNonNull;

import io.nvframe.api.BackendUnavailableException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;
import jdk.nio.mapmode.ExtendedMapMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locks and maps a region file for a {@link MappedMedium}, with the JDK's {@code FileChannel.map}
 * into a shared arena:
 *
 * <pre>
 *   1. resolve the mode as if MAP_SYNC is accepted ({@link DaxMode#resolve}); require cache-line
 *      write-back if the outcome flushes with it
 *   2. lock the file (LockedFile); its size is the region size (a non-zero capacity must match)
 *   3. mapping MAP_SYNC: map READ_WRITE_SYNC; if the filesystem refuses (IOException "Operation not
 *      supported", or UnsupportedOperationException where the JVM has no write-back instruction),
 *      or the JVM has no write-back stubs to force it with (WritebackStubs: -Xint, C1 only),
 *      resolve again with MAP_SYNC refused: auto becomes msync, sync fails
 *   4. otherwise map READ_WRITE, or READ_ONLY for a read-only medium (the JDK does not mark
 *      READ_ONLY_SYNC segments read-only, and a read-only medium never writes back)
 * </pre>
 *
 * Any failure closes the arena and releases the lock.
 */
final class FileMapper {
  /** The backend's INFO lines share the provider's logger. */
  private static final Logger logger = LoggerFactory.getLogger(DaxBackendProvider.class);

  private final FilesystemLookup filesystems;

  FileMapper(FilesystemLookup filesystems) {
    this.filesystems = requireNonNull(filesystems, "filesystems");
  }

  /** Throws {@link BackendUnavailableException} when {@code mode} needs cache-line write-back and this JVM has none. */
  static void requireWriteback(Path path, DaxMode mode, boolean readOnly) {
    if (DaxMode.resolve(mode, true, false, readOnly).needsWriteback()) {
      CacheLineWriteback.require("dax.mode=" + mode.key() + " for " + path);
    }
  }

  /**
   * Locks and maps region file {@code path}.
   *
   * @param capacity the expected size, or 0 for the file's size
   * @param copy the {@link DaxBackendProvider#COPY} option
   * @param msync the {@link DaxBackendProvider#MSYNC} option
   * @param verb "created" or "opened", for the INFO line
   * @param reservation how a new file's space was reserved, or null for open
   */
  MappedMedium map(Path path, long capacity, boolean readOnly, DaxMode mode, String copy, String msync, String verb,
      String reservation)
      throws IOException {
    DaxMode.Resolution planned = DaxMode.resolve(mode, true, false, readOnly);
    requireWriteback(path, mode, readOnly);
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
      Supplier<String> fs = filesystems.typeOnFirstUse(path.getParent());
      arena = Arena.ofShared();
      DaxMode.Resolution resolved = planned;
      MemorySegment segment = null;
      Exception refused = null;
      if (planned.mapping() == DaxMode.Mapping.MAP_SYNC) {
        if (WritebackStubs.missing() != null) {
          // the JDK's force() of a MAP_SYNC mapping calls the write-back stubs this JVM lacks
          refused = new UnsupportedOperationException(WritebackStubs.refusal());
        } else {
          try {
            segment = ch.map(ExtendedMapMode.READ_WRITE_SYNC, 0, size, arena);
          } catch (UnsupportedOperationException e) {
            refused = e;
          } catch (IOException e) {
            if (!isNotSupported(e)) {
              throw e;
            }
            refused = e;
          }
        }
        if (refused != null) {
          resolved = DaxMode.resolve(mode, false, false, readOnly);
          if (resolved.isRefused()) {
            throw new BackendUnavailableException(ErrorCode.MAPPING_MODE_UNSUPPORTED, WritebackStubs.missing() != null
                ? "dax.mode=sync for " + path + ": " + refused.getMessage()
                : "dax.mode=sync: cannot map " + path + " with MAP_SYNC: the " + fs.get() + " filesystem does not "
                    + "support it (" + refused + "); mount a DAX-capable filesystem (ext4 or xfs on pmem) with "
                    + "-o dax, or use dax.mode=msync", refused);
          }
        }
      }
      if (segment == null) {
        FileChannel.MapMode how = resolved.mapping() == DaxMode.Mapping.READ_ONLY
            ? FileChannel.MapMode.READ_ONLY
            : FileChannel.MapMode.READ_WRITE;
        segment = ch.map(how, 0, size, arena);
      }
      MappedMedium medium = new MappedMedium(segment, arena, file, resolved.mode(), resolved.flush(), copy, msync, readOnly,
          false, reservation == null ? Map.of() : Map.of("dax.reservation", reservation), fs);
      if (logger.isInfoEnabled()) {
        logger.info("dax: {} {} ({} bytes on {}{}), mode {}: {}", verb, path, size, fs.get(),
            readOnly ? ", read-only" : "", resolved.mode().key(),
            resolved.why(refused == null ? null : refused.getMessage()));
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
}
