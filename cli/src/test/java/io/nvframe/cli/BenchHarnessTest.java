package io.nvframe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link BenchHarness}: the warm-up and the repetitions are phases on the same threads and the same
 * {@link BenchHarness.ThreadWork} (as a JMH trial), and each phase's counter window holds exactly
 * that phase's operations.
 */
class BenchHarnessTest {
  @Test
  void phasesRunOnTheSameThreadsAndWorkAndCountExactlyTheirOwnOperations() throws Exception {
    AtomicLong counted = new AtomicLong(); // a "fence" per operation and per batch clean-up
    AtomicInteger created = new AtomicInteger();
    AtomicInteger closed = new AtomicInteger();
    Set<Thread> threads = ConcurrentHashMap.newKeySet();
    List<Integer> phasesDone = new ArrayList<>();
    List<BenchHarness.Result> results = BenchHarness.run(2, new double[] {0.01, 0.01, 0.01},
        () -> new long[] {counted.get(), 0}, id -> {
          created.incrementAndGet();
          Thread owner = Thread.currentThread();
          return new BenchHarness.ThreadWork() {
            @Override
            public void op(int i) {
              assertEquals(owner, Thread.currentThread(), "a work runs on the thread that made it");
              threads.add(Thread.currentThread());
              counted.incrementAndGet();
            }

            @Override
            public void afterBatch() {
              counted.incrementAndGet();
            }

            @Override
            public void close() {
              closed.incrementAndGet();
            }
          };
        }, phasesDone::add);
    assertEquals(2, created.get(), "one work per thread for all phases");
    assertEquals(2, closed.get());
    assertEquals(2, threads.size(), "the same two threads in every phase");
    assertEquals(List.of(0, 1, 2), phasesDone);
    assertEquals(3, results.size());
    for (BenchHarness.Result r : results) {
      // at least a rate batch and a latency batch per thread; the window holds the phase's
      // operations and one clean-up per batch, nothing of the other phases
      assertTrue(r.ops() >= 2L * 2 * BenchHarness.BATCH && r.ops() % BenchHarness.BATCH == 0, r.toString());
      assertEquals(r.ops() + r.ops() / BenchHarness.BATCH, r.fences(), r.toString());
      assertTrue(r.opsPerSecond() > 0 && r.latency().count() > 0, r.toString());
    }
  }

  /** A worker failing while another still measures must end the run with its error, not hang it. */
  @Test
  @Timeout(60)
  void aSmallerBatchIsRespectedAndAFailureInAPhaseIsReported() throws Exception {
    List<BenchHarness.Result> results = BenchHarness.run(1, new double[] {0.001}, () -> new long[2], id -> new BenchHarness.ThreadWork() {
      @Override
      public void op(int i) {
        assertEquals(0, i);
      }

      @Override
      public int batch() {
        return 1;
      }
    }, phase -> {});
    assertTrue(results.get(0).ops() >= 2, results.toString());
    // thread 1 fails in the second phase while thread 0 is still measuring: the failure reported is
    // thread 1's, not the broken barrier thread 0 meets afterwards
    AtomicInteger phase = new AtomicInteger();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> BenchHarness.run(2, new double[] {0.01, 0.05},
        () -> new long[2], id -> i -> {
          if (id == 1 && phase.get() == 1) {
            throw new IllegalStateException("op failed on purpose");
          }
        }, p -> phase.set(p + 1))); // runs before the next phase starts
    assertTrue(e.getMessage().contains("op failed on purpose"), e.getMessage());
  }
}
