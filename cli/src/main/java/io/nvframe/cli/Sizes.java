package io.nvframe.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Parses and prints byte sizes: {@code 4096}, {@code 64KiB}, {@code 64MiB}, {@code 1GiB}, {@code 2T}. */
final class Sizes implements CommandLine.ITypeConverter<Long> {
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]?)(i?b)?", Pattern.CASE_INSENSITIVE);

  @Override
  public Long convert(String value) {
    return parse(value);
  }

  static long parse(String value) {
    Matcher m = SIZE.matcher(value.trim());
    if (!m.matches()) {
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a size; use bytes or a binary unit, e.g. 4096, 64MiB, 1GiB");
    }
    long n = Long.parseLong(m.group(1));
    int shift =
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "k" -> 10;
          case "m" -> 20;
          case "g" -> 30;
          case "t" -> 40;
          default -> 0;
        };
    if (m.group(3) != null && m.group(2).isEmpty() && !m.group(3).equalsIgnoreCase("b")) {
      throw new CommandLine.TypeConversionException("'" + value + "' is not a size");
    }
    if (n > (Long.MAX_VALUE >> shift)) {
      throw new CommandLine.TypeConversionException("'" + value + "' is too large");
    }
    return n << shift;
  }

  static String format(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
