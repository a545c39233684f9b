/**
 * Creates and opens nvframe regions: finds backends with ServiceLoader, lays out and validates the
 * region header, recovers the redo log, rebuilds the allocator and runs transactions.
 */
module io.nvframe.core {
  requires transitive io.nvframe.api;
  requires io.nvframe.spi;
  requires io.nvframe.buddy;
  requires io.nvframe.redo;
  requires org.slf4j;

  exports io.nvframe.core;

  uses io.nvframe.spi.BackendProvider;
}
