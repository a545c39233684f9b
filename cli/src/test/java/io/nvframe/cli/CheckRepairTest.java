package io.nvframe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.cli.CliTest.Result;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nvframe check --repair}: a damaged header copy is rewritten from the good one and reported. */
class CheckRepairTest {
  private static final int HEADER_B = 4096;

  @TempDir Path dir;

  private Path region() {
    Path file = dir.resolve("r.nvf");
    Result r = CliTest.run("create", file.toString(), "--backend", "dax", "--size", "8MiB", "--lanes", "2", "--max-order", "4");
    assertEquals(0, r.code(), r.err());
    return file;
  }

  private static void flipByte(Path file, long offset) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(offset);
      int b = raf.read();
      raf.seek(offset);
      raf.write(b ^ 0x5a);
    }
  }

  private static byte[] headers(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    return java.util.Arrays.copyOf(all, 2 * HEADER_B);
  }

  private void damagedCopyIsRewritten(long damageAt, String copy, String from) throws IOException {
    Path file = region();
    byte[] good = headers(file);
    flipByte(file, damageAt);
    byte[] damaged = headers(file);

    Result plain = CliTest.run("check", file.toString());
    assertEquals(1, plain.code(), plain.out());
    assertTrue(plain.err().contains("copy " + copy), plain.err());
    assertArrayEquals(damaged, headers(file), "plain check must not write");

    Result r = CliTest.run("check", file.toString(), "--repair");
    assertEquals(0, r.code(), r.out() + r.err());
    int offset = copy.equals("A") ? 0 : HEADER_B;
    assertTrue(r.out().contains("repaired  header copy " + copy + " (offset " + offset + ") rewritten from copy " + from),
        r.out());
    assertTrue(r.out().contains(": consistent"), r.out());
    assertArrayEquals(good, headers(file), "both copies equal the original header again");

    Result again = CliTest.run("check", file.toString(), "--repair");
    assertEquals(0, again.code(), again.err());
    assertFalse(again.out().contains("repaired"), again.out());
  }

  @Test
  void damagedCopyAIsRewrittenFromCopyB() throws IOException {
    damagedCopyIsRewritten(80, "A", "B");
  }

  @Test
  void damagedCopyBIsRewrittenFromCopyA() throws IOException {
    damagedCopyIsRewritten(HEADER_B + 80, "B", "A");
  }

  @Test
  void bothCopiesDamagedIsAClearErrorAndNothingIsWritten() throws IOException {
    Path file = region();
    flipByte(file, 80);
    flipByte(file, HEADER_B + 80);
    byte[] before = Files.readAllBytes(file);
    Result r = CliTest.run("check", file.toString(), "--repair", "--json");
    assertEquals(1, r.code(), r.out());
    assertTrue(r.out().contains("\"consistent\": false") && r.out().contains("\"repairs\": []"), r.out());
    assertTrue(r.out().contains("NV-014"), r.out());
    r = CliTest.run("check", file.toString(), "--repair");
    assertEquals(1, r.code(), r.out());
    assertTrue(r.err().contains("nothing repaired") && r.err().contains("NV-014"), r.err());
    assertArrayEquals(before, Files.readAllBytes(file), "nothing may be written");
  }

  @Test
  void aConsistentRegionIsLeftAlone() throws IOException {
    Path file = region();
    byte[] before = Files.readAllBytes(file);
    Result r = CliTest.run("check", file.toString(), "--repair");
    assertEquals(0, r.code(), r.err());
    assertFalse(r.out().contains("repaired"), r.out());
    assertArrayEquals(before, Files.readAllBytes(file));
  }
}
