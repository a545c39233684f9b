package io.nvframe.redo;

import java.util.Arrays;

/**
 * The ranges of a {@link WriteSet}: start offsets in a sorted {@code long[]}; the bytes of range
 * {@code i} are {@code arena()[at(i), at(i) + length(i))}. The arena is append-only until {@link
 * #clear()}: cutting a range only changes its {@code at} and {@code length}, so no write copies
 * bytes already stored, and a reused map allocates nothing once its arrays have grown. Lookups are
 * binary searches; an insert shifts the tail (large write sets are mostly written in ascending
 * order, which appends). Not thread-safe.
 */
final class RangeMap extends LinePadding {
  /**
   * An arena up to this size is always kept at {@link #clear()}. A larger one is kept while the
   * transaction being cleared used more than a quarter of it (a thread that repeats large
   * transactions does not regrow and zero it each time) and dropped otherwise (one large transaction
   * does not pin its arena for the small ones after it).
   */
  private static final int KEEP_ARENA = 1 << 20;

  private long[] starts = new long[16];
  private int[] at = new int[16];
  private int[] length = new int[16];
  private int size;
  private byte[] arena = new byte[256];
  private int used;

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  long start(int i) {
    return starts[i];
  }

  int at(int i) {
    return at[i];
  }

  int length(int i) {
    return length[i];
  }

  /** The bytes of every range (see the class comment); valid until the next {@link #allocate}. */
  byte[] arena() {
    return arena;
  }

  /** Reserves {@code n} bytes of arena and returns where they start. */
  int allocate(int n) {
    if (n > arena.length - used) {
      long want = Math.max((long) used + n, Math.min((long) arena.length * 2, Integer.MAX_VALUE - 16));
      if (want > Integer.MAX_VALUE - 16) {
        throw new IllegalStateException("a write set holds at most " + (Integer.MAX_VALUE - 16) + " bytes of changes");
      }
      arena = Arrays.copyOf(arena, (int) want);
    }
    int a = used;
    used += n;
    return a;
  }

  /** Narrows range {@code i} to its first {@code n} bytes. */
  void truncate(int i, int n) {
    length[i] = n;
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
    if (size == 0 || starts[size - 1] < key) {
      return size;
    }
    int i = Arrays.binarySearch(starts, 0, size, key);
    return i >= 0 ? i : -i - 1;
  }

  /** Stores the range {@code [key, key + n)} with bytes at arena offset {@code a}. */
  void put(long key, int a, int n) {
    int i = ceiling(key);
    if (i < size && starts[i] == key) {
      at[i] = a;
      length[i] = n;
      return;
    }
    if (size == starts.length) {
      starts = Arrays.copyOf(starts, size * 2);
      at = Arrays.copyOf(at, size * 2);
      length = Arrays.copyOf(length, size * 2);
    }
    System.arraycopy(starts, i, starts, i + 1, size - i);
    System.arraycopy(at, i, at, i + 1, size - i);
    System.arraycopy(length, i, length, i + 1, size - i);
    starts[i] = key;
    at[i] = a;
    length[i] = n;
    size++;
  }

  /** Removes the ranges with index in {@code [from, to)}. */
  void remove(int from, int to) {
    if (from >= to) {
      return;
    }
    System.arraycopy(starts, to, starts, from, size - to);
    System.arraycopy(at, to, at, from, size - to);
    System.arraycopy(length, to, length, from, size - to);
    size -= to - from;
  }

  void clear() {
    size = 0;
    if (arena.length > KEEP_ARENA && used <= arena.length / 4) {
      arena = new byte[256];
    }
    used = 0;
  }
}
