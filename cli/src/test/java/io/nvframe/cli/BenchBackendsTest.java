package io.nvframe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench --backends}: every installed backend is measured in its own JVM (chronicle with the
 * flags from its jar), a missing one is skipped with the reason, and the table, JSON and chart
 * describe the same points. Timings are not asserted, only their presence and the exact fence
 * counts per operation.
 */
class BenchBackendsTest {
  @TempDir Path dir;

  private record Result(int code, String out, String err) {}

  private Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintWriter(out, true, StandardCharsets.UTF_8), new PrintWriter(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Regions go to tmpfs when there is one (msync there costs no disk I/O), else to the test's folder. */
  private Path regionDir() throws IOException {
    Path shm = Path.of("/dev/shm");
    return Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "nvframe-bench-test-") : dir;
  }

  @Test
  void comparesInstalledBackendsAndSkipsMissingOnes() throws IOException {
    Path regions = regionDir();
    Path json = dir.resolve("out/bench.json");
    Path chart = dir.resolve("out/bench.png");
    Result r = run("bench", "--backends", "heap,chronicle,no-such-backend,dax", "--dir", regions.toString(), "--size", "64MiB",
        "--seconds", "0.05", "--warmup", "0.05", "--repeats", "2", "--threads", "1",
        "--ops", "alloc_free_4k,tx_update_64b", "--json", json.toString(), "--chart", chart.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    if (!regions.equals(dir)) {
      try (var left = Files.list(regions)) {
        assertEquals(List.of(), left.toList(), "bench deletes its region files");
      }
      Files.delete(regions);
    }
    assertTrue(r.out().contains("skipped no-such-backend: not installed"), r.out());
    for (String backend : List.of("heap", "chronicle", "dax")) {
      for (String op : List.of("alloc_free_4k", "tx_update_64b")) {
        assertTrue(Pattern.compile("(?m)^" + backend + "\\s+\\S+\\s+" + op + "\\s+1\\s").matcher(r.out()).find(),
            backend + " " + op + " row in the table:\n" + r.out());
      }
    }
    String doc = Files.readString(json);
    // 3 backends x 2 operations x 1 thread count
    Matcher results = Pattern.compile("\"op\": \"(\\w+)\",\\s*\"backend\": \"([\\w-]+)\",\\s*\"mode\": \"[^\"]*\",\\s*"
        + "\"threads\": 1,\\s*\"opsPerSec\": ([0-9.E+-]+),.*?\"repetitions\": 2,\\s*\"p50Ns\": ([0-9.E+-]+),\\s*"
        + "\"p99Ns\": ([0-9.E+-]+),\\s*\"fencesPerOp\": ([0-9.E+-]+)", Pattern.DOTALL).matcher(doc);
    int n = 0;
    Map<String, Double> fencesByOp = new java.util.HashMap<>();
    while (results.find()) {
      n++;
      assertTrue(Double.parseDouble(results.group(3)) > 0, "opsPerSec > 0: " + results.group());
      assertTrue(Double.parseDouble(results.group(5)) >= Double.parseDouble(results.group(4)), "p99 >= p50: " + results.group());
      // fence counts are exact and come from the transaction protocol, not the backend: the same
      // whole number for an operation on every backend
      double fences = Double.parseDouble(results.group(6));
      assertTrue(fences >= 1 && fences == Math.rint(fences), "whole fences/op: " + results.group());
      Double before = fencesByOp.putIfAbsent(results.group(1), fences);
      assertTrue(before == null || before == fences, "fences/op of " + results.group(1) + " on " + results.group(2)
          + " is " + fences + ", on another backend " + before);
    }
    assertEquals(6, n, "result objects in the JSON:\n" + doc);
    assertTrue(doc.contains("\"backend\": \"no-such-backend\""), "the skipped backend is in the JSON");
    BufferedImage png = ImageIO.read(chart.toFile());
    assertNotNull(png, "the chart is a PNG");
    assertTrue(png.getWidth() >= 1000 && png.getHeight() >= 400, "chart size " + png.getWidth() + "x" + png.getHeight());
  }

  /**
   * The BTT block rows: on {@code btt} every block operation at 1 and 2 threads, in the table and
   * the JSON, with exactly 3 fences per block write and none per read; on {@code heap} none of them
   * (they do not apply), while the region operation runs on both.
   */
  @Test
  void bttHasBlockRowsWithThreeFencesPerWriteOtherBackendsHaveNone() throws IOException {
    Path regions = regionDir();
    Path json = dir.resolve("btt.json");
    Path chart = dir.resolve("btt.png");
    List<String> blockOps = List.of("blk_write_4k", "blk_read_4k", "blk_write_512", "blk_read_512");
    Result r = run("bench", "--backends", "heap,btt", "--dir", regions.toString(), "--size", "32MiB",
        "--seconds", "0.02", "--warmup", "0.02", "--repeats", "2", "--threads", "1,2",
        "--ops", "tx_update_64b," + String.join(",", blockOps), "--json", json.toString(), "--chart", chart.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    if (!regions.equals(dir)) {
      try (var left = Files.list(regions)) {
        assertEquals(List.of(), left.toList(), "bench deletes its region and BTT files");
      }
      Files.delete(regions);
    }
    for (String op : blockOps) {
      for (int threads : new int[] {1, 2}) {
        assertTrue(Pattern.compile("(?m)^btt\\s+\\S+\\s+" + op + "\\s+" + threads + "\\s").matcher(r.out()).find(),
            "btt " + op + " " + threads + " row in the table:\n" + r.out());
      }
      assertFalse(Pattern.compile("(?m)^heap\\s+\\S+\\s+" + op + "\\s").matcher(r.out()).find(),
          "no " + op + " row for heap:\n" + r.out());
    }
    for (String backend : List.of("heap", "btt")) {
      assertTrue(Pattern.compile("(?m)^" + backend + "\\s+\\S+\\s+tx_update_64b\\s+1\\s").matcher(r.out()).find(), r.out());
    }
    String doc = Files.readString(json);
    Matcher results = Pattern.compile("\"op\": \"(\\w+)\",\\s*\"backend\": \"([\\w-]+)\",\\s*\"mode\": \"[^\"]*\",\\s*"
        + "\"threads\": (\\d+),\\s*\"opsPerSec\": ([0-9.E+-]+),.*?\"p50Ns\": ([0-9.E+-]+),\\s*"
        + "\"p99Ns\": ([0-9.E+-]+),\\s*\"fencesPerOp\": ([0-9.E+-]+),\\s*\"flushesPerOp\": ([0-9.E+-]+)", Pattern.DOTALL)
        .matcher(doc);
    Map<String, Integer> blockRows = new java.util.TreeMap<>();
    int all = 0;
    while (results.find()) {
      all++;
      String op = results.group(1);
      if (!op.startsWith("blk_")) {
        continue;
      }
      assertEquals("btt", results.group(2), "block rows only for btt: " + results.group());
      blockRows.merge(op, 1, Integer::sum);
      assertTrue(Double.parseDouble(results.group(4)) > 0, "opsPerSec > 0: " + results.group());
      assertTrue(Double.parseDouble(results.group(6)) >= Double.parseDouble(results.group(5)), "p99 >= p50: " + results.group());
      boolean write = op.startsWith("blk_write");
      assertEquals(write ? 3.0 : 0.0, Double.parseDouble(results.group(7)), "fences per block op: " + results.group());
      double flushes = Double.parseDouble(results.group(8));
      assertTrue(write ? flushes >= 3 : flushes == 0, "flushes per block op: " + results.group());
    }
    assertEquals(Map.of("blk_read_4k", 2, "blk_read_512", 2, "blk_write_4k", 2, "blk_write_512", 2), blockRows, doc);
    assertEquals(2 * 2 + 4 * 2, all, "2 tx_update_64b rows (heap, btt) x 2 thread counts + 8 block rows:\n" + doc);
    BufferedImage png = ImageIO.read(chart.toFile());
    assertNotNull(png, "the chart is a PNG");
    assertTrue(png.getWidth() >= 5 * 600, "one panel per operation, 5 operations: width " + png.getWidth());
  }

  @Test
  void blockOperationsAloneNeedTheBttBackend() {
    Result r = run("bench", "--backend", "heap", "--ops", "blk_write_4k");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("need --backend btt"), r.err());
  }

  /** {@code btt bench} (compare-pmdk.sh parses its lines) goes through the same block code: 3 fences per write. */
  @Test
  void bttBenchPrintsWriteAndReadLinesWithExactFences() throws IOException {
    Path regions = regionDir();
    Result r = run("btt", "bench", "--dir", regions.toString(), "--size", Long.toString(32L << 20), "--block-size", "512",
        "--seconds", "0.02", "--threads", "2", "--dax-mode", "msync");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(Pattern.compile("(?m)^blk_write_512 2 [0-9,]+ [0-9.]+ 3\\.00 [0-9.]+ MB_s=").matcher(r.out()).find(), r.out());
    assertTrue(Pattern.compile("(?m)^blk_read_512 2 [0-9,]+ [0-9.]+ 0\\.00 0\\.00 MB_s=.* mode=msync").matcher(r.out()).find(),
        r.out());
    if (!regions.equals(dir)) {
      try (var left = Files.list(regions)) {
        assertEquals(List.of(), left.toList(), "btt bench deletes its file");
      }
      Files.delete(regions);
    }
  }

  /** A third-party backend compiled here, in a jar of its own with a services file and a jvm-options file. */
  private Path thirdPartyJar() throws IOException {
    Path src = Files.createDirectories(dir.resolve("src/thirdparty"));
    Files.writeString(src.resolve("CopyProvider.java"), """
        package thirdparty;
        import io.nvframe.spi.*;
        import java.lang.foreign.Arena;
        import java.util.Set;
        public final class CopyProvider implements BackendProvider {
          static final Set<Capability> CAPS = Set.of(Capability.VOLATILE, Capability.BYTE_ADDRESSABLE);
          public CopyProvider() {}
          public String name() { return "heap-copy"; }
          public Set<Capability> capabilities() { return CAPS; }
          public Availability probe(ProviderConfig c) {
            return "yes".equals(System.getProperty("thirdparty.flag"))
                ? Availability.available("flag set") : Availability.unavailable("needs -Dthirdparty.flag=yes");
          }
          public Medium create(ProviderConfig c) {
            Arena arena = Arena.ofShared();
            return new SegmentMedium(arena.allocate(c.capacity(), 4096), "heap-copy") {
              public Set<Capability> capabilities() { return CAPS; }
              protected void doFlush(long offset, long length) {}
              protected void doFence() {}
              protected void doClose() { arena.close(); }
            };
          }
          public Medium open(ProviderConfig c) { throw new UnsupportedOperationException("volatile"); }
        }
        """);
    Path classes = Files.createDirectories(dir.resolve("classes"));
    String cp = List.of(io.nvframe.spi.BackendProvider.class, io.nvframe.api.NvframeException.class).stream()
        .map(c -> {
          try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
          } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
          }
        })
        .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    int rc = javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(), "-cp", cp,
        src.resolve("CopyProvider.java").toString());
    assertEquals(0, rc, "the test backend compiles");
    Path jar = dir.resolve("lib/heap-copy.jar");
    Files.createDirectories(jar.getParent());
    try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
      try (var files = Files.walk(classes)) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          out.putNextEntry(new java.util.jar.JarEntry(classes.relativize(f).toString().replace('\\', '/')));
          out.write(Files.readAllBytes(f));
          out.closeEntry();
        }
      }
      out.putNextEntry(new java.util.jar.JarEntry("META-INF/services/io.nvframe.spi.BackendProvider"));
      out.write("thirdparty.CopyProvider\n".getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
      out.putNextEntry(new java.util.jar.JarEntry("META-INF/nvframe/heap-copy.jvm-options"));
      out.write("-Dthirdparty.flag=yes\n".getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    return jar;
  }

  @Test
  void backendPathAddsAThirdPartyBackendWithItsFlags() throws IOException {
    Path jar = thirdPartyJar();
    String[] common = {"--seconds", "0.05", "--warmup", "0.05", "--repeats", "1", "--threads", "1",
        "--ops", "alloc_free_4k", "--size", "16MiB"};
    Result without = run(concat(new String[] {"bench", "--backends", "heap-copy"}, common));
    assertEquals(0, without.code(), without.err());
    assertTrue(without.out().contains("skipped heap-copy: not installed"), without.out());
    // a folder of jars; the child JVM gets -Dthirdparty.flag=yes from the jar, so probe says available
    Result with = run(concat(new String[] {"bench", "--backends", "heap-copy", "--backend-path", jar.getParent().toString()},
        common));
    assertEquals(0, with.code(), with.out() + with.err());
    assertTrue(Pattern.compile("(?m)^heap-copy\\s+-\\s+alloc_free_4k\\s+1\\s").matcher(with.out()).find(), with.out());
    Result missing = run("bench", "--backends", "heap", "--backend-path", dir.resolve("nope").toString());
    assertEquals(1, missing.code());
    assertTrue(missing.err().contains("neither a jar nor a folder of jars"), missing.err());
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "dax.msync={0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"merged", "fdatasync"})
  void msyncRowsSayHowTheRegionSyncs(String msync) throws IOException {
    Path regions = regionDir();
    Result r = run("bench", "--dir", regions.toString(), "--dax-mode", "msync", "-o", "dax.msync=" + msync,
        "--seconds", "0.05", "--warmup", "0.05", "--threads", "1", "--ops", "tx_update_64b", "--size", "16MiB",
        "--json");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("\"msync\": \"" + msync + "\""), r.out());
    Result table = run("bench", "--dir", regions.toString(), "--dax-mode", "msync", "-o", "dax.msync=" + msync,
        "--seconds", "0.05", "--warmup", "0.05", "--threads", "1", "--ops", "tx_update_64b", "--size", "16MiB");
    assertEquals(0, table.code(), table.err());
    assertTrue(table.out().contains("mode msync (dax.msync=" + msync + ")"), table.out());
    if (!regions.equals(dir)) {
      Files.delete(regions);
    }
  }

  @Test
  void jsonWithoutAFileStillPrintsJsonInsteadOfTheTable() {
    Result r = run("bench", "--backend", "heap", "--seconds", "0.05", "--warmup", "0.05", "--threads", "1",
        "--ops", "alloc_free_4k", "--size", "16MiB", "--json");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().trim().startsWith("[") && r.out().contains("\"opsPerSecond\""), r.out());
    assertTrue(r.out().contains("\"p50Ns\""), r.out());
  }

  @Test
  void chartWithoutBackendsIsAUsageError() {
    Result r = run("bench", "--backend", "heap", "--chart", dir.resolve("x.png").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--chart needs --backends"), r.err());
  }

  /**
   * Every region operation gets a JVM of its own (the JIT's profile of shared code must not come
   * from another operation), the block operations one per block size (they share a BTT file); an
   * operation that does not apply to the backend gets none.
   */
  @Test
  void eachRegionOperationRunsInAChildOfItsOwnBlockOperationsOnePerBlockSize() {
    BenchCommand bench = new BenchCommand();
    bench.ops = List.of(BenchCommand.Op.TX_UPDATE_64B, BenchCommand.Op.BLK_WRITE_4K, BenchCommand.Op.BLK_READ_4K,
        BenchCommand.Op.BLK_WRITE_512, BenchCommand.Op.ALLOC_FREE_4K, BenchCommand.Op.BLK_READ_512);
    BackendComparison comparison = new BackendComparison(bench, new PrintWriter(new ByteArrayOutputStream()));
    assertEquals(List.of(List.of(BenchCommand.Op.TX_UPDATE_64B),
        List.of(BenchCommand.Op.BLK_WRITE_4K, BenchCommand.Op.BLK_READ_4K),
        List.of(BenchCommand.Op.BLK_WRITE_512, BenchCommand.Op.BLK_READ_512),
        List.of(BenchCommand.Op.ALLOC_FREE_4K)), comparison.childGroups("btt"));
    assertEquals(List.of(List.of(BenchCommand.Op.TX_UPDATE_64B), List.of(BenchCommand.Op.ALLOC_FREE_4K)),
        comparison.childGroups("heap"));
  }

  @Test
  void medianOfRepetitions() {
    assertEquals(2.0, BackendComparison.median(new double[] {1, 2, 9}));
    assertEquals(2.5, BackendComparison.median(new double[] {1, 2, 3, 9}));
    List<BackendComparison.Point> points = BackendComparison.reduce(List.of(
        Map.of("backend", "b", "mode", "-", "operation", "op", "threads", "1", "opsPerSecond", "30", "p50Ns", "5",
            "p99Ns", "9", "fencesPerOp", "3", "flushesPerOp", "3"),
        Map.of("backend", "b", "mode", "-", "operation", "op", "threads", "1", "opsPerSecond", "10", "p50Ns", "7",
            "p99Ns", "8", "fencesPerOp", "3", "flushesPerOp", "3"),
        Map.of("backend", "b", "mode", "-", "operation", "op", "threads", "1", "opsPerSecond", "20", "p50Ns", "6",
            "p99Ns", "20", "fencesPerOp", "3", "flushesPerOp", "3")));
    assertEquals(1, points.size());
    BackendComparison.Point p = points.get(0);
    assertEquals(20, p.opsPerSec());
    assertEquals(10, p.opsPerSecMin());
    assertEquals(30, p.opsPerSecMax());
    assertEquals(6, p.p50Ns());
    assertEquals(9, p.p99Ns());
    assertEquals(100.0, p.spreadPercent(), 1e-9);
  }

  @Test
  void latencyHistogramQuantilesAreWithinTheBucketError() {
    LatencyHistogram h = new LatencyHistogram();
    for (long v = 1; v <= 100_000; v++) {
      h.record(v);
    }
    assertEquals(100_000, h.count());
    assertEquals(50_000, h.quantile(0.5), 50_000 / 64.0);
    assertEquals(99_000, h.quantile(0.99), 99_000 / 64.0);
    assertEquals(1, h.quantile(0.0));
    for (long v : new long[] {0, 1, 127, 128, 129, 255, 256, 1000, 123_456_789L, Long.MAX_VALUE}) {
      long lower = LatencyHistogram.lowerBound(LatencyHistogram.index(v));
      assertTrue(lower <= v && v - lower <= Math.max(0, v / 64), v + " -> " + lower);
    }
  }
}
