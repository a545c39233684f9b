package io.nvframe.tck.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import org.junit.jupiter.api.Test;

/**
 * The unpersisted-read lint is byte-precise: recovery reading a word of a dirty line that no
 * pending store changes (the same on every image) passes; reading the pending word fails.
 */
class UnpersistedReadLintTest {
  /** One persisted store to word 8 of line 0; recovery reads word {@code readAt}. */
  static CrashScenario<Medium> scenario(long readAt) {
    return CrashScenario.<Medium>named("recovery reads word " + readAt)
        .medium(() -> {
          Medium m = new ImageMedium(new byte[4096], 64);
          m.storeLong(0, 42);
          m.persist(0, 8);
          return m;
        })
        .driver((m, ops) -> ops.run("store word 8", () -> {
          m.storeLong(8, 5);
          m.persist(8, 8);
        }))
        .recover(m -> {
          if (m.loadLong(readAt) < 0) {
            throw new IllegalStateException("negative word");
          }
          return m;
        })
        .observe(m -> m.loadLong(8))
        .close(Medium::close)
        .build();
  }

  @Test
  void readingAnUnchangedWordOfADirtyLinePasses() {
    CrashReport r = CrashSimulator.run(scenario(0), CrashOptions.defaults());
    assertEquals(2, r.points(), r.toString());
    assertTrue(r.images() >= 3, r.toString());
  }

  @Test
  void readingThePendingWordIsReported() {
    CrashFailure f = assertThrows(CrashFailure.class, () -> CrashSimulator.run(scenario(8), CrashOptions.defaults()));
    assertEquals("unpersisted-read", f.check(), f.getMessage());
  }
}
