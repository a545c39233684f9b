package io.nvframe.backend.btt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.nvframe.spi.Medium;
import io.nvframe.tck.FaultInjectingMedium;
import io.nvframe.tck.FaultInjectingMedium.CrashImage;
import io.nvframe.tck.FaultInjectingMedium.Event;
import io.nvframe.tck.TestMedia;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Crash at every store, flush and fence of block writes (tck {@link FaultInjectingMedium}); both crash
 * images (only what was flushed and fenced; everything issued) are reopened, recovered and checked:
 * each block holds exactly its old or its new content, the new one once the commit fence (the second)
 * completed, and the BTT is consistent (B1-B4) after recovery.
 */
class BttCrashTest {
  private static final int BS = 512;

  /** A formatted 2 MiB BTT with lbas 0..39 written once (version 1). */
  private static byte[] baseImage() {
    try (Medium m = Support.heap(2 * Support.MIB)) {
      Btt btt = Btt.format(m, 0, m.size(), Support.small(BS), Support.smallOptions());
      for (int lba = 0; lba < 40; lba++) {
        btt.write(lba, Support.pattern(lba, 1, BS), 0);
      }
      return Support.image(m);
    }
  }

  /** Reopens {@code image}, asserts each lba of {@code expectOld/expectNew} and consistency. */
  private static void verify(byte[] image, long[] lbas, int[] oldV, int[] newV, boolean[] mustBeNew, String what) {
    try (Medium m = TestMedia.heapWith(image)) {
      Btt btt = Btt.open(m, 0, m.size(), Support.smallOptions());
      for (int i = 0; i < 40; i++) {
        assertTrue(btt.arenaError(0) == null, what + ": arena error " + btt.arenaError(0));
      }
      for (int i = 0; i < lbas.length; i++) {
        byte[] got = Support.read(btt, lbas[i]);
        boolean isNew = Arrays.equals(got, Support.pattern(lbas[i], newV[i], BS));
        boolean isOld = Arrays.equals(got, Support.pattern(lbas[i], oldV[i], BS));
        if (!isNew && !isOld) {
          fail(what + ": lba " + lbas[i] + " holds neither version " + oldV[i] + " nor " + newV[i]);
        }
        if (mustBeNew[i] && !isNew) {
          fail(what + ": lba " + lbas[i] + " lost a committed write");
        }
      }
      // untouched blocks keep their content
      for (int lba = 0; lba < 40; lba++) {
        final long l = lba;
        if (Arrays.stream(lbas).noneMatch(x -> x == l)) {
          assertArrayEquals(Support.pattern(lba, 1, BS), Support.read(btt, lba), what + ": untouched lba " + lba);
        }
      }
      BttCheck.Report r = BttCheck.check(m, 0, m.size(), Support.smallOptions());
      assertTrue(r.consistent(), what + ": " + r.problems());
      // the recovered BTT accepts writes
      btt.write(lbas[0], Support.pattern(lbas[0], 7, BS), 0);
      assertArrayEquals(Support.pattern(lbas[0], 7, BS), Support.read(btt, lbas[0]));
    }
  }

  @ParameterizedTest(name = "crash at every {0} of one write")
  @EnumSource(Event.class)
  void singleWriteIsAtomicAtEveryCrashPoint(Event kind) {
    byte[] base = baseImage();
    int points = 0;
    for (long k = 1; ; k++) {
      FaultInjectingMedium fim = new FaultInjectingMedium(TestMedia.heapWith(base));
      Btt btt = Btt.open(fim, 0, fim.size(), Support.smallOptions());
      fim.crashAt(kind, k);
      try {
        btt.write(5, Support.pattern(5, 2, BS), 0);
      } catch (FaultInjectingMedium.SimulatedCrash expected) {
        // crash point reached
      }
      if (!fim.crashed()) {
        assertTrue(points > 0, "no crash point");
        break;
      }
      points++;
      long fencesDone = fim.count(Event.FENCE) - (kind == Event.FENCE ? 1 : 0);
      boolean committed = fencesDone >= 2;
      verify(fim.image(CrashImage.PERSISTED_ONLY), new long[] {5}, new int[] {1}, new int[] {2},
          new boolean[] {committed}, kind + " #" + k + " persisted-only");
      verify(fim.image(CrashImage.ALL_ISSUED), new long[] {5}, new int[] {1}, new int[] {2},
          new boolean[] {committed}, kind + " #" + k + " all-issued");
    }
    // 3 fences, 3 flushes (data, flog entry, map), 4 stores (data, two flog halves, map) per write
    assertEquals(kind == Event.STORE ? 4 : 3, points);
  }

  /**
   * Writes on four lanes (four threads, run one after the other so that one thread's model of
   * flushes and fences stays exact), crash at every event of the whole sequence.
   */
  @Test
  void writesOnSeveralLanesAreAtomicAtEveryCrashPoint() throws Exception {
    byte[] base = baseImage();
    long[] lbas = {3, 9, 3, 20};
    int[] versions = {2, 2, 3, 2};
    int total = 0;
    for (Event kind : Event.values()) {
      for (long k = 1; ; k++) {
        FaultInjectingMedium fim = new FaultInjectingMedium(TestMedia.heapWith(base));
        Btt btt = Btt.open(fim, 0, fim.size(), Support.smallOptions().withLanes(4));
        fim.crashAt(kind, k);
        int completed = 0;
        ExecutorService[] threads = new ExecutorService[4];
        for (int t = 0; t < 4; t++) {
          threads[t] = Executors.newSingleThreadExecutor();
        }
        try {
          for (int i = 0; i < lbas.length; i++) {
            final int n = i;
            Future<?> f = threads[i].submit(() -> btt.write(lbas[n], Support.pattern(lbas[n], versions[n], BS), 0));
            try {
              f.get();
              completed++;
            } catch (java.util.concurrent.ExecutionException e) {
              if (!(e.getCause() instanceof FaultInjectingMedium.SimulatedCrash)) {
                throw e;
              }
              break;
            }
          }
        } finally {
          for (ExecutorService t : threads) {
            t.shutdownNow();
          }
        }
        if (!fim.crashed()) {
          break;
        }
        total++;
        // expected per distinct lba: writes before the crashed one are committed
        List<Long> distinct = new ArrayList<>(List.of(3L, 9L, 20L));
        long[] ls = distinct.stream().mapToLong(Long::longValue).toArray();
        int[] oldV = new int[ls.length];
        int[] newV = new int[ls.length];
        boolean[] mustNew = new boolean[ls.length];
        for (int j = 0; j < ls.length; j++) {
          int committedVersion = 1;
          for (int i = 0; i < completed; i++) {
            if (lbas[i] == ls[j]) {
              committedVersion = versions[i];
            }
          }
          oldV[j] = committedVersion;
          newV[j] = completed < lbas.length && lbas[completed] == ls[j] ? versions[completed] : committedVersion;
          mustNew[j] = false;
        }
        for (CrashImage img : CrashImage.values()) {
          verify(fim.image(img), ls, oldV, newV, mustNew, kind + " #" + k + " " + img + " after " + completed + " writes");
        }
      }
    }
    assertEquals(4 * (4 + 3 + 3), total);
  }
}
