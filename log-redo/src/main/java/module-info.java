/**
 * nvframe redo log: per-lane CRC32C-checked redo records; commit with three fences (one for a
 * single 8-byte change), replay at recovery. Exports {@code io.nvframe.redo} for {@code core}.
 */
module io.nvframe.redo {
  requires transitive io.nvframe.spi;
  requires org.slf4j;

  exports io.nvframe.redo;
}
