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
 * /proc/self/mountinfo}; used by {@code probe} to predict the mapping mode without creating
 * anything.
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

  /** The mount holding {@code path} (an absolute, normalized path), if the table can be read. */
  static Optional<Mount> find(Path path, Path mountinfo) {
    List<String> lines;
    try {
      lines = Files.readAllLines(mountinfo, StandardCharsets.UTF_8);
    } catch (IOException | SecurityException e) {
      return Optional.empty();
    }
    Mount best = null;
    for (String line : lines) {
      Mount m = parse(line);
      if (m != null && path.startsWith(m.mountPoint())
          && (best == null || m.mountPoint().getNameCount() >= best.mountPoint().getNameCount())) {
        best = m;
      }
    }
    return Optional.ofNullable(best);
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
