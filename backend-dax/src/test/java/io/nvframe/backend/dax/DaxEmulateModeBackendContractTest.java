package io.nvframe.backend.dax;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.ProviderConfig;
import io.nvframe.tck.MediumContractTest;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;

/**
 * The TCK medium contract in mode {@code emulate} (cache-line write-back on a plain mapping). The
 * module's surefire argLine exports {@code jdk.internal.misc}, so this runs in the normal build; a
 * JVM without the export skips it.
 */
class DaxEmulateModeBackendContractTest extends MediumContractTest {
  @BeforeEach
  void needsWriteback() {
    assumeTrue(CacheLineWriteback.available(), () -> "emulate mode unavailable: " + CacheLineWriteback.unavailableReason());
  }

  @Override
  protected BackendProvider provider() {
    return new DaxBackendProvider();
  }

  @Override
  protected ProviderConfig config(Path dir, long capacity) {
    return new ProviderConfig(dir.resolve("medium.nvf"), capacity, false,
        Map.of(DaxBackendProvider.MODE, DaxBackendProvider.MODE_EMULATE));
  }
}
