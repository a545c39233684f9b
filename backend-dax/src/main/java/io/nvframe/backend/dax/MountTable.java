package io.nvframe.backend.dax;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which mount a path lives on and whether it is mounted with {@code dax}, read from {@code
 * /proc/self/mountinfo}; {@code probe} predicts the mapping mode from it without creating
 * anything, and {@link FilesystemLookup} names the filesystem of a mapped file.
 *
 * <p>A mountinfo line is {@code id parent major:minor root mountpoint options [optional...] -
 * fstype source superoptions}; spaces and other special characters in paths are octal escapes
 * ({@code \040}). The mount of a path is the last listed mount whose mount point is the longest
 * prefix of the path (later lines over-mount earlier ones).
 */
final class MountTable {
  /** The running process's mount table. */
  static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

  private MountTable() {}

  /** One mount. */
  record Mount(Path mountPoint, String fsType, String source, Set<String> options) {
    /** Mounted {@code -o dax} or {@code -o dax=always}: every file can be mapped MAP_SYNC. */
    boolean daxAlways() {
      return options.contains("dax") || options.contains("dax=always");
    }

    /** Mounted {@code -o dax=inode}: only files with the DAX attribute. */
    boolean daxPerInode() {
      return options.contains("dax=inode");
    }

    /** e.g. {@code ext4 at /}. */
    String describe() {
      return fsType + " at " + mountPoint;
    }
  }

  /**
   * The mount holding {@code path} (an absolute, normalized path), if the table can be read. Only
   * the lines whose mount point covers {@code path} are parsed in full: most lines name unrelated
   * mounts.
   */
  static Optional<Mount> find(Path path, Path mountinfo) {
    String table;
    try {
      table = new String(Files.readAllBytes(mountinfo), StandardCharsets.UTF_8);
    } catch (IOException | SecurityException e) {
      return Optional.empty();
    }
    String target = path.toString();
    Mount best = null;
    int bestLength = -1;
    for (int start = 0, end; start < table.length(); start = end + 1) {
      end = table.indexOf('\n', start);
      if (end < 0) {
        end = table.length();
      }
      String mountPoint = mountPointField(table, start, end);
      if (mountPoint == null || mountPoint.length() < bestLength || !covers(mountPoint, target)) {
        continue;
      }
      Mount m = parse(table.substring(start, end));
      if (m != null) { // a later line with an equally long mount point over-mounts the earlier one
        best = m;
        bestLength = mountPoint.length();
      }
    }
    return Optional.ofNullable(best);
  }

  /** The raw (escaped) mount point, the fifth field of {@code table[start, end)}, or null. */
  private static String mountPointField(String table, int start, int end) {
    int from = start;
    for (int field = 0; field < 4; field++) {
      int space = table.indexOf(' ', from);
      if (space < 0 || space >= end) {
        return null;
      }
      from = space + 1;
    }
    int space = table.indexOf(' ', from);
    if (space < 0 || space >= end) {
      return null;
    }
    return unescape(table.substring(from, space));
  }

  /** Whether the mount point {@code mountPoint} is {@code target} or one of its ancestors. */
  private static boolean covers(String mountPoint, String target) {
    if (!target.startsWith(mountPoint)) {
      return false;
    }
    return target.length() == mountPoint.length()
        || mountPoint.endsWith("/")
        || target.charAt(mountPoint.length()) == '/';
  }

  /** Parses one mountinfo line, or returns null when it is malformed. */
  static Mount parse(String line) {
    String[] f = line.trim().split(" ");
    int dash = -1;
    for (int i = 6; i < f.length; i++) {
      if (f[i].equals("-")) {
        dash = i;
        break;
      }
    }
    if (dash < 0 || dash + 2 >= f.length) {
      return null;
    }
    Set<String> options = new HashSet<>(List.of(f[5].split(",")));
    if (dash + 3 < f.length) {
      options.addAll(List.of(f[dash + 3].split(",")));
    }
    return new Mount(Path.of(unescape(f[4])), f[dash + 1], unescape(f[dash + 2]), Set.copyOf(options));
  }

  private static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && isOctal(s, i + 1)) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static boolean isOctal(String s, int from) {
    if (from + 3 > s.length()) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '7') {
        return false;
      }
    }
    return true;
  }
}
