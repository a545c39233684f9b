package io.nvframe.backend.dax;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nvframe.spi.BackendProvider;
import io.nvframe.spi.ProviderConfig;
import io.nvframe.tck.MediumContractTest;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The TCK medium contract on a mapped file in each mode this machine can run: {@code msync} (every
 * Linux filesystem supports it; with {@code dax.msync} as {@code auto} picks it for the test
 * directory, and with {@code fdatasync}), {@code none} (eADR: flush is a counted no-op) and {@code emulate}
 * (cache-line write-back on a plain mapping). {@code emulate} needs {@code java.base/jdk.internal.misc}
 * exported, which the module's surefire argLine does; in a JVM without the export its run is
 * skipped, not failed. MAP_SYNC ({@code sync}) needs a DAX filesystem (backend-dax/README.md,
 * "What was tested on this machine").
 */
@ParameterizedClass(name = "dax.mode={0}")
@ValueSource(strings = {DaxBackendProvider.MODE_MSYNC, "msync,dax.msync=fdatasync", DaxBackendProvider.MODE_NONE,
    DaxBackendProvider.MODE_EMULATE})
class DaxBackendContractTest extends MediumContractTest {
  /** The mode, optionally followed by {@code ,dax.msync=<value>}. */
  @Parameter String mode;

  @BeforeEach
  void emulateNeedsWriteback() {
    assumeTrue(!mode.equals(DaxBackendProvider.MODE_EMULATE) || CacheLineWriteback.available(),
        () -> "emulate mode unavailable: " + CacheLineWriteback.unavailableReason());
  }

  @Override
  protected BackendProvider provider() {
    return new DaxBackendProvider();
  }

  @Override
  protected ProviderConfig config(Path dir, long capacity) {
    int comma = mode.indexOf(',');
    Map<String, String> options = comma < 0
        ? Map.of(DaxBackendProvider.MODE, mode)
        : Map.of(DaxBackendProvider.MODE, mode.substring(0, comma),
            DaxBackendProvider.MSYNC, mode.substring(mode.indexOf('=') + 1));
    return new ProviderConfig(dir.resolve("medium.nvf"), capacity, false, options);
  }
}
