package io.nvframe.spi;

/** What a backend's {@link Medium} can do. Tests that need a capability are skipped without it. */
public enum Capability {
  /** Data survives process exit and power loss once persisted. */
  DURABLE,
  /** The medium is volatile memory; nothing survives close. */
  VOLATILE,
  /** {@link Medium#segment()} gives a direct view for zero-copy access. */
  BYTE_ADDRESSABLE,
  /** Persistence is cache-line write-back on a MAP_SYNC (DAX) mapping, no msync needed. */
  SYNC_MAPPING,
  /** Writes of one block ({@link Medium#atomicWriteUnit()} bytes) are failure-atomic (BTT). */
  ATOMIC_BLOCK_WRITE
}
