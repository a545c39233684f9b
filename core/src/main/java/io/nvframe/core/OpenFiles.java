package io.nvframe.core;

import io.nvframe.api.RegionLockedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Region files open in this JVM, keyed by file identity (device and inode where the platform gives
 * them, else the real path). Core claims a file before it opens any descriptor on it: with classic
 * POSIX record locks, closing any descriptor of a file drops every lock the process holds on it, so
 * even reading the header of a region that is already open here could silently unlock it.
 */
final class OpenFiles {
  private static final Set<Object> OPEN = ConcurrentHashMap.newKeySet();

  private OpenFiles() {}

  /** Claims {@code path}; the returned key must be passed to {@link #release}. */
  static Object claim(Path path) {
    Object key = keyOf(path);
    if (!OPEN.add(key)) {
      throw new RegionLockedException(
          "region " + path + " is already open in this process; close the other Region first (a region has one owner at a time)");
    }
    return key;
  }

  static void release(Object key) {
    OPEN.remove(key);
  }

  private static Object keyOf(Path path) {
    try {
      Object fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
      return fileKey != null ? fileKey : path.toRealPath();
    } catch (IOException e) {
      // missing or unreadable: the open that follows reports it precisely
      return path.toAbsolutePath().normalize();
    }
  }
}
