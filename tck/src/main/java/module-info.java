/** The nvframe test kit: contract tests and crash tooling for backends and upper layers. */
module io.nvframe.tck {
  requires transitive io.nvframe.spi;
  requires transitive org.junit.jupiter.api;
  requires org.junit.jupiter.params;

  exports io.nvframe.tck;
  exports io.nvframe.tck.crash;

  uses io.nvframe.spi.BackendProvider;
}
