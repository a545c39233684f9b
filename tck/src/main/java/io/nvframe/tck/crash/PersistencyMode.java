package io.nvframe.tck.crash;

/** Which crash images the simulator considers possible. */
public enum PersistencyMode {
  /**
   * x86 with ADR: 64-byte lines; stores to one line persist in program order; aligned 8-byte units
   * are atomic; flush + fence makes a line's earlier stores durable; lines are independent. The
   * units of one bulk write are mutually unordered.
   */
  X86,
  /**
   * Like {@link #X86} without same-line ordering: any subset of a line's pending units may persist
   * (portable protocols, non-temporal stores).
   */
  NO_SAME_LINE_ORDER,
  /** eADR: caches are persistent; the crash images are exactly the prefixes of the global unit order. */
  EADR,
  /**
   * Block media (BTT): the atomic unit is the whole line and the line is one block of {@code
   * lineSize} bytes; a line's writes persist in program order.
   */
  BLOCK
}
