package io.nvframe.backend.dax;

import io.nvframe.api.RegionLockedException;
import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Child-JVM program for the locking tests.
 *
 * <p>{@code LockProbeMain <path> ro|rw probe|hold [key=value,...]}: opens the region read-only or
 * writable, with the backend options given, and prints {@code OPENED} (then, with {@code hold},
 * keeps it open until stdin is closed) or {@code LOCKED <message>}. Anything else prints {@code
 * ERROR <exception>} and exits with 1.
 */
public final class LockProbeMain {
  private LockProbeMain() {}

  public static void main(String[] args) throws Exception {
    Path path = Path.of(args[0]);
    boolean readOnly = args[1].equals("ro");
    boolean hold = args[2].equals("hold");
    Map<String, String> options = new HashMap<>();
    if (args.length > 3) {
      for (String kv : args[3].split(",")) {
        options.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
      }
    }
    try (Medium m = new DaxBackendProvider().open(new ProviderConfig(path, 0, readOnly, options))) {
      System.out.println("OPENED " + m.loadLong(0));
      System.out.flush();
      if (hold) {
        while (System.in.read() >= 0) {
          // wait for the parent to close our stdin
        }
      }
    } catch (RegionLockedException e) {
      System.out.println("LOCKED " + e.getMessage());
    } catch (RuntimeException e) {
      System.out.println("ERROR " + e);
      System.exit(1);
    }
  }
}
