package com.example.nvframe.chronicle;

// tag::discovery-test[]
import io.nvframe.spi.BackendProvider;
import io.nvframe.tck.ProviderDiscoveryContractTest;

/** The chronicle backend is found as {@code chronicle} on the class path and on the module path. */
class ChronicleProviderDiscoveryTest extends ProviderDiscoveryContractTest {
  @Override
  protected String backendName() {
    return ChronicleBackendProvider.NAME;
  }

  @Override
  protected Class<? extends BackendProvider> providerClass() {
    return ChronicleBackendProvider.class;
  }
}
// end::discovery-test[]
