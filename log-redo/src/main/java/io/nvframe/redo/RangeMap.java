package io.nvframe.redo;

import java.util.Arrays;

/**
 * The ranges of a {@link WriteSet}: start offsets in a sorted {@code long[]} with the bytes of each
 * range in a parallel array. Lookups are binary searches; an insert shifts the tail (write sets are
 * small, and large ones are mostly written in ascending order, which appends). Reused after {@link
 * #clear()} without reallocating. Not thread-safe.
 */
final class RangeMap {
  private long[] starts = new long[16];
  private byte[][] values = new byte[16][];
  private int size;

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  long start(int i) {
    return starts[i];
  }

  byte[] value(int i) {
    return values[i];
  }

  void setValue(int i, byte[] v) {
    values[i] = v;
  }

  /** Index of the last range starting at or before {@code key}, or -1. */
  int floor(long key) {
    if (size > 0 && starts[size - 1] <= key) {
      return size - 1; // ascending writes: the common case
    }
    int i = Arrays.binarySearch(starts, 0, size, key);
    return i >= 0 ? i : -i - 2;
  }

  /** Index of the first range starting at or after {@code key} ({@code size()} if none). */
  int ceiling(long key) {
    int i = Arrays.binarySearch(starts, 0, size, key);
    return i >= 0 ? i : -i - 1;
  }

  /** Stores {@code v} at {@code key}, replacing a range that starts there. */
  void put(long key, byte[] v) {
    int i = ceiling(key);
    if (i < size && starts[i] == key) {
      values[i] = v;
      return;
    }
    if (size == starts.length) {
      starts = Arrays.copyOf(starts, size * 2);
      values = Arrays.copyOf(values, size * 2);
    }
    System.arraycopy(starts, i, starts, i + 1, size - i);
    System.arraycopy(values, i, values, i + 1, size - i);
    starts[i] = key;
    values[i] = v;
    size++;
  }

  /** Removes the ranges with index in {@code [from, to)}. */
  void remove(int from, int to) {
    if (from >= to) {
      return;
    }
    System.arraycopy(starts, to, starts, from, size - to);
    System.arraycopy(values, to, values, from, size - to);
    Arrays.fill(values, size - (to - from), size, null);
    size -= to - from;
  }

  void clear() {
    Arrays.fill(values, 0, size, null);
    size = 0;
  }
}
