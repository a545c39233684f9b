package io.nvframe.tck.crash;

import java.util.List;
import java.util.Map;

/**
 * What a custom oracle knows about a crash: the status of every operation at the crash point.
 *
 * @param point the crash point
 * @param status each operation's status, in the order the operations began
 */
public record CrashContext(CrashPoint point, Map<String, OpStatus> status) {
  /** Where an operation was when the crash happened. */
  public enum OpStatus {
    /** Its durable marker is before the crash: its effect must be present. */
    DURABLE,
    /** Begun but not returned: its effect is present entirely or not at all. */
    IN_FLIGHT,
    /** Not begun: its effect must be absent. */
    NOT_BEGUN
  }

  /** The status of operation {@code name}. */
  public OpStatus status(String name) {
    OpStatus s = status.get(name);
    if (s == null) {
      throw new IllegalArgumentException("no operation '" + name + "' in this scenario; known: " + status.keySet());
    }
    return s;
  }

  /** The operations with status {@code s}, in order. */
  public List<String> with(OpStatus s) {
    return status.entrySet().stream().filter(e -> e.getValue() == s).map(Map.Entry::getKey).toList();
  }
}
