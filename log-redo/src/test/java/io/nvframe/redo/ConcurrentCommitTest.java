package io.nvframe.redo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Capability;
import io.nvframe.spi.Medium;
import io.nvframe.spi.PersistStats;
import io.nvframe.tck.TestMedia;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Several threads commit many transactions at once (L5). Every committed value is checked at the
 * end, and a wrapping medium checks on every write into the log area that a lane's record is
 * never overwritten while it is in flight (from its first record byte until the store of its
 * APPLIED word, by its own thread or by one that closes or adopts the open lane), and that the
 * generations written into each lane increase.
 */
class ConcurrentCommitTest {
  private static final int LANE_SIZE = 4096;
  private static final int SLOT = 2048;

  @ParameterizedTest(name = "{0} threads, {1} lanes, seed {2}")
  @CsvSource({"4, 4, 1", "4, 2, 2", "4, 1, 3"})
  void concurrentCommitsAreAllAppliedAndLanesNeverMix(int threads, int lanes, long seed) throws Exception {
    int txPerThread = 3000;
    long areaEnd = (long) lanes * LANE_SIZE;
    long size = areaEnd + (long) threads * SLOT;
    try (Medium heap = TestMedia.heap(size)) {
      RedoLog.format(heap, 0, lanes, LANE_SIZE);
      LaneCheckingMedium medium = new LaneCheckingMedium(heap, 0, lanes, LANE_SIZE);
      RedoLog log = RedoLog.open(medium, 0, lanes, LANE_SIZE);
      log.recover();

      byte[][] models = new byte[threads][SLOT];
      long[] logged = new long[threads];
      Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        workers.add(Thread.ofPlatform().name("redo-committer-" + t).start(() -> {
          try {
            Random rnd = new Random(seed * 31 + id);
            byte[] model = models[id];
            long slot = areaEnd + (long) id * SLOT;
            WriteSet ws = log.newWriteSet();
            start.await();
            for (int i = 0; i < txPerThread; i++) {
              ws.clear();
              int w1 = rnd.nextInt(32) * 8;
              long v1 = rnd.nextLong();
              ws.putLong(slot + w1, v1);
              RecordFormat.putLong(model, w1, v1);
              if (i % 5 != 0) { // 4 of 5 transactions are logged
                int w2 = 256 + rnd.nextInt(32) * 8;
                long v2 = rnd.nextLong();
                ws.putLong(slot + w2, v2);
                RecordFormat.putLong(model, w2, v2);
                int at = 600 + rnd.nextInt(1400);
                byte[] b = new byte[1 + rnd.nextInt(40)];
                rnd.nextBytes(b);
                ws.write(slot + at, b, 0, b.length);
                System.arraycopy(b, 0, model, at, b.length);
                logged[id]++;
              }
              log.commit(ws);
            }
          } catch (Throwable e) {
            errors.add(e);
          }
        }));
      }
      for (Thread w : workers) {
        w.join();
      }
      assertTrue(errors.isEmpty(), "seed " + seed + ": " + errors);
      assertEquals(List.of(), medium.violations(), "seed " + seed + ": lanes were mixed");

      long totalLogged = 0;
      for (int t = 0; t < threads; t++) {
        byte[] got = new byte[SLOT];
        heap.read(areaEnd + (long) t * SLOT, got, 0, SLOT);
        assertArrayEquals(models[t], got, "seed " + seed + ": values of thread " + t);
        totalLogged += logged[t];
      }
      LogStats stats = log.stats();
      // a single-word transaction over a word the thread's open record targets is logged too
      // (RedoLog, "Commit"): every transaction is counted once, as a record or as a single word
      assertTrue(stats.recordsWritten() >= totalLogged, "seed " + seed + ": " + stats);
      assertEquals((long) threads * txPerThread, stats.recordsWritten() + stats.singleWordCommits(),
          "seed " + seed + ": " + stats);
      assertEquals(List.of(), log.verify());

      // generation = sequence * lanes + lane; a lane's sequence grows by at least one per record
      // (more when a commit moves above another lane's deferred invalidation, RedoLog.nextGeneration)
      long sequences = 0;
      long max = 0;
      for (int lane = 0; lane < lanes; lane++) {
        byte[] h = new byte[64];
        heap.read((long) lane * LANE_SIZE, h, 0, 64);
        long g = RecordFormat.getLong(h, RecordFormat.GENERATION_OFFSET);
        if (g != 0) {
          assertEquals(lane, g % lanes, "seed " + seed + ": generation " + g + " in lane " + lane);
        }
        sequences += g / lanes;
        max = Math.max(max, g);
      }
      assertTrue(sequences >= stats.recordsWritten(), "seed " + seed + ": at least one sequence number per record, "
          + sequences + " for " + stats.recordsWritten());
      RedoLog reopened = RedoLog.open(heap, 0, lanes, LANE_SIZE);
      assertEquals(0, reopened.recover().recordsReplayed());
      WriteSet ws = reopened.newWriteSet();
      ws.putLong(areaEnd, 1);
      ws.putLong(areaEnd + 512, 2);
      reopened.commit(ws);
      long newest = 0;
      for (int lane = 0; lane < lanes; lane++) {
        byte[] h = new byte[64];
        heap.read((long) lane * LANE_SIZE, h, 0, 64);
        newest = Math.max(newest, RecordFormat.getLong(h, RecordFormat.GENERATION_OFFSET));
      }
      assertTrue(newest > max, "seed " + seed + ": after reopen " + newest + " <= " + max);
    }
  }

  /**
   * Delegates to a medium and checks lane ownership on every write into the log area: the first
   * write into a lane claims it for the writing thread, the store of the header's state word (the
   * APPLIED word, by the committing thread or by any thread that closes the open lane under its
   * lock) releases it; any other write by another thread in between is a violation. Also checks
   * that the generations of the headers written to a lane increase.
   */
  private static final class LaneCheckingMedium implements Medium {
    private final Medium delegate;
    private final long area;
    private final int lanes;
    private final int laneSize;
    private final AtomicReferenceArray<Thread> owner;
    private final AtomicLongArray lastGeneration;
    private final Queue<String> violations = new ConcurrentLinkedQueue<>();

    LaneCheckingMedium(Medium delegate, long area, int lanes, int laneSize) {
      this.delegate = delegate;
      this.area = area;
      this.lanes = lanes;
      this.laneSize = laneSize;
      this.owner = new AtomicReferenceArray<>(lanes);
      this.lastGeneration = new AtomicLongArray(lanes);
    }

    List<String> violations() {
      return List.copyOf(violations);
    }

    private int laneOf(long offset) {
      long rel = offset - area;
      return rel >= 0 && rel < (long) lanes * laneSize ? (int) (rel / laneSize) : -1;
    }

    private void claim(long offset) {
      int lane = laneOf(offset);
      if (lane < 0) {
        return;
      }
      Thread me = Thread.currentThread();
      Thread prev = owner.compareAndExchange(lane, null, me);
      if (prev != null && prev != me) {
        violations.add("lane " + lane + " written by " + me.getName() + " while " + prev.getName()
            + " has a record in flight there");
      }
    }

    private boolean isStateWord(long offset) {
      int lane = laneOf(offset);
      return lane >= 0 && offset == area + (long) lane * laneSize + RecordFormat.STATE_WORD_OFFSET;
    }

    private void headerWritten(long offset, byte[] src, int srcOffset, int length) {
      int lane = laneOf(offset);
      if (lane >= 0 && offset == area + (long) lane * laneSize && length >= 16) {
        long g = RecordFormat.getLong(src, srcOffset + RecordFormat.GENERATION_OFFSET);
        long prev = lastGeneration.getAndSet(lane, g);
        if (g <= prev) {
          violations.add("lane " + lane + ": generation " + g + " written after " + prev);
        }
      }
    }

    @Override
    public void storeLong(long offset, long value) {
      if (isStateWord(offset)) {
        delegate.storeLong(offset, value);
        owner.set(laneOf(offset), null);
        return;
      }
      claim(offset);
      delegate.storeLong(offset, value);
    }

    @Override
    public void storeInt(long offset, int value) {
      claim(offset);
      delegate.storeInt(offset, value);
    }

    @Override
    public void write(long offset, byte[] src, int srcOffset, int length) {
      claim(offset);
      headerWritten(offset, src, srcOffset, length);
      delegate.write(offset, src, srcOffset, length);
    }

    @Override
    public void write(long offset, MemorySegment src) {
      claim(offset);
      delegate.write(offset, src);
    }

    @Override
    public void fill(long offset, long length, byte value) {
      claim(offset);
      delegate.fill(offset, length, value);
    }

    @Override public long size() { return delegate.size(); }
    @Override public int atomicWriteUnit() { return delegate.atomicWriteUnit(); }
    @Override public int flushGranularity() { return delegate.flushGranularity(); }
    @Override public Set<Capability> capabilities() { return delegate.capabilities(); }
    @Override public long loadLong(long offset) { return delegate.loadLong(offset); }
    @Override public int loadInt(long offset) { return delegate.loadInt(offset); }
    @Override public void read(long offset, byte[] dst, int dstOffset, int length) { delegate.read(offset, dst, dstOffset, length); }
    @Override public void read(long offset, MemorySegment dst) { delegate.read(offset, dst); }
    @Override public void flush(long offset, long length) { delegate.flush(offset, length); }
    @Override public void fence() { delegate.fence(); }
    @Override public Optional<MemorySegment> segment() { return Optional.empty(); }
    @Override public PersistStats stats() { return delegate.stats(); }
    @Override public String description() { return "lane-checking(" + delegate.description() + ")"; }
    @Override public boolean isOpen() { return delegate.isOpen(); }
    @Override public void close() { delegate.close(); }
  }
}
