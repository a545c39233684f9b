package io.nvframe.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.function.Supplier;

/**
 * The measuring loop of {@code nvframe bench} and {@code nvframe btt bench}, the PMDK programs'
 * method: each thread runs its operation for a fixed time; ops/s is the sum of the threads' rates,
 * ns/op the mean over threads of one thread's time per operation. Operations run in batches of
 * {@value #BATCH}: one batch in {@value #LATENCY_EVERY} reads the clock after every operation for
 * the latency percentiles (p50, p99, from a {@link LatencyHistogram}), the others only around the
 * batch, and only those give the rate (the extra clock reads are not in it). The persistence
 * counters (fences, flushes) are read by barrier actions while every worker waits, so they cover
 * exactly the measured loops; each thread's set-up and tear-down run outside them.
 */
final class BenchHarness {
  /** One batch in this many (the second, sixth, ...) times each operation on its own. */
  static final int LATENCY_EVERY = 4;

  static final int BATCH = 512;

  private BenchHarness() {}

  /** One thread's part of a measurement. */
  interface ThreadWork {
    /** Operation {@code i} (0 to {@value #BATCH} - 1) of a batch. */
    void op(int i) throws Exception;

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
    Measured[] results = new Measured[threads];
    long[][] window = new long[2][];
    CyclicBarrier start = new CyclicBarrier(threads + 1, () -> window[0] = counters.get());
    CyclicBarrier stop = new CyclicBarrier(threads + 1, () -> window[1] = counters.get());
    List<Thread> workers = new ArrayList<>();
    Throwable[] failure = new Throwable[1];
    long budget = (long) (seconds * 1e9);
    for (int i = 0; i < threads; i++) {
      int id = i;
      workers.add(Thread.ofPlatform().name("bench-" + i).start(() -> {
        try {
          ThreadWork work = factory.create(id);
          results[id] = worker(work, start, budget);
          stop.await();
          work.close();
        } catch (Throwable e) {
          synchronized (failure) {
            failure[0] = e;
          }
          start.reset();
          stop.reset();
        }
      }));
    }
    try {
      start.await();
      stop.await();
    } catch (java.util.concurrent.BrokenBarrierException e) {
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
    long total = 0;
    double rate = 0;
    double nsPerOp = 0;
    LatencyHistogram latency = new LatencyHistogram();
    for (Measured m : results) {
      total += m.ops();
      rate += m.rateOps() / (m.rateNanos() / 1e9);
      nsPerOp += m.rateNanos() / (double) m.rateOps() / threads;
      latency.add(m.latency());
    }
    return new Result(total, rate, nsPerOp, latency, window[1][0] - window[0][0], window[1][1] - window[0][1]);
  }

  /**
   * One thread's result: all operations, and the operations and time of the rate batches (the
   * batches that time every operation are left out of the rate, since their clock reads cost time).
   */
  private record Measured(long ops, long rateOps, long rateNanos, LatencyHistogram latency) {}

  private static Measured worker(ThreadWork work, CyclicBarrier start, long budget) throws Exception {
    LatencyHistogram latency = new LatencyHistogram();
    start.await();
    long ops = 0;
    long rateOps = 0;
    long rateNanos = 0;
    long elapsed = 0;
    for (long batchNo = 0; elapsed < budget || rateOps == 0 || latency.count() == 0; batchNo++) {
      boolean timeEach = batchNo % LATENCY_EVERY == 1;
      long t0 = System.nanoTime();
      if (timeEach) {
        long last = t0;
        for (int i = 0; i < BATCH; i++) {
          work.op(i);
          long now = System.nanoTime();
          latency.record(now - last);
          last = now;
        }
      } else {
        for (int i = 0; i < BATCH; i++) {
          work.op(i);
        }
      }
      long t = System.nanoTime() - t0;
      elapsed += t;
      ops += BATCH;
      if (!timeEach) {
        rateOps += BATCH;
        rateNanos += t;
      }
      work.afterBatch();
    }
    return new Measured(ops, rateOps, rateNanos, latency);
  }
}
