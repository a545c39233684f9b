package com.example.nvframe.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/writing-a-backend.md shows only code that this module compiles and tests: every java and
 * xml block in it follows a {@code <!-- snippet: PATH#TAG -->} line and equals, up to common
 * indentation, the lines between {@code tag::TAG[]} and {@code end::TAG[]} in PATH (relative to
 * the repository root; without {@code #TAG}, the whole file).
 */
class WritingABackendDocTest {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent().getParent();
  private static final Pattern BLOCK = Pattern.compile(
      "(?:<!-- snippet: ([^ #]+)(?:#([\\w-]+))? -->\\n)?```(\\w*)\\n(.*?)\\n```", Pattern.DOTALL);

  @Test
  void everyCodeBlockIsARegionOfTheModulesSources() throws IOException {
    String doc = Files.readString(ROOT.resolve("docs/writing-a-backend.md"));
    Matcher m = BLOCK.matcher(doc);
    List<String> checked = new ArrayList<>();
    while (m.find()) {
      String language = m.group(3);
      if (m.group(1) == null) {
        if (language.equals("java") || language.equals("xml")) {
          fail("a " + language + " block without a '<!-- snippet: PATH#TAG -->' line before it:\n" + m.group(4));
        }
        continue; // shell commands and output are not checked
      }
      String expected = region(m.group(1), m.group(2));
      assertEquals(expected.stripIndent(), m.group(4).stripIndent(),
          "docs/writing-a-backend.md differs from " + m.group(1) + (m.group(2) == null ? "" : "#" + m.group(2))
              + "; copy the region into the doc");
      checked.add(m.group(1) + "#" + m.group(2));
    }
    assertTrue(checked.size() >= 10, "snippets checked: " + checked);
  }

  private static String region(String file, String tag) throws IOException {
    Path path = ROOT.resolve(file);
    assertTrue(Files.isRegularFile(path), "snippet source " + file + " does not exist");
    List<String> lines = Files.readAllLines(path);
    if (tag == null) {
      return String.join("\n", lines).strip();
    }
    int start = -1;
    int end = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains("tag::" + tag + "[]")) {
        start = i + 1;
      } else if (lines.get(i).contains("end::" + tag + "[]")) {
        end = i;
      }
    }
    assertTrue(start > 0 && end >= start, "no region " + tag + " (tag::" + tag + "[] ... end::" + tag + "[]) in " + file);
    return String.join("\n", lines.subList(start, end));
  }
}
