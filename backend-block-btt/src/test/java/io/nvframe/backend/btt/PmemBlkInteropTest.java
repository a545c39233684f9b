package io.nvframe.backend.btt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both directions with PMDK 1.12's libpmemblk: blocks nvframe writes into a libpmemblk pool (the
 * fixture, and a fresh {@code pmempool create blk} pool that nvframe lays out) read back with {@code
 * pmemblk_read}, and {@code pmempool check} reports the pool consistent. Needs {@code cc}, {@code
 * libpmemblk-dev} and {@code pmdk-tools} (Debian); skipped with a printed reason otherwise.
 */
class PmemBlkInteropTest {
  @TempDir static Path dir;
  private static Path dump;
  private static String skip;

  @BeforeAll
  static void build() throws Exception {
    if (!Files.isRegularFile(Path.of("/usr/include/libpmemblk.h"))) {
      skip = "libpmemblk.h not installed (apt-get install -y libpmemblk-dev pmdk-tools)";
    } else if (run(List.of("pmempool", "--version")).exit != 0) {
      skip = "pmempool not installed (apt-get install -y pmdk-tools)";
    } else {
      Path src = dir.resolve("pmemblk_dump.c");
      try (InputStream in = PmemBlkInteropTest.class.getResourceAsStream("/pmemblk_dump.c")) {
        Files.write(src, in.readAllBytes());
      }
      dump = dir.resolve("pmemblk_dump");
      Result r = run(List.of("cc", "-O1", "-o", dump.toString(), src.toString(), "-lpmemblk"));
      if (r.exit != 0) {
        skip = "cannot compile against libpmemblk: " + new String(r.err);
      }
    }
    if (skip != null) {
      System.out.println("SKIP PmemBlkInteropTest: " + skip);
    }
  }

  record Result(int exit, byte[] out, byte[] err) {}

  static Result run(List<String> cmd) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(cmd).start();
    } catch (IOException e) {
      return new Result(127, new byte[0], e.toString().getBytes());
    }
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timeout: " + cmd);
    return new Result(p.exitValue(), out, err);
  }

  /** Reads blocks with libpmemblk: null for EIO. */
  static List<byte[]> pmemblkRead(Path pool, int bsize, long... lbas) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(dump.toString(), pool.toString(), Integer.toString(bsize)));
    for (long l : lbas) {
      cmd.add(Long.toString(l));
    }
    Result r = run(cmd);
    assertEquals(0, r.exit, new String(r.err));
    List<byte[]> out = new ArrayList<>();
    int at = 0;
    for (int i = 0; i < lbas.length; i++) {
      int status = r.out[at++];
      assertTrue(status == 0 || status == 1, "pmemblk_read of lba " + lbas[i] + ": status " + status);
      if (status == 0) {
        out.add(Arrays.copyOfRange(r.out, at, at + bsize));
        at += bsize;
      } else {
        out.add(null);
      }
    }
    return out;
  }

  static void assertPmempoolConsistent(Path pool) throws Exception {
    Result r = run(List.of("pmempool", "check", "-v", pool.toString()));
    String text = new String(r.out) + new String(r.err);
    assertEquals(0, r.exit, text);
    assertTrue(text.contains("consistent") && !text.contains("not consistent"), text);
  }

  @Test
  void blocksNvframeWritesIntoTheFixtureReadBackWithLibpmemblk() throws Exception {
    assumeTrue(skip == null, skip);
    Optional<byte[]> img = Support.fixturePool();
    assumeTrue(img.isPresent(), "fixture absent");
    Path pool = dir.resolve("fixture.pool");
    Files.write(pool, img.get());
    long[] lbas = {0, 1, 17, 34, 7918, 100, 101, 102, 2, 3};
    try (BttFiles.Opened o = BttFiles.open(pool, false, null)) {
      assertEquals(8192, o.location().offset());
      for (int i = 0; i < 8; i++) {
        o.btt().write(lbas[i], Support.pattern(lbas[i], 40, 4096), 0);
      }
      o.btt().setZero(2);
      o.btt().setError(3);
    }
    List<byte[]> got = pmemblkRead(pool, 4096, lbas);
    for (int i = 0; i < 8; i++) {
      assertArrayEquals(Support.pattern(lbas[i], 40, 4096), got.get(i), "pmemblk_read of lba " + lbas[i]);
    }
    assertArrayEquals(new byte[4096], got.get(8), "set-zero block");
    assertEquals(null, got.get(9), "set-error block reads as EIO with libpmemblk");
    // untouched fixture blocks still read as the README lists, with libpmemblk too
    List<byte[]> rest = pmemblkRead(pool, 4096, 4, 6, 10, 51);
    assertArrayEquals(Support.fixtureExpected(4), rest.get(0));
    assertArrayEquals(Support.fixtureExpected(6), rest.get(1));
    assertArrayEquals(Support.fixtureExpected(10), rest.get(2));
    assertEquals(null, rest.get(3), "lba 51 = 3 * 17 was marked error by libpmemblk");
    assertPmempoolConsistent(pool);
  }

  @Test
  void aFreshLibpmemblkPoolLaidOutByNvframeReadsBackWithLibpmemblk() throws Exception {
    assumeTrue(skip == null, skip);
    Path pool = dir.resolve("fresh.pool");
    Result c = run(List.of("pmempool", "create", "blk", "512", "--size", "40M", pool.toString()));
    assertEquals(0, c.exit, new String(c.err));
    long[] lbas = {0, 5, 77, 1000, 20000};
    try (BttFiles.Opened o = BttFiles.open(pool, false, null)) {
      assertTrue(o.location().pool());
      assertEquals(512, o.btt().blockSize());
      for (long l : lbas) {
        o.btt().write(l, Support.pattern(l, 3, 512), 0);
      }
    }
    List<byte[]> got = pmemblkRead(pool, 512, lbas);
    for (int i = 0; i < lbas.length; i++) {
      assertArrayEquals(Support.pattern(lbas[i], 3, 512), got.get(i), "pmemblk_read of lba " + lbas[i]);
    }
    assertArrayEquals(new byte[512], pmemblkRead(pool, 512, 6).get(0));
    assertPmempoolConsistent(pool);
    // and nvframe's own check agrees
    try (BttFiles.Opened o = BttFiles.open(pool, true, null)) {
      BttCheck.Report r = BttCheck.check(o.medium(), o.location().offset(), o.location().rawSize(), o.location().options(true));
      assertTrue(r.consistent(), r.problems().toString());
    }
  }
}
