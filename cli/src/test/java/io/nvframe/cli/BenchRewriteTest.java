package io.nvframe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.Region;
import io.nvframe.core.Regions;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The rewrite operations of {@code bench} ({@code tx_rewrite_1m}, {@code tx_rewrite_16m}): each
 * operation one transaction over all of a thread's frames, the content read back at the end. The
 * fence and flush counts are whatever the counters say (the commit protocol decides them); only
 * that they are the same whole number for every operation is asserted.
 */
class BenchRewriteTest {
  private record Result(int code, String out, String err) {}

  private static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintWriter(out, true, StandardCharsets.UTF_8), new PrintWriter(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private record Row(String op, int threads, long ops, double opsPerSecond, double fences, double flushes, long bytesPerOp,
      long verifiedBytes) {}

  @Test
  void bothRewritesRunOnHeapAtOneAndTwoThreadsAndEveryByteIsVerified() {
    Result r = run("bench", "--backend", "heap", "--size", "160MiB", "--ops", "tx_rewrite_1m,tx_rewrite_16m",
        "--threads", "1,2", "--seconds", "0.02", "--warmup", "0.02", "--json");
    assertEquals(0, r.code(), r.out() + r.err());
    Matcher m = Pattern.compile("\"operation\": \"(\\w+)\",\\s*\"threads\": (\\d+),\\s*\"ops\": (\\d+),\\s*"
        + "\"opsPerSecond\": ([0-9.E+-]+),.*?\"fencesPerOp\": ([0-9.E+-]+),\\s*\"flushesPerOp\": ([0-9.E+-]+),\\s*"
        + "\"bytesPerOp\": (\\d+),\\s*\"verifiedBytes\": (\\d+)", Pattern.DOTALL).matcher(r.out());
    List<Row> rows = new ArrayList<>();
    while (m.find()) {
      rows.add(new Row(m.group(1), Integer.parseInt(m.group(2)), Long.parseLong(m.group(3)), Double.parseDouble(m.group(4)),
          Double.parseDouble(m.group(5)), Double.parseDouble(m.group(6)), Long.parseLong(m.group(7)),
          Long.parseLong(m.group(8))));
    }
    assertEquals(List.of("tx_rewrite_1m/1", "tx_rewrite_1m/2", "tx_rewrite_16m/1", "tx_rewrite_16m/2"),
        rows.stream().map(x -> x.op() + "/" + x.threads()).toList(), r.out());
    for (Row row : rows) {
      long bytes = row.op().equals("tx_rewrite_1m") ? 1L << 20 : 16L << 20;
      assertEquals(bytes, row.bytesPerOp(), row.toString());
      // every thread's frames were read back after its last transaction
      assertEquals(bytes * row.threads(), row.verifiedBytes(), row.toString());
      // at least two operations per thread (a measured batch and a latency batch)
      assertTrue(row.ops() >= 2L * row.threads() && row.opsPerSecond() > 0, row.toString());
      // every operation is the same transaction shape: a whole number of fences per operation (the
      // flushes depend on how many extension blocks the record got, which free space decides)
      assertTrue(row.fences() >= 1 && row.fences() == Math.rint(row.fences()), row.toString());
      assertTrue(row.flushes() >= 1, row.toString());
    }
  }

  @Test
  void rewritesAreNotInTheDefaultOperations() {
    List<BenchCommand.Op> defaults = BenchCommand.Op.defaults();
    assertFalse(defaults.contains(BenchCommand.Op.TX_REWRITE_1M) || defaults.contains(BenchCommand.Op.TX_REWRITE_16M), defaults.toString());
    for (BenchCommand.Op op : BenchCommand.Op.values()) {
      assertEquals(op.rewriteBytes == 0, defaults.contains(op), op.toString());
    }
    String help = run("bench", "--help").out().replaceAll("\\s+", " ");
    assertTrue(help.contains("tx_rewrite_16m") && help.contains("default all but the tx_rewrite_ ones"), help);
  }

  @Test
  void aRegionTooSmallForTheRewriteIsRefusedWithTheSizeNeeded() {
    Result r = run("bench", "--backend", "heap", "--size", "32MiB", "--ops", "tx_rewrite_16m", "--threads", "1",
        "--seconds", "0.02", "--warmup", "0.02");
    assertEquals(Main.FAILED, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("tx_rewrite_16m on 1 thread(s) needs about") && r.err().contains("give a larger --size"), r.err());
  }

  /** The check at the end reads back every byte: committed content passes, one changed byte fails, naming where. */
  @Test
  void verificationPassesAfterCommitsAndCatchesOneChangedByte() {
    try (Region region = Regions.builder().backend("heap").capacity(16L << 20).create()) {
      LongAdder verified = new LongAdder();
      BenchRegionWork.Rewrite w = new BenchRegionWork.Rewrite(region, 16 * 4096, "tx_rewrite_test", verified);
      long free = region.stats().freeFrames();
      for (int i = 0; i < 3; i++) {
        w.op(i);
      }
      assertEquals(free, region.stats().freeFrames(), "extension frames are returned after each commit");
      byte[] expected = new byte[4096];
      byte[] actual = new byte[4096];
      for (int k = 0; k < 16; k++) {
        BenchRegionWork.Rewrite.fill(expected, 3, k);
        region.read(w.frame(k), 0, actual);
        assertEquals(-1, java.util.Arrays.mismatch(expected, actual), "frame " + k + " holds transaction 3's content");
      }
      w.verify();
      assertEquals(16 * 4096, verified.sum());
      region.write(w.frame(5), 100, new byte[] {(byte) ~expected[100]});
      IllegalStateException e = assertThrows(IllegalStateException.class, w::verify);
      assertTrue(e.getMessage().contains("frame 5 of 16") && e.getMessage().contains("at byte 100"), e.getMessage());
      assertThrows(IllegalStateException.class, w::close, "close verifies too");
      assertEquals(free + 16 + 2, region.stats().freeFrames(),
          "close frees the 16 frames and the thread's two others even when the check fails");
    }
  }
}
