package io.nvframe.backend.btt;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Random;

/**
 * Child process of {@link BttProcessKillTest}: two threads write stamped 512-byte blocks to the BTT
 * in FILE forever (thread t owns the lbas with {@code lba % 2 == t}), printing {@code lba stamp}
 * after each write returned, until it is killed.
 */
public final class BttKillWorker {
  private BttKillWorker() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    int blocks = Integer.parseInt(args[1]);
    long seed = Long.parseLong(args[2]);
    BttFiles.Opened o = BttFiles.open(file, false, null);
    Btt btt = o.btt();
    long[] stamp = new long[blocks];
    byte[] buf = new byte[512];
    for (int lba = 0; lba < blocks; lba++) {
      btt.read(lba, buf, 0);
      stamp[lba] = Le.i64(buf, 8);
    }
    PrintStream out = new PrintStream(System.out, false);
    Thread[] ts = new Thread[2];
    for (int t = 0; t < 2; t++) {
      int owner = t;
      Random r = new Random(seed * 10 + t);
      ts[t] = Thread.ofPlatform().start(() -> {
        while (true) {
          int lba = r.nextInt(blocks / 2) * 2 + owner;
          long s = stamp[lba] + 1;
          btt.write(lba, BttConcurrencyTest.stamped(lba, s), 0);
          stamp[lba] = s;
          synchronized (out) {
            out.println(lba + " " + s);
            out.flush();
          }
        }
      });
    }
    System.out.println("ready");
    for (Thread t : ts) {
      t.join();
    }
  }
}
