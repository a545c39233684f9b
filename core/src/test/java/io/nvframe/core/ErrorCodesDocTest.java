package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every error code has its anchor in docs/error-codes.md, and ids are unique. */
class ErrorCodesDocTest {
  @Test
  void everyCodeIsDocumentedOnce() throws IOException {
    Path doc = Path.of("..", "docs", "error-codes.md");
    String text = Files.readString(doc);
    Set<String> ids = new HashSet<>();
    for (ErrorCode c : ErrorCode.values()) {
      assertTrue(ids.add(c.id()), "duplicate id " + c.id());
      assertTrue(text.contains("## " + c.id() + "\n"), c + " has no section '## " + c.id() + "' in " + doc);
      assertTrue(text.contains("`" + c.name() + "`"), c + " is not named in " + doc);
    }
  }
}
