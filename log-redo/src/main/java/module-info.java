/**
 * nvframe redo log: per-lane CRC32C-checked redo records; commit with one fence (the record's
 * targets are flushed by the thread's next commit), replay at recovery. Exports {@code io.nvframe.redo} only to {@code
 * io.nvframe.core} (log-redo/README.md).
 */
@SuppressWarnings("module") // the qualified export names io.nvframe.core, which is built after this module
module io.nvframe.redo {
  requires transitive io.nvframe.spi;
  requires org.slf4j;

  exports io.nvframe.redo to
      io.nvframe.core;
}
