/** nvframe backend SPI: how storage plugs in. */
module io.nvframe.spi {
  requires transitive io.nvframe.api;

  exports io.nvframe.spi;
}
