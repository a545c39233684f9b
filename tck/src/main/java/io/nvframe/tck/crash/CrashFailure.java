package io.nvframe.tck.crash;

/**
 * A failed check on a crash image. The message names the scenario, the crash point, the content
 * chosen for every dirty line with the stores involved and their operations, the seed, and the
 * options that replay exactly this point.
 */
public final class CrashFailure extends AssertionError {
  private final int point;
  private final long seed;
  private final String check;

  CrashFailure(String message, int point, long seed, String check, Throwable cause) {
    super(message, cause);
    this.point = point;
    this.seed = seed;
    this.check = check;
  }

  /** The crash point's ordinal (-1 for a lint over the whole trace). */
  public int point() {
    return point;
  }

  /** The seed of the run. */
  public long seed() {
    return seed;
  }

  /**
   * Which check failed: {@code recovery}, {@code invariants}, {@code oracle}, {@code idempotence},
   * {@code nested}, {@code lint} or {@code unpersisted-read}.
   */
  public String check() {
    return check;
  }
}
