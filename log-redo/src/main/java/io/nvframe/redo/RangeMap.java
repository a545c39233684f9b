package io.nvframe.redo;

import java.util.Arrays;

/** The fields of a {@link RangeMap}, between {@link LinePadding} and the map's padding after them. */
abstract class RangeMapFields extends LinePadding {
  /** Unused entries on either side of each array's entries: 64 bytes of longs, of ints, of bytes. */
  static final int L = 8;
  static final int I = 16;
  static final int B = 64;
  static final int INITIAL = 16;

  long[] starts = new long[L + INITIAL + L];
  int[] at = new int[I + INITIAL + I];
  int[] length = new int[I + INITIAL + I];
  int size;
  byte[] arena = new byte[B + 256 + B];
  /** The next free arena offset (from {@link #B}). */
  int used = B;
}

/**
 * The ranges of a {@link WriteSet}: start offsets in a sorted {@code long[]}; the bytes of range
 * {@code i} are {@code arena()[at(i), at(i) + length(i))}. The arena is append-only until {@link
 * #clear()}: cutting a range only changes its {@code at} and {@code length}, so no write copies
 * bytes already stored, and a reused map allocates nothing once its arrays have grown. Lookups are
 * binary searches; an insert shifts the tail (large write sets are mostly written in ascending
 * order, which appends). Not thread-safe.
 *
 * <p>Padded for a write set rewritten on every commit: 64 bytes before and after the fields
 * ({@link LinePadding}, {@link #q0}), and 64 unused bytes before and after the entries of each
 * array (range i is at index {@code L + i} of the starts and {@code I + i} of the int arrays; arena
 * offsets start at {@code B}), so that no other object's data shares a line with them.
 */
final class RangeMap extends RangeMapFields {
  /**
   * An arena up to this size is always kept at {@link #clear()}. A larger one is kept while the
   * transaction being cleared used more than a quarter of it (a thread that repeats large
   * transactions does not regrow and zero it each time) and dropped otherwise (one large transaction
   * does not pin its arena for the small ones after it).
   */
  private static final int KEEP_ARENA = 1 << 20;
  /** Most bytes of changes one map holds. */
  private static final int MAX_BYTES = Integer.MAX_VALUE - 16 - 2 * B;

  @SuppressWarnings("unused")
  private long q0, q1, q2, q3, q4, q5, q6, q7;

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  long start(int i) {
    return starts[L + i];
  }

  int at(int i) {
    return at[I + i];
  }

  int length(int i) {
    return length[I + i];
  }

  /** The bytes of every range (see the class comment); valid until the next {@link #allocate}. */
  byte[] arena() {
    return arena;
  }

  /** Reserves {@code n} bytes of arena and returns where they start. */
  int allocate(int n) {
    if (n > arena.length - B - used) {
      long want = Math.max((long) used - B + n, Math.min((long) arena.length * 2, MAX_BYTES));
      if (want > MAX_BYTES) {
        throw new IllegalStateException("a write set holds at most " + MAX_BYTES + " bytes of changes");
      }
      arena = Arrays.copyOf(arena, (int) want + 2 * B);
    }
    int a = used;
    used += n;
    return a;
  }

  /** Narrows range {@code i} to its first {@code n} bytes. */
  void truncate(int i, int n) {
    length[I + i] = n;
  }

  /** Index of the last range starting at or before {@code key}, or -1. */
  int floor(long key) {
    if (size > 0 && starts[L + size - 1] <= key) {
      return size - 1; // ascending writes: the common case
    }
    int i = Arrays.binarySearch(starts, L, L + size, key);
    return i >= 0 ? i - L : -i - 2 - L;
  }

  /** Index of the first range starting at or after {@code key} ({@code size()} if none). */
  int ceiling(long key) {
    if (size == 0 || starts[L + size - 1] < key) {
      return size;
    }
    int i = Arrays.binarySearch(starts, L, L + size, key);
    return i >= 0 ? i - L : -i - 1 - L;
  }

  /** Stores the range {@code [key, key + n)} with bytes at arena offset {@code a}. */
  void put(long key, int a, int n) {
    int i = ceiling(key);
    if (i < size && starts[L + i] == key) {
      at[I + i] = a;
      length[I + i] = n;
      return;
    }
    if (L + size == starts.length - L) {
      starts = Arrays.copyOf(starts, L + 2 * size + L);
      at = Arrays.copyOf(at, I + 2 * size + I);
      length = Arrays.copyOf(length, I + 2 * size + I);
    }
    System.arraycopy(starts, L + i, starts, L + i + 1, size - i);
    System.arraycopy(at, I + i, at, I + i + 1, size - i);
    System.arraycopy(length, I + i, length, I + i + 1, size - i);
    starts[L + i] = key;
    at[I + i] = a;
    length[I + i] = n;
    size++;
  }

  /** Removes the ranges with index in {@code [from, to)}. */
  void remove(int from, int to) {
    if (from >= to) {
      return;
    }
    System.arraycopy(starts, L + to, starts, L + from, size - to);
    System.arraycopy(at, I + to, at, I + from, size - to);
    System.arraycopy(length, I + to, length, I + from, size - to);
    size -= to - from;
  }

  void clear() {
    size = 0;
    if (arena.length > KEEP_ARENA && used - B <= (arena.length - 2 * B) / 4) {
      arena = new byte[B + 256 + B];
    }
    used = B;
  }
}
