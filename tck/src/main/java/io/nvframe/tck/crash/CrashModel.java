package io.nvframe.tck.crash;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The persistency model over a recorded trace: walks the events and produces the {@link
 * CrashPoint}s with, for every dirty line, the contents it may hold after a crash.
 *
 * <p>Per line {@code L} it keeps the atomic units stored to {@code L} in trace order ({@code
 * issued_L}) and how many of them are durable ({@code durable_L}). A flush by thread {@code t}
 * remembers {@code issued_L} for the lines it covers; a fence by {@code t} raises {@code durable_L}
 * to the remembered counts. Between two fences {@code durable_L} is constant and {@code issued_L}
 * only grows, so every image possible at some event is also possible just before the next fence:
 * crash points just before each fence and at the end of the trace are complete.
 *
 * <p>Candidates per dirty line: {@link PersistencyMode#X86} and {@link PersistencyMode#BLOCK} —
 * each prefix of the pending units, where a run of units of one bulk write is unordered (all its
 * subsets up to {@value #ALL_SUBSETS_UP_TO} units, beyond that prefixes, suffixes, singles and
 * all-but-one); {@link PersistencyMode#NO_SAME_LINE_ORDER} — subsets of all pending units under the
 * same bound; {@link PersistencyMode#EADR} — no dirty lines, one point per unit boundary.
 */
public final class CrashModel {
  /** Unordered units up to this count get every subset; beyond it a bounded family. */
  public static final int ALL_SUBSETS_UP_TO = 6;

  private final byte[] initial;
  private final List<TraceEvent> trace;
  private final PersistencyMode mode;
  private final int lineSize;
  private final int unitSize;

  /** One atomic piece of a store, within one line. */
  record Unit(int traceIndex, int group, long offset, byte[] bytes) {
    int offsetInLine(int lineSize) {
      return (int) (offset % lineSize);
    }
  }

  /** A model over {@code trace} starting from {@code initial} ({@code lineSize}: 64, or the block size). */
  public CrashModel(byte[] initial, List<TraceEvent> trace, PersistencyMode mode, int lineSize) {
    this.initial = Objects.requireNonNull(initial, "initial");
    this.trace = List.copyOf(trace);
    this.mode = Objects.requireNonNull(mode, "mode");
    if (lineSize <= 0 || Integer.bitCount(lineSize) != 1) {
      throw new IllegalArgumentException("line size must be a power of two, got " + lineSize);
    }
    this.lineSize = lineSize;
    this.unitSize = mode == PersistencyMode.BLOCK ? lineSize : Math.min(8, lineSize);
  }

  /** The line size of this model. */
  public int lineSize() {
    return lineSize;
  }

  /** The trace. */
  public List<TraceEvent> trace() {
    return trace;
  }

  /** Splits a store into units: aligned {@code unitSize} pieces, never crossing a line. */
  List<Unit> units(TraceEvent e) {
    List<Unit> out = new ArrayList<>();
    long pos = e.offset();
    long end = e.offset() + e.length();
    while (pos < end) {
      long next = Math.min(end, (pos / unitSize + 1) * unitSize);
      byte[] b = new byte[(int) (next - pos)];
      System.arraycopy(e.bytes(), (int) (pos - e.offset()), b, 0, b.length);
      out.add(new Unit(e.index(), e.atomic() ? -1 : e.group(), pos, b));
      pos = next;
    }
    return out;
  }

  /**
   * Calls {@code visitor} for every crash point in order. The durable array of a point is updated
   * in place after the visit returns.
   */
  public void forEachPoint(Consumer<CrashPoint> visitor) {
    byte[] durable = initial.clone();
    if (mode == PersistencyMode.EADR) {
      int ordinal = 0;
      for (TraceEvent e : trace) {
        if (e.kind() != TraceEvent.Kind.STORE) {
          continue;
        }
        for (Unit u : units(e)) {
          visitor.accept(new CrashPoint(ordinal++, e.index(), durable, List.of()));
          System.arraycopy(u.bytes(), 0, durable, (int) u.offset(), u.bytes().length);
        }
      }
      visitor.accept(new CrashPoint(ordinal, trace.size(), durable, List.of()));
      return;
    }
    Map<Long, List<Unit>> units = new HashMap<>();
    Map<Long, Integer> durableCount = new HashMap<>();
    TreeMap<Long, Boolean> dirty = new TreeMap<>();
    Map<Long, Map<Long, Integer>> marks = new HashMap<>();
    int ordinal = 0;
    for (TraceEvent e : trace) {
      switch (e.kind()) {
        case STORE -> {
          for (Unit u : units(e)) {
            long line = u.offset() / lineSize;
            units.computeIfAbsent(line, k -> new ArrayList<>()).add(u);
            dirty.put(line, Boolean.TRUE);
          }
        }
        case FLUSH -> {
          if (e.length() > 0) {
            Map<Long, Integer> m = marks.computeIfAbsent(e.thread(), k -> new HashMap<>());
            for (long l = e.offset() / lineSize; l <= (e.offset() + e.length() - 1) / lineSize; l++) {
              List<Unit> us = units.get(l);
              if (us != null) {
                m.merge(l, us.size(), Math::max);
              }
            }
          }
        }
        case FENCE -> {
          visitor.accept(point(ordinal++, e.index(), durable, dirty, units, durableCount));
          Map<Long, Integer> m = marks.remove(e.thread());
          if (m != null) {
            for (Map.Entry<Long, Integer> me : m.entrySet()) {
              long line = me.getKey();
              int from = durableCount.getOrDefault(line, 0);
              int to = me.getValue();
              if (to > from) {
                List<Unit> us = units.get(line);
                for (int i = from; i < to; i++) {
                  Unit u = us.get(i);
                  System.arraycopy(u.bytes(), 0, durable, (int) u.offset(), u.bytes().length);
                }
                durableCount.put(line, to);
                if (to == us.size()) {
                  dirty.remove(line);
                }
              }
            }
          }
        }
        default -> {
          // markers do not change what is durable
        }
      }
    }
    visitor.accept(point(ordinal, trace.size(), durable, dirty, units, durableCount));
  }

  private CrashPoint point(int ordinal, int index, byte[] durable, TreeMap<Long, Boolean> dirty,
      Map<Long, List<Unit>> units, Map<Long, Integer> durableCount) {
    List<CrashPoint.DirtyLine> lines = new ArrayList<>(dirty.size());
    for (long line : dirty.keySet()) {
      List<Unit> us = units.get(line);
      List<Unit> pending = us.subList(durableCount.getOrDefault(line, 0), us.size());
      CrashPoint.DirtyLine d = candidates(line, durable, pending);
      if (d.candidates().size() > 1) { // stores that rewrote the same bytes leave nothing to choose
        lines.add(d);
      }
    }
    return new CrashPoint(ordinal, index, durable, List.copyOf(lines));
  }

  private CrashPoint.DirtyLine candidates(long line, byte[] durable, List<Unit> pending) {
    int start = (int) (line * lineSize);
    int len = Math.min(lineSize, durable.length - start);
    byte[] base = new byte[len];
    System.arraycopy(durable, start, base, 0, len);
    List<boolean[]> subsets = new ArrayList<>();
    int n = pending.size();
    if (mode == PersistencyMode.NO_SAME_LINE_ORDER) {
      addFamily(subsets, n, 0, n);
    } else {
      // segments: single ordered units, or runs of one bulk write (unordered among themselves)
      int i = 0;
      while (i < n) {
        int j = i + 1;
        if (pending.get(i).group() >= 0) {
          while (j < n && pending.get(j).group() == pending.get(i).group()) {
            j++;
          }
        }
        addFamily(subsets, n, i, j);
        i = j;
      }
      boolean[] all = new boolean[n];
      java.util.Arrays.fill(all, true);
      subsets.add(all);
    }
    List<byte[]> contents = new ArrayList<>();
    List<int[]> stores = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    contents.add(base);
    stores.add(new int[0]);
    seen.add(java.util.HexFormat.of().formatHex(base));
    byte[] fullContent = null;
    int[] fullStores = null;
    for (boolean[] s : subsets) {
      byte[] c = base.clone();
      List<Integer> idx = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        if (s[k]) {
          Unit u = pending.get(k);
          System.arraycopy(u.bytes(), 0, c, u.offsetInLine(lineSize), u.bytes().length);
          if (idx.isEmpty() || idx.get(idx.size() - 1) != u.traceIndex()) {
            idx.add(u.traceIndex());
          }
        }
      }
      int[] ids = idx.stream().mapToInt(Integer::intValue).toArray();
      boolean full = allTrue(s);
      if (full) {
        fullContent = c;
        fullStores = ids;
      }
      if (seen.add(java.util.HexFormat.of().formatHex(c))) {
        contents.add(c);
        stores.add(ids);
      }
    }
    // keep "everything issued" last
    if (fullContent != null) {
      for (int k = 0; k < contents.size(); k++) {
        if (java.util.Arrays.equals(contents.get(k), fullContent)) {
          contents.remove(k);
          stores.remove(k);
          break;
        }
      }
      contents.add(fullContent);
      stores.add(fullStores);
    }
    return new CrashPoint.DirtyLine(line, List.copyOf(contents), List.copyOf(stores));
  }

  private static boolean allTrue(boolean[] s) {
    for (boolean b : s) {
      if (!b) {
        return false;
      }
    }
    return true;
  }

  /**
   * Adds subsets where units {@code [0, from)} are in, {@code [to, n)} out, and {@code [from, to)}
   * any subset (all subsets when few, else a bounded family).
   */
  private static void addFamily(List<boolean[]> out, int n, int from, int to) {
    int k = to - from;
    List<boolean[]> inner = new ArrayList<>();
    if (k <= ALL_SUBSETS_UP_TO) {
      for (int mask = 0; mask < (1 << k); mask++) {
        boolean[] s = new boolean[k];
        for (int b = 0; b < k; b++) {
          s[b] = (mask & (1 << b)) != 0;
        }
        inner.add(s);
      }
    } else {
      for (int p = 0; p <= k; p++) {
        boolean[] prefix = new boolean[k];
        boolean[] suffix = new boolean[k];
        for (int b = 0; b < k; b++) {
          prefix[b] = b < p;
          suffix[b] = b >= k - p;
        }
        inner.add(prefix);
        inner.add(suffix);
      }
      for (int b = 0; b < k; b++) {
        boolean[] single = new boolean[k];
        single[b] = true;
        boolean[] allBut = new boolean[k];
        java.util.Arrays.fill(allBut, true);
        allBut[b] = false;
        inner.add(single);
        inner.add(allBut);
      }
    }
    for (boolean[] s : inner) {
      boolean[] full = new boolean[n];
      for (int b = 0; b < from; b++) {
        full[b] = true;
      }
      System.arraycopy(s, 0, full, from, k);
      out.add(full);
    }
  }
}
