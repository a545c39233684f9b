package io.nvframe.tck.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Deliberately broken protocols written in tck's own tests (the bug classes a medium mutation of
 * the real protocols cannot express), each with the check that must catch it.
 */
class ToyMutantTest {
  private static final Map<ToyLog.Bug, String> CAUGHT = new EnumMap<>(ToyLog.Bug.class);

  static String expectedCheck(ToyLog.Bug bug) {
    return switch (bug) {
      case MISSING_FLUSH, COMMIT_BEFORE_DATA -> "lint";
      case TORN_PAIR, WRONG_REBUILD, LEAK -> "invariants";
      case UNPERSISTED_READ -> "unpersisted-read";
      case NONE -> throw new IllegalArgumentException();
    };
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = ToyLog.Bug.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
  void theBugIsCaught(ToyLog.Bug bug) {
    for (CrashOptions.Strategy strategy : CrashOptions.Strategy.values()) {
      CrashFailure f = assertThrows(CrashFailure.class,
          () -> CrashSimulator.run(ToyLog.scenario(bug), CrashOptions.defaults().strategy(strategy)),
          bug + " must be caught (" + strategy + ")");
      assertEquals(expectedCheck(bug), f.check(), bug + " caught by the wrong check: " + f.getMessage());
      if (bug == ToyLog.Bug.COMMIT_BEFORE_DATA) {
        assertEquals(true, f.getMessage().contains(TraceLints.COMMIT_BEFORE_DATA), f.getMessage());
      }
      if (bug == ToyLog.Bug.MISSING_FLUSH) {
        assertEquals(true, f.getMessage().contains(TraceLints.MISSING_PERSIST), f.getMessage());
      }
    }
    CAUGHT.put(bug, expectedCheck(bug));
  }

  @AfterAll
  static void figures() {
    CAUGHT.forEach((bug, check) -> System.out.println("crash-sim mutant: toy " + bug + " caught by " + check));
    System.out.println("crash-sim mutants: caught=" + CAUGHT.size() + " of " + (ToyLog.Bug.values().length - 1));
  }
}
