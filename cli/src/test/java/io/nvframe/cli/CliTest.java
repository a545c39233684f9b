package io.nvframe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
  @TempDir Path dir;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void createInfoCheckStatsRootsRoundTrip() {
    Path file = dir.resolve("r.nvf");
    Result r = run("create", file.toString(), "--backend", "dax", "--size", "16MiB", "--max-order", "6", "--lanes", "8");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("created") && r.out().contains("16.0 MiB"), r.out());
    r = run("info", file.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("backend       dax") && r.out().contains("frame table"), r.out());
    r = run("info", file.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().trim().startsWith("{") && r.out().contains("\"backend\": \"dax\"") && r.out().contains("\"freeFrames\""), r.out());
    r = run("check", file.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("consistent"), r.out());
    r = run("check", file.toString(), "--json");
    assertTrue(r.out().contains("\"consistent\": true"), r.out());
    assertEquals(0, run("stats", file.toString()).code());
    r = run("roots", file.toString());
    assertEquals(0, r.code());
    assertTrue(r.out().contains("(no roots)"), r.out());
  }

  @Test
  void checkOfADamagedRegionExitsOneWithTheReasonOnStderr() throws IOException {
    Path file = dir.resolve("bad.nvf");
    assertEquals(0, run("create", file.toString(), "--backend", "dax", "--size", "8MiB", "--lanes", "2", "--max-order", "4").code());
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(80);
      raf.write(0x7f); // copy A only: still opens from B, but check reports it
    }
    Result r = run("check", file.toString());
    assertEquals(1, r.code(), r.out());
    assertTrue(r.err().contains("copy A"), r.err());
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(4096 + 80);
      raf.write(0x7f);
    }
    r = run("check", file.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("NV-014"), r.err());
    r = run("info", file.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("nvframe: error: ") && r.err().contains("NV-014"), r.err());
  }

  @Test
  void errorsAndUsage() throws IOException {
    Result r = run("info", dir.resolve("missing.nvf").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("NV-010"), r.err());
    r = run("create", dir.resolve("x.nvf").toString(), "--backend", "nosuch", "--size", "8MiB");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("btt, chronicle, dax, heap"), r.err());
    assertEquals(2, run("create", dir.resolve("y.nvf").toString(), "--size", "8MiB").code(), "missing --backend");
    assertEquals(2, run("create", dir.resolve("y.nvf").toString(), "--backend", "dax", "--size", "lots").code());
    assertEquals(2, run("frobnicate").code());
    assertEquals(2, run().code());
    Path text = dir.resolve("notes.txt");
    Files.writeString(text, "not a region at all, but long enough? no.");
    r = run("check", text.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("NV-013"), r.err());
  }

  @Test
  void backendsListsNamesCapabilitiesAndAvailability() {
    Result r = run("backends");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("dax") && r.out().contains("heap") && r.out().contains("DURABLE"), r.out());
    r = run("backends", "--json");
    assertTrue(r.out().contains("\"name\": \"dax\"") && r.out().contains("\"available\": true"), r.out());
  }

  @Test
  void dumpShowsTheBytesOfABlockAndRefusesFreeFrames() {
    Path file = dir.resolve("d.nvf");
    long pfn;
    try (io.nvframe.api.Region r = io.nvframe.core.Regions.builder().backend("dax").path(file)
        .capacity(8L << 20).maxOrder(4).lanes(2).create()) {
      io.nvframe.api.Frame f = r.allocate(1);
      r.write(f, 16, "nvframe!".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      r.persist(f, 16, 8);
      pfn = f.pfn();
    }
    Result res = run("dump", file.toString(), "--frame", Long.toString(pfn), "--length", "32");
    assertEquals(0, res.code(), res.err());
    assertTrue(res.out().contains("order 1 (8192 bytes)"), res.out());
    assertTrue(res.out().contains("00000010  6e 76 66 72 61 6d 65 21") && res.out().contains("nvframe!"), res.out());
    res = run("dump", file.toString(), "--frame", Long.toString(pfn + 1));
    assertEquals(1, res.code());
    assertTrue(res.err().contains("not the head"), res.err());
  }

  @Test
  void aotTrainingRunsEveryCommandCleanly() throws java.io.IOException {
    Path scratch = java.nio.file.Files.createDirectory(dir.resolve("training"));
    Result r = run("aot-training", scratch.toString());
    assertEquals(0, r.code(), "every training step exits 0: " + r.err());
    assertEquals(0, run("check", scratch.resolve("training.nvf").toString()).code(),
        "the workload left a consistent region");
    Result notADir = run("aot-training", scratch.resolve("training.nvf").toString());
    assertEquals(2, notADir.code());
    assertTrue(notADir.err().contains("is not a folder"), notADir.err());
  }

  @Test
  void everyCommandHasHelp() {
    for (String command : java.util.List.of("create", "info", "check", "stats", "roots", "dump", "backends", "demo",
        "bench")) {
      Result r = run(command, "--help");
      assertEquals(0, r.code(), command + " --help: " + r.err());
      assertTrue(r.out().contains("Usage: nvframe " + command), command + ": " + r.out());
    }
  }

  @Test
  void sizesParseBinaryUnits() {
    assertEquals(4096, Sizes.parse("4096"));
    assertEquals(64L << 20, Sizes.parse("64MiB"));
    assertEquals(1L << 30, Sizes.parse("1GiB"));
    assertEquals(2L << 40, Sizes.parse("2T"));
    assertEquals("64.0 MiB", Sizes.format(64L << 20));
  }
}
