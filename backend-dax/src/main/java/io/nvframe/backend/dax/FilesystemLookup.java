package io.nvframe.backend.dax;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Which filesystem holds a directory: the mount from the mount table ({@link MountTable}), else the
 * JDK's file store. {@code probe} reads the mount's {@code dax} options; a mapped file's {@link
 * DaxBackendProvider#PROPERTY_FILESYSTEM} comes from {@link #typeOnFirstUse}, because an open needs
 * the type only for its INFO line or a MAP_SYNC error (docs/decisions.md, "The dax medium looks up
 * its filesystem type on first use").
 */
final class FilesystemLookup {
  private final Path mountinfo;

  /** Reads the mount table at {@code mountinfo} ({@link MountTable#MOUNTINFO}, or a fake one in tests). */
  FilesystemLookup(Path mountinfo) {
    this.mountinfo = requireNonNull(mountinfo, "mountinfo");
  }

  /** The mount holding {@code dir}, or empty when the path or the mount table cannot be read. */
  Optional<MountTable.Mount> mountOf(Path dir) {
    try {
      return MountTable.find(dir.toRealPath(), mountinfo);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The type the JDK's file store reports for {@code dir}, e.g. {@code ext4}. */
  static String fileStoreType(Path dir) {
    try {
      return Files.getFileStore(dir).type();
    } catch (IOException e) {
      return "an unknown filesystem";
    }
  }

  /** The filesystem type of {@code dir}, looked up when first asked for; racing threads compute the same answer. */
  Supplier<String> typeOnFirstUse(Path dir) {
    return new Supplier<>() {
      private volatile String type;

      @Override
      public String get() {
        String t = type;
        if (t == null) {
          t = mountOf(dir).map(MountTable.Mount::fsType).orElseGet(() -> fileStoreType(dir));
          type = t;
        }
        return t;
      }
    };
  }
}
