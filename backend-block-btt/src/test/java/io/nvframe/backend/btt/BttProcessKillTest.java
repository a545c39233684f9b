package io.nvframe.backend.btt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import io.nvframe.tck.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real process crash: a child JVM writes stamped blocks on two lanes of a BTT in a file mapped
 * through the dax backend and is killed with SIGKILL mid-write, three times in a row. After each
 * kill the BTT opens (recovery), every block holds exactly the last stamp the child reported or the
 * one it was writing, and the check finds nothing.
 */
class BttProcessKillTest {
  private static final int BLOCKS = 64;
  @TempDir Path dir;

  @Test
  void sigkillDuringWritesLeavesEveryBlockWholeAndTheBttConsistent() throws Exception {
    Path file = dir.resolve("kill.btt");
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(17L << 20);
    }
    try (Medium m = BttFiles.openMedium(file, false, "dax")) {
      Btt.format(m, 0, m.size(), BttFormat.of(512), Btt.Options.defaults()).close();
    }
    long[] reported = new long[BLOCKS];
    for (int round = 0; round < 3; round++) {
      List<String> cmd = ChildJvm.classPathCommand(
          List.of("-Xmx128m", "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"),
          BttKillWorker.class.getName(), List.of(file.toString(), Integer.toString(BLOCKS), Integer.toString(round)));
      Process p = ChildJvm.start(cmd, dir, "worker" + round);
      int lines = 0;
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
        String line;
        int killAt = 400 + 300 * round;
        while ((line = in.readLine()) != null) {
          if (line.equals("ready")) {
            continue;
          }
          String[] parts = line.split(" ");
          int lba = Integer.parseInt(parts[0]);
          reported[lba] = Math.max(reported[lba], Long.parseLong(parts[1]));
          if (++lines == killAt) {
            p.toHandle().destroyForcibly(); // SIGKILL; keeps the pipe open to read what was written
          }
        }
      }
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      assertTrue(lines >= 400, "round " + round + ": child wrote only " + lines + " blocks; see " + dir);
      try (BttFiles.Opened o = BttFiles.open(file, false, null)) {
        byte[] buf = new byte[512];
        for (int lba = 0; lba < BLOCKS; lba++) {
          o.btt().read(lba, buf, 0);
          assertNull(BttConcurrencyTest.verify(buf, lba, reported[lba] + 1), "round " + round);
          long s = Le.i64(buf, 8);
          assertTrue(s == reported[lba] || s == reported[lba] + 1,
              "round " + round + ": lba " + lba + " holds stamp " + s + ", last reported " + reported[lba]);
          reported[lba] = s;
        }
        BttCheck.Report r = BttCheck.check(o.medium(), 0, o.medium().size(), Btt.Options.defaults());
        assertTrue(r.consistent(), "round " + round + ": " + r.problems());
        assertEquals(0, o.btt().arenaCount() - 1);
      }
    }
  }
}
