package io.nvframe.backend.dax;

import io.nvframe.api.NvframeException;
import io.nvframe.spi.Availability;
import io.nvframe.spi.ProviderConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Child-JVM program run WITHOUT {@code --add-exports java.base/jdk.internal.misc=...}, or with it in
 * a JVM without the C2 compiler ({@code -Xint}, {@code -XX:TieredStopAtLevel=1}): tries mode
 * {@code emulate} and prints what happened, one fact per line ({@code AVAILABLE}, {@code PROBE},
 * {@code CODE}, {@code MESSAGE}, {@code EXISTS}), then, with a second argument {@code auto},
 * creates a region in mode {@code auto} and prints its resolved mode ({@code AUTO msync}).
 */
public final class EmulateWithoutExportMain {
  private EmulateWithoutExportMain() {}

  public static void main(String[] args) {
    Path path = Path.of(args[0]).resolve("emulate.nvf");
    ProviderConfig config =
        new ProviderConfig(path, 1 << 20, false, Map.of(DaxBackendProvider.MODE, DaxBackendProvider.MODE_EMULATE));
    DaxBackendProvider provider = new DaxBackendProvider();
    System.out.println("AVAILABLE " + CacheLineWriteback.available());
    Availability a = provider.probe(config);
    System.out.println("PROBE " + a.available() + " " + a.reason());
    try {
      provider.create(config).close();
      System.out.println("CODE none");
    } catch (NvframeException e) {
      System.out.println("CODE " + e.code());
      System.out.println("MESSAGE " + e.getMessage());
    }
    System.out.println("EXISTS " + Files.exists(path));
    if (args.length > 1 && args[1].equals("auto")) {
      Path auto = Path.of(args[0]).resolve("auto.nvf");
      try (var m = provider.create(new ProviderConfig(auto, 1 << 20, false, Map.of()))) {
        m.storeLong(0, 42);
        m.persist(0, 8);
        System.out.println("AUTO " + m.properties().get(DaxBackendProvider.MODE));
      }
    }
  }
}
