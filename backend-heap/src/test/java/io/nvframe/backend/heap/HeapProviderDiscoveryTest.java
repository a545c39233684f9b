package io.nvframe.backend.heap;

import io.nvframe.spi.BackendProvider;
import io.nvframe.tck.ProviderDiscoveryContractTest;

/** The heap backend is found as {@code heap} on the class path and on the module path. */
class HeapProviderDiscoveryTest extends ProviderDiscoveryContractTest {
  @Override
  protected String backendName() {
    return HeapBackendProvider.NAME;
  }

  @Override
  protected Class<? extends BackendProvider> providerClass() {
    return HeapBackendProvider.class;
  }

  @Override
  protected boolean usesPath() {
    return false;
  }
}
