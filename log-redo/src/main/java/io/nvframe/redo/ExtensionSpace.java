package io.nvframe.redo;

/**
 * Where a redo record that does not fit its lane continues: blocks of the medium, outside the log
 * area, that the owner of the medium (core: the frame allocator) sets aside for one commit. A
 * block must stay untouched by everyone else from {@link #reserve} until {@link #release}, and it
 * must be free by construction after a crash (core reserves frames only in the allocator's
 * volatile state and never publishes them in the frame table), because the log writes into it
 * without publishing anything.
 */
public interface ExtensionSpace {
  /** Smallest block the log accepts: one line of chain header plus at least one line of payload. */
  long MIN_BLOCK_BYTES = 128;

  /**
   * A reserved block {@code [offset, offset + length)}; {@code token} is the reserver's own handle.
   */
  record Block(long offset, long length, long token) {}

  /**
   * Reserves one block of about {@code wantedBytes} (it may be smaller, but at least {@link
   * #MIN_BLOCK_BYTES}; larger only by rounding), aligned to 64 bytes, inside the medium and outside
   * the log area.
   *
   * @return the block, or null when nothing large enough is free
   */
  Block reserve(long wantedBytes);

  /** Gives back a block from {@link #reserve}. */
  void release(Block block);

  /** Free bytes, for messages. */
  long freeBytes();
}
