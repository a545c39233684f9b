package com.example.nvframe.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import io.nvframe.spi.ProviderConfig;
import io.nvframe.tck.crash.CrashFailure;
import io.nvframe.tck.crash.CrashOptions;
import io.nvframe.tck.crash.CrashReport;
import io.nvframe.tck.crash.CrashScenario;
import io.nvframe.tck.crash.CrashSimulator;
import io.nvframe.tck.crash.CrashTally;
import io.nvframe.tck.crash.PersistencyMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test kit's crash simulator on the chronicle medium, with nothing but {@code nvframe-tck} and
 * {@code nvframe-spi} (what a third-party backend has): the simulator records a small crash-safe
 * structure written through a {@link ChronicleMedium} (a memory-mapped file, not byte-addressable:
 * the recorder needs only the {@code Medium} interface), then recovers and checks every crash
 * image. The structure ({@link Journal}) appends checksummed records published by a count word and
 * keeps a two-word pair updated through shadow slots and a selector word. A broken variant (the
 * count stored before its record is persisted) must be reported on this medium as well.
 */
class ChronicleCrashSimTest {
  static final long SIZE = 64 * 1024;
  private static final CrashTally TALLY = new CrashTally("chronicle-backend");
  @TempDir static Path dir;
  private static final AtomicInteger FILES = new AtomicInteger();
  /** Every chronicle medium the simulations recorded on. */
  private static final List<Medium> MADE = new ArrayList<>();

  /**
   * Layout (little-endian words): 0 = record count (commit word), 8 = selector of the pair slot
   * (commit word), 64 and 128 = the two pair slots of 16 bytes, 4096 on = records of 24 bytes
   * (value, value * 31 + index, ~value), so records straddle 64-byte lines and, every so often, a
   * 4 KiB page.
   */
  record Journal(Medium m) {
    static final long COUNT = 0;
    static final long SELECTOR = 8;
    static final long SLOTS = 64;
    static final long RECORDS = 4096;
    static final int RECORD = 24;

    static long recordAt(long i) {
      return RECORDS + i * RECORD;
    }

    static byte[] encode(long i, long value) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(RECORD).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      b.putLong(value).putLong(value * 31 + i).putLong(~value);
      return b.array();
    }

    /** Appends {@code value}: the record is persisted before the count publishes it (unless broken). */
    void append(long value, boolean broken) {
      long i = m.loadLong(COUNT);
      m.write(recordAt(i), encode(i, value), 0, RECORD);
      if (!broken) {
        m.persist(recordAt(i), RECORD);
      }
      m.storeLong(COUNT, i + 1);
      m.persist(COUNT, 8);
      if (broken) {
        m.persist(recordAt(i), RECORD);
      }
    }

    /** Sets the pair {@code (a, b)} in the inactive slot, persists it, then flips the selector. */
    void setPair(long a, long b) {
      long inactive = 1 - m.loadLong(SELECTOR);
      long at = SLOTS + inactive * 64;
      m.storeLong(at, a);
      m.storeLong(at + 8, b);
      m.persist(at, 16);
      m.storeLong(SELECTOR, inactive);
      m.persist(SELECTOR, 8);
    }

    /** Every published record is whole; the selector names a slot. */
    void check() {
      long n = m.loadLong(COUNT);
      if (n < 0 || recordAt(n) > m.size()) {
        throw new AssertionError("record count " + n + " out of range");
      }
      for (long i = 0; i < n; i++) {
        byte[] b = new byte[RECORD];
        m.read(recordAt(i), b, 0, RECORD);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long v = buf.getLong();
        if (buf.getLong() != v * 31 + i || buf.getLong() != ~v) {
          throw new AssertionError("record " + i + " is torn");
        }
      }
      long sel = m.loadLong(SELECTOR);
      if (sel != 0 && sel != 1) {
        throw new AssertionError("selector " + sel);
      }
    }

    /** The published values and the current pair. */
    List<Long> contents() {
      List<Long> out = new ArrayList<>();
      long at = SLOTS + m.loadLong(SELECTOR) * 64;
      out.add(m.loadLong(at));
      out.add(m.loadLong(at + 8));
      for (long i = 0; i < m.loadLong(COUNT); i++) {
        out.add(m.loadLong(recordAt(i)));
      }
      return out;
    }
  }

  /** A new chronicle medium (a fresh mapped file), zero-filled and persisted. */
  static Medium chronicle() {
    Path file = dir.resolve("journal-" + FILES.incrementAndGet() + ".chr");
    Medium m = new ChronicleBackendProvider().create(new ProviderConfig(file, SIZE, false, Map.of()));
    m.persist(0, SIZE);
    synchronized (MADE) {
      MADE.add(m);
    }
    return m;
  }

  static CrashScenario<Journal> scenario(boolean broken) {
    return CrashScenario.<Journal>named("journal on chronicle" + (broken ? " (count before record)" : ""))
        .medium(ChronicleCrashSimTest::chronicle)
        .driver((m, ops) -> {
          Journal j = new Journal(m);
          for (int k = 1; k <= 8; k++) {
            long value = 1000L * k + 7;
            ops.run("append " + k, () -> j.append(value, broken));
            if (k % 3 == 0) {
              int kk = k;
              ops.run("pair " + k, () -> j.setPair(kk, -kk));
            }
          }
        })
        .recover(Journal::new)
        .invariants(Journal::check)
        .observe(Journal::contents)
        .commitWords((off, len) -> off == Journal.COUNT || off == Journal.SELECTOR)
        .readTolerated((off, len) -> off + len <= 16) // the two commit words are single atomic words
        .close(j -> j.m().close())
        .build();
  }

  @Test
  void theWholeSimulatorRunsOnTheChronicleMedium() {
    int before;
    synchronized (MADE) {
      before = MADE.size();
    }
    for (PersistencyMode mode : new PersistencyMode[] {PersistencyMode.X86, PersistencyMode.NO_SAME_LINE_ORDER}) {
      for (CrashOptions.Strategy strategy : CrashOptions.Strategy.values()) {
        CrashReport r = TALLY.run(scenario(false), CrashOptions.defaults().mode(mode).strategy(strategy));
        System.out.println(r);
        // 8 appends of 2 fences, 2 pair updates of 2 fences, the end of the trace
        assertEquals(8 * 2 + 2 * 2 + 1, r.points(), r.toString());
        assertTrue(r.images() > r.points(), r.toString());
      }
    }
    synchronized (MADE) {
      List<Medium> made = MADE.subList(before, MADE.size());
      assertEquals(4, made.size(), "one chronicle medium per simulation");
      for (Medium m : made) {
        assertTrue(m instanceof ChronicleMedium, m.description());
        // the zero fill, 8 appends and 2 pair updates of 2 fences each reached the mapped file (msync)
        assertTrue(m.stats().fences() >= 21, m.description() + ": " + m.stats());
      }
    }
  }

  @Test
  void aCommitBeforeItsDataIsReportedOnTheChronicleMedium() {
    CrashFailure f = assertThrows(CrashFailure.class,
        () -> CrashSimulator.run(scenario(true), CrashOptions.defaults()));
    assertEquals("lint", f.check(), f.getMessage());
    assertTrue(f.getMessage().contains("commit word stored before its data was durable"), f.getMessage());
  }

  @AfterAll
  static void figures() {
    if (TALLY.images() > 0) {
      System.out.println(TALLY.figureLine());
    }
  }
}
