package io.nvframe.examples.sortedmap;

import io.nvframe.api.Region;
import io.nvframe.core.Regions;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Child JVM of {@link KillNineTest}: opens the region, then puts keys {@code start, start + 1, ...}
 * and prints {@code ack N} after each put has returned, until it is killed.
 */
public final class KillChild {
  private KillChild() {}

  static String key(long i) {
    return String.format("k%09d", i);
  }

  static String value(long i) {
    return "v" + i + "-" + "x".repeat((int) (i * 31 % 200));
  }

  public static void main(String[] args) {
    Path file = Path.of(args[0]);
    long start = Long.parseLong(args[1]);
    PrintStream out = new PrintStream(System.out, false);
    try (Region region = Regions.open(file)) {
      BTreeMap<String, String> map = BTreeMap.open(region, "kill", Codecs.STRING, Codecs.STRING);
      out.println("ready");
      out.flush();
      for (long i = start; ; i++) {
        map.put(key(i), value(i));
        out.println("ack " + i);
        out.flush();
      }
    }
  }
}
