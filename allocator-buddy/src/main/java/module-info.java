/**
 * Persistent buddy allocator of page frames: one 8-byte frame word per frame on the medium,
 * volatile free bitmaps and per-thread caches rebuilt at open. Used by {@code io.nvframe.core}.
 */
module io.nvframe.buddy {
  requires transitive io.nvframe.spi;
  requires org.slf4j;

  exports io.nvframe.buddy;
}
