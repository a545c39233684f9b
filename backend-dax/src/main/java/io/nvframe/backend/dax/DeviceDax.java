package io.nvframe.backend.dax;

import io.nvframe.api.BackendUnavailableException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.NvframeIOException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Size and alignment of a device DAX character device ({@code /dev/daxN.M}).
 *
 * <p>A device DAX has no file size ({@code st_size} is 0) and cannot be truncated or
 * fallocated. Its geometry lives in sysfs, found through the device number:
 *
 * <pre>
 *   stat /dev/dax0.0            -> st_rdev = makedev(major, minor), e.g. 252:0
 *   /sys/dev/char/252:0/        -> symlink to the dax device directory
 *       subsystem               -> symlink whose last element is "dax"
 *       size                    -> usable bytes, decimal
 *       align                   -> mapping alignment in bytes (kernels since 5.10; optional)
 * </pre>
 *
 * <p>A mapping must start at offset 0 and its length must be a multiple of the device alignment,
 * at least {@value #DEFAULT_ALIGNMENT} bytes (2 MiB, the PMD page size devices are created with by
 * default). Capacity 0 asks for the whole device rounded down to that alignment.
 *
 * <p>The sysfs root is a parameter so tests can build a fake tree.
 */
final class DeviceDax {
  /** The minimum alignment of a device DAX mapping: 2 MiB. */
  static final long DEFAULT_ALIGNMENT = 2L << 20;

  /** The real sysfs. */
  static final Path SYSFS = Path.of("/sys");

  private static final int S_IFMT = 0170000;
  private static final int S_IFCHR = 0020000;

  private DeviceDax() {}

  /** Size and alignment of one device. */
  record Geometry(Path device, int major, int minor, long size, long alignment) {
    /**
     * The mapping length for a requested capacity: the whole device rounded down to the alignment
     * when {@code capacity} is 0, else {@code capacity}, which must be aligned and fit.
     */
    long mappingSize(long capacity) {
      if (capacity == 0) {
        long whole = size - size % alignment;
        if (whole == 0) {
          throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
              "device DAX " + device + " has " + size + " bytes, less than its mapping alignment of " + alignment
                  + " bytes; reconfigure the namespace (ndctl create-namespace -m devdax) with a larger size");
        }
        return whole;
      }
      if (capacity % alignment != 0) {
        long down = capacity - capacity % alignment;
        throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
            "capacity " + capacity + " is not a multiple of the mapping alignment " + alignment + " of device DAX "
                + device + "; use " + (down > 0 ? down + " or " : "") + (down + alignment)
                + ", or 0 for the whole device");
      }
      if (capacity > size) {
        throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
            "capacity " + capacity + " exceeds the " + size + " bytes of device DAX " + device
                + "; use at most " + (size - size % alignment) + ", or 0 for the whole device");
      }
      return capacity;
    }
  }

  /** True when {@code path} is a character device (without following a final symlink's target type). */
  static boolean isCharacterDevice(Path path) {
    try {
      int mode = (Integer) Files.getAttribute(path, "unix:mode");
      return (mode & S_IFMT) == S_IFCHR;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  /** Major number of a Linux {@code dev_t} (glibc {@code gnu_dev_major}). */
  static int major(long rdev) {
    return (int) (((rdev >>> 8) & 0xFFF) | ((rdev >>> 32) & ~0xFFFL));
  }

  /** Minor number of a Linux {@code dev_t} (glibc {@code gnu_dev_minor}). */
  static int minor(long rdev) {
    return (int) ((rdev & 0xFF) | ((rdev >>> 12) & ~0xFFL));
  }

  /** The geometry of character device {@code device}, read from {@code sysfsRoot}. */
  static Geometry geometry(Path device, Path sysfsRoot) {
    long rdev;
    try {
      rdev = ((Number) Files.getAttribute(device, "unix:rdev")).longValue();
    } catch (IOException e) {
      throw new NvframeIOException(ErrorCode.IO_ERROR, "cannot stat device " + device + ": " + e, e);
    }
    return geometry(device, major(rdev), minor(rdev), sysfsRoot);
  }

  /** The geometry of device {@code major:minor} (named {@code device} in messages). */
  static Geometry geometry(Path device, int major, int minor, Path sysfsRoot) {
    Path dir = sysfsRoot.resolve("dev").resolve("char").resolve(major + ":" + minor);
    Path subsystem = dir.resolve("subsystem");
    String kind;
    try {
      kind = Files.readSymbolicLink(subsystem).getFileName().toString();
    } catch (IOException | UnsupportedOperationException e) {
      throw new BackendUnavailableException(ErrorCode.BACKEND_UNAVAILABLE,
          device + " (character device " + major + ":" + minor + ") is not a device DAX: " + subsystem
              + " cannot be read (" + e.getMessage() + "); give a /dev/daxN.M device or a file path");
    }
    if (!kind.equals("dax")) {
      throw new BackendUnavailableException(ErrorCode.BACKEND_UNAVAILABLE,
          device + " (character device " + major + ":" + minor + ") is not a device DAX: its subsystem is '" + kind
              + "', not 'dax'; give a /dev/daxN.M device or a file path");
    }
    long size = readLong(dir.resolve("size"), device);
    if (size <= 0) {
      throw new BackendUnavailableException(ErrorCode.BACKEND_UNAVAILABLE,
          "device DAX " + device + " reports size " + size + " in " + dir.resolve("size")
              + "; is the namespace disabled? (ndctl list -N)");
    }
    long alignment = DEFAULT_ALIGNMENT;
    Path alignFile = dir.resolve("align");
    if (Files.exists(alignFile, LinkOption.NOFOLLOW_LINKS)) {
      long align = readLong(alignFile, device);
      if (align <= 0 || Long.bitCount(align) != 1) {
        throw new NvframeIOException(ErrorCode.IO_ERROR,
            "device DAX " + device + " reports alignment " + align + " in " + alignFile + ", not a power of two");
      }
      alignment = Math.max(alignment, align);
    }
    return new Geometry(device, major, minor, size, alignment);
  }

  private static long readLong(Path file, Path device) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      throw new NvframeIOException(ErrorCode.IO_ERROR,
          "cannot read " + file + " for device DAX " + device + ": " + e + "; check that sysfs is mounted", e);
    }
    try {
      return text.startsWith("0x") ? Long.parseUnsignedLong(text.substring(2), 16) : Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new NvframeIOException(ErrorCode.IO_ERROR,
          file + " for device DAX " + device + " holds '" + text + "', not a number", e);
    }
  }
}
