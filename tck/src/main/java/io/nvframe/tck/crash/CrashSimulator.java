package io.nvframe.tck.crash;

import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * Runs a {@link CrashScenario}: records it once on a {@link RecordingMedium}, runs the {@link
 * TraceLints}, then for every {@link CrashPoint} of the {@link CrashModel} recovers crash images
 * ({@link ImageMedium} overlays on the durable image) and checks each:
 *
 * <ol>
 *   <li>recovery does not throw (except what the scenario declares unrecoverable);
 *   <li>the scenario's invariants hold;
 *   <li>the oracle: observed state is the one after the durable operations, or after one more if
 *       it was in flight; custom oracles get every operation's status;
 *   <li>idempotence: recovering the recovered image again observes the same state and changes no
 *       byte;
 *   <li>on every {@code nestedEvery}-th image, recovery is itself recorded and crashed at its own
 *       crash points, and recovering those images gives the same observed state;
 *   <li>on the first image of every point, reads by recovery of bytes that are not durable at the
 *       crash point (and not declared tolerated) fail the unpersisted-read lint.
 * </ol>
 *
 * The first failure is thrown as a {@link CrashFailure}.
 */
public final class CrashSimulator {
  private CrashSimulator() {}

  /** Simulates {@code scenario} under {@code options}; throws {@link CrashFailure} on the first failure. */
  public static <R> CrashReport run(CrashScenario<R> scenario, CrashOptions options) {
    return new Run<>(scenario, options).execute();
  }

  /**
   * One dynamic test per scenario, each handing its report to {@code reports} (e.g. to add up the
   * figures of a suite).
   */
  public static Stream<DynamicTest> tests(CrashOptions options, Consumer<CrashReport> reports,
      List<? extends CrashScenario<?>> scenarios) {
    return scenarios.stream().map(s -> DynamicTest.dynamicTest(s.name() + " [" + options.strategy() + "/"
        + options.mode() + "]", () -> reports.accept(run(s, options))));
  }

  /** The observed state of an image whose recovery fails in a declared way. */
  static final String UNRECOVERABLE = "(declared unrecoverable)";

  private static final class Run<R> {
    final CrashScenario<R> s;
    final CrashOptions o;
    int lineSize;
    List<TraceEvent> trace;
    final List<String> ops = new ArrayList<>();
    final List<byte[]> snapshots = new ArrayList<>();
    final Map<String, Integer> beginAt = new HashMap<>();
    final Map<String, Integer> durableAt = new HashMap<>();
    String[] opOfEvent;
    Object[] states;
    long points;
    long images;
    long nestedImages;
    long unrecoverable;

    Run(CrashScenario<R> s, CrashOptions o) {
      this.s = s;
      this.o = Objects.requireNonNull(o, "options");
    }

    CrashReport execute() {
      long start = System.nanoTime();
      Medium medium = s.medium.get();
      lineSize = s.lineSize > 0 ? s.lineSize : medium.flushGranularity();
      RecordingMedium rec = new RecordingMedium(medium);
      byte[] initial = rec.initialImage();
      Set<String> names = new HashSet<>();
      try {
        // a concurrent driver runs operations on several threads: the bookkeeping below is
        // serialised on `names` (the medium's recording is synchronized by itself)
        s.driver.run(rec, (name, body) -> {
          synchronized (names) {
            if (!names.add(name)) {
              throw new IllegalArgumentException("operation name '" + name + "' used twice in scenario '" + s.name + "'");
            }
          }
          rec.begin(name);
          try {
            body.run();
          } catch (RuntimeException | Error e) {
            throw e;
          } catch (Exception e) {
            throw new IllegalStateException("operation '" + name + "' failed", e);
          }
          rec.durable(name);
          byte[] snap = new byte[(int) medium.size()];
          synchronized (names) {
            medium.read(0, snap, 0, snap.length);
            ops.add(name);
            snapshots.add(snap);
          }
        });
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("the driver of scenario '" + s.name + "' failed", e);
      }
      rec.stop();
      trace = rec.trace();
      indexTrace();
      TraceLints.Result lints = TraceLints.run(trace, lineSize, s.commitWords, s.deferredStores);
      if (!lints.violations().isEmpty()) {
        throw new CrashFailure("crash simulation of '" + s.name + "': correctness lints failed (seed " + o.seed()
            + "):\n  " + String.join("\n  ", lints.violations()), -1, o.seed(), "lint", null);
      }
      if (s.observe != null) {
        states = new Object[ops.size() + 1];
        states[0] = observeClean(initial, "the initial state");
        for (int k = 0; k < ops.size(); k++) {
          states[k + 1] = observeClean(snapshots.get(k), "the state after '" + ops.get(k) + "'");
        }
      }
      snapshots.clear();
      CrashModel model = new CrashModel(initial, trace, o.mode(), lineSize);
      model.forEachPoint(p -> {
        if (o.onlyPoint() >= 0 && p.ordinal() != o.onlyPoint()) {
          return;
        }
        points++;
        if (o.strategy() == CrashOptions.Strategy.LAZY) {
          lazy(p);
        } else {
          eager(p);
        }
      });
      return new CrashReport(s.name, points, images, nestedImages, unrecoverable, System.nanoTime() - start, lints, o);
    }

    private void indexTrace() {
      opOfEvent = new String[trace.size()];
      Map<Long, String> current = new HashMap<>();
      for (TraceEvent e : trace) {
        switch (e.kind()) {
          case BEGIN -> {
            current.put(e.thread(), e.name());
            beginAt.put(e.name(), e.index());
          }
          case DURABLE -> {
            current.remove(e.thread());
            durableAt.put(e.name(), e.index());
          }
          default -> opOfEvent[e.index()] = current.get(e.thread());
        }
      }
    }

    private Object observeClean(byte[] image, String what) {
      ImageMedium m = new ImageMedium(image, lineSize);
      R r;
      try {
        r = s.recovery.recover(m);
      } catch (Exception | Error e) {
        if (s.unrecoverable.test(e)) {
          return UNRECOVERABLE; // e.g. before the operation that creates the structure
        }
        throw new IllegalStateException("scenario '" + s.name + "': recovery of " + what + " (no crash) failed", e);
      }
      try {
        s.invariants.accept(r);
        return s.observe.apply(r);
      } finally {
        s.close.accept(r);
      }
    }

    // ---- eager

    private void eager(CrashPoint p) {
      List<CrashPoint.DirtyLine> d = p.dirty();
      long n = p.imageCount();
      boolean first = true;
      if (n <= o.cap()) {
        int[] a = new int[d.size()];
        for (long i = 0; i < n; i++) {
          check(p, a.clone(), first);
          first = false;
          for (int k = 0; k < a.length; k++) {
            if (++a[k] < d.get(k).candidates().size()) {
              break;
            }
            a[k] = 0;
          }
        }
        return;
      }
      LinkedHashSet<List<Integer>> set = new LinkedHashSet<>();
      int lines = d.size();
      int[] min = new int[lines];
      int[] max = new int[lines];
      for (int k = 0; k < lines; k++) {
        max[k] = d.get(k).candidates().size() - 1;
      }
      set.add(asList(min));
      set.add(asList(max));
      for (int k = 0; k < lines; k++) {
        for (int c = 0; c <= max[k]; c++) {
          int[] a = min.clone();
          a[k] = c;
          set.add(asList(a));
          int[] b = max.clone();
          b[k] = c;
          set.add(asList(b));
        }
      }
      for (int i = 0; i < lines; i++) {
        for (int j = i + 1; j < lines && (lines <= 64 || j == i + 1); j++) {
          for (int mask = 0; mask < 4; mask++) {
            int[] a = min.clone();
            a[i] = (mask & 1) == 0 ? 0 : max[i];
            a[j] = (mask & 2) == 0 ? 0 : max[j];
            set.add(asList(a));
          }
        }
      }
      Random rnd = random(p);
      for (int r = 0; r < o.randomImages(); r++) {
        int[] a = new int[lines];
        for (int k = 0; k < lines; k++) {
          a[k] = rnd.nextInt(max[k] + 1);
        }
        set.add(asList(a));
      }
      for (List<Integer> a : set) {
        check(p, a.stream().mapToInt(Integer::intValue).toArray(), first);
        first = false;
      }
    }

    private Random random(CrashPoint p) {
      return new Random(o.seed() * 0x9E3779B97F4A7C15L + p.ordinal());
    }

    private static List<Integer> asList(int[] a) {
      return Arrays.stream(a).boxed().toList();
    }

    private void check(CrashPoint p, int[] assignment, boolean lint) {
      ImageMedium img = new ImageMedium(p.durable(), lineSize);
      for (int k = 0; k < assignment.length; k++) {
        if (assignment[k] != 0) {
          CrashPoint.DirtyLine dl = p.dirty().get(k);
          img.setLine(dl.line(), dl.candidates().get(assignment[k]));
        }
      }
      verify(p, img, assignment, lint);
    }

    // ---- lazy

    private void lazy(CrashPoint p) {
      List<CrashPoint.DirtyLine> d = p.dirty();
      Map<Long, Integer> index = new HashMap<>();
      for (int k = 0; k < d.size(); k++) {
        index.put(d.get(k).line(), k);
      }
      List<int[]> stack = new ArrayList<>(); // {dirty line index, chosen, candidates}
      Random rnd = random(p);
      int runs = 0;
      int randomRuns = 0;
      boolean randomMode = false;
      while (true) {
        int[] depth = {0};
        int[] assignment = new int[d.size()];
        Arrays.fill(assignment, -1);
        boolean rm = randomMode;
        ImageMedium img = ImageMedium.watched(p.durable(), lineSize, (image, line, write) -> {
          Integer k = index.get(line);
          if (k == null) {
            return;
          }
          int count = d.get(k).candidates().size();
          int choice;
          if (rm) {
            choice = rnd.nextInt(count);
          } else if (depth[0] < stack.size()) {
            int[] entry = stack.get(depth[0]);
            if (entry[0] != k) {
              throw new IllegalStateException("scenario '" + s.name + "': recovery is not deterministic: choice "
                  + depth[0] + " was line " + d.get(entry[0]).line() + " and is now line " + line);
            }
            choice = entry[1];
          } else {
            stack.add(new int[] {k, 0, count});
            choice = 0;
          }
          depth[0]++;
          assignment[k] = choice;
          image.decideLine(line, d.get(k).candidates().get(choice));
        });
        for (CrashPoint.DirtyLine dl : d) {
          img.watch(dl.line());
        }
        verify(p, img, assignment, runs == 0);
        runs++;
        if (randomMode) {
          if (++randomRuns >= o.randomImages()) {
            return;
          }
          continue;
        }
        while (stack.size() > depth[0]) {
          stack.remove(stack.size() - 1);
        }
        while (!stack.isEmpty() && stack.get(stack.size() - 1)[1] == stack.get(stack.size() - 1)[2] - 1) {
          stack.remove(stack.size() - 1);
        }
        if (stack.isEmpty()) {
          return;
        }
        stack.get(stack.size() - 1)[1]++;
        if (runs >= o.maxRunsPerPoint()) {
          if (o.randomImages() == 0) {
            return;
          }
          randomMode = true;
        }
      }
    }

    // ---- checks

    private void verify(CrashPoint p, ImageMedium img, int[] assignment, boolean lint) {
      images++;
      boolean nested = o.nestedEvery() > 0 && images % o.nestedEvery() == 0 && o.nestedImages() > 0;
      ImageMedium pre = nested ? img.fork() : null;
      ReadCheck readCheck = lint ? new ReadCheck(img, p, s.readTolerated) : null;
      Medium recoveryMedium = lint ? readCheck : img;
      Map<String, CrashContext.OpStatus> status = status(p.traceIndex());
      CrashContext ctx = new CrashContext(p, status);
      R r;
      try {
        r = s.recovery.recover(recoveryMedium);
      } catch (Exception | Error e) {
        if (s.unrecoverable.test(e)) {
          List<Object> allowed = s.observe != null ? allowed(status) : null;
          if (allowed != null && !allowed.contains(UNRECOVERABLE)) {
            throw fail(p, assignment, "recovery", "recovery failed in a declared-unrecoverable way (" + e
                + ") although the durable operations require a recoverable state", e);
          }
          unrecoverable++;
          return;
        }
        throw fail(p, assignment, "recovery", "recovery threw " + e, e);
      }
      if (readCheck != null) {
        readCheck.done = true;
        if (!readCheck.violations.isEmpty()) {
          s.close.accept(r);
          throw fail(p, assignment, "unpersisted-read", TraceLints.UNPERSISTED_READ + ": "
              + String.join("; ", readCheck.violations), null);
        }
      }
      Object observed = null;
      try {
        s.invariants.accept(r);
      } catch (Exception | Error e) {
        s.close.accept(r);
        throw fail(p, assignment, "invariants", "invariants violated after recovery: " + e.getMessage(), e);
      }
      try {
        if (s.observe != null) {
          observed = s.observe.apply(r);
          List<Object> allowed = allowed(status);
          if (allowed != null && !allowed.contains(observed)) {
            throw new AssertionError("observed state is not an allowed one (durable operations present, not-begun "
                + "absent, in-flight all or nothing)\n  observed: " + observed + "\n  allowed:  "
                + String.join("\n            ", allowed.stream().map(String::valueOf).toList()));
          }
        }
        for (CrashScenario.Oracle<R> oracle : s.oracles) {
          oracle.check(r, ctx);
        }
      } catch (Exception | Error e) {
        throw fail(p, assignment, "oracle", e.getMessage(), e);
      } finally {
        s.close.accept(r);
      }
      // idempotence
      ImageMedium again = img.fork();
      R r2;
      try {
        r2 = s.recovery.recover(again);
      } catch (Exception | Error e) {
        throw fail(p, assignment, "idempotence", "second recovery threw " + e, e);
      }
      try {
        if (s.observe != null) {
          Object second = s.observe.apply(r2);
          if (!Objects.equals(observed, second)) {
            throw fail(p, assignment, "idempotence", "second recovery observes " + second + ", first " + observed, null);
          }
        }
      } finally {
        s.close.accept(r2);
      }
      long diff = again.firstDifference(img);
      if (diff >= 0) {
        throw fail(p, assignment, "idempotence", "second recovery changed byte " + diff, null);
      }
      if (pre != null) {
        nested(p, assignment, pre, observed);
      }
    }

    private void nested(CrashPoint outer, int[] assignment, ImageMedium pre, Object expected) {
      byte[] base = pre.toByteArray();
      RecordingMedium rec = new RecordingMedium(new ImageMedium(base, lineSize));
      try {
        s.close.accept(s.recovery.recover(rec));
      } catch (Exception | Error e) {
        throw fail(outer, assignment, "nested", "recording the recovery failed: " + e, e);
      }
      List<TraceEvent> rt = rec.trace();
      long fences = rt.stream().filter(e -> e.kind() == TraceEvent.Kind.FENCE).count();
      int perPoint = 2;
      long stride = Math.max(1, (fences + 1) * perPoint / o.nestedImages());
      long[] budget = {o.nestedImages()};
      CrashModel model = new CrashModel(base, rt, o.mode(), lineSize);
      model.forEachPoint(np -> {
        if (budget[0] <= 0 || np.ordinal() % stride != 0) {
          return;
        }
        List<CrashPoint.DirtyLine> d = np.dirty();
        for (int variant = 0; variant < (d.isEmpty() ? 1 : perPoint) && budget[0] > 0; variant++) {
          budget[0]--;
          ImageMedium img = new ImageMedium(np.durable(), lineSize);
          if (variant == 1) {
            for (CrashPoint.DirtyLine dl : d) {
              img.setLine(dl.line(), dl.candidates().get(dl.candidates().size() - 1));
            }
          }
          nestedImages++;
          images++;
          String where = "crash inside recovery at its point #" + np.ordinal() + " (just before "
              + (np.traceIndex() < rt.size() ? rt.get(np.traceIndex()) : "its end") + "), "
              + (variant == 0 ? "only durable lines" : "every issued store") + ": ";
          R r;
          try {
            r = s.recovery.recover(img);
          } catch (Exception | Error e) {
            throw fail(outer, assignment, "nested", where + "recovery threw " + e, e);
          }
          try {
            s.invariants.accept(r);
            if (s.observe != null) {
              Object got = s.observe.apply(r);
              if (!Objects.equals(expected, got)) {
                throw new AssertionError("observes " + got + ", an uninterrupted recovery " + expected);
              }
            }
          } catch (Exception | Error e) {
            throw fail(outer, assignment, "nested", where + e.getMessage(), e);
          } finally {
            s.close.accept(r);
          }
        }
      });
    }

    private Map<String, CrashContext.OpStatus> status(int traceIndex) {
      Map<String, CrashContext.OpStatus> m = new LinkedHashMap<>();
      List<String> byBegin = new ArrayList<>(beginAt.keySet());
      byBegin.sort((a, b) -> Integer.compare(beginAt.get(a), beginAt.get(b)));
      for (String op : byBegin) {
        Integer d = durableAt.get(op);
        m.put(op, d != null && d < traceIndex ? CrashContext.OpStatus.DURABLE
            : beginAt.get(op) < traceIndex ? CrashContext.OpStatus.IN_FLIGHT : CrashContext.OpStatus.NOT_BEGUN);
      }
      return m;
    }

    /** The states the generic oracle allows, or null when operations overlap. */
    private List<Object> allowed(Map<String, CrashContext.OpStatus> status) {
      int durable = 0;
      int inFlight = 0;
      for (int k = 0; k < ops.size(); k++) {
        CrashContext.OpStatus st = status.get(ops.get(k));
        if (st == CrashContext.OpStatus.DURABLE) {
          if (k != durable) {
            return null;
          }
          durable++;
        } else if (st == CrashContext.OpStatus.IN_FLIGHT) {
          inFlight++;
          if (k != durable) {
            return null;
          }
        }
      }
      if (inFlight > 1) {
        return null;
      }
      List<Object> out = new ArrayList<>();
      out.add(states[durable]);
      if (inFlight == 1) {
        out.add(states[durable + 1]);
      }
      return out;
    }

    private CrashFailure fail(CrashPoint p, int[] assignment, String check, String problem, Throwable cause) {
      StringBuilder sb = new StringBuilder();
      sb.append("crash simulation of '").append(s.name).append("' failed (").append(check).append(")\n");
      sb.append("  problem: ").append(problem).append('\n');
      sb.append("  crash point #").append(p.ordinal()).append(": just before ")
          .append(p.traceIndex() < trace.size() ? trace.get(p.traceIndex()).toString() : "the end of the trace")
          .append(", ").append(p.dirty().size()).append(" dirty lines, ").append(p.imageCount()).append(" images\n");
      Map<String, CrashContext.OpStatus> st = status(p.traceIndex());
      for (CrashContext.OpStatus v : CrashContext.OpStatus.values()) {
        sb.append("  ").append(v.name().toLowerCase(java.util.Locale.ROOT)).append(": ")
            .append(st.entrySet().stream().filter(e -> e.getValue() == v).map(Map.Entry::getKey).toList()).append('\n');
      }
      for (int k = 0; k < p.dirty().size(); k++) {
        CrashPoint.DirtyLine dl = p.dirty().get(k);
        int c = assignment[k];
        sb.append("  line ").append(dl.line()).append(" (offset ").append(dl.line() * lineSize).append("): ");
        if (c < 0) {
          sb.append("not accessed (undecided)");
        } else {
          sb.append("candidate ").append(c).append(" of ").append(dl.candidates().size())
              .append(c == 0 ? " (durable only)" : c == dl.candidates().size() - 1 ? " (every issued store)" : "");
          List<String> stores = new ArrayList<>();
          for (int idx : dl.stores().get(c)) {
            stores.add(trace.get(idx) + (opOfEvent[idx] != null ? " in '" + opOfEvent[idx] + "'" : ""));
          }
          if (!stores.isEmpty()) {
            sb.append(", persisted stores: ").append(String.join(", ", stores));
          }
        }
        sb.append('\n');
      }
      sb.append("  mode ").append(o.mode()).append(", strategy ").append(o.strategy()).append(", seed ").append(o.seed())
          .append('\n');
      sb.append("  replay: CrashSimulator.run(scenario, options.seed(").append(o.seed()).append("L).onlyPoint(")
          .append(p.ordinal()).append("))");
      return new CrashFailure(sb.toString(), p.ordinal(), o.seed(), check, cause);
    }
  }

  /** Checks reads of not-durable bytes during one recovery; writes settle the bytes they cover. */
  private static final class ReadCheck extends ForwardingMedium {
    final Map<Long, boolean[]> suspicious = new HashMap<>();
    final List<String> violations = new ArrayList<>();
    final CrashScenario.Ranges tolerated;
    final int lineSize;
    boolean done;

    ReadCheck(ImageMedium image, CrashPoint p, CrashScenario.Ranges tolerated) {
      super(image);
      this.lineSize = image.flushGranularity();
      this.tolerated = tolerated;
      // a byte of a dirty line is suspicious where its candidates differ (a pending store may
      // change it); bytes every candidate holds alike read the same on every image
      for (CrashPoint.DirtyLine d : p.dirty()) {
        boolean[] settled = new boolean[lineSize];
        byte[] first = d.candidates().get(0);
        java.util.Arrays.fill(settled, true);
        for (int b = 0; b < first.length; b++) {
          for (byte[] c : d.candidates()) {
            if (c[b] != first[b]) {
              settled[b] = false;
              break;
            }
          }
        }
        suspicious.put(d.line(), settled);
      }
    }

    private void onRead(long offset, long length) {
      if (done || suspicious.isEmpty() || length <= 0) {
        return;
      }
      eachSuspiciousLine(offset, length, (l, settled, from, to) -> {
        for (long b = from; b < to; b++) {
          if (!settled[(int) (b - l * lineSize)]) {
            if (!toleratedRead(from, to - from) && violations.size() < 8) {
              violations.add("read [" + offset + ", +" + length + ") touches line " + l + " (offset " + l * lineSize
                  + "), not durable at the crash point");
            }
            return;
          }
        }
      });
    }

    /** What to do with the part {@code [from, to)} of suspicious line {@code l}. */
    private interface LinePart {
      void accept(long l, boolean[] settled, long from, long to);
    }

    private void eachSuspiciousLine(long offset, long length, LinePart part) {
      for (long l = offset / lineSize; l <= (offset + length - 1) / lineSize; l++) {
        boolean[] settled = suspicious.get(l);
        if (settled != null) {
          part.accept(l, settled, Math.max(offset, l * lineSize), Math.min(offset + length, (l + 1) * lineSize));
        }
      }
    }

    boolean toleratedRead(long offset, long length) {
      return tolerated.contains(offset, length);
    }

    private void onWrite(long offset, long length) {
      if (length > 0) {
        eachSuspiciousLine(offset, length, (l, settled, from, to) -> {
          for (long b = from; b < to; b++) {
            settled[(int) (b - l * lineSize)] = true;
          }
        });
      }
    }

    @Override
    public long loadLong(long offset) {
      onRead(offset, 8);
      return super.loadLong(offset);
    }

    @Override
    public int loadInt(long offset) {
      onRead(offset, 4);
      return super.loadInt(offset);
    }

    @Override
    public void read(long offset, byte[] dst, int dstOffset, int length) {
      onRead(offset, length);
      super.read(offset, dst, dstOffset, length);
    }

    @Override
    public void read(long offset, java.lang.foreign.MemorySegment dst) {
      onRead(offset, dst.byteSize());
      super.read(offset, dst);
    }

    @Override
    public void storeLong(long offset, long value) {
      onWrite(offset, 8);
      super.storeLong(offset, value);
    }

    @Override
    public void storeInt(long offset, int value) {
      onWrite(offset, 4);
      super.storeInt(offset, value);
    }

    @Override
    public void write(long offset, byte[] src, int srcOffset, int length) {
      onWrite(offset, length);
      super.write(offset, src, srcOffset, length);
    }

    @Override
    public void write(long offset, java.lang.foreign.MemorySegment src) {
      onWrite(offset, src.byteSize());
      super.write(offset, src);
    }

    @Override
    public void fill(long offset, long length, byte value) {
      onWrite(offset, length);
      super.fill(offset, length, value);
    }
  }
}
