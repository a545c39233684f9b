package io.nvframe.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * The fields of a {@link LongMap}, between {@link LinePadding} and the map's 64 bytes after them
 * (a transaction's maps are written by every transaction of its thread).
 */
abstract class LongMapFields extends LinePadding {
  /** Unused entries on either side of the entries of {@link #keys} and of {@link #values}: 64 bytes or more. */
  static final int KEY_PAD = 8;
  static final int VALUE_PAD = 16;

  /** Entry i is {@code keys[KEY_PAD + i]} to {@code values[VALUE_PAD + i]}, for i below {@link #size}. */
  long[] keys = new long[KEY_PAD + LongMap.LINEAR_MAX + KEY_PAD];
  Object[] values = new Object[VALUE_PAD + LongMap.LINEAR_MAX + VALUE_PAD];
  int size;
  /** slot -> entry index + 1 (0 = empty slot); describes entries {@code [0, indexed)}. */
  int[] index;
  int indexed;
}

/**
 * An insertion-ordered map from {@code long} keys to values for the few frames one transaction
 * touches. Entries live in dense arrays ({@link #key}, {@link #value}, in insertion order). Up to
 * {@value #LINEAR_MAX} entries a lookup scans the keys; beyond that an open-addressing index
 * (linear probing, {@code slot -> entry + 1}, load at most 1/2) is built and then extended as
 * entries are added. There is no single-entry removal; {@link #clear} forgets everything and
 * keeps the arrays for the next transaction. Not thread-safe.
 */
final class LongMap<V> extends LongMapFields {
  /** Lookups scan the keys while the map holds at most this many entries. */
  static final int LINEAR_MAX = 8;

  @SuppressWarnings("unused")
  private long q0, q1, q2, q3, q4, q5, q6, q7;

  int size() {
    return size;
  }

  long key(int i) {
    Objects.checkIndex(i, size);
    return keys[KEY_PAD + i];
  }

  @SuppressWarnings("unchecked")
  V value(int i) {
    Objects.checkIndex(i, size);
    return (V) values[VALUE_PAD + i];
  }

  boolean containsKey(long key) {
    return find(key) >= 0;
  }

  /** The value of {@code key}, or null when absent (or mapped to null). */
  @SuppressWarnings("unchecked")
  V get(long key) {
    int i = find(key);
    return i < 0 ? null : (V) values[VALUE_PAD + i];
  }

  /** Maps {@code key} to {@code value}, replacing the value of a present key in place. */
  void put(long key, V value) {
    int i = find(key);
    if (i >= 0) {
      values[VALUE_PAD + i] = value;
      return;
    }
    if (KEY_PAD + size == keys.length - KEY_PAD) {
      keys = Arrays.copyOf(keys, KEY_PAD + 2 * size + KEY_PAD);
      values = Arrays.copyOf(values, VALUE_PAD + 2 * size + VALUE_PAD);
    }
    keys[KEY_PAD + size] = key;
    values[VALUE_PAD + size] = value;
    size++;
  }

  /** Forgets every entry; keeps the arrays. */
  void clear() {
    if (size == 0) {
      return; // nothing was added, so nothing was indexed
    }
    Arrays.fill(values, VALUE_PAD, VALUE_PAD + size, null);
    size = 0;
    if (indexed > 0) {
      Arrays.fill(index, 0);
      indexed = 0;
    }
  }

  private int find(long key) {
    if (size <= LINEAR_MAX) {
      for (int i = 0; i < size; i++) {
        if (keys[KEY_PAD + i] == key) {
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
      if (keys[KEY_PAD + e - 1] == key) {
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
      int slot = hash(keys[KEY_PAD + indexed]) & mask;
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
