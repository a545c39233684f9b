package io.nvframe.tck.crash;

import java.util.Objects;

/**
 * How to explore: strategy, persistency mode, caps and the seed of the random images.
 *
 * @param strategy eager enumeration or lazy (Jaaru-style) choice at first access
 * @param mode the persistency model
 * @param cap eager: enumerate every image of a point while there are at most this many
 * @param randomImages eager: seeded random images added beyond the cap; lazy: random runs after
 *     {@code maxRunsPerPoint}
 * @param maxRunsPerPoint lazy: systematic runs per point before switching to random runs
 * @param seed seed of every random choice (printed in reports and failures)
 * @param nestedEvery run the crash-inside-recovery check on every n-th image (0 = never)
 * @param nestedImages images of one recorded recovery to check
 * @param onlyPoint check only this crash point (-1 = all): replays a failure
 */
public record CrashOptions(
    Strategy strategy, PersistencyMode mode, int cap, int randomImages, int maxRunsPerPoint, long seed,
    int nestedEvery, int nestedImages, int onlyPoint) {
  /** Exploration strategy. */
  public enum Strategy {
    /** Enumerate the images of every crash point (bounded beyond the cap). */
    EAGER,
    /** Decide a dirty line only when the code after the crash first accesses it; backtrack. */
    LAZY
  }

  /** System property that overrides the default seed. */
  public static final String SEED_PROPERTY = "nvframe.crash.seed";

  /** Default eager cap. */
  public static final int DEFAULT_CAP = 4096;

  /** Validates the values. */
  public CrashOptions {
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(mode, "mode");
    if (cap < 1 || randomImages < 0 || maxRunsPerPoint < 1 || nestedEvery < 0 || nestedImages < 0) {
      throw new IllegalArgumentException("caps must be positive: " + cap + ", " + randomImages + ", "
          + maxRunsPerPoint + ", " + nestedEvery + ", " + nestedImages);
    }
  }

  /**
   * Eager, x86, cap 4096, 256 random images, 10 000 lazy runs per point, nested crash on every 16th
   * image (32 nested images each), seed from {@value #SEED_PROPERTY} or 1.
   */
  public static CrashOptions defaults() {
    return new CrashOptions(Strategy.EAGER, PersistencyMode.X86, DEFAULT_CAP, 256, 10_000,
        Long.getLong(SEED_PROPERTY, 1L), 16, 32, -1);
  }

  /** With another strategy. */
  public CrashOptions strategy(Strategy s) {
    return new CrashOptions(s, mode, cap, randomImages, maxRunsPerPoint, seed, nestedEvery, nestedImages, onlyPoint);
  }

  /** With another persistency mode. */
  public CrashOptions mode(PersistencyMode m) {
    return new CrashOptions(strategy, m, cap, randomImages, maxRunsPerPoint, seed, nestedEvery, nestedImages, onlyPoint);
  }

  /** With another eager cap and random image count. */
  public CrashOptions cap(int newCap, int random) {
    return new CrashOptions(strategy, mode, newCap, random, maxRunsPerPoint, seed, nestedEvery, nestedImages, onlyPoint);
  }

  /** With another lazy run cap. */
  public CrashOptions maxRunsPerPoint(int runs) {
    return new CrashOptions(strategy, mode, cap, randomImages, runs, seed, nestedEvery, nestedImages, onlyPoint);
  }

  /** With another seed. */
  public CrashOptions seed(long s) {
    return new CrashOptions(strategy, mode, cap, randomImages, maxRunsPerPoint, s, nestedEvery, nestedImages, onlyPoint);
  }

  /** With another nested-crash sampling (every {@code every}-th image, {@code images} each; 0 = off). */
  public CrashOptions nested(int every, int images) {
    return new CrashOptions(strategy, mode, cap, randomImages, maxRunsPerPoint, seed, every, images, onlyPoint);
  }

  /** Only crash point {@code ordinal} (as printed in a failure). */
  public CrashOptions onlyPoint(int ordinal) {
    return new CrashOptions(strategy, mode, cap, randomImages, maxRunsPerPoint, seed, nestedEvery, nestedImages, ordinal);
  }
}
