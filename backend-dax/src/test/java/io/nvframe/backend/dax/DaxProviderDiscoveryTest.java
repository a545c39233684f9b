package io.nvframe.backend.dax;

import io.nvframe.spi.BackendProvider;
import io.nvframe.tck.ProviderDiscoveryContractTest;

/** The dax backend is found as {@code dax} on the class path and on the module path. */
class DaxProviderDiscoveryTest extends ProviderDiscoveryContractTest {
  @Override
  protected String backendName() {
    return DaxBackendProvider.NAME;
  }

  @Override
  protected Class<? extends BackendProvider> providerClass() {
    return DaxBackendProvider.class;
  }
}
