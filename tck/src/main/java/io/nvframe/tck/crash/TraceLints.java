package io.nvframe.tck.crash;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lints over one recorded trace, without enumerating images (pmemcheck / Agamotto style).
 *
 * <p>Correctness (each a failure):
 *
 * <ul>
 *   <li>{@link #MISSING_PERSIST}: at an operation's {@code durable} marker, a store the operation's
 *       thread issued since its {@code begin} marker is not durable (not flushed, or flushed but not
 *       fenced), unless the scenario declares its range {@link DeferredStores deferred};
 *   <li>{@link #COMMIT_BEFORE_DATA}: an atomic store to a declared commit word while an earlier
 *       non-commit store of the same thread and operation is not yet durable (the data the commit
 *       word publishes must be flushed and fenced first). Bulk writes never count as commit stores.
 * </ul>
 *
 * <p>Reads of non-durable lines during recovery are checked per crash point by the simulator
 * ({@link #UNPERSISTED_READ}).
 *
 * <p>Performance (counted, reported): {@link #CLEAN_FLUSH} (a flushed line with no store since its
 * previous flush), {@link #DOUBLE_FLUSH} (a line flushed twice by one thread between two of its
 * fences), {@link #EMPTY_FENCE} (a fence with no flush since the thread's previous fence), {@link
 * #MULTI_STORE} (a second store to one 8-byte word between two fences of the storing thread while
 * the first is not durable).
 */
public final class TraceLints {
  /** Correctness lint: store of an operation not durable at its durable marker. */
  public static final String MISSING_PERSIST = "store not durable at its operation's durable marker";
  /** Correctness lint: commit word stored before the data it publishes is durable. */
  public static final String COMMIT_BEFORE_DATA = "commit word stored before its data was durable";
  /** Correctness lint: recovery read a line whose content is not guaranteed durable. */
  public static final String UNPERSISTED_READ = "recovery read a line that is not durable";
  /** Performance lint. */
  public static final String CLEAN_FLUSH = "flush of a clean line";
  /** Performance lint. */
  public static final String DOUBLE_FLUSH = "line flushed twice in one epoch";
  /** Performance lint. */
  public static final String EMPTY_FENCE = "fence with nothing pending";
  /** Performance lint. */
  public static final String MULTI_STORE = "two stores to one word in one epoch";

  /** Decides which stores are commit words. */
  @FunctionalInterface
  public interface CommitWords {
    /** Whether the atomic store {@code [offset, offset + length)} writes a commit word. */
    boolean isCommitWord(long offset, long length);

    /** No commit words. */
    static CommitWords none() {
      return (o, l) -> false;
    }
  }

  /**
   * Result of the lints.
   *
   * @param violations correctness findings, each naming the lint, the store and its operation
   * @param performance performance lint name to count
   */
  public record Result(List<String> violations, Map<String, Long> performance) {
    /** The violations whose text starts with {@code lint}. */
    public long count(String lint) {
      return violations.stream().filter(v -> v.startsWith(lint)).count();
    }
  }

  private TraceLints() {}

  /**
   * Decides which stores a protocol makes durable later on purpose (for example the redo log's
   * deferred invalidation, log-redo/README.md): they are exempt from {@link #MISSING_PERSIST}; the
   * crash images still check what their late durability means.
   */
  @FunctionalInterface
  public interface DeferredStores {
    /** Whether the store {@code [offset, offset + length)} may stay non-durable after its operation. */
    boolean isDeferred(long offset, long length);

    /** None: every store must be durable at its operation's durable marker. */
    static DeferredStores none() {
      return (o, l) -> false;
    }
  }

  /** Runs every trace lint over {@code trace} with lines of {@code lineSize} bytes. */
  public static Result run(List<TraceEvent> trace, int lineSize, CommitWords commitWords) {
    return run(trace, lineSize, commitWords, DeferredStores.none());
  }

  /** Runs every trace lint; stores that {@code deferred} accepts need not be durable at their operation's end. */
  public static Result run(
      List<TraceEvent> trace, int lineSize, CommitWords commitWords, DeferredStores deferred) {
    List<String> violations = new ArrayList<>();
    Map<String, Long> perf = new LinkedHashMap<>();
    perf.put(CLEAN_FLUSH, 0L);
    perf.put(DOUBLE_FLUSH, 0L);
    perf.put(EMPTY_FENCE, 0L);
    perf.put(MULTI_STORE, 0L);
    // per line: stores issued, stores durable, stores at the last flush
    Map<Long, int[]> lines = new HashMap<>();
    Map<Long, Map<Long, Integer>> marks = new HashMap<>();
    Map<Long, Set<Long>> flushedThisEpoch = new HashMap<>();
    Map<Long, Set<Long>> wordsThisEpoch = new HashMap<>();
    Map<Long, String> currentOp = new HashMap<>();
    // per thread: stores of the current operation as (event, line, position in line)
    Map<Long, List<long[]>> opStores = new HashMap<>();
    for (TraceEvent e : trace) {
      long t = e.thread();
      switch (e.kind()) {
        case BEGIN -> {
          currentOp.put(t, e.name());
          opStores.put(t, new ArrayList<>());
        }
        case DURABLE -> {
          for (long[] s : opStores.getOrDefault(t, List.of())) {
            TraceEvent store = trace.get((int) s[0]);
            if (lines.get(s[1])[1] <= s[2] && !deferred.isDeferred(store.offset(), store.length())) {
              violations.add(MISSING_PERSIST + ": " + trace.get((int) s[0]) + " of '" + e.name()
                  + "' (line " + s[1] + ") at " + e);
            }
          }
          currentOp.remove(t);
          opStores.remove(t);
        }
        case STORE -> {
          boolean commit = e.atomic() && commitWords.isCommitWord(e.offset(), e.length());
          if (commit) {
            for (long[] s : opStores.getOrDefault(t, List.of())) {
              TraceEvent data = trace.get((int) s[0]);
              boolean dataIsCommit = data.atomic() && commitWords.isCommitWord(data.offset(), data.length());
              if (!dataIsCommit && lines.get(s[1])[1] <= s[2]) {
                violations.add(COMMIT_BEFORE_DATA + ": " + e + " in '" + currentOp.getOrDefault(t, "(no operation)")
                    + "' publishes " + data + " (line " + s[1] + "), which is not durable");
                break;
              }
            }
          }
          Set<Long> words = wordsThisEpoch.computeIfAbsent(t, k -> new HashSet<>());
          for (long w = e.offset() / 8; w <= (e.offset() + e.length() - 1) / 8; w++) {
            if (!words.add(w)) {
              perf.merge(MULTI_STORE, 1L, Long::sum);
            }
          }
          for (long l = e.offset() / lineSize; l <= (e.offset() + e.length() - 1) / lineSize; l++) {
            int[] st = lines.computeIfAbsent(l, k -> new int[3]);
            st[0]++;
            opStores.computeIfAbsent(t, k -> new ArrayList<>()).add(new long[] {e.index(), l, st[0] - 1});
          }
        }
        case FLUSH -> {
          if (e.length() <= 0) {
            break;
          }
          Set<Long> flushed = flushedThisEpoch.computeIfAbsent(t, k -> new HashSet<>());
          Map<Long, Integer> m = marks.computeIfAbsent(t, k -> new HashMap<>());
          for (long l = e.offset() / lineSize; l <= (e.offset() + e.length() - 1) / lineSize; l++) {
            int[] st = lines.computeIfAbsent(l, k -> new int[3]);
            if (!flushed.add(l)) {
              perf.merge(DOUBLE_FLUSH, 1L, Long::sum);
            } else if (st[0] == st[2]) {
              perf.merge(CLEAN_FLUSH, 1L, Long::sum);
            }
            st[2] = st[0];
            m.merge(l, st[0], Math::max);
          }
        }
        case FENCE -> {
          Map<Long, Integer> m = marks.remove(t);
          if (m == null || m.isEmpty()) {
            perf.merge(EMPTY_FENCE, 1L, Long::sum);
          } else {
            m.forEach((l, n) -> {
              int[] st = lines.get(l);
              st[1] = Math.max(st[1], n);
            });
          }
          flushedThisEpoch.remove(t);
          Set<Long> words = wordsThisEpoch.remove(t);
          if (words != null) {
            words.clear();
          }
        }
        case NOTE -> {
          // no effect
        }
      }
    }
    return new Result(List.copyOf(violations), Map.copyOf(perf));
  }
}
