package io.nvframe.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Phaser;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The measuring loop of {@code nvframe bench} and {@code nvframe btt bench}, the PMDK programs'
 * method: each thread runs its operation for a fixed time; ops/s is the sum of the threads' rates,
 * ns/op the mean over threads of one thread's time per operation. Operations run in batches of
 * {@value #BATCH} (1 for the millisecond-long rewrites, {@link ThreadWork#batch()}): one batch in {@value #LATENCY_EVERY} reads the clock after every operation for
 * the latency percentiles (p50, p99, from a {@link LatencyHistogram}), the others only around the
 * batch, and only those give the rate (the extra clock reads are not in it). The persistence
 * counters (fences, flushes) are read when the barrier advances while every worker waits, so they cover
 * exactly the measured loops; each thread's set-up and tear-down run outside them. A warm-up and
 * the measured repetitions are phases of one run on the same threads.
 */
final class BenchHarness {
  /** One batch in this many (the second, sixth, ...) times each operation on its own. */
  static final int LATENCY_EVERY = 4;

  static final int BATCH = 512;

  private BenchHarness() {}

  /** One thread's part of a measurement. */
  interface ThreadWork {
    /** Operation {@code i} (0 to {@link #batch()} - 1) of a batch. */
    void op(int i) throws Exception;

    /**
     * Operations per batch: {@value #BATCH}, or fewer for operations that take milliseconds (a
     * phase runs whole batches, at least two).
     */
    default int batch() {
      return BATCH;
    }

    /** After each batch, untimed (and counted; the caller subtracts what it knows it costs). */
    default void afterBatch() {}

    /** After the measurement window closed (not counted). */
    default void close() throws Exception {}
  }

  /** Creates thread {@code id}'s work, before the measurement window opens (not counted). */
  interface WorkFactory {
    ThreadWork create(int id) throws Exception;
  }

  /** The persistence counters of what is measured: {@code {fences, flushes}}. */
  interface Counters extends Supplier<long[]> {}

  /** A measurement: operations of all threads, summed rate, mean ns/op, latencies, counter deltas. */
  record Result(long ops, double opsPerSecond, double nsPerOp, LatencyHistogram latency, long fences, long flushes) {
    /**
     * The row {@code bench} reports: operation, threads, ops, opsPerSecond, nsPerOp, p50Ns, p99Ns,
     * fencesPerOp and flushesPerOp, the counts less {@code uncountedPerOp} fences and flushes per
     * operation (untimed clean-up done in {@link ThreadWork#afterBatch}).
     */
    Map<String, Object> row(String operation, int threads, long uncountedPerOp) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("operation", operation);
      row.put("threads", threads);
      row.put("ops", ops);
      row.put("opsPerSecond", opsPerSecond);
      row.put("nsPerOp", nsPerOp);
      row.put("p50Ns", latency.quantile(0.50));
      row.put("p99Ns", latency.quantile(0.99));
      row.put("fencesPerOp", (fences - uncountedPerOp * ops) / (double) ops);
      row.put("flushesPerOp", (flushes - uncountedPerOp * ops) / (double) ops);
      return row;
    }
  }

  /** Runs {@code threads} workers for {@code seconds} of timed work each. */
  static Result run(int threads, double seconds, Counters counters, WorkFactory factory) throws Exception {
    return run(threads, new double[] {seconds}, counters, factory, phase -> {}).get(0);
  }

  /**
   * Runs {@code threads} workers through consecutive phases of {@code phases[k]} seconds of timed
   * work each (a warm-up, then the measured repetitions), one result per phase. The workers, their
   * {@link ThreadWork} (frames, buffers) and so their lanes and lock stripes are the same in every
   * phase, as in a JMH trial: a phase after the first runs code the JIT compiled for exactly these
   * threads and frames, where new threads and new frames for every repetition would first hit
   * branches the compiled code had never seen (lazily made lane buffers and lock stripes), be
   * deoptimized and recompiled, with less inlined (benchmarks/README.md, "bench vs JMH").
   * {@code phaseDone} runs on the calling thread after each phase.
   */
  static List<Result> run(int threads, double[] phases, Counters counters, WorkFactory factory,
      IntConsumer phaseDone) throws Exception {
    Measured[][] results = new Measured[phases.length][threads];
    List<long[]> snapshots = Collections.synchronizedList(new ArrayList<>());
    // every phase: all workers and this thread meet before (start) and after (stop) the timed work;
    // a failing worker terminates the barrier, which releases every party now and later
    Phaser barrier = new Phaser(threads + 1) {
      @Override
      protected boolean onAdvance(int phase, int registeredParties) {
        snapshots.add(counters.get());
        return false;
      }
    };
    List<Thread> workers = new ArrayList<>();
    Throwable[] failure = new Throwable[1];
    for (int i = 0; i < threads; i++) {
      int id = i;
      workers.add(Thread.ofPlatform().name("bench-" + i).start(() -> {
        try {
          ThreadWork work = factory.create(id);
          for (int phase = 0; phase < phases.length; phase++) {
            results[phase][id] = worker(work, barrier, (long) (phases[phase] * 1e9));
            await(barrier);
          }
          work.close();
        } catch (Throwable e) {
          synchronized (failure) {
            if (failure[0] == null) { // the first failure; the others then see a terminated barrier
              failure[0] = e;
            }
          }
          barrier.forceTermination();
        }
      }));
    }
    try {
      for (int phase = 0; phase < phases.length; phase++) {
        await(barrier);
        await(barrier);
        phaseDone.accept(phase);
      }
    } catch (CancellationException e) {
      // a worker failed; it is reported below
    }
    for (Thread w : workers) {
      w.join();
    }
    synchronized (failure) {
      if (failure[0] != null) {
        throw new IllegalStateException("benchmark thread failed: " + failure[0].getMessage(), failure[0]);
      }
    }
    List<Result> out = new ArrayList<>();
    for (int phase = 0; phase < phases.length; phase++) {
      long total = 0;
      double rate = 0;
      double nsPerOp = 0;
      LatencyHistogram latency = new LatencyHistogram();
      for (Measured m : results[phase]) {
        total += m.ops();
        rate += m.rateOps() / (m.rateNanos() / 1e9);
        nsPerOp += m.rateNanos() / (double) m.rateOps() / threads;
        latency.add(m.latency());
      }
      long[] before = snapshots.get(2 * phase);
      long[] after = snapshots.get(2 * phase + 1);
      out.add(new Result(total, rate, nsPerOp, latency, after[0] - before[0], after[1] - before[1]));
    }
    return out;
  }

  /**
   * One thread's result: all operations, and the operations and time of the rate batches (the
   * batches that time every operation are left out of the rate, since their clock reads cost time).
   */
  private record Measured(long ops, long rateOps, long rateNanos, LatencyHistogram latency) {}

  /** Waits for every party; throws when a worker failed and terminated the barrier. */
  private static void await(Phaser barrier) {
    if (barrier.arriveAndAwaitAdvance() < 0) {
      throw new CancellationException("another benchmark thread failed");
    }
  }

  private static Measured worker(ThreadWork work, Phaser start, long budget) throws Exception {
    LatencyHistogram latency = new LatencyHistogram();
    await(start);
    long ops = 0;
    long rateOps = 0;
    long rateNanos = 0;
    long elapsed = 0;
    int batch = work.batch();
    for (long batchNo = 0; elapsed < budget || rateOps == 0 || latency.count() == 0; batchNo++) {
      boolean timeEach = batchNo % LATENCY_EVERY == 1;
      long t = timeEach ? timedBatch(work, latency) : batch(work);
      elapsed += t;
      ops += batch;
      if (!timeEach) {
        rateOps += batch;
        rateNanos += t;
      }
      work.afterBatch();
    }
    return new Measured(ops, rateOps, rateNanos, latency);
  }

  /**
   * One batch, timed as a whole; nanoseconds. The batch loops are methods of their own so that the
   * JIT compiles them as such (not only on-stack-replaced into {@link #worker}, which is left when
   * a phase ends and entered again for the next).
   */
  private static long batch(ThreadWork work) throws Exception {
    long t0 = System.nanoTime();
    for (int i = 0, n = work.batch(); i < n; i++) {
      work.op(i);
    }
    return System.nanoTime() - t0;
  }

  /** One batch timing every operation into {@code latency}; nanoseconds of the whole batch. */
  private static long timedBatch(ThreadWork work, LatencyHistogram latency) throws Exception {
    long t0 = System.nanoTime();
    long last = t0;
    for (int i = 0, n = work.batch(); i < n; i++) {
      work.op(i);
      long now = System.nanoTime();
      latency.record(now - last);
      last = now;
    }
    return System.nanoTime() - t0;
  }
}
