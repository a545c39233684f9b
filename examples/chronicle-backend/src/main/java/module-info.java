// tag::module-info[]
/**
 * An nvframe backend on Chronicle Bytes ({@code chronicle}). Exports nothing: nvframe finds it
 * through the SPI.
 *
 * <p>Chronicle's jars are automatic modules ({@code chronicle.bytes}, {@code chronicle.core});
 * its posix binding has no module name, so it is required {@code static} (the module resolves
 * without it; on the module path add it with {@code --add-modules}). On the class path, where
 * nvframe's tests and the CLI run it, this file is ignored.
 */
@SuppressWarnings({"requires-automatic", "module"})
module com.example.nvframe.chronicle {
  requires io.nvframe.spi;
  requires chronicle.bytes;
  requires chronicle.core;
  requires static posix;

  provides io.nvframe.spi.BackendProvider with
      com.example.nvframe.chronicle.ChronicleBackendProvider;
}
// end::module-info[]
