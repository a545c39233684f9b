package io.nvframe.examples.sortedmap;

import java.util.Comparator;

/**
 * Turns keys or values into bytes and back. For keys the encoding defines the map's order: {@link
 * BTreeMap} compares encoded keys as unsigned bytes, lexicographically, so {@link #comparator()}
 * must order objects exactly as their encodings are ordered.
 *
 * @param <T> the Java type
 */
public interface Codec<T> {
  /** Recorded in the map's metadata frame; reopening with a codec of another name fails. */
  String name();

  /** The Java type, for checks of arguments whose type is not known statically. */
  Class<T> type();

  /** The bytes stored for {@code value} (never null; the caller rejects null). */
  byte[] encode(T value);

  /** The object for stored bytes; must neither keep nor modify {@code bytes} (the tree shares it). */
  T decode(byte[] bytes);

  /** Orders objects as their encodings are ordered (unsigned lexicographic). */
  Comparator<T> comparator();
}
