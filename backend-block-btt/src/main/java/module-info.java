/**
 * The {@code btt} backend: a Block Translation Table (UEFI 2.10 section 6, the layout of Linux's
 * {@code nd_btt} and PMDK's libpmemblk) on a byte-addressable medium of another backend. Exports
 * its block API ({@link io.nvframe.backend.btt.Btt}) for the CLI and for direct block use.
 */
module io.nvframe.backend.btt {
  requires io.nvframe.spi;

  exports io.nvframe.backend.btt;

  uses io.nvframe.spi.BackendProvider;

  provides io.nvframe.spi.BackendProvider with
      io.nvframe.backend.btt.BttBackendProvider;
}
