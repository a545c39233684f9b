package io.nvframe.examples.hello;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.nvframe.api.Frame;
import io.nvframe.api.Region;
import io.nvframe.core.Regions;
import java.nio.file.Path;

/**
 * The README's "Ten lines": opens (or creates) a 64 MiB region file with the {@code dax} backend,
 * stores "hello" in a new frame under the root {@code greeting} in one transaction (the first run
 * only), reads it back and prints it. README.md quotes the lines between the tags verbatim
 * ({@code ReadmeQuotesThisFileTest} checks it).
 *
 * <p>Usage: {@code HelloFrames [region file]} (default {@code data/region.nvf}).
 */
public final class HelloFrames {
  private HelloFrames() {}

  public static void main(String[] args) {
    Path file = Path.of(args.length > 0 ? args[0] : "data/region.nvf");
    // tag::ten-lines[]
    try (Region region = Regions.builder()
            .backend("dax").path(file).capacity(64L << 20)
            .openOrCreate()) {
        region.transact(tx -> {
            if (tx.root("greeting").isPresent()) return;  // stored by an earlier run
            Frame page = tx.allocate(0);                 // 4 KiB, published at commit
            tx.write(page, 0, "hello".getBytes(UTF_8));  // new frame: written directly, not logged
            tx.setRoot("greeting", page);                // found again after restart
        });
        byte[] hello = new byte[5];
        region.read(region.root("greeting").orElseThrow(), 0, hello);
        System.out.println(new String(hello, UTF_8));
    }
    // end::ten-lines[]
  }
}
