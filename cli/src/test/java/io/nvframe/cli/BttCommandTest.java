package io.nvframe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.backend.btt.Btt;
import io.nvframe.backend.btt.BttFiles;
import io.nvframe.backend.btt.BttFormat;
import io.nvframe.spi.Medium;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nvframe btt ...} on a raw BTT file laid out through the dax backend. */
class BttCommandTest {
  @TempDir Path dir;
  Path file;

  @BeforeEach
  void raw() throws Exception {
    file = dir.resolve("raw.btt");
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(17L << 20);
    }
    try (Medium m = BttFiles.openMedium(file, false, "dax")) {
      Btt.format(m, 0, m.size(), BttFormat.of(512), Btt.Options.defaults()).close();
    }
  }

  @Test
  void infoShowsArenasBlockSizesAndFlog() {
    CliTest.Result r = CliTest.run("btt", "info", file.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("kind:            raw BTT"), r.out());
    assertTrue(r.out().contains("block size:      512"), r.out());
    assertTrue(r.out().contains("free blocks (nfree):"), r.out());
    assertTrue(r.out().contains("flog:") && r.out().contains("(0,1) layout; 256 lanes never written"), r.out());
  }

  @Test
  void writeReadSetZeroSetErrorAndCheck() throws Exception {
    Path in = dir.resolve("in");
    byte[] block = new byte[512];
    for (int i = 0; i < block.length; i++) {
      block[i] = (byte) (i * 3 + 1);
    }
    Files.write(in, block);
    assertEquals(0, CliTest.run("btt", "write", file.toString(), "--lba", "9", "--from", in.toString()).code());
    Path out = dir.resolve("out");
    assertEquals(0, CliTest.run("btt", "read", file.toString(), "--lba", "9", "--to", out.toString()).code());
    assertArrayEquals(block, Files.readAllBytes(out));
    assertEquals(0, CliTest.run("btt", "set-zero", file.toString(), "--lba", "9").code());
    CliTest.run("btt", "read", file.toString(), "--lba", "9", "--to", out.toString());
    assertArrayEquals(new byte[512], Files.readAllBytes(out));
    assertEquals(0, CliTest.run("btt", "set-error", file.toString(), "--lba", "9").code());
    CliTest.Result r = CliTest.run("btt", "read", file.toString(), "--lba", "9", "--to", out.toString());
    assertEquals(1, r.code());
    assertEquals(1, r.err().lines().count(), "one line, no stack trace: " + r.err());
    assertTrue(r.err().contains("media error") && r.err().contains("[NV-051]"), r.err());
    CliTest.Result c = CliTest.run("btt", "check", file.toString());
    assertEquals(0, c.code(), c.err());
    assertTrue(c.out().contains(": consistent"), c.out());
  }

  @Test
  void checkListsProblemsAndRepairFixesThem() throws Exception {
    // wipe the backup info of the only arena: the last 4096 bytes
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(f.length() - 4096);
      f.write(new byte[4096]);
    }
    CliTest.Result c = CliTest.run("btt", "check", file.toString());
    assertEquals(1, c.code());
    assertTrue(c.err().contains("FAIL  arena 0: INFO_SIG backup info at " + ((17L << 20) - 4096)), c.err());
    assertTrue(c.out().contains("INCONSISTENT (1 problem(s), 1 repairable with --repair)"), c.out());
    CliTest.Result fixed = CliTest.run("btt", "check", "--repair", file.toString());
    assertEquals(0, fixed.code(), fixed.err());
    assertTrue(fixed.out().contains("fixed arena 0: backup info at " + ((17L << 20) - 4096) + " restored from the primary"), fixed.out());
    assertTrue(fixed.out().contains("consistent after 1 repair(s)"), fixed.out());
    assertEquals(0, CliTest.run("btt", "check", file.toString()).code());
  }

  @Test
  void errorsAreOneLineWithTheUsualExitCodes() throws Exception {
    Path in = dir.resolve("short");
    Files.write(in, new byte[100]);
    CliTest.Result w = CliTest.run("btt", "write", file.toString(), "--lba", "1", "--from", in.toString());
    assertEquals(1, w.code());
    assertEquals("nvframe: error: got 100 bytes from " + in + "; a block of " + file + " has exactly 512 bytes",
        w.err().strip());
    CliTest.Result oob = CliTest.run("btt", "read", file.toString(), "--lba", "99999999");
    assertEquals(1, oob.code());
    assertFalse(oob.err().contains("\tat "), oob.err());
    Path junk = dir.resolve("junk");
    Files.write(junk, new byte[1 << 20]);
    CliTest.Result none = CliTest.run("btt", "check", junk.toString());
    assertEquals(1, none.code());
    assertTrue(none.err().contains("neither a libpmemblk pool"), none.err());
    assertEquals(2, CliTest.run("btt", "read", file.toString()).code(), "missing --lba is a usage error");
  }
}
