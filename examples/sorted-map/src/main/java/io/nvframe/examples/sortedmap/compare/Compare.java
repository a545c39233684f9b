package io.nvframe.examples.sortedmap.compare;

import io.nvframe.api.Region;
import io.nvframe.core.Regions;
import io.nvframe.examples.sortedmap.BTreeMap;
import io.nvframe.examples.sortedmap.Codecs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import net.openhft.chronicle.map.ChronicleMap;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * YCSB-style comparison of {@link BTreeMap} with H2 MVStore and Chronicle Map on one file system:
 * workload A (50 % read, 50 % update) and C (100 % read) over {@code --keys} keys of 16 bytes with
 * 100-byte values, uniform and Zipfian (θ = 0.99, scrambled) key choice, 1 and 2 threads; ops/s and
 * p50/p99 latency per run. See {@code examples/sorted-map/README.md} for the command and the
 * durability each store gives.
 *
 * <p>Options: {@code --keys N} (1000000), {@code --dir DIR} (/dev/shm), {@code --warmup S} (2),
 * {@code --seconds S} (5), {@code --stores LIST} (nvframe-emulate,nvframe-msync,mvstore,chronicle).
 */
public final class Compare {
  private static final int KEY_BYTES = 16;
  private static final int VALUE_BYTES = 100;
  private static final long CACHE_BYTES = 64L << 20;

  private Compare() {}

  /** The operations a workload needs from a store. */
  interface Store extends AutoCloseable {
    byte[] get(byte[] key);

    void update(byte[] key, byte[] value);

    /** Loads keys {@code 0..n-1}; not measured, so stores may batch their durability here. */
    void load(int n, SplittableRandom random);

    @Override
    void close();
  }

  static byte[] key(long i) {
    return String.format(Locale.ROOT, "user%012d", i).getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] value(SplittableRandom random) {
    byte[] v = new byte[VALUE_BYTES];
    random.nextBytes(v);
    return v;
  }

  // ---------------------------------------------------------------- stores

  /** A store whose reads, updates and load are plain {@link Map} calls (each put durable on its own). */
  abstract static class MapStore implements Store {
    final Map<byte[], byte[]> map;

    MapStore(Map<byte[], byte[]> map) {
      this.map = map;
    }

    @Override
    public byte[] get(byte[] key) {
      return map.get(key);
    }

    @Override
    public void update(byte[] key, byte[] value) {
      map.put(key, value);
    }

    @Override
    public void load(int n, SplittableRandom random) {
      for (int i = 0; i < n; i++) {
        map.put(key(i), value(random));
      }
    }
  }

  /** nvframe's B+-tree map on a dax region file; every update is one committed transaction. */
  static final class NvframeStore extends MapStore {
    private final Region region;

    NvframeStore(Path file, String mode, long capacity) {
      this(Regions.builder().backend("dax").path(file).capacity(capacity).option("dax.mode", mode).create());
    }

    private NvframeStore(Region region) {
      super(BTreeMap.open(region, "ycsb", Codecs.BYTES, Codecs.BYTES, CACHE_BYTES));
      this.region = region;
    }

    @Override
    public void close() {
      region.close();
    }
  }

  /**
   * H2 MVStore without auto-commit; every update is {@code put}, {@code commit()} (writes a chunk)
   * and {@code sync()} ({@code FileChannel.force}). The load commits every 10,000 puts.
   */
  static final class MvStoreStore implements Store {
    private final MVStore store;
    private final MVMap<byte[], byte[]> map;

    MvStoreStore(Path file) {
      store = new MVStore.Builder().fileName(file.toString()).autoCommitDisabled().cacheSize((int) (CACHE_BYTES >> 20)).open();
      map = store.openMap("ycsb");
    }

    @Override
    public byte[] get(byte[] key) {
      return map.get(key);
    }

    @Override
    public void update(byte[] key, byte[] value) {
      map.put(key, value);
      store.commit();
      store.sync();
    }

    @Override
    public void load(int n, SplittableRandom random) {
      for (int i = 0; i < n; i++) {
        map.put(key(i), value(random));
        if (i % 10_000 == 9_999) {
          store.commit();
        }
      }
      store.commit();
      store.sync();
    }

    @Override
    public void close() {
      store.close();
    }
  }

  /**
   * Chronicle Map persisted to a memory-mapped file: each put is a store into the mapping (survives
   * a process crash, not a power loss, no sync); atomic per key only.
   */
  static final class ChronicleStore extends MapStore {
    private final ChronicleMap<byte[], byte[]> chronicle;

    ChronicleStore(Path file, int keys) throws IOException {
      this(ChronicleMap.of(byte[].class, byte[].class)
          .name("ycsb")
          .entries(keys)
          .averageKeySize(KEY_BYTES)
          .averageValueSize(VALUE_BYTES)
          .createPersistedTo(file.toFile()));
    }

    private ChronicleStore(ChronicleMap<byte[], byte[]> chronicle) {
      super(chronicle);
      this.chronicle = chronicle;
    }

    @Override
    public void close() {
      chronicle.close();
    }
  }

  // ---------------------------------------------------------------- key choice

  /** Chooses key indexes in {@code [0, n)}. */
  interface KeyChooser {
    long next(SplittableRandom random);
  }

  /**
   * Zipfian ranks with θ = 0.99 by the rejection-free method of Gray et al. ("Quickly generating
   * billion-record synthetic databases", SIGMOD 1994), scrambled by a 64-bit FNV-1a hash so that
   * the popular keys spread over the key space (as YCSB's scrambled Zipfian generator does).
   */
  static final class Zipfian implements KeyChooser {
    private static final double THETA = 0.99;
    private final long n;
    private final double zetan;
    private final double alpha;
    private final double eta;

    Zipfian(long n) {
      this.n = n;
      double z = 0;
      for (long i = 1; i <= n; i++) {
        z += 1 / Math.pow(i, THETA);
      }
      this.zetan = z;
      double zeta2 = 1 + 1 / Math.pow(2, THETA);
      this.alpha = 1 / (1 - THETA);
      this.eta = (1 - Math.pow(2.0 / n, 1 - THETA)) / (1 - zeta2 / zetan);
    }

    long rank(SplittableRandom random) {
      double u = random.nextDouble();
      double uz = u * zetan;
      if (uz < 1) {
        return 0;
      }
      if (uz < 1 + Math.pow(0.5, THETA)) {
        return 1;
      }
      return Math.min(n - 1, (long) (n * Math.pow(eta * u - eta + 1, alpha)));
    }

    @Override
    public long next(SplittableRandom random) {
      long h = 0xcbf29ce484222325L;
      long r = rank(random);
      for (int i = 0; i < 8; i++) {
        h ^= (r >>> (8 * i)) & 0xff;
        h *= 0x100000001b3L;
      }
      return Long.remainderUnsigned(h, n);
    }
  }

  // ---------------------------------------------------------------- runs

  record Result(String store, String workload, String distribution, int threads, double opsPerSec, double p50Micros,
      double p99Micros) {}

  static Result run(String storeName, Store store, String workload, double readShare, String distribution,
      KeyChooser chooser, int threads, double warmupSeconds, double seconds, long seed) throws InterruptedException {
    AtomicBoolean measuring = new AtomicBoolean(false);
    AtomicBoolean stop = new AtomicBoolean(false);
    long[][] latencies = new long[threads][];
    int[] counts = new int[threads];
    List<Throwable> failures = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread.ofPlatform().name("ycsb-" + t).start(() -> {
        SplittableRandom random = new SplittableRandom(seed * 31 + id);
        long[] lat = new long[1 << 16];
        int count = 0;
        try {
          while (!stop.get()) {
            byte[] k = key(chooser.next(random));
            boolean read = random.nextDouble() < readShare;
            byte[] v = read ? null : value(random);
            long t0 = System.nanoTime();
            if (read) {
              if (store.get(k) == null) {
                throw new IllegalStateException(storeName + ": loaded key missing: " + new String(k, StandardCharsets.US_ASCII));
              }
            } else {
              store.update(k, v);
            }
            long t1 = System.nanoTime();
            if (measuring.get()) {
              if (count == lat.length) {
                lat = Arrays.copyOf(lat, lat.length * 2);
              }
              lat[count++] = t1 - t0;
            }
          }
        } catch (Throwable e) {
          synchronized (failures) {
            failures.add(e);
          }
        } finally {
          latencies[id] = lat;
          counts[id] = count;
          done.countDown();
        }
      });
    }
    Thread.sleep((long) (warmupSeconds * 1000));
    long start = System.nanoTime();
    measuring.set(true);
    Thread.sleep((long) (seconds * 1000));
    measuring.set(false);
    long elapsed = System.nanoTime() - start;
    stop.set(true);
    done.await();
    if (!failures.isEmpty()) {
      throw new IllegalStateException(storeName + " " + workload + " failed", failures.get(0));
    }
    int total = 0;
    for (int c : counts) {
      total += c;
    }
    long[] all = new long[total];
    int at = 0;
    for (int t = 0; t < threads; t++) {
      System.arraycopy(latencies[t], 0, all, at, counts[t]);
      at += counts[t];
    }
    Arrays.sort(all);
    double p50 = total == 0 ? 0 : all[(int) (total * 0.50)] / 1e3;
    double p99 = total == 0 ? 0 : all[Math.min(total - 1, (int) (total * 0.99))] / 1e3;
    return new Result(storeName, workload, distribution, threads, total / (elapsed / 1e9), p50, p99);
  }

  static Store open(String name, Path dir, int keys) throws IOException {
    long capacity = Math.max(256L << 20, (long) keys * 1024);
    return switch (name) {
      case "nvframe-emulate" -> new NvframeStore(dir.resolve("nvframe-emulate.nvf"), "emulate", capacity);
      case "nvframe-msync" -> new NvframeStore(dir.resolve("nvframe-msync.nvf"), "msync", capacity);
      case "mvstore" -> new MvStoreStore(dir.resolve("mvstore.mv.db"));
      case "chronicle" -> new ChronicleStore(dir.resolve("chronicle.dat"), keys);
      default -> throw new IllegalArgumentException("unknown store " + name
          + "; known: nvframe-emulate, nvframe-msync, mvstore, chronicle");
    };
  }

  public static void main(String[] args) throws Exception {
    int keys = 1_000_000;
    Path base = Path.of("/dev/shm");
    double warmup = 2;
    double seconds = 5;
    List<String> stores = List.of("nvframe-emulate", "nvframe-msync", "mvstore", "chronicle");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--keys" -> keys = Integer.parseInt(args[++i]);
        case "--dir" -> base = Path.of(args[++i]);
        case "--warmup" -> warmup = Double.parseDouble(args[++i]);
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--stores" -> stores = List.of(args[++i].split(","));
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + "; options: --keys N --dir DIR --warmup S --seconds S --stores a,b,c");
      }
    }
    PrintStream out = System.out;
    out.printf("# %s, %d CPUs, %s %s, keys %,d x %d B, values %d B, dir %s, warm-up %.0f s, measured %.0f s per run%n",
        ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME), Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.name"), System.getProperty("java.version"), keys, KEY_BYTES, VALUE_BYTES, base,
        warmup, seconds);
    Zipfian zipf = new Zipfian(keys);
    int n = keys;
    KeyChooser uniform = random -> random.nextLong(n);
    List<Result> results = new ArrayList<>();
    for (String name : stores) {
      Path dir = Files.createTempDirectory(base, "ycsb-" + name + "-");
      try (Store store = open(name, dir, keys)) {
        long t0 = System.nanoTime();
        store.load(keys, new SplittableRandom(42));
        out.printf("# %s: loaded %,d keys in %.1f s%n", name, keys, (System.nanoTime() - t0) / 1e9);
        for (String workload : List.of("C", "A")) {
          double readShare = workload.equals("C") ? 1.0 : 0.5;
          for (String dist : List.of("uniform", "zipfian")) {
            for (int threads = 1; threads <= 2; threads++) {
              Result r = run(name, store, workload, readShare, dist, dist.equals("uniform") ? uniform : zipf, threads,
                  warmup, seconds, 7);
              results.add(r);
              out.printf(Locale.ROOT, "| %s | %s | %s | %d | %,.0f | %.1f | %.1f |%n", r.store(), r.workload(),
                  r.distribution(), r.threads(), r.opsPerSec(), r.p50Micros(), r.p99Micros());
            }
          }
        }
      } finally {
        try (var files = Files.list(dir)) {
          for (Path f : (Iterable<Path>) files::iterator) {
            Files.deleteIfExists(f);
          }
        }
        Files.deleteIfExists(dir);
      }
    }
    out.println();
    out.println("| store | workload | key choice | threads | ops/s | p50 µs | p99 µs |");
    out.println("| --- | --- | --- | ---: | ---: | ---: | ---: |");
    for (Result r : results) {
      out.printf(Locale.ROOT, "| %s | %s | %s | %d | %,.0f | %.1f | %.1f |%n", r.store(), r.workload(), r.distribution(),
          r.threads(), r.opsPerSec(), r.p50Micros(), r.p99Micros());
    }
  }
}
