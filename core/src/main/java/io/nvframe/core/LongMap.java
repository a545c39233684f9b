package io.nvframe.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * An insertion-ordered map from {@code long} keys to values for the few frames one transaction
 * touches. Entries live in dense arrays ({@link #key}, {@link #value}, in insertion order). Up to
 * {@value #LINEAR_MAX} entries a lookup scans the keys; beyond that an open-addressing index
 * (linear probing, {@code slot -> entry + 1}, load at most 1/2) is built and then extended as
 * entries are added. There is no single-entry removal; {@link #clear} forgets everything and
 * keeps the arrays for the next transaction. Not thread-safe.
 */
final class LongMap<V> {
  /** Lookups scan the keys while the map holds at most this many entries. */
  static final int LINEAR_MAX = 8;

  private long[] keys = new long[LINEAR_MAX];
  private Object[] values = new Object[LINEAR_MAX];
  private int size;
  /** slot -> entry index + 1 (0 = empty slot); describes entries {@code [0, indexed)}. */
  private int[] index;
  private int indexed;

  int size() {
    return size;
  }

  long key(int i) {
    Objects.checkIndex(i, size);
    return keys[i];
  }

  @SuppressWarnings("unchecked")
  V value(int i) {
    Objects.checkIndex(i, size);
    return (V) values[i];
  }

  boolean containsKey(long key) {
    return find(key) >= 0;
  }

  /** The value of {@code key}, or null when absent (or mapped to null). */
  @SuppressWarnings("unchecked")
  V get(long key) {
    int i = find(key);
    return i < 0 ? null : (V) values[i];
  }

  /** Maps {@code key} to {@code value}, replacing the value of a present key in place. */
  void put(long key, V value) {
    int i = find(key);
    if (i >= 0) {
      values[i] = value;
      return;
    }
    if (size == keys.length) {
      keys = Arrays.copyOf(keys, size * 2);
      values = Arrays.copyOf(values, size * 2);
    }
    keys[size] = key;
    values[size] = value;
    size++;
  }

  /** Forgets every entry; keeps the arrays. */
  void clear() {
    if (size == 0) {
      return; // nothing was added, so nothing was indexed
    }
    Arrays.fill(values, 0, size, null);
    size = 0;
    if (indexed > 0) {
      Arrays.fill(index, 0);
      indexed = 0;
    }
  }

  private int find(long key) {
    if (size <= LINEAR_MAX) {
      for (int i = 0; i < size; i++) {
        if (keys[i] == key) {
          return i;
        }
      }
      return -1;
    }
    int[] table = indexAll();
    int mask = table.length - 1;
    for (int slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
      int e = table[slot];
      if (e == 0) {
        return -1;
      }
      if (keys[e - 1] == key) {
        return e - 1;
      }
    }
  }

  /** Brings the index up to date with every entry, growing it to keep the load at most 1/2. */
  private int[] indexAll() {
    if (index == null || index.length < 2 * size) {
      index = new int[Integer.highestOneBit(Math.max(2 * LINEAR_MAX, size) * 4 - 1)];
      indexed = 0;
    }
    int[] table = index;
    int mask = table.length - 1;
    for (; indexed < size; indexed++) {
      int slot = hash(keys[indexed]) & mask;
      while (table[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      table[slot] = indexed + 1;
    }
    return table;
  }

  private static int hash(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32));
  }
}
