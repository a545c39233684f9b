package io.nvframe.core;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.NvframeException;
import io.nvframe.api.NvframeIOException;
import io.nvframe.api.OwnerReconciler;
import io.nvframe.api.Region;
import io.nvframe.api.UnsupportedFormatException;
import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configures and creates or opens a {@link Region}. Obtain one with {@link Regions#builder()}.
 *
 * <p>On {@link #open()} the backend and geometry come from the region header; any geometry set on
 * the builder must then match it. The backend is chosen by {@link #backend(String)}, else the
 * {@value Regions#BACKEND_PROPERTY} system property, else the only available durable backend (the
 * volatile {@code heap} backend is never chosen implicitly).
 */
public final class RegionBuilder {
  private static final Logger logger = LoggerFactory.getLogger(RegionBuilder.class);

  /** Default bytes per page frame. */
  public static final int DEFAULT_FRAME_SIZE = 4096;
  /** Default largest allocation order (2^10 frames = 4 MiB blocks of 4 KiB pages). */
  public static final int DEFAULT_MAX_ORDER = 10;
  /** Default number of redo-log lanes (more than cores, so threads rarely share one). */
  public static final int DEFAULT_LANES = 64;
  /** Default bytes per lane. */
  public static final int DEFAULT_LANE_SIZE = 4096;
  /** Default wait for a frame locked by another transaction. */
  public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(2);

  private String backend;
  private Path path;
  private long capacity;
  private Integer frameSize;
  private Integer maxOrder;
  private Integer lanes;
  private Integer laneSize;
  private boolean readOnly;
  private Duration lockTimeout = DEFAULT_LOCK_TIMEOUT;
  private ClassLoader classLoader = RegionBuilder.class.getClassLoader();
  private OwnerReconciler ownerReconciler;
  private final Map<String, String> options = new LinkedHashMap<>();

  RegionBuilder() {}

  /** Backend name: {@code heap}, {@code dax}, {@code btt} or a third-party name. */
  public RegionBuilder backend(String name) {
    this.backend = Objects.requireNonNull(name, "name");
    return this;
  }

  /** The region file or device. */
  public RegionBuilder path(Path path) {
    this.path = Objects.requireNonNull(path, "path");
    return this;
  }

  /** Bytes to create (a multiple of 4096). */
  public RegionBuilder capacity(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("capacity must be > 0, got " + bytes);
    }
    this.capacity = bytes;
    return this;
  }

  /** Bytes per page frame (power of two, at least 4096). */
  public RegionBuilder frameSize(int bytes) {
    this.frameSize = bytes;
    return this;
  }

  /** Largest allocation order. */
  public RegionBuilder maxOrder(int order) {
    this.maxOrder = order;
    return this;
  }

  /** Number of redo-log lanes. */
  public RegionBuilder lanes(int lanes) {
    this.lanes = lanes;
    return this;
  }

  /** Bytes per redo-log lane (multiple of 4096); bounds the size of one transaction. */
  public RegionBuilder laneSize(int bytes) {
    this.laneSize = bytes;
    return this;
  }

  /** Open without write access: no recovery, writes throw. */
  public RegionBuilder readOnly(boolean readOnly) {
    this.readOnly = readOnly;
    return this;
  }

  /** How long a transaction waits for a frame another transaction holds. */
  public RegionBuilder lockTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("lock timeout must be >= 0, got " + timeout);
    }
    this.lockTimeout = timeout;
    return this;
  }

  /** A backend option such as {@code dax.mode=msync}; see the backend's documentation. */
  public RegionBuilder option(String key, String value) {
    options.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return this;
  }

  /**
   * Checks owner-tagged blocks at open: those {@code reconciler} reports as unreferenced are freed
   * (leak repair after a crash between allocating and linking), and {@code check()} verifies that
   * none remains.
   */
  public RegionBuilder ownerReconciler(OwnerReconciler reconciler) {
    this.ownerReconciler = Objects.requireNonNull(reconciler, "reconciler");
    return this;
  }

  /** The class loader providers are loaded from (default: nvframe-core's). */
  public RegionBuilder classLoader(ClassLoader loader) {
    this.classLoader = Objects.requireNonNull(loader, "loader");
    return this;
  }

  /** Formats a new region. Refuses to overwrite an existing file. */
  public Region create() {
    if (readOnly) {
      throw config("cannot create a region read-only; drop readOnly(true)");
    }
    if (capacity <= 0) {
      throw config("capacity is not set: call capacity(bytes) before create()");
    }
    ProviderRegistry registry = ProviderRegistry.forLoader(classLoader);
    ProviderConfig cfg = new ProviderConfig(path, capacity, false, options);
    String name = backend != null ? backend : System.getProperty(Regions.BACKEND_PROPERTY);
    BackendProvider provider = name != null ? registry.select(name, cfg) : registry.autoSelect(cfg);
    if (path == null && provider.capabilities().contains(Capability.DURABLE)) {
      throw config("backend '" + provider.name() + "' stores data in a file: set path(...)");
    }
    // validate the geometry before touching the file system
    RegionLayout.compute(
        capacity - capacity % RegionLayout.PAGE, frameSizeOr(), maxOrderOr(), lanesOr(), laneSizeOr());
    boolean existedBefore = path != null && Files.exists(path);
    Medium medium = provider.create(cfg);
    try {
      long usable = medium.size() - medium.size() % RegionLayout.PAGE;
      RegionLayout layout = RegionLayout.compute(usable, frameSizeOr(), maxOrderOr(), lanesOr(), laneSizeOr());
      if (usable != medium.size()) {
        throw config("backend '" + provider.name() + "' gave a medium of " + medium.size()
            + " bytes, not a multiple of 4096");
      }
      RegionHeader header = RegionHeader.fresh(provider.name(), layout);
      RegionOpener.format(medium, header);
      FrameRegion region = RegionOpener.open(medium, location(provider), false, lockTimeout.toNanos());
      if (path != null) {
        releaseOnClose(region, OpenFiles.claim(path));
      }
      logger.info("Created region {} ({} bytes, backend {})", location(provider), usable, provider.name());
      return region;
    } catch (RuntimeException e) {
      closeQuietly(medium, e);
      if (path != null && !existedBefore) {
        try {
          Files.deleteIfExists(path);
        } catch (IOException io) {
          e.addSuppressed(io);
        }
      }
      throw e;
    }
  }

  /** Opens an existing region; backend and geometry come from its header. */
  public Region open() {
    if (path == null) {
      throw config("open() needs the region's path: call path(...) (volatile heap regions cannot be reopened)");
    }
    Object claim = OpenFiles.claim(path);
    try {
      FrameRegion region = openClaimed();
      releaseOnClose(region, claim);
      if (ownerReconciler != null) {
        try {
          region.reconcileOwners(ownerReconciler);
        } catch (RuntimeException e) {
          region.close();
          throw e;
        }
      }
      return region;
    } catch (RuntimeException e) {
      OpenFiles.release(claim);
      throw e;
    }
  }

  private FrameRegion openClaimed() {
    RegionHeader.Selected probe = readHeaderFromFile(path);
    RegionHeader header = probe.header();
    if (backend != null && !backend.equals(header.backend())) {
      throw config("region " + path + " was created with backend '" + header.backend() + "', not '" + backend
          + "'; drop backend(...) or name '" + header.backend() + "'");
    }
    checkGeometry(header.layout());
    ProviderRegistry registry = ProviderRegistry.forLoader(classLoader);
    BackendProvider provider;
    try {
      provider = registry.require(header.backend());
    } catch (NvframeConfigurationException e) {
      throw new UnsupportedFormatException(
          ErrorCode.BACKEND_UNKNOWN,
          "region " + path + " was written by backend '" + header.backend() + "', which is not installed: "
              + e.getMessage(),
          e);
    }
    // no probe first: the provider's open is the authority on whether it can serve this file (and
    // must refuse before modifying anything); a probe would only repeat its checks (decisions.md)
    Medium medium = provider.open(new ProviderConfig(path, 0, readOnly, options));
    try {
      return RegionOpener.open(medium, path.toString(), readOnly, lockTimeout.toNanos());
    } catch (RuntimeException e) {
      closeQuietly(medium, e);
      throw e;
    }
  }

  /**
   * Releases {@code claim} when {@code region} closes. Create and open share this one lambda call
   * site, so it is linked once per JVM.
   */
  private static void releaseOnClose(FrameRegion region, Object claim) {
    region.onClose(() -> OpenFiles.release(claim));
  }

  /** Opens the region at the path if it exists, else creates it. */
  public Region openOrCreate() {
    if (path != null && Files.exists(path)) {
      return open();
    }
    return create();
  }

  /** Reads both header copies straight from the file (no lock, no write) to learn the backend. */
  static RegionHeader.Selected readHeaderFromFile(Path path) {
    if (Files.isDirectory(path)) {
      throw new NvframeIOException(ErrorCode.NOT_A_REGION, path + " is a directory, not a region file");
    }
    byte[] a = new byte[RegionLayout.HEADER_SLOT];
    byte[] b = new byte[RegionLayout.HEADER_SLOT];
    long size;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      size = ch.size();
      readFully(ch, a, RegionLayout.HEADER_A_OFFSET);
      readFully(ch, b, RegionLayout.HEADER_B_OFFSET);
    } catch (NoSuchFileException e) {
      throw new NvframeIOException(
          ErrorCode.REGION_NOT_FOUND,
          "no region at " + path + ": the file does not exist; create it with Regions.builder()...create() or 'nvframe create'",
          e);
    } catch (IOException e) {
      throw new NvframeIOException("cannot read the header of " + path + ": " + e.getMessage(), e);
    }
    if (size < 2L * RegionLayout.HEADER_SLOT) {
      throw new MediaCorruptedException(
          ErrorCode.NOT_A_REGION,
          path + " is not an nvframe region: it is only " + size + " bytes long (a region starts with two 4 KiB headers)");
    }
    RegionHeader.Selected selected = RegionHeader.select(a, b, path.toString());
    long expected = selected.header().layout().capacity();
    // a btt file also holds the BTT's own metadata, so it is larger than the region it carries (the
    // btt backend checks its layout against the file, FrameRegion.open the medium's size)
    boolean fileIsRegion = !"btt".equals(selected.header().backend());
    if (fileIsRegion ? size != expected : size < expected) {
      throw new MediaCorruptedException(
          ErrorCode.SIZE_MISMATCH,
          path + " is " + size + " bytes but its header says " + expected
              + " bytes: the file was truncated or extended; restore it from a backup or copy it completely");
    }
    return selected;
  }

  private static void readFully(FileChannel ch, byte[] dst, long position) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(dst);
    while (buf.hasRemaining()) {
      int n = ch.read(buf, position + buf.position());
      if (n < 0) {
        break;
      }
    }
  }

  private void checkGeometry(RegionLayout actual) {
    String where = "region " + path;
    if (frameSize != null && frameSize != actual.frameSize()) {
      throw config(where + " has frame size " + actual.frameSize() + ", not " + frameSize);
    }
    if (maxOrder != null && maxOrder != actual.maxOrder()) {
      throw config(where + " has max order " + actual.maxOrder() + ", not " + maxOrder);
    }
    if (lanes != null && lanes != actual.lanes()) {
      throw config(where + " has " + actual.lanes() + " lanes, not " + lanes);
    }
    if (laneSize != null && laneSize != actual.laneSize()) {
      throw config(where + " has lane size " + actual.laneSize() + ", not " + laneSize);
    }
    if (capacity > 0 && capacity != actual.capacity()) {
      throw config(where + " has capacity " + actual.capacity() + ", not " + capacity);
    }
  }

  private String location(BackendProvider provider) {
    return path != null ? path.toString() : provider.name() + ":volatile";
  }

  private int frameSizeOr() {
    return frameSize != null ? frameSize : DEFAULT_FRAME_SIZE;
  }

  private int maxOrderOr() {
    return maxOrder != null ? maxOrder : DEFAULT_MAX_ORDER;
  }

  private int lanesOr() {
    return lanes != null ? lanes : DEFAULT_LANES;
  }

  private int laneSizeOr() {
    return laneSize != null ? laneSize : DEFAULT_LANE_SIZE;
  }

  private static void closeQuietly(Medium medium, RuntimeException primary) {
    try {
      medium.close();
    } catch (RuntimeException e) {
      primary.addSuppressed(e);
    }
  }

  private static NvframeException config(String message) {
    return new NvframeConfigurationException(ErrorCode.CONFIG_INVALID, message);
  }
}
