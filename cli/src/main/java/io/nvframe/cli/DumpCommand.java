package io.nvframe.cli;

import io.nvframe.api.Frame;
import io.nvframe.api.Region;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "dump", description = "Hex dump of an allocated block, by its head frame number.")
final class DumpCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PATH") Path path;

  @Option(names = "--frame", required = true, paramLabel = "N", description = "Head frame number (pfn) of the block.")
  long pfn;

  @Option(names = "--offset", converter = Sizes.class, description = "First byte (default 0).") long offset;

  @Option(names = "--length", converter = Sizes.class, description = "Bytes to show (default 256; the block size at most).")
  long length = 256;

  @CommandLine.Mixin OpenOptions open = new OpenOptions();

  @Override
  public Integer call() {
    try (Region region = open.openReadOnly(path)) {
      PrintWriter out = spec.commandLine().getOut();
      Frame f = region.frameAt(pfn).orElseThrow(() -> new IllegalArgumentException(
          "frame " + pfn + " is not the head of an allocated block in " + path + " (free, a tail, or beyond the "
              + region.info().frameCount() + " frames); 'nvframe roots' lists the blocks roots point to"));
      long blockBytes = (long) region.info().frameSize() << f.order();
      if (offset < 0 || offset >= blockBytes) {
        throw new IllegalArgumentException("offset " + offset + " is outside the block of " + blockBytes + " bytes");
      }
      int n = (int) Math.min(length, blockBytes - offset);
      byte[] bytes = new byte[n];
      region.read(f, offset, bytes);
      out.printf("%s: pfn %d, order %d (%d bytes), generation %d%n", path, f.pfn(), f.order(), blockBytes, f.generation());
      for (int row = 0; row < n; row += 16) {
        StringBuilder hex = new StringBuilder();
        StringBuilder text = new StringBuilder();
        for (int i = row; i < Math.min(row + 16, n); i++) {
          hex.append(String.format("%02x ", bytes[i] & 0xff));
          text.append(bytes[i] >= 0x20 && bytes[i] < 0x7f ? (char) bytes[i] : '.');
        }
        out.printf("%08x  %-48s %s%n", offset + row, hex, text);
      }
      return 0;
    }
  }
}
