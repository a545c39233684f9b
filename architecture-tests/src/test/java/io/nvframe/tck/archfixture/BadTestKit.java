package io.nvframe.tck.archfixture;

import io.nvframe.redo.RedoLog;

/** Uses the redo log outside core on purpose; used only by {@code ArchitectureSelfTest}. */
public final class BadTestKit {
  private BadTestKit() {}

  public static long recordsWritten(RedoLog log) {
    return log.stats().recordsWritten();
  }
}
