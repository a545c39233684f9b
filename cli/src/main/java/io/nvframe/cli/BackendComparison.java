package io.nvframe.cli;

import io.nvframe.core.BackendInfo;
import io.nvframe.core.Regions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * {@code nvframe bench --backends a,b,...}: the same workloads on each backend, each backend and
 * region operation in a JVM of its own.
 *
 * <p>The operations are the region operations on every backend and, on {@code btt}, the BTT block
 * writes and reads of {@link BlockBench}; an operation that does not apply to a backend has no rows
 * for it.
 *
 * <p>Per backend: a name with no provider on the class path is skipped ("not installed"). Else a
 * child JVM per region operation (and one per block size for the block operations, {@link
 * #childGroups}) runs {@code bench --backend NAME --ops OP --child-report FILE} with the bench
 * settings; it
 * gets this JVM's module and native-access flags (the launcher's, or the jar manifest's when run
 * with {@code -jar}) plus the backend's own, read from the resource {@code
 * META-INF/nvframe/NAME.jvm-options} when the backend ships one (the Chronicle example does). The
 * child probes the backend there, with those flags, and reports "skipped: reason" when it is not
 * usable (then the backend's other children are not started). A separate JVM per backend and
 * operation also keeps one's JIT profile, heap and threads from influencing the next one, as JMH's
 * forks do.
 *
 * <p>The child prints one progress line per finished warm-up or repetition (this JVM moves the
 * progress bar) and writes one row per repetition to the report file. Here the repetitions of a
 * point are reduced to the median ops/s with its minimum and maximum, and the medians of p50, p99
 * and the fence and flush counts; then come the table, the JSON file and the chart.
 */
final class BackendComparison {
  /** What a child prints after each warm-up or measured repetition. */
  static final String PROGRESS_LINE = "@nvframe-bench-progress";

  private static final String SKIPPED = "skipped";

  /** Parent JVM options handed to the children: module access, native access, heap, properties. */
  private static final List<String> INHERITED_PREFIXES =
      List.of("--add-opens", "--add-exports", "--add-reads", "--enable-native-access", "--sun-misc-unsafe-memory-access",
          "-Xmx", "-Xms", "-D");

  private final BenchCommand bench;
  private final PrintWriter out;
  /** Jars from --backend-path, added to the children's class path. */
  private List<Path> extraClassPath = List.of();
  /** Sees the CLI's class path and the --backend-path jars. */
  private ClassLoader loader = BackendComparison.class.getClassLoader();

  BackendComparison(BenchCommand bench, PrintWriter out) {
    this.bench = bench;
    this.out = out;
  }

  /** One measured point, reduced over its repetitions. */
  record Point(String backend, String mode, String op, int threads, int repetitions, double opsPerSec,
      double opsPerSecMin, double opsPerSecMax, double p50Ns, double p99Ns, double fencesPerOp, double flushesPerOp) {
    /** (max - min) / median, in percent. */
    double spreadPercent() {
      return (opsPerSecMax - opsPerSecMin) / opsPerSec * 100;
    }
  }

  /** A backend that was not measured, and why. */
  record Skipped(String backend, String reason) {}

  int run() throws IOException, InterruptedException {
    int repeats = bench.repeats == null ? 5 : bench.repeats;
    double warmup = bench.warmup != null ? bench.warmup : Math.max(1, bench.seconds / 2);
    List<String> names = bench.backends.stream().map(String::trim).filter(n -> !n.isEmpty()).distinct().toList();
    if (names.isEmpty()) {
      throw new IllegalArgumentException("--backends needs at least one backend name, e.g. heap,dax");
    }
    extraClassPath = expandBackendPath(bench.backendPath);
    loader = extraClassPath.isEmpty() ? BackendComparison.class.getClassLoader()
        : new URLClassLoader(toUrls(extraClassPath), BackendComparison.class.getClassLoader());
    Set<String> installed = Regions.availableBackends(loader).stream().map(BackendInfo::name).collect(Collectors.toSet());
    long totalSteps = names.stream().mapToLong(n -> pointsFor(n) * (1L + repeats)).sum();
    List<Point> points = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    boolean failed = false;
    boolean jsonOnly = "-".equals(bench.json);
    Path scratch = Files.createTempDirectory("nvframe-bench-");
    try (ProgressBar bar = new ProgressBarBuilder()
        .setTaskName("bench")
        .setInitialMax(totalSteps)
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(250)
        .setConsumer(new ConsoleProgressBarConsumer(System.err))
        .build()) {
      for (String name : names) {
        long stepsBefore = bar.getCurrent();
        int pointsPerBackend = pointsFor(name);
        long stepsPerBackend = pointsPerBackend * (1L + repeats);
        bar.setExtraMessage(name);
        if (!installed.contains(name)) {
          skipped.add(new Skipped(name, "not installed: no provider named '" + name + "' on the class path"
              + (extraClassPath.isEmpty() ? "" : " or the --backend-path") + " (installed: "
              + installed.stream().sorted().collect(Collectors.joining(", ")) + ")"));
        } else {
          List<List<BenchCommand.Op>> groups = childGroups(name);
          for (int g = 0; g < groups.size(); g++) {
            List<BenchCommand.Op> group = groups.get(g);
            double budget = group.size() * bench.threads.size() * (warmup + repeats * bench.seconds);
            // a block group first writes its BTT file whole: up to two more minutes
            boolean blockFile = group.get(0).isBlock();
            Outcome o = measure(name, group, name + "-" + g, repeats, warmup, scratch, bar,
                (long) (budget * 3 + 120 + (blockFile ? 120 : 0)));
            if (o.skipReason() != null && !o.failed()) {
              skipped.add(new Skipped(name, o.skipReason())); // not usable here: no other group can run either
              break;
            } else if (o.skipReason() != null) {
              skipped.add(new Skipped(name, group + ": " + o.skipReason()));
              failed = true;
            } else {
              points.addAll(o.points());
            }
          }
        }
        bar.stepTo(stepsBefore + stepsPerBackend);
      }
    } finally {
      deleteTree(scratch);
      if (loader instanceof URLClassLoader extra) {
        extra.close();
      }
    }
    Map<String, Object> doc = document(points, skipped, repeats, warmup);
    if (jsonOnly) {
      out.println(Json.write(doc));
    } else {
      printTable(points, skipped, repeats);
      if (bench.json != null) {
        writeFile(Path.of(bench.json), Json.write(doc));
        out.println("JSON: " + bench.json);
      }
    }
    if (bench.chart != null) {
      BenchChart.write(bench.chart, points, skipped, chartSubtitle(repeats));
      if (!jsonOnly) {
        out.println("chart: " + bench.chart);
      }
    }
    out.flush();
    return failed ? Main.FAILED : 0;
  }

  /**
   * The operations measured on {@code backend}, one list per child JVM: every region operation in
   * a JVM of its own, as JMH forks one JVM per benchmark (in one JVM the code the operations share,
   * e.g. the transaction's entry point, is compiled with the profile of whichever ran first, and
   * the later ones ran up to a third slower: benchmarks/README.md, "bench vs JMH"); the block
   * operations of one block size together, since they share their BTT file, which is written whole
   * first.
   */
  List<List<BenchCommand.Op>> childGroups(String backend) {
    List<List<BenchCommand.Op>> groups = new ArrayList<>();
    Map<Integer, List<BenchCommand.Op>> byBlockSize = new LinkedHashMap<>();
    for (BenchCommand.Op op : bench.ops) {
      if (!op.appliesTo(backend)) {
        continue;
      }
      if (op.isBlock()) {
        List<BenchCommand.Op> group = byBlockSize.get(op.blockSize);
        if (group == null) {
          group = new ArrayList<>();
          byBlockSize.put(op.blockSize, group);
          groups.add(group);
        }
        group.add(op);
      } else {
        groups.add(List.of(op));
      }
    }
    return groups;
  }

  /** The points measured on {@code backend}: the operations that apply to it, at every thread count. */
  private int pointsFor(String backend) {
    return (int) bench.ops.stream().filter(op -> op.appliesTo(backend)).count() * bench.threads.size();
  }

  private record Outcome(List<Point> points, String skipReason, boolean failed) {}

  /** Runs a child JVM measuring {@code ops} on backend {@code name} and reads its report (files {@code tag}.*). */
  private Outcome measure(String name, List<BenchCommand.Op> ops, String tag, int repeats, double warmup, Path scratch,
      ProgressBar bar, long timeoutSeconds) throws IOException, InterruptedException {
    Path report = scratch.resolve(tag + ".report");
    Path stderr = scratch.resolve(tag + ".stderr");
    List<String> command = childCommand(name, ops, repeats, warmup, report);
    Process child = new ProcessBuilder(command)
        .redirectError(stderr.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null")))
        .start();
    Thread reader = Thread.ofPlatform().daemon().name("bench-" + name + "-progress").start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          if (line.equals(PROGRESS_LINE)) {
            bar.step();
          }
        }
      } catch (IOException e) {
        // the child is gone; its exit code and stderr tell what happened
      }
    });
    if (!child.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      child.destroyForcibly().waitFor();
      return new Outcome(List.of(), "measurement did not finish within " + timeoutSeconds + " s; killed", true);
    }
    reader.join(5_000);
    int exit = child.exitValue();
    if (exit != 0 || !Files.exists(report)) {
      List<String> lines = Files.exists(stderr) ? Files.readAllLines(stderr, StandardCharsets.UTF_8) : List.of();
      String tail = lines.stream().filter(l -> !l.isBlank() && !l.startsWith("WARNING:"))
          .skip(Math.max(0, lines.size() - 6)).collect(Collectors.joining(" | "));
      return new Outcome(List.of(), "measurement failed (exit code " + exit + "): " + tail, true);
    }
    List<Map<String, String>> rows = readReport(report);
    if (rows.size() == 1 && rows.get(0).containsKey(SKIPPED)) {
      return new Outcome(List.of(), "not usable here: " + rows.get(0).get(SKIPPED), false);
    }
    return new Outcome(reduce(rows), null, false);
  }

  /** {@code java [flags] (-jar nvframe.jar | -cp ... Main) bench --backend NAME ... --child-report FILE}. */
  private List<String> childCommand(String name, List<BenchCommand.Op> ops, int repeats, double warmup, Path report)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(inheritedJvmOptions());
    command.addAll(backendJvmOptions(name, loader));
    String classPath = System.getProperty("java.class.path");
    boolean cliJar = isCliJar(classPath);
    if (cliJar && extraClassPath.isEmpty()) {
      command.add("-jar"); // the manifest's flags apply
      command.add(classPath);
    } else {
      if (cliJar) {
        command.addAll(manifestJvmOptions(Path.of(classPath))); // -cp ignores the manifest's flags
      }
      List<String> entries = new ArrayList<>(List.of(classPath));
      extraClassPath.forEach(p -> entries.add(p.toString()));
      command.add("-cp");
      command.add(String.join(java.io.File.pathSeparator, entries));
      command.add(Main.class.getName());
    }
    command.addAll(List.of("bench", "--backend", name, "--dir", bench.dir.toString(), "--size", Long.toString(bench.size),
        "--seconds", Double.toString(bench.seconds), "--warmup", Double.toString(warmup),
        "--repeats", Integer.toString(repeats),
        "--threads", bench.threads.stream().map(String::valueOf).collect(Collectors.joining(",")),
        "--ops", ops.stream().map(String::valueOf).collect(Collectors.joining(",")),
        "--child-report", report.toString()));
    command.addAll(bench.open.asArguments());
    return command;
  }

  /** This JVM's options that the children need too (see {@link #INHERITED_PREFIXES}). */
  static List<String> inheritedJvmOptions() {
    List<String> in = ManagementFactory.getRuntimeMXBean().getInputArguments();
    List<String> kept = new ArrayList<>();
    for (int i = 0; i < in.size(); i++) {
      String a = in.get(i);
      if (INHERITED_PREFIXES.stream().anyMatch(a::startsWith)) {
        kept.add(a);
        boolean separateValue = a.equals("--add-opens") || a.equals("--add-exports") || a.equals("--add-reads");
        if (separateValue && i + 1 < in.size()) {
          kept.add(in.get(++i));
        }
      }
    }
    return kept;
  }

  /** The options a backend declares in {@code META-INF/nvframe/NAME.jvm-options}, if it ships that file. */
  static List<String> backendJvmOptions(String name, ClassLoader loader) throws IOException {
    try (InputStream in = loader.getResourceAsStream("META-INF/nvframe/" + name + ".jvm-options")) {
      if (in == null) {
        return List.of();
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
      return text.isEmpty() ? List.of() : Arrays.asList(text.split("\\s+"));
    }
  }

  /**
   * The flags an executable jar's manifest grants with {@code java -jar} ({@code Add-Exports},
   * {@code Add-Opens}, {@code Enable-Native-Access}), as command-line options for a JVM that puts
   * the jar on {@code -cp} instead.
   */
  static List<String> manifestJvmOptions(Path jar) throws IOException {
    List<String> options = new ArrayList<>();
    try (JarFile file = new JarFile(jar.toFile())) {
      java.util.jar.Attributes main = file.getManifest() == null ? new java.util.jar.Attributes()
          : file.getManifest().getMainAttributes();
      for (String[] kind : new String[][] {{"Add-Exports", "--add-exports="}, {"Add-Opens", "--add-opens="}}) {
        String value = main.getValue(kind[0]);
        if (value != null) {
          for (String modulePackage : value.trim().split("\\s+")) {
            options.add(kind[1] + modulePackage + "=ALL-UNNAMED");
          }
        }
      }
      if (main.getValue("Enable-Native-Access") != null) {
        options.add("--enable-native-access=ALL-UNNAMED");
      }
    }
    return options;
  }

  /** The jars named by --backend-path: files as given, folders as the jars in them. */
  static List<Path> expandBackendPath(List<Path> entries) throws IOException {
    List<Path> jars = new ArrayList<>();
    for (Path entry : entries == null ? List.<Path>of() : entries) {
      if (Files.isDirectory(entry)) {
        try (var files = Files.list(entry)) {
          files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().forEach(jars::add);
        }
      } else if (Files.isRegularFile(entry)) {
        jars.add(entry);
      } else {
        throw new IllegalArgumentException("--backend-path: " + entry + " is neither a jar nor a folder of jars");
      }
    }
    return jars.stream().map(Path::toAbsolutePath).toList();
  }

  private static URL[] toUrls(List<Path> jars) throws IOException {
    URL[] urls = new URL[jars.size()];
    for (int i = 0; i < urls.length; i++) {
      urls[i] = jars.get(i).toUri().toURL();
    }
    return urls;
  }

  /** True when the class path is just the CLI's jar (its manifest then carries the launcher's flags). */
  private static boolean isCliJar(String classPath) {
    if (classPath == null || classPath.contains(java.io.File.pathSeparator) || !classPath.endsWith(".jar")) {
      return false;
    }
    try (JarFile jar = new JarFile(classPath)) {
      return jar.getManifest() != null
          && Main.class.getName().equals(jar.getManifest().getMainAttributes().getValue("Main-Class"));
    } catch (IOException e) {
      return false;
    }
  }

  /** Writes {@code text} and a line end to {@code file}, creating its folder. */
  static void writeFile(Path file, String text) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, text + System.lineSeparator(), StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- report file (child -> parent)

  /** Writes the child's rows: one line per row, tab-separated {@code key=value}. */
  static void writeRows(Path report, List<Map<String, Object>> rows) throws IOException {
    List<String> lines = new ArrayList<>();
    for (Map<String, Object> row : rows) {
      lines.add(row.entrySet().stream().map(e -> e.getKey() + "=" + clean(String.valueOf(e.getValue())))
          .collect(Collectors.joining("\t")));
    }
    Files.write(report, lines, StandardCharsets.UTF_8);
  }

  /** Writes the child's answer when the backend cannot be used here. */
  static void writeSkipped(Path report, String reason) throws IOException {
    Files.writeString(report, SKIPPED + "=" + clean(reason) + "\n", StandardCharsets.UTF_8);
  }

  private static String clean(String value) {
    return value.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
  }

  private static List<Map<String, String>> readReport(Path report) throws IOException {
    List<Map<String, String>> rows = new ArrayList<>();
    for (String line : Files.readAllLines(report, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      Map<String, String> row = new LinkedHashMap<>();
      for (String field : line.split("\t")) {
        int eq = field.indexOf('=');
        row.put(field.substring(0, eq), field.substring(eq + 1));
      }
      rows.add(row);
    }
    return rows;
  }

  /** Groups the repetitions of each (operation, threads) and reduces them to a {@link Point}. */
  static List<Point> reduce(List<Map<String, String>> rows) {
    Map<String, List<Map<String, String>>> groups = new LinkedHashMap<>();
    for (Map<String, String> row : rows) {
      groups.computeIfAbsent(row.get("operation") + "/" + row.get("threads"), k -> new ArrayList<>()).add(row);
    }
    List<Point> points = new ArrayList<>();
    for (List<Map<String, String>> reps : groups.values()) {
      Map<String, String> first = reps.get(0);
      double[] rates = values(reps, "opsPerSecond");
      points.add(new Point(first.get("backend"), first.get("mode"), first.get("operation"),
          Integer.parseInt(first.get("threads")), reps.size(), median(rates), rates[0], rates[rates.length - 1],
          median(values(reps, "p50Ns")), median(values(reps, "p99Ns")), median(values(reps, "fencesPerOp")),
          median(values(reps, "flushesPerOp"))));
    }
    return points;
  }

  /** The field's values, sorted. */
  private static double[] values(List<Map<String, String>> rows, String key) {
    return rows.stream().mapToDouble(r -> Double.parseDouble(r.get(key))).sorted().toArray();
  }

  /** Median of sorted values (mean of the middle two for an even count). */
  static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  // ---------------------------------------------------------------- output

  private void printTable(List<Point> points, List<Skipped> skipped, int repeats) {
    out.printf(Locale.ROOT, "nvframe bench: %s; %d repetitions of %.1f s per point after %.1f s warm-up; medians, spread = (max-min)/median%n",
        machine(), repeats, bench.seconds, bench.warmup != null ? bench.warmup : Math.max(1, bench.seconds / 2));
    out.printf("%-10s %-8s %-18s %7s %14s %8s %9s %9s %10s%n", "backend", "mode", "operation", "threads", "ops/s",
        "spread", "p50 ns", "p99 ns", "fences/op");
    for (Point p : points) {
      out.printf(Locale.ROOT, "%-10s %-8s %-18s %7d %,14.0f %7.1f%% %9.0f %9.0f %10.2f%n", p.backend(), p.mode(), p.op(),
          p.threads(), p.opsPerSec(), p.spreadPercent(), p.p50Ns(), p.p99Ns(), p.fencesPerOp());
    }
    for (Skipped s : skipped) {
      out.println("skipped " + s.backend() + ": " + s.reason());
    }
  }

  private Map<String, Object> document(List<Point> points, List<Skipped> skipped, int repeats, double warmup) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
    Map<String, Object> machine = new TreeMap<>();
    machine.put("cpus", Runtime.getRuntime().availableProcessors());
    machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    doc.put("machine", machine);
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("seconds", bench.seconds);
    settings.put("warmupSeconds", warmup);
    settings.put("repetitions", repeats);
    settings.put("regionSize", bench.size);
    settings.put("dir", bench.dir.toString());
    doc.put("settings", settings);
    List<Map<String, Object>> results = new ArrayList<>();
    for (Point p : points) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("op", p.op());
      r.put("backend", p.backend());
      r.put("mode", p.mode());
      r.put("threads", p.threads());
      r.put("opsPerSec", p.opsPerSec());
      r.put("opsPerSecMin", p.opsPerSecMin());
      r.put("opsPerSecMax", p.opsPerSecMax());
      r.put("repetitions", p.repetitions());
      r.put("p50Ns", p.p50Ns());
      r.put("p99Ns", p.p99Ns());
      r.put("fencesPerOp", p.fencesPerOp());
      r.put("flushesPerOp", p.flushesPerOp());
      results.add(r);
    }
    doc.put("results", results);
    List<Map<String, Object>> skips = new ArrayList<>();
    for (Skipped s : skipped) {
      skips.add(new LinkedHashMap<>(Map.of("backend", s.backend(), "reason", s.reason())));
    }
    doc.put("skipped", skips);
    return doc;
  }

  private String chartSubtitle(int repeats) {
    return String.format(Locale.ROOT, "median of %d x %.1f s; %d CPUs; %s", repeats, bench.seconds,
        Runtime.getRuntime().availableProcessors(), ZonedDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE));
  }

  private static String machine() {
    return Runtime.getRuntime().availableProcessors() + " CPUs, " + System.getProperty("os.name") + " "
        + System.getProperty("os.arch") + ", Java " + Runtime.version().feature();
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
