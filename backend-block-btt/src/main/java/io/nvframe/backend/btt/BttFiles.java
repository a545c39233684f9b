package io.nvframe.backend.btt;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Opens the BTT in a file (a libpmemblk pool or a raw BTT) through the byte-addressable backend
 * {@code dax} (or another one named), for the CLI and for tools.
 */
public final class BttFiles {
  private BttFiles() {}

  /** An open BTT with the medium it lives in; closing closes both. */
  public record Opened(Medium medium, BttLocation location, Btt btt) implements AutoCloseable {
    @Override
    public void close() {
      btt.close();
      medium.close();
    }
  }

  /** Maps {@code file} with backend {@code backend} (e.g. {@code dax}). */
  public static Medium openMedium(Path file, boolean readOnly, String backend) {
    return openMedium(file, readOnly, backend, Map.of());
  }

  /** Maps {@code file} with backend {@code backend} and its options (e.g. {@code dax.mode}). */
  public static Medium openMedium(Path file, boolean readOnly, String backend, Map<String, String> options) {
    Objects.requireNonNull(file, "file");
    BackendProvider p = BttBackendProvider.find(backend);
    if (p == null) {
      throw new io.nvframe.api.BackendUnavailableException(ErrorCode.BACKEND_UNKNOWN,
          "backend '" + backend + "' is not installed; the BTT tools need a byte-addressable backend such as dax");
    }
    return p.open(new ProviderConfig(file, 0, readOnly, options));
  }

  /** Where the BTT of {@code m} is: at {@code offset} when given, else found (pool header or 0). */
  public static BttLocation locate(Medium m, Long offset) {
    return offset == null ? BttLocation.find(m) : BttLocation.raw(m, offset);
  }

  /**
   * Opens the BTT of {@code file}. A libpmemblk pool that was never written has no layout yet; opened
   * writable it gets libpmemblk's layout (as libpmemblk does on the first write), opened read-only it
   * is refused with {@link ErrorCode#NOT_A_REGION}.
   */
  public static Opened open(Path file, boolean readOnly, Long offset) {
    return open(file, readOnly, offset, Map.of());
  }

  /** As {@link #open(Path, boolean, Long)} with options for the {@code dax} backend. */
  public static Opened open(Path file, boolean readOnly, Long offset, Map<String, String> daxOptions) {
    Medium m = openMedium(file, readOnly, "dax", daxOptions);
    try {
      BttLocation loc = locate(m, offset);
      Btt btt;
      if (!loc.laidOut() && loc.pool()) {
        if (readOnly) {
          throw new MediaCorruptedException(ErrorCode.NOT_A_REGION, "libpmemblk pool " + file
              + " has no BTT layout yet (libpmemblk writes it on the first write): every block reads as zeros");
        }
        btt = Btt.format(m, loc.offset(), loc.rawSize(), loc.format(loc.poolBlockSize()), loc.options(false));
      } else {
        btt = Btt.open(m, loc.offset(), loc.rawSize(), loc.options(readOnly));
      }
      return new Opened(m, loc, btt);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }
}
