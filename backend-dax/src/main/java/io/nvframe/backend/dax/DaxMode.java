package io.nvframe.backend.dax;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a mapping is made durable: the values of option {@value DaxBackendProvider#MODE}, and the
 * table ({@link #resolve}) that turns a requested mode into the mode, flush primitive and mapping
 * a medium gets.
 *
 * <p>{@link #AUTO} is only ever requested: a medium reports the mode it resolved to.
 *
 * <p><b>Resolution table.</b> Inputs: the requested mode, whether the target is a file or a device
 * DAX, whether the medium is read-only, and whether a MAP_SYNC mapping was accepted ({@code any}
 * where the answer does not matter; a mapper tries MAP_SYNC only where a row with {@code yes} asks
 * for it). A file mapping that accepts MAP_SYNC may flush through the JDK's {@code force()}; a
 * device DAX cannot be mapped by the JDK, so it always writes back cache lines itself.
 *
 * <pre>
 *   requested  target  read-only  MAP_SYNC  -> mode      flush            mapping
 *   auto       file    no         yes          sync      FORCE_LINES      MAP_SYNC
 *   auto       file    no         no           msync     FORCE_PAGES      PLAIN
 *   sync       file    no         yes          sync      FORCE_LINES      MAP_SYNC
 *   sync       file    no         no           refused: NO_MAP_SYNC
 *   msync      file    no         any          msync     FORCE_PAGES      PLAIN
 *   emulate    file    no         any          emulate   WRITEBACK_LINES  PLAIN
 *   none       file    no         any          none      NOTHING          PLAIN
 *   auto       file    yes        any          msync     NOTHING          READ_ONLY
 *   sync       file    yes        any          msync     NOTHING          READ_ONLY
 *   msync      file    yes        any          msync     NOTHING          READ_ONLY
 *   emulate    file    yes        any          emulate   NOTHING          READ_ONLY
 *   none       file    yes        any          none      NOTHING          READ_ONLY
 *   auto       device  no         yes          sync      WRITEBACK_LINES  MAP_SYNC
 *   auto       device  no         no           emulate   WRITEBACK_LINES  PLAIN
 *   sync       device  no         yes          sync      WRITEBACK_LINES  MAP_SYNC
 *   sync       device  no         no           refused: NO_MAP_SYNC
 *   msync      device  any        any          refused: DEVICE_HAS_NO_MSYNC
 *   emulate    device  no         any          emulate   WRITEBACK_LINES  PLAIN
 *   none       device  no         any          none      NOTHING          PLAIN
 *   auto       device  yes        any          emulate   NOTHING          READ_ONLY
 *   sync       device  yes        any          emulate   NOTHING          READ_ONLY
 *   emulate    device  yes        any          emulate   NOTHING          READ_ONLY
 *   none       device  yes        any          none      NOTHING          READ_ONLY
 * </pre>
 *
 * A read-only medium never writes back, so it is mapped read-only without MAP_SYNC and reports the
 * mode of a plain mapping of its target ({@code msync} for a file, {@code emulate} for a device).
 * {@link FlushPrimitive#WRITEBACK_LINES} needs the JDK-internal write-back primitive ({@link
 * CacheLineWriteback#require}). Exactly one row matches every combination of
 * inputs; the class initializer checks it. {@code DaxModeResolveTest} checks all 40 combinations.
 */
enum DaxMode {
  /** MAP_SYNC when the filesystem or device accepts it, else a plain mapping. */
  AUTO,
  /** MAP_SYNC mapping; flush = cache-line write-back. */
  SYNC,
  /** Plain shared mapping; flush = msync of the touched pages. */
  MSYNC,
  /** Plain mapping; flush = cache-line write-back through the JDK-internal write-back primitive. */
  EMULATE,
  /** eADR: caches are persistent; flush is a counted no-op, fence a memory fence. */
  NONE;

  /** The option value, e.g. {@code msync}. */
  String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses an option value, case-insensitively. */
  static DaxMode parse(String value) {
    for (DaxMode m : values()) {
      if (m.key().equalsIgnoreCase(value.trim())) {
        return m;
      }
    }
    throw new NvframeConfigurationException(
        ErrorCode.CONFIG_INVALID,
        "option " + DaxBackendProvider.MODE + "='" + value + "' is not a dax mapping mode; use one of "
            + Arrays.stream(values()).map(DaxMode::key).collect(Collectors.joining(", ")));
  }

  /** How a resolved medium maps its target. */
  enum Mapping {
    /** {@code READ_WRITE_SYNC} (file) or {@code mmap(MAP_SHARED_VALIDATE | MAP_SYNC)} (device). */
    MAP_SYNC,
    /** {@code READ_WRITE} (file) or {@code mmap(MAP_SHARED)} (device). */
    PLAIN,
    /** {@code READ_ONLY} (file) or {@code mmap(PROT_READ, MAP_SHARED)} (device). */
    READ_ONLY
  }

  /** Why a requested mode cannot work. */
  enum Refusal {
    /** {@code sync} was requested, and the filesystem or device refused MAP_SYNC. */
    NO_MAP_SYNC,
    /** {@code msync} on a device DAX: the kernel implements no msync for it. */
    DEVICE_HAS_NO_MSYNC
  }

  /** One outcome of {@link #resolve}: a mode, flush primitive and mapping, or a refusal. */
  record Resolution(DaxMode mode, FlushPrimitive flush, Mapping mapping, Refusal refusal) {
    static Resolution of(DaxMode mode, FlushPrimitive flush, Mapping mapping) {
      return new Resolution(mode, flush, mapping, null);
    }

    static Resolution refused(Refusal refusal) {
      return new Resolution(null, null, null, refusal);
    }

    /** True when the requested mode cannot work; {@link #refusal()} says why. */
    boolean isRefused() {
      return refusal != null;
    }

    /** True when flushing needs the JDK-internal write-back primitive. */
    boolean needsWriteback() {
      return flush == FlushPrimitive.WRITEBACK_LINES;
    }

    /**
     * Why this outcome, for the INFO line of a create or open; {@code refusedMapSync} is the
     * refused MAP_SYNC attempt that led here, or null.
     */
    String why(String refusedMapSync) {
      if (mapping == Mapping.READ_ONLY) {
        return "read-only mapping, nothing to write back";
      }
      String flushing = switch (flush) {
        case FORCE_PAGES -> "flush = msync of the touched pages";
        case FORCE_LINES, WRITEBACK_LINES -> mapping == Mapping.MAP_SYNC
            ? "flush = cache-line write-back"
            : "flush = cache-line write-back on a plain mapping (not power-fail safe unless on persistent memory)";
        case NOTHING -> "assumes eADR (persistent CPU caches), flush is a no-op";
      };
      if (refusedMapSync != null) {
        return "MAP_SYNC not supported here (" + refusedMapSync + "); " + flushing;
      }
      return (mapping == Mapping.MAP_SYNC ? "MAP_SYNC accepted; " : "requested; ") + flushing;
    }
  }

  /**
   * The outcome for a {@code requested} mode: the row of the table in the class comment that
   * matches the inputs.
   *
   * @param mapSyncAccepted whether a MAP_SYNC mapping was (or, for probe, would be) accepted
   * @param device true for a device DAX, false for a file
   */
  static Resolution resolve(DaxMode requested, boolean mapSyncAccepted, boolean device, boolean readOnly) {
    for (Row row : TABLE) {
      if (row.matches(requested, mapSyncAccepted, device, readOnly)) {
        return row.outcome;
      }
    }
    throw new AssertionError("no row for " + requested + " mapSync=" + mapSyncAccepted + " device=" + device
        + " readOnly=" + readOnly); // the class initializer checked that every combination has one
  }

  // Row columns; null in a row matches both values.
  private static final Boolean FILE = false;
  private static final Boolean DEVICE = true;
  private static final Boolean WRITABLE = false;
  private static final Boolean READ_ONLY = true;
  private static final Boolean YES = true;
  private static final Boolean NO = false;
  private static final Boolean ANY = null;

  private static final FlushPrimitive FORCE_LINES = FlushPrimitive.FORCE_LINES;
  private static final FlushPrimitive FORCE_PAGES = FlushPrimitive.FORCE_PAGES;
  private static final FlushPrimitive WRITEBACK_LINES = FlushPrimitive.WRITEBACK_LINES;
  private static final FlushPrimitive NOTHING = FlushPrimitive.NOTHING;

  /** The table of the class comment, row for row. */
  private static final List<Row> TABLE = List.of(
      //          requested target  read-only  MAP_SYNC -> mode     flush            mapping
      Row.mapped(AUTO,    FILE,   WRITABLE,  YES,        SYNC,    FORCE_LINES,     Mapping.MAP_SYNC),
      Row.mapped(AUTO,    FILE,   WRITABLE,  NO,         MSYNC,   FORCE_PAGES,     Mapping.PLAIN),
      Row.mapped(SYNC,    FILE,   WRITABLE,  YES,        SYNC,    FORCE_LINES,     Mapping.MAP_SYNC),
      Row.refused(SYNC,   FILE,   WRITABLE,  NO,         Refusal.NO_MAP_SYNC),
      Row.mapped(MSYNC,   FILE,   WRITABLE,  ANY,        MSYNC,   FORCE_PAGES,     Mapping.PLAIN),
      Row.mapped(EMULATE, FILE,   WRITABLE,  ANY,        EMULATE, WRITEBACK_LINES, Mapping.PLAIN),
      Row.mapped(NONE,    FILE,   WRITABLE,  ANY,        NONE,    NOTHING,         Mapping.PLAIN),
      Row.mapped(AUTO,    FILE,   READ_ONLY, ANY,        MSYNC,   NOTHING,         Mapping.READ_ONLY),
      Row.mapped(SYNC,    FILE,   READ_ONLY, ANY,        MSYNC,   NOTHING,         Mapping.READ_ONLY),
      Row.mapped(MSYNC,   FILE,   READ_ONLY, ANY,        MSYNC,   NOTHING,         Mapping.READ_ONLY),
      Row.mapped(EMULATE, FILE,   READ_ONLY, ANY,        EMULATE, NOTHING,         Mapping.READ_ONLY),
      Row.mapped(NONE,    FILE,   READ_ONLY, ANY,        NONE,    NOTHING,         Mapping.READ_ONLY),
      Row.mapped(AUTO,    DEVICE, WRITABLE,  YES,        SYNC,    WRITEBACK_LINES, Mapping.MAP_SYNC),
      Row.mapped(AUTO,    DEVICE, WRITABLE,  NO,         EMULATE, WRITEBACK_LINES, Mapping.PLAIN),
      Row.mapped(SYNC,    DEVICE, WRITABLE,  YES,        SYNC,    WRITEBACK_LINES, Mapping.MAP_SYNC),
      Row.refused(SYNC,   DEVICE, WRITABLE,  NO,         Refusal.NO_MAP_SYNC),
      Row.refused(MSYNC,  DEVICE, ANY,       ANY,        Refusal.DEVICE_HAS_NO_MSYNC),
      Row.mapped(EMULATE, DEVICE, WRITABLE,  ANY,        EMULATE, WRITEBACK_LINES, Mapping.PLAIN),
      Row.mapped(NONE,    DEVICE, WRITABLE,  ANY,        NONE,    NOTHING,         Mapping.PLAIN),
      Row.mapped(AUTO,    DEVICE, READ_ONLY, ANY,        EMULATE, NOTHING,         Mapping.READ_ONLY),
      Row.mapped(SYNC,    DEVICE, READ_ONLY, ANY,        EMULATE, NOTHING,         Mapping.READ_ONLY),
      Row.mapped(EMULATE, DEVICE, READ_ONLY, ANY,        EMULATE, NOTHING,         Mapping.READ_ONLY),
      Row.mapped(NONE,    DEVICE, READ_ONLY, ANY,        NONE,    NOTHING,         Mapping.READ_ONLY));

  static {
    List<String> problems = new ArrayList<>();
    for (DaxMode requested : values()) {
      for (boolean mapSync : new boolean[] {false, true}) {
        for (boolean device : new boolean[] {false, true}) {
          for (boolean readOnly : new boolean[] {false, true}) {
            long rows = TABLE.stream().filter(r -> r.matches(requested, mapSync, device, readOnly)).count();
            if (rows != 1) {
              problems.add(rows + " rows for " + requested + " mapSync=" + mapSync + " device=" + device
                  + " readOnly=" + readOnly);
            }
          }
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new AssertionError("DaxMode resolution table: " + problems);
    }
  }

  /** One row: the inputs it matches (null = both values) and its outcome. */
  private record Row(DaxMode requested, Boolean device, Boolean readOnly, Boolean mapSync, Resolution outcome) {
    static Row mapped(DaxMode requested, Boolean device, Boolean readOnly, Boolean mapSync, DaxMode mode,
        FlushPrimitive flush, Mapping mapping) {
      return new Row(requested, device, readOnly, mapSync, Resolution.of(mode, flush, mapping));
    }

    static Row refused(DaxMode requested, Boolean device, Boolean readOnly, Boolean mapSync, Refusal refusal) {
      return new Row(requested, device, readOnly, mapSync, Resolution.refused(refusal));
    }

    boolean matches(DaxMode requested, boolean mapSyncAccepted, boolean device, boolean readOnly) {
      return this.requested == requested
          && (this.device == null || this.device == device)
          && (this.readOnly == null || this.readOnly == readOnly)
          && (this.mapSync == null || this.mapSync == mapSyncAccepted);
    }
  }
}
