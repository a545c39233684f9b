package io.nvframe.cli;

import io.nvframe.api.Frame;
import io.nvframe.api.Region;
import io.nvframe.api.Transaction;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A persistent key → value table built from frames, used by {@code nvframe demo} and the
 * process-kill tests. Every operation is one transaction.
 *
 * <pre>
 *   root "kv" → directory frame (order 0): 510 bucket slots (u64), the seed (slot 510) and the
 *                applied-operation count (slot 511)
 *   bucket slot: 0 = empty, else (pfn << 16 | generation) + 1 of an order-0 bucket frame
 *   bucket frame: u64 count | count x (u64 key, u64 value)     (at most 255 entries)
 *   root "ballast" → a 64 KiB block (order 4) rewritten whole by every 16th operation
 * </pre>
 *
 * The operation sequence is a pure function of the seed (op i: 80% put(key, i), 20% delete(key)),
 * and op i stores the count i + 1 in the same transaction, so after a crash the table must equal
 * exactly the replay of its first {@code count} operations. Every 16th operation also rewrites the
 * whole ballast block with a pattern of its number, in the same transaction: its redo record
 * (64 KiB and more) is far larger than a lane and continues in extension frames, so crashes hit
 * large transactions too.
 */
final class KvTable {
  static final String ROOT = "kv";
  static final int BUCKETS = 510;
  static final int SEED_SLOT = 510;
  static final int COUNT_SLOT = 511;
  static final int MAX_ENTRIES = 255;
  static final int KEYS = 20_000;
  static final String BALLAST = "ballast";
  static final int BALLAST_ORDER = 4;
  static final int BALLAST_BYTES = 4096 << BALLAST_ORDER;

  private final Region region;
  private final Frame directory;
  private final long seed;

  private KvTable(Region region, Frame directory) {
    this.region = region;
    this.directory = directory;
    this.seed = region.getLong(directory, SEED_SLOT * 8L);
  }

  /**
   * Opens the table under root {@code kv}, creating it (with {@code seed} for its operation
   * sequence) in one transaction if absent. An existing table keeps the seed it was created with.
   */
  static KvTable open(Region region, long seed) {
    Frame dir = region.root(ROOT).orElse(null);
    if (dir == null) {
      region.transact(tx -> {
        Frame d = tx.allocate(0);
        tx.write(d, 0, new byte[4096]);
        tx.putLong(d, SEED_SLOT * 8L, seed);
        tx.setRoot(ROOT, d);
      });
      dir = region.root(ROOT).orElseThrow();
    }
    if (region.root(BALLAST).isEmpty()) {
      region.transact(tx -> {
        Frame b = tx.allocate(BALLAST_ORDER);
        tx.write(b, 0, new byte[BALLAST_BYTES]);
        tx.setRoot(BALLAST, b);
      });
    }
    return new KvTable(region, dir);
  }

  /** The seed of this table's operation sequence. */
  long seed() {
    return seed;
  }

  /** Operations applied so far. */
  long appliedOps() {
    return region.getLong(directory, COUNT_SLOT * 8L);
  }

  /** Applies operation {@code op} of this table's sequence, in one transaction. */
  void apply(long op) {
    long key = key(seed, op);
    boolean put = isPut(seed, op);
    region.transact(tx -> {
      long count = tx.getLong(directory, COUNT_SLOT * 8L);
      if (count != op) {
        throw new IllegalStateException("operation " + op + " applied out of order: the table holds " + count);
      }
      if (put) {
        put(tx, key, op);
      } else {
        delete(tx, key);
      }
      if (isLarge(op)) {
        tx.write(tx.root(BALLAST).orElseThrow(), 0, ballast(seed, op));
      }
      tx.putLong(directory, COUNT_SLOT * 8L, op + 1);
    });
  }

  /** Operation {@code op} also rewrites the whole ballast block (a large transaction). */
  static boolean isLarge(long op) {
    return (op & 15) == 15;
  }

  /** The ballast content written by large operation {@code op}: 8-byte words {@code op * 2^20 + i}. */
  static byte[] ballast(long seed, long op) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(BALLAST_BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < BALLAST_BYTES / 8; i++) {
      b.putLong((op << 20) + i + seed);
    }
    return b.array();
  }

  /**
   * Null if the ballast holds what the last large operation among the first {@code applied} wrote
   * (zeros if none), else what differs.
   */
  String ballastProblem(long applied) {
    long last = -1;
    for (long op = applied - 1; op >= 0; op--) {
      if (isLarge(op)) {
        last = op;
        break;
      }
    }
    byte[] expected = last < 0 ? new byte[BALLAST_BYTES] : ballast(seed, last);
    byte[] got = new byte[BALLAST_BYTES];
    region.read(region.root(BALLAST).orElseThrow(), 0, got);
    int at = java.util.Arrays.mismatch(expected, got);
    return at < 0 ? null : "ballast differs at byte " + at + " from large operation " + last + "'s content";
  }

  private void put(Transaction tx, long key, long value) {
    int slot = slot(key);
    long ref = tx.getLong(directory, slot * 8L);
    if (ref == 0) {
      Frame bucket = tx.allocate(0);
      tx.putLong(bucket, 0, 1);
      tx.putLong(bucket, 8, key);
      tx.putLong(bucket, 16, value);
      tx.putLong(directory, slot * 8L, encode(bucket));
      return;
    }
    Frame bucket = decode(ref);
    long count = tx.getLong(bucket, 0);
    for (int i = 0; i < count; i++) {
      if (tx.getLong(bucket, 8 + i * 16L) == key) {
        tx.putLong(bucket, 16 + i * 16L, value);
        return;
      }
    }
    if (count >= MAX_ENTRIES) {
      throw new IllegalStateException("bucket " + slot + " is full");
    }
    tx.putLong(bucket, 8 + count * 16, key);
    tx.putLong(bucket, 16 + count * 16, value);
    tx.putLong(bucket, 0, count + 1);
  }

  private void delete(Transaction tx, long key) {
    int slot = slot(key);
    long ref = tx.getLong(directory, slot * 8L);
    if (ref == 0) {
      return;
    }
    Frame bucket = decode(ref);
    long count = tx.getLong(bucket, 0);
    for (int i = 0; i < count; i++) {
      if (tx.getLong(bucket, 8 + i * 16L) == key) {
        if (count == 1) {
          tx.free(bucket);
          tx.putLong(directory, slot * 8L, 0);
          return;
        }
        long last = count - 1;
        tx.putLong(bucket, 8 + i * 16L, tx.getLong(bucket, 8 + last * 16));
        tx.putLong(bucket, 16 + i * 16L, tx.getLong(bucket, 16 + last * 16));
        tx.putLong(bucket, 0, last);
        return;
      }
    }
  }

  /** The whole table as a map (for verification). */
  Map<Long, Long> contents() {
    Map<Long, Long> out = new HashMap<>();
    for (int slot = 0; slot < BUCKETS; slot++) {
      long ref = region.getLong(directory, slot * 8L);
      if (ref == 0) {
        continue;
      }
      Frame bucket = decode(ref);
      long count = region.getLong(bucket, 0);
      for (int i = 0; i < count; i++) {
        long key = region.getLong(bucket, 8 + i * 16L);
        if (slot(key) != slot) {
          throw new IllegalStateException("key " + key + " found in bucket " + slot + ", belongs in " + slot(key));
        }
        if (out.put(key, region.getLong(bucket, 16 + i * 16L)) != null) {
          throw new IllegalStateException("key " + key + " stored twice");
        }
      }
    }
    return out;
  }

  /** The expected table after the first {@code ops} operations of the sequence for {@code seed}. */
  static Map<Long, Long> expected(long seed, long ops) {
    Map<Long, Long> m = new HashMap<>();
    for (long op = 0; op < ops; op++) {
      long key = key(seed, op);
      if (isPut(seed, op)) {
        m.put(key, op);
      } else {
        m.remove(key);
      }
    }
    return m;
  }

  static long key(long seed, long op) {
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + op).nextLong(KEYS);
  }

  static boolean isPut(long seed, long op) {
    return new SplittableRandom(seed ^ (op * 0xC2B2AE3D27D4EB4FL)).nextInt(10) < 8;
  }

  private static int slot(long key) {
    return (int) Long.remainderUnsigned(key * 0x9E3779B97F4A7C15L >>> 17, BUCKETS);
  }

  private long encode(Frame f) {
    return ((f.pfn() << 16) | f.generation()) + 1;
  }

  private Frame decode(long ref) {
    long v = ref - 1;
    return new Frame(v >>> 16, 0, (int) (v & 0xffff), directory.regionId());
  }
}
