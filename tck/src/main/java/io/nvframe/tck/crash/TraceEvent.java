package io.nvframe.tck.crash;

/**
 * One recorded event of a {@link RecordingMedium}.
 *
 * @param index position in the trace (0-based)
 * @param kind what happened
 * @param thread id of the thread that did it
 * @param offset first byte (stores, flushes, reads); -1 otherwise
 * @param length bytes covered (stores, flushes, reads); 0 otherwise
 * @param bytes the stored bytes (stores only, else null)
 * @param atomic for stores: whether it was an atomic 8- or 4-byte store (a commit word candidate),
 *     false for bulk writes
 * @param group for bulk writes: an id shared by the units of this one write (mutually unordered),
 *     else -1
 * @param name for markers: the operation's name, else null
 */
public record TraceEvent(
    int index, Kind kind, long thread, long offset, long length, byte[] bytes, boolean atomic, int group,
    String name) {
  /** Event kinds. */
  public enum Kind {
    /** A store of {@code bytes} at {@code offset}. */
    STORE,
    /** A flush of {@code [offset, offset + length)}. */
    FLUSH,
    /** A fence of thread {@code thread}. */
    FENCE,
    /** An operation named {@code name} begins (nothing of it has been stored yet). */
    BEGIN,
    /** The operation named {@code name} returned: it must be durable from here on. */
    DURABLE,
    /** A free-form note (shown in failure reports). */
    NOTE
  }

  /** True for {@link Kind#BEGIN}, {@link Kind#DURABLE} and {@link Kind#NOTE}. */
  public boolean isMarker() {
    return kind == Kind.BEGIN || kind == Kind.DURABLE || kind == Kind.NOTE;
  }

  @Override
  public String toString() {
    return switch (kind) {
      case STORE -> "#" + index + " store" + (atomic ? "" : " (bulk)") + " [" + offset + ", +" + length + ")";
      case FLUSH -> "#" + index + " flush [" + offset + ", +" + length + ")";
      case FENCE -> "#" + index + " fence (thread " + thread + ")";
      case BEGIN -> "#" + index + " begin '" + name + "'";
      case DURABLE -> "#" + index + " durable '" + name + "'";
      case NOTE -> "#" + index + " note '" + name + "'";
    };
  }
}
