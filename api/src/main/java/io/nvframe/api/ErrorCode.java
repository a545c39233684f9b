package io.nvframe.api;

/**
 * Stable identifiers of every nvframe failure. Each code has an anchor in {@code docs/error-codes.md}
 * (for example {@code docs/error-codes.md#nv-020}); exception messages end with {@code [NV-nnn]}.
 *
 * <p>Ids never change meaning once released; new codes get new ids.
 */
public enum ErrorCode {
  /** A configuration value is out of range or inconsistent with another one. */
  CONFIG_INVALID(1, "invalid configuration"),
  /** No installed backend has the requested name. */
  BACKEND_UNKNOWN(2, "unknown backend name"),
  /** Two installed backends declare the same name. */
  BACKEND_DUPLICATE(3, "two backends with one name"),
  /** No backend was named and no single durable backend could be chosen. */
  BACKEND_AMBIGUOUS(4, "no backend named and no unique durable backend available"),
  /** The backend is installed but cannot run in this environment. */
  BACKEND_UNAVAILABLE(5, "backend unavailable here"),
  /** The backend lacks a capability the caller requires. */
  BACKEND_CAPABILITY_MISSING(6, "backend lacks a required capability"),
  /** The region file or device does not exist. */
  REGION_NOT_FOUND(10, "region not found"),
  /** A region was to be created where something already exists. */
  REGION_EXISTS(11, "region already exists"),
  /** Another process (or another open in this process) holds the region. */
  REGION_LOCKED(12, "region is in use"),
  /** The file does not start with an nvframe region header. */
  NOT_A_REGION(13, "not an nvframe region"),
  /** A header copy failed its checksum or holds impossible values, and no good copy remains. */
  HEADER_CORRUPT(14, "region header corrupted"),
  /** The region was written by a newer format version. */
  FORMAT_TOO_NEW(15, "format version too new"),
  /** The file is smaller or larger than the header says. */
  SIZE_MISMATCH(16, "region size does not match its header"),
  /** No frame of the requested order can be allocated. */
  OUT_OF_FRAMES(20, "out of frames"),
  /** A frame handle refers to a block that was freed (its generation moved on). */
  FRAME_STALE(21, "stale frame handle"),
  /** A frame was freed twice. */
  FRAME_DOUBLE_FREE(22, "double free"),
  /** A handle names a frame that is not the head of an allocated block of that order. */
  FRAME_NOT_HEAD(23, "frame is not the head of an allocated block"),
  /** A handle belongs to another region. */
  FRAME_FOREIGN(24, "frame of another region"),
  /** An access falls outside the frame. */
  FRAME_BOUNDS(25, "access outside the frame"),
  /** The persistent frame table holds an impossible entry. */
  FRAME_TABLE_CORRUPT(26, "frame table corrupted"),
  /** A transaction does not fit in its redo-log lane. */
  TX_TOO_LARGE(30, "transaction too large for one redo record"),
  /** A transaction could not lock a frame another transaction holds. */
  TX_CONFLICT(31, "transaction conflict"),
  /** A root name is empty, too long or has characters outside the allowed set. */
  ROOT_NAME_INVALID(33, "invalid root name"),
  /** The root directory has no free slot. */
  ROOT_DIRECTORY_FULL(34, "root directory full"),
  /** A redo-log record could not be replayed. */
  RECOVERY_FAILED(41, "recovery failed"),
  /** An I/O call (open, map, force, truncate, lock) failed. */
  IO_ERROR(50, "I/O error"),
  /** The medium reports an unreadable block or range. */
  MEDIA_ERROR(51, "media error"),
  /** A write was attempted on a region or medium opened read-only. */
  READ_ONLY(52, "read-only"),
  /** A requested persistence (mapping) mode is not available. */
  MAPPING_MODE_UNSUPPORTED(53, "mapping mode unsupported");

  private final int number;
  private final String description;

  ErrorCode(int number, String description) {
    this.number = number;
    this.description = description;
  }

  /** The stable id, {@code NV-001} style. */
  public String id() {
    return String.format("NV-%03d", number);
  }

  /** The stable number behind {@link #id()}. */
  public int number() {
    return number;
  }

  /** One line saying what the code means. */
  public String description() {
    return description;
  }
}
