package io.nvframe.tck.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Operations of several threads in one scenario (explored over the recorded linearisation) with a
 * custom oracle that uses each operation's status; and scenarios as JUnit dynamic tests.
 */
class ConcurrentScenarioTest {
  private static final int THREADS = 2;
  private static final int INCREMENTS = 6;

  /** Each thread counts in its own line; {@code persist} decides whether an increment is durable. */
  static CrashScenario<Medium> counters(boolean persist) {
    return CrashScenario.<Medium>named("counters" + (persist ? "" : " without persist"))
        .medium(() -> new ImageMedium(new byte[4096], 64))
        .driver((m, ops) -> {
          CyclicBarrier start = new CyclicBarrier(THREADS);
          List<Thread> threads = new ArrayList<>();
          List<Throwable> errors = new ArrayList<>();
          for (int t = 0; t < THREADS; t++) {
            int id = t;
            Thread th = new Thread(() -> {
              try {
                start.await();
                for (int k = 1; k <= INCREMENTS; k++) {
                  long v = k;
                  ops.run("t" + id + " +" + k, () -> {
                    m.storeLong(64L * id, v);
                    if (persist) {
                      m.persist(64L * id, 8);
                    }
                  });
                }
              } catch (Exception | Error e) {
                synchronized (errors) {
                  errors.add(e);
                }
              }
            });
            threads.add(th);
            th.start();
          }
          for (Thread th : threads) {
            th.join();
          }
          if (!errors.isEmpty()) {
            throw new AssertionError("driver thread failed", errors.get(0));
          }
        })
        .recover(m -> m)
        .oracle((m, ctx) -> {
          for (int t = 0; t < THREADS; t++) {
            long durable = 0;
            long upTo = 0;
            for (int k = 1; k <= INCREMENTS; k++) {
              CrashContext.OpStatus st = ctx.status("t" + t + " +" + k);
              if (st == CrashContext.OpStatus.DURABLE) {
                durable = k;
                upTo = k;
              } else if (st == CrashContext.OpStatus.IN_FLIGHT) {
                upTo = k;
              }
            }
            long v = m.loadLong(64L * t);
            if (v < durable || v > upTo) {
              throw new AssertionError("thread " + t + ": counter " + v + ", durable " + durable + ", at most " + upTo);
            }
          }
        })
        .close(Medium::close)
        .build();
  }

  @Test
  void eachThreadsDurableIncrementsSurvive() {
    CrashReport r = CrashSimulator.run(counters(true), CrashOptions.defaults());
    assertEquals(THREADS * INCREMENTS + 1, r.points(), "one point per fence and the end: " + r);
    assertTrue(r.images() >= r.points(), r.toString());
  }

  @Test
  void incrementsThatAreNeverPersistedAreCaught() {
    CrashFailure f = assertThrows(CrashFailure.class, () -> CrashSimulator.run(counters(false), CrashOptions.defaults()));
    assertEquals("lint", f.check(), f.getMessage());
  }

  @TestFactory
  Stream<DynamicTest> scenariosAsDynamicTests() {
    CrashTally tally = new CrashTally("tck-dynamic");
    return Stream.concat(
        CrashSimulator.tests(CrashOptions.defaults(), tally::add, List.of(counters(true), ToyLog.scenario(ToyLog.Bug.NONE))),
        Stream.of(DynamicTest.dynamicTest("both ran", () -> assertTrue(tally.images() > 0, tally.figureLine()))));
  }
}
