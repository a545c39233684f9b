package io.nvframe.backend.dax;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.NvframeException;
import io.nvframe.api.NvframeIOException;
import io.nvframe.api.RegionLockedException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A region file or device opened and locked for one medium.
 *
 * <p>Locking has two levels, because classic POSIX record locks ({@code fcntl(F_SETLK)}, which
 * {@link FileChannel#tryLock} uses on Linux) belong to the process and vanish when the process
 * closes <em>any</em> descriptor of the file:
 *
 * <ol>
 *   <li>In this JVM: a process-wide table of open files, keyed by device and inode. A second open
 *       of a file already in the table fails <em>before</em> any descriptor is opened.
 *   <li>Across processes, preferably an open-file-description lock ({@code F_OFD_SETLK} through
 *       FFM, {@link NativeFiles#ofdLock}) on a descriptor kept for the medium's lifetime: it
 *       survives other code in this JVM opening and closing the file, and conflicts with classic
 *       locks of other processes. It needs native access ({@code --enable-native-access}); without
 *       it, or on kernels before 3.15, the lock is {@link FileChannel#tryLock()}. Either is shared
 *       for read-only opens.
 * </ol>
 *
 * <p>{@link #close()} releases everything in reverse order: lock descriptor, lock, channel, table
 * entry. It never throws; failures are logged.
 */
final class LockedFile implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(LockedFile.class);

  /** Files open in this JVM, by file key (device and inode). */
  private static final Map<Object, Path> OPEN = new ConcurrentHashMap<>();

  private final Path path;
  private final Object key;
  private final FileChannel channel;
  /** The classic lock, or null when {@link #nativeFd} holds an OFD lock. */
  private final FileLock lock;
  /** A native descriptor (holding the OFD lock, if any), or -1. */
  private int nativeFd;

  private LockedFile(Path path, Object key, FileChannel channel, FileLock lock, int nativeFd) {
    this.path = path;
    this.key = key;
    this.channel = channel;
    this.lock = lock;
    this.nativeFd = nativeFd;
  }

  /**
   * Opens and locks {@code path}.
   *
   * @throws RegionLockedException when this JVM or another process has it open
   * @throws NvframeIOException when it cannot be opened with the requested access
   */
  static LockedFile open(Path path, boolean readOnly) {
    Object key = fileKey(path);
    Path previous = OPEN.putIfAbsent(key, path);
    if (previous != null) {
      throw new RegionLockedException(ErrorCode.REGION_LOCKED,
          "region " + path + " is already open in this JVM"
              + (previous.equals(path) ? "" : " (as " + previous + ")")
              + "; close the other medium or region first (a second open would also release its file lock)");
    }
    FileChannel channel = null;
    try {
      channel = readOnly
          ? FileChannel.open(path, StandardOpenOption.READ)
          : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
      if (NativeFiles.supported() && NativeFiles.nativeAccessEnabled()) {
        int fd = NativeFiles.open(path, readOnly ? NativeFiles.O_RDONLY : NativeFiles.O_RDWR);
        boolean locked;
        try {
          locked = NativeFiles.ofdLock(fd, readOnly);
        } catch (NativeFiles.NativeError e) {
          NativeFiles.close(fd);
          if (e.errno() != NativeFiles.EINVAL) {
            throw new IOException("cannot lock " + path + ": " + e.getMessage(), e);
          }
          logger.debug("no OFD locks on this kernel ({}); using a classic lock for {}", e.getMessage(), path);
          return new LockedFile(path, key, channel, classicLock(channel, path, readOnly), -1);
        }
        if (!locked) {
          NativeFiles.close(fd);
          throw lockedByAnotherProcess(path);
        }
        return new LockedFile(path, key, channel, null, fd);
      }
      return new LockedFile(path, key, channel, classicLock(channel, path, readOnly), -1);
    } catch (IOException e) {
      closeQuietly(channel);
      OPEN.remove(key, path);
      throw openFailure(path, readOnly, e);
    } catch (RuntimeException | Error e) {
      closeQuietly(channel);
      OPEN.remove(key, path);
      throw e;
    }
  }

  private static FileLock classicLock(FileChannel channel, Path path, boolean readOnly) throws IOException {
    FileLock lock;
    try {
      lock = readOnly ? channel.tryLock(0, Long.MAX_VALUE, true) : channel.tryLock();
    } catch (OverlappingFileLockException e) {
      throw new RegionLockedException(ErrorCode.REGION_LOCKED,
          "region " + path + " is locked by other code in this JVM; close it there first", e);
    }
    if (lock == null) {
      throw lockedByAnotherProcess(path);
    }
    return lock;
  }

  private static RegionLockedException lockedByAnotherProcess(Path path) {
    return new RegionLockedException(ErrorCode.REGION_LOCKED,
        "region " + path + " is open in another process, which holds its file lock; close the region there "
            + "first ('fuser " + path + "' shows the process)");
  }

  /** The error for a failed {@code FileChannel.open}, with what to do about it. */
  static NvframeException openFailure(Path path, boolean readOnly, IOException e) {
    String access = readOnly ? "reading" : "reading and writing";
    if (e instanceof NoSuchFileException) {
      return new NvframeConfigurationException(ErrorCode.REGION_NOT_FOUND,
          "region file " + path + " does not exist; create it first, or check the path", e);
    }
    if (e instanceof AccessDeniedException) {
      return new NvframeIOException(ErrorCode.IO_ERROR,
          "region " + path + " cannot be opened for " + access + ": permission denied" + permissions(path) + "; "
              + (readOnly ? "chmod u+r " + path : "chmod u+w " + path + ", or open it read-only"), e);
    }
    if (e instanceof FileSystemException fse && fse.getReason() != null) {
      String reason = fse.getReason();
      if (reason.contains("Read-only file system")) {
        return new NvframeIOException(ErrorCode.IO_ERROR,
            "region " + path + " cannot be opened for writing: it is on a read-only filesystem; remount it "
                + "read-write, or open the region read-only", e);
      }
      if (reason.contains("Operation not permitted")) {
        return new NvframeIOException(ErrorCode.IO_ERROR,
            "region " + path + " cannot be opened for " + access + ": operation not permitted" + permissions(path)
                + " (an immutable or append-only attribute? see 'lsattr " + path + "'); chmod u+w / chattr -i "
                + path + ", or open it read-only", e);
      }
      if (reason.contains("Is a directory")) {
        return new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
            "region path " + path + " is a directory; give the path of a region file", e);
      }
    }
    return new NvframeIOException(ErrorCode.IO_ERROR, "cannot open region " + path + " for " + access + ": " + e, e);
  }

  private static String permissions(Path path) {
    try {
      return " (mode " + PosixFilePermissions.toString(Files.getPosixFilePermissions(path)) + ", owner "
          + Files.getOwner(path).getName() + ")";
    } catch (IOException | UnsupportedOperationException e) {
      return "";
    }
  }

  private static Object fileKey(Path path) {
    try {
      Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
      return key != null ? key : path.toRealPath();
    } catch (NoSuchFileException e) {
      throw openFailure(path, true, e);
    } catch (IOException e) {
      throw new NvframeIOException(ErrorCode.IO_ERROR, "cannot stat region " + path + ": " + e, e);
    }
  }

  /** Whether this JVM has {@code path} open through some medium (for tests). */
  static boolean isOpenInThisJvm(Path path) {
    try {
      return OPEN.containsKey(fileKey(path));
    } catch (NvframeException e) {
      return false;
    }
  }

  Path path() {
    return path;
  }

  FileChannel channel() {
    return channel;
  }

  /** A native descriptor of the file opened with the medium's access mode, or -1. */
  int nativeFd() {
    return nativeFd;
  }

  /** Hands over a native descriptor of the same file, closed with this object; only when {@link #nativeFd()} is -1. */
  void attachNativeFd(int fd) {
    if (nativeFd >= 0) {
      throw new IllegalStateException("a native descriptor is already attached");
    }
    this.nativeFd = fd;
  }

  /** How the file is locked: {@code ofd} or {@code posix}. */
  String lockKind() {
    return lock == null ? "ofd" : "posix";
  }

  @Override
  public void close() {
    if (nativeFd >= 0) {
      NativeFiles.close(nativeFd);
      nativeFd = -1;
    }
    try {
      if (lock != null && lock.isValid()) {
        lock.release();
      }
    } catch (IOException e) {
      logger.warn("releasing the lock of {} failed; closing its channel releases it", path, e);
    }
    closeQuietly(channel);
    OPEN.remove(key, path);
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException e) {
      logger.warn("closing {} failed", channel, e);
    }
  }
}
