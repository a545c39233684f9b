/**
 * The {@code dax} backend: regions in memory-mapped files (MAP_SYNC on DAX filesystems, msync
 * elsewhere) or on device DAX. Exports nothing; found through the SPI.
 */
module io.nvframe.backend.dax {
  requires io.nvframe.spi;
  requires org.slf4j;
  requires jdk.nio.mapmode;
  requires jdk.management;

  provides io.nvframe.spi.BackendProvider with
      io.nvframe.backend.dax.DaxBackendProvider;
}
