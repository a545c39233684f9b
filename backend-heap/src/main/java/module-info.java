/** Volatile heap backend ({@code heap}). Exports nothing; found through the SPI. */
module io.nvframe.backend.heap {
  requires io.nvframe.spi;

  provides io.nvframe.spi.BackendProvider with
      io.nvframe.backend.heap.HeapBackendProvider;
}
