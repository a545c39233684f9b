package io.nvframe.backend.dax;

import static java.util.Objects.requireNonNull;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.NvframeIOException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates a region file and maps it:
 *
 * <pre>
 *   1. check before touching the disk: capacity > 0 and a multiple of CAPACITY_ALIGNMENT, cache-line
 *      write-back if the mode needs it, the path does not exist (REGION_EXISTS; a dangling symlink
 *      counts), its directory does
 *   2. create the file with the requested permissions, and set them again so the umask cannot
 *      narrow them
 *   3. reserve the space: posix_fallocate through FFM when native access is enabled, else by
 *      writing zeros; or a sparse file (dax.preallocate=false)
 *   4. lock, fsync and map it (FileMapper)
 *   5. fsync the directory
 * </pre>
 *
 * If any step after 2 fails, the file is deleted and the error names the bytes needed and the
 * usable space.
 */
final class RegionFileCreator {
  /** The backend's INFO lines share the provider's logger. */
  private static final Logger logger = LoggerFactory.getLogger(DaxBackendProvider.class);
  private static final int ZERO_CHUNK = 1 << 20;
  private static final AtomicBoolean zeroFillNoted = new AtomicBoolean();

  private final FileMapper mapper;

  RegionFileCreator(FileMapper mapper) {
    this.mapper = requireNonNull(mapper, "mapper");
  }

  /** Creates region file {@code path} (absolute and normalized) of {@code capacity} bytes and maps it. */
  MappedMedium create(Path path, long capacity, DaxOptions options) {
    long alignment = DaxBackendProvider.CAPACITY_ALIGNMENT;
    if (capacity <= 0 || capacity % alignment != 0) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "cannot create region " + path + " with capacity " + capacity + " bytes: the capacity must be > 0 and a "
              + "multiple of " + alignment + " (e.g. "
              + Math.max(alignment, (capacity + alignment - 1) / alignment * alignment) + ")");
    }
    FileMapper.requireWriteback(path, options.mode(), false);
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
      MappedMedium medium = mapper.map(path, capacity, false, options.mode(), options.copy(), options.msync(), "created", reservation);
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
            + "or another directory, or set " + DaxBackendProvider.PREALLOCATE + "=false for a sparse file", e);
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
}
