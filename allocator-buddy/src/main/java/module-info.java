/**
 * Persistent buddy allocator of page frames: one 8-byte frame word per frame on the medium,
 * volatile free bitmaps and per-thread caches rebuilt at open. Exported only to {@code
 * io.nvframe.core}, the one module that combines it with the redo log; the frame word format stays
 * inside this module (allocator-buddy/README.md).
 */
@SuppressWarnings("module") // the qualified export names io.nvframe.core, which is built after this module
module io.nvframe.buddy {
  requires transitive io.nvframe.spi;
  requires org.slf4j;

  exports io.nvframe.buddy to
      io.nvframe.core;
}
