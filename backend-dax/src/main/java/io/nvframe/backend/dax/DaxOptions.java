package io.nvframe.backend.dax;

import static java.util.Objects.requireNonNull;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.spi.ProviderConfig;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The options of one create, open or probe call, parsed and checked before anything touches the
 * disk: {@value DaxBackendProvider#MODE}, {@value DaxBackendProvider#PREALLOCATE}, {@value
 * DaxBackendProvider#COPY}, {@value DaxBackendProvider#MSYNC} and {@link ProviderConfig#FILE_MODE}. Unknown {@code dax.*} keys are
 * rejected so that a typo does not silently fall back to a default.
 */
record DaxOptions(DaxMode mode, boolean preallocate, Set<PosixFilePermission> fileMode, String copy, String msync) {
  private static final Set<String> KEYS = Set.of(
      DaxBackendProvider.MODE, DaxBackendProvider.PREALLOCATE, DaxBackendProvider.COPY, DaxBackendProvider.MSYNC);

  /** Parses the options of {@code config}; throws {@link NvframeConfigurationException} naming a bad one. */
  static DaxOptions parse(ProviderConfig config) {
    Set<String> unknown = new TreeSet<>();
    for (String key : config.options().keySet()) {
      if (key.startsWith(DaxBackendProvider.NAME + ".") && !KEYS.contains(key)) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "unknown dax option(s) " + unknown + "; the dax backend understands " + new TreeSet<>(KEYS)
              + " and " + ProviderConfig.FILE_MODE);
    }
    DaxMode mode = DaxMode.parse(config.option(DaxBackendProvider.MODE, DaxBackendProvider.MODE_AUTO));
    String pre = config.option(DaxBackendProvider.PREALLOCATE, "true").trim();
    if (!pre.equalsIgnoreCase("true") && !pre.equalsIgnoreCase("false")) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "option " + DaxBackendProvider.PREALLOCATE + "='" + pre + "' must be true or false");
    }
    String copy = config.option(DaxBackendProvider.COPY, DaxBackendProvider.COPY_AUTO).trim().toLowerCase(Locale.ROOT);
    switch (copy) {
      case DaxBackendProvider.COPY_AUTO, DaxBackendProvider.COPY_JAVA -> { }
      case DaxBackendProvider.COPY_LIBPMEM -> NonTemporalCopy.require("option " + DaxBackendProvider.COPY + "=libpmem");
      default -> throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "option " + DaxBackendProvider.COPY + "='" + copy + "' must be auto, libpmem or java");
    }
    String msync = config.option(DaxBackendProvider.MSYNC, DaxBackendProvider.MSYNC_AUTO).trim().toLowerCase(Locale.ROOT);
    switch (msync) {
      case DaxBackendProvider.MSYNC_AUTO, DaxBackendProvider.MSYNC_MERGED, DaxBackendProvider.MSYNC_PER_FLUSH -> { }
      case DaxBackendProvider.MSYNC_FDATASYNC -> {
        if (!NativeFiles.supported() || !NativeFiles.nativeAccessEnabled()) {
          throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
              "option " + DaxBackendProvider.MSYNC + "=fdatasync calls fdatasync through FFM, which needs "
                  + (NativeFiles.supported() ? "the JVM flag " + NativeFiles.nativeAccessFlag()
                      : "Linux on x86-64 or AArch64")
                  + "; or use " + DaxBackendProvider.MSYNC + "=merged");
        }
      }
      default -> throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "option " + DaxBackendProvider.MSYNC + "='" + msync + "' must be auto, merged, fdatasync or per-flush");
    }
    return new DaxOptions(mode, pre.equalsIgnoreCase("true"),
        parseFileMode(config.option(ProviderConfig.FILE_MODE, DaxBackendProvider.DEFAULT_FILE_MODE)), copy, msync);
  }

  /** The absolute, normalized path of {@code config}; {@code verb} ("create", "open") goes into the error. */
  static Path requirePath(ProviderConfig config, String verb) {
    requireNonNull(config, "config");
    if (config.path() == null) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "the dax backend needs a path to " + verb + " a region: a file (on a DAX-mounted filesystem for "
              + "persistent memory) or a device DAX such as /dev/dax0.0");
    }
    return config.path().toAbsolutePath().normalize();
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
              + DaxBackendProvider.DEFAULT_FILE_MODE + " or octal like 0600", e);
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
}
