package io.nvframe.examples.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README.md's "Ten lines" block must be the {@code ten-lines} region of HelloFrames.java, verbatim
 * up to common indentation, so the README shows code that compiles and is tested.
 */
class ReadmeQuotesThisFileTest {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent().getParent();

  @Test
  void readmeTenLinesEqualTheTaggedRegion() throws IOException {
    String source = Files.readString(
        Path.of("src/main/java/io/nvframe/examples/hello/HelloFrames.java"));
    Matcher region = Pattern.compile("// tag::ten-lines\\[]\\n(.*?)\\n\\s*// end::ten-lines\\[]", Pattern.DOTALL)
        .matcher(source);
    assertEquals(true, region.find(), "HelloFrames.java has no ten-lines region");
    String readme = Files.readString(ROOT.resolve("README.md"));
    Matcher block = Pattern.compile("## Ten lines\\n(?:.*?\\n)??```java\\n(.*?)\\n```", Pattern.DOTALL).matcher(readme);
    assertEquals(true, block.find(), "README.md has no java block under '## Ten lines'");
    assertEquals(region.group(1).stripIndent(), block.group(1).stripIndent(),
        "README.md's 'Ten lines' block differs from the ten-lines region of "
            + "examples/hello-frames/.../HelloFrames.java; copy the region into the README");
  }
}
