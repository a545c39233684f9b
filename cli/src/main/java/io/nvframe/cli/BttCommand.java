package io.nvframe.cli;

import io.nvframe.api.NvframeException;
import io.nvframe.backend.btt.Btt;
import io.nvframe.backend.btt.BttCheck;
import io.nvframe.backend.btt.BttFiles;
import io.nvframe.backend.btt.BttInfo;
import io.nvframe.backend.btt.BttLocation;
import io.nvframe.spi.Medium;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code nvframe btt info|check|read|write|set-zero|set-error FILE}: the Block Translation Table in a
 * libpmemblk pool or a raw BTT namespace. Without {@code --offset} the BTT is found: after a
 * libpmemblk pool header, else at offset 0.
 */
@Command(
    name = "btt",
    description = "Inspect, check, repair, read and write a BTT (libpmemblk pool or raw BTT namespace).",
    subcommands = {
      BttCommand.Info.class,
      BttCommand.Check.class,
      BttCommand.Read.class,
      BttCommand.Write.class,
      BttCommand.SetZero.class,
      BttCommand.SetError.class,
      BttCommand.Bench.class
    })
final class BttCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing btt command (info, check, read, write, set-zero, set-error)");
  }

  /** FILE and --offset, shared by every btt command. */
  static class Target {
    @Parameters(index = "0", paramLabel = "FILE", description = "libpmemblk pool or file holding a BTT.") Path file;

    @Option(names = "--offset", paramLabel = "N", description = "Byte offset of the BTT (default: find it).") Long offset;

    @Option(names = "--dax-mode", paramLabel = "MODE", description = "Persistence mode of the mapping (see 'nvframe create --help').")
    String daxMode;

    Map<String, String> options() {
      return daxMode == null ? Map.of() : Map.of("dax.mode", daxMode);
    }

    BttFiles.Opened open(boolean readOnly) {
      return BttFiles.open(file, readOnly, offset, options());
    }
  }

  /** FILE, --offset and --lba. */
  static class BlockTarget extends Target {
    @Option(names = "--lba", paramLabel = "L", required = true, description = "Block number (0-based).") long lba;
  }

  @Command(name = "info", description = "Show arenas, block sizes, free blocks and flog state.")
  static final class Info implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin Target target = new Target();

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try (BttFiles.Opened o = target.open(true)) {
        Btt btt = o.btt();
        BttLocation loc = o.location();
        Map<String, String> t = new java.util.LinkedHashMap<>();
        t.put("file", target.file.toString());
        t.put("kind", loc.pool() ? "libpmemblk pool (BTT after the pool header)" : "raw BTT");
        t.put("offset", Long.toString(loc.offset()));
        t.put("namespace bytes", Long.toString(loc.rawSize()));
        t.put("block size", Integer.toString(btt.blockSize()));
        t.put("blocks", Long.toString(btt.blockCount()));
        t.put("arenas", Integer.toString(btt.arenaCount()));
        print(out, t);
        for (int a = 0; a < btt.arenaCount(); a++) {
          BttInfo i = btt.arenaInfo(a);
          Map<String, String> at = new java.util.LinkedHashMap<>();
          out.println();
          out.println("arena " + a + " at offset " + btt.arenaOffset(a));
          at.put("  version", i.major() + "." + i.minor());
          at.put("  flags", i.flags() == 0 ? "0" : i.flags() + " (ERROR: read-only)");
          at.put("  external lba size / count", i.externalLbaSize() + " / " + Integer.toUnsignedString(i.externalNlba()));
          at.put("  internal lba size / count", i.internalLbaSize() + " / " + Integer.toUnsignedString(i.internalNlba()));
          at.put("  free blocks (nfree)", Integer.toString(i.nfree()));
          at.put("  dataoff / mapoff / flogoff", i.dataOff() + " / " + i.mapOff() + " / " + i.flogOff());
          at.put("  infooff (backup) / nextoff", i.infoOff() + " / " + i.nextOff());
          Btt.FlogSummary f = btt.flogSummary(a);
          at.put("  flog", f.layout() + " layout; " + f.unused() + " lanes never written, " + f.used()
              + " written; seq 1/2/3: " + f.seq()[1] + "/" + f.seq()[2] + "/" + f.seq()[3]);
          at.put("  free block of lane 0..3", f.firstFree());
          String err = btt.arenaError(a);
          at.put("  state", err == null ? "writable" : "READ-ONLY: " + err);
          long first = 0;
          for (int k = 0; k < a; k++) {
            first += Integer.toUnsignedLong(btt.arenaInfo(k).externalNlba());
          }
          long[] s = new long[4];
          for (long lba = first; lba < first + Integer.toUnsignedLong(i.externalNlba()); lba++) {
            s[switch (btt.blockState(lba)) {
              case "initial" -> 0;
              case "normal" -> 1;
              case "zero" -> 2;
              default -> 3;
            }]++;
          }
          at.put("  blocks never written / written / zero / error", s[0] + " / " + s[1] + " / " + s[2] + " / " + s[3]);
          print(out, at);
        }
        if (!btt.recoveryActions().isEmpty()) {
          out.println();
          btt.recoveryActions().forEach(r -> out.println("recovery (in memory): " + r));
        }
      }
      return 0;
    }
  }

  @Command(name = "check", description = "Check every BTT invariant; exit 0 if consistent, 1 if not. --repair fixes what the spec allows.")
  static final class Check implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin Target target = new Target();

    @Option(names = "--repair", description = "Restore info blocks from their good copy, roll committed flog entries forward, clear Error flags of free blocks.")
    boolean repair;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      BttCheck.Report report;
      try (Medium m = BttFiles.openMedium(target.file, !repair, "dax", target.options())) {
        BttLocation loc;
        try {
          loc = BttFiles.locate(m, target.offset);
        } catch (NvframeException e) {
          err.println("FAIL  " + e.getMessage());
          out.println(target.file + ": INCONSISTENT (no BTT found)");
          return Main.FAILED;
        }
        Btt.Options o = loc.options(!repair);
        report = repair ? BttCheck.repair(m, loc.offset(), loc.rawSize(), o) : BttCheck.check(m, loc.offset(), loc.rawSize(), o);
      }
      report.repairs().forEach(r -> out.println("fixed " + r));
      report.checked().forEach(c -> out.println("ok    " + c));
      report.problems().forEach(p -> err.println("FAIL  " + p));
      out.println(report.consistent()
          ? target.file + ": consistent" + (report.repairs().isEmpty() ? "" : " after " + report.repairs().size() + " repair(s)")
          : target.file + ": INCONSISTENT (" + report.problems().size() + " problem(s)"
              + (repair ? "" : ", " + report.problems().stream().filter(BttCheck.Problem::repairable).count() + " repairable with --repair")
              + ")");
      return report.consistent() ? 0 : Main.FAILED;
    }
  }

  @Command(name = "read", description = "Write the bytes of one block to stdout (or --to FILE).")
  static final class Read implements Callable<Integer> {
    @CommandLine.Mixin BlockTarget target = new BlockTarget();

    @Option(names = "--to", paramLabel = "FILE", description = "Write the block to FILE instead of stdout.") Path to;

    @Override
    public Integer call() throws IOException {
      byte[] b;
      try (BttFiles.Opened o = target.open(true)) {
        b = new byte[o.btt().blockSize()];
        o.btt().read(target.lba, b, 0);
      }
      if (to != null) {
        Files.write(to, b);
      } else {
        OutputStream os = System.out;
        os.write(b);
        os.flush();
      }
      return 0;
    }
  }

  @Command(name = "write", description = "Replace one block atomically with exactly one block of bytes from stdin (or --from FILE).")
  static final class Write implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin BlockTarget target = new BlockTarget();

    @Option(names = "--from", paramLabel = "FILE", description = "Read the block from FILE instead of stdin.") Path from;

    @Override
    public Integer call() {
      byte[] data;
      try (InputStream in = from != null ? Files.newInputStream(from) : System.in) {
        data = in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + (from != null ? from : "stdin") + ": " + e.getMessage(), e);
      }
      try (BttFiles.Opened o = target.open(false)) {
        int bs = o.btt().blockSize();
        if (data.length != bs) {
          throw new IllegalArgumentException("got " + data.length + " bytes from " + (from != null ? from : "stdin")
              + "; a block of " + target.file + " has exactly " + bs + " bytes");
        }
        o.btt().write(target.lba, data, 0);
      }
      spec.commandLine().getOut().println("wrote block " + target.lba);
      return 0;
    }
  }

  @Command(name = "set-zero", description = "Mark one block as zero (reads return zeros until it is written).")
  static final class SetZero implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin BlockTarget target = new BlockTarget();

    @Override
    public Integer call() {
      try (BttFiles.Opened o = target.open(false)) {
        o.btt().setZero(target.lba);
      }
      spec.commandLine().getOut().println("block " + target.lba + " set to zero");
      return 0;
    }
  }

  @Command(name = "set-error", description = "Mark one block as a media error (reads fail until it is written).")
  static final class SetError implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin BlockTarget target = new BlockTarget();

    @Override
    public Integer call() {
      try (BttFiles.Opened o = target.open(false)) {
        o.btt().setError(target.lba);
      }
      spec.commandLine().getOut().println("block " + target.lba + " marked as a media error");
      return 0;
    }
  }

  @Command(name = "bench", description = "Random block writes, then reads, on a new 1 GiB BTT file (for benchmarks/compare-pmdk.sh).")
  static final class Bench implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory for the temporary BTT file.") Path dir;

    @Option(names = "--threads", defaultValue = "1", description = "Threads (default 1).") int threads;

    @Option(names = "--block-size", defaultValue = "4096", description = "Block size (default 4096).") int blockSize;

    @Option(names = "--seconds", defaultValue = "3", description = "Seconds per phase (default 3).") double seconds;

    @Option(names = "--size", defaultValue = "1073741824", description = "BTT file size in bytes (default 1 GiB).") long size;

    @Option(names = "--dax-mode", paramLabel = "MODE", defaultValue = "auto", description = "dax.mode of the file mapping.")
    String daxMode;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      try (BlockBench b = BlockBench.create(dir, size, blockSize, daxMode)) {
        String tag = blockSize % 1024 == 0 ? blockSize / 1024 + "k" : Integer.toString(blockSize);
        for (boolean write : new boolean[] {true, false}) {
          Map<String, Object> row = b.run(write, threads, seconds).row("blk_" + (write ? "write" : "read") + "_" + tag, threads, 0);
          double rate = (double) row.get("opsPerSecond");
          out.printf(java.util.Locale.ROOT, "%s %d %,.0f %.1f %.2f %.2f MB_s=%.1f nblock=%d prefill_MB_s=%.1f mode=%s p50_ns=%.0f p99_ns=%.0f copy=%s%n",
              row.get("operation"), threads, rate, (double) row.get("nsPerOp"), (double) row.get("fencesPerOp"),
              (double) row.get("flushesPerOp"), rate * blockSize / 1e6, b.blockCount(), b.prefillMBps(), b.mode(),
              (double) row.get("p50Ns"), (double) row.get("p99Ns"), b.copy());
        }
      }
      return 0;
    }
  }

  /** Prints {@code key: value} lines with the values aligned. */
  static void print(PrintWriter out, Map<String, String> kv) {
    int w = kv.keySet().stream().mapToInt(String::length).max().orElse(0);
    kv.forEach((k, v) -> out.println(k + ":" + " ".repeat(w - k.length() + 1) + v));
  }
}
