package io.nvframe.backend.heap;

import io.nvframe.spi.BackendProvider;
import io.nvframe.tck.MediumContractTest;

/** The TCK medium contract on the volatile heap backend (durability and locking tests are skipped). */
class HeapBackendContractTest extends MediumContractTest {
  @Override
  protected BackendProvider provider() {
    return new HeapBackendProvider();
  }

  @Override
  protected boolean usesPath() {
    return false;
  }
}
