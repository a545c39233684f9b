package io.nvframe.backend.dax;

import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.ProviderConfig;
import io.nvframe.tck.MediumContractTest;
import java.nio.file.Path;
import java.util.Map;

/** The TCK medium contract in mode {@code none} (eADR: flush is a counted no-op). */
class DaxNoneModeBackendContractTest extends MediumContractTest {
  @Override
  protected BackendProvider provider() {
    return new DaxBackendProvider();
  }

  @Override
  protected ProviderConfig config(Path dir, long capacity) {
    return new ProviderConfig(dir.resolve("medium.nvf"), capacity, false,
        Map.of(DaxBackendProvider.MODE, DaxBackendProvider.MODE_NONE));
  }
}
