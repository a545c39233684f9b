package io.nvframe.backend.btt;

import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.ProviderConfig;
import java.nio.file.Path;
import java.util.Map;
import io.nvframe.tck.MediumContractTest;

/** The TCK medium contract on the btt backend (a BTT in a file mapped through dax). */
class BttBackendContractTest extends MediumContractTest {
  @Override
  protected BackendProvider provider() {
    return new BttBackendProvider();
  }

  /** dax.mode=emulate underneath: msync per flush would make whole-medium tests take seconds. */
  @Override
  protected ProviderConfig config(Path dir, long capacity) {
    return new ProviderConfig(dir.resolve("medium.nvf"), capacity, false, Map.of("dax.mode", "emulate"));
  }

  /** A BTT arena needs 16 MiB; the medium offers exactly this capacity. */
  @Override
  protected long capacity() {
    return 16L << 20;
  }
}
