package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.AlreadyClosedException;
import io.nvframe.api.ErrorCode;
import io.nvframe.api.Frame;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.Region;
import io.nvframe.api.Transaction;
import io.nvframe.api.TransactionConflictException;
import io.nvframe.api.OutOfFramesException;
import io.nvframe.spi.PersistStats;
import io.nvframe.tck.RegionCheckExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TransactionTest {
  @TempDir Path dir;
  /** Checks and closes every region a test opened. */
  @RegisterExtension final RegionCheckExtension regions = new RegionCheckExtension();

  private Region region;

  static Stream<String> backends() {
    return Stream.of("heap", "dax");
  }

  Region open(String backend) {
    var b = Regions.builder().backend(backend).capacity(8L << 20).maxOrder(5).lanes(8).lockTimeout(Duration.ofMillis(200));
    if (backend.equals("dax")) {
      b.path(dir.resolve("tx.nvf"));
    }
    region = regions.track(b.create());
    return region;
  }


  PersistStats stats() {
    return ((FrameRegion) region).medium.stats();
  }

  @ParameterizedTest
  @MethodSource("backends")
  void fenceBudgets(String backend) {
    Region r = open(backend);
    Frame page = r.allocate(0);
    // update 64 B in an existing frame: logged, 1 fence, 1 flush (the record); its target line is
    // flushed by the next commit that adopts or closes its open lane (log-redo/README.md, "Open lanes")
    PersistStats s0 = stats();
    r.transact(tx -> tx.write(page, 64, new byte[64]));
    assertEquals(1, stats().minus(s0).fences(), "64-byte update");
    assertEquals(1, stats().minus(s0).flushes(), "64-byte update: " + stats().minus(s0));
    // a single 8-byte change: no log, 1 fence; bytes the update did not change: its open lane is
    // left alone
    PersistStats s0b = stats();
    r.transact(tx -> tx.putLong(page, 8, 99L));
    assertEquals(1, stats().minus(s0b).fences(), "single 8-byte change");
    assertEquals(1, stats().minus(s0b).flushes(), "single 8-byte change of other bytes");
    // one of the bytes the update changed: logged instead of store + persist (RedoLog, "Commit"),
    // adopting the update's open lane with the same one fence; flushes: the update's target line,
    // the record, the update's header line (the two records share the word)
    PersistStats s1 = stats();
    r.transact(tx -> tx.putLong(page, 64, 99L));
    assertEquals(1, stats().minus(s1).fences(), "single 8-byte change over the open record");
    assertEquals(3, stats().minus(s1).flushes(), "single 8-byte change over the open record: " + stats().minus(s1));
    assertEquals(99L, r.getLong(page, 64));
    // other bytes again: store + persist, the records' lanes are left alone
    PersistStats s1b = stats();
    r.transact(tx -> tx.putLong(page, 8, 96L));
    assertEquals(1, stats().minus(s1b).fences());
    assertEquals(1, stats().minus(s1b).flushes(), "single 8-byte change of other bytes");
    // allocate a frame, write it, link it under a root: 2 fences (the frame's data is fenced
    // before the record that links it is written); flushes: the open record's target line
    // (adopted), the written frame (one run), the record
    PersistStats s2 = stats();
    r.transact(tx -> {
      Frame f = tx.allocate(0);
      tx.write(f, 0, new byte[512]);
      tx.setRoot("list", f);
    });
    assertEquals(2, stats().minus(s2).fences(), "allocate + write + link");
    assertEquals(1 + 1 + 1, stats().minus(s2).flushes(), "allocate + write + link: " + stats().minus(s2));
    // allocate a frame and link it, nothing written into it: 1 fence; flushes: the previous
    // transaction's targets (frame word, root slot: two lines, or one run of adjacent pages where
    // a flush writes back whole pages, as dax in msync mode), adopted, and the record
    int targetRuns = ((FrameRegion) region).medium.flushGranularity() >= 4096 ? 1 : 2;
    PersistStats s2b = stats();
    r.transact(tx -> tx.setRoot("list2", tx.allocate(0)));
    assertEquals(1, stats().minus(s2b).fences(), "allocate + link");
    assertEquals(targetRuns + 1, stats().minus(s2b).flushes(), "allocate + link: " + stats().minus(s2b));
    // an empty transaction costs nothing
    PersistStats s3 = stats();
    r.transact(tx -> {});
    assertEquals(0, stats().minus(s3).fences());
    // a transaction larger than its lane: 3 fences (it is applied, flushed and invalidated before
    // it returns), one more flush per extension block
    Frame big = r.allocate(1);
    PersistStats s4 = stats();
    r.transact(tx -> tx.write(big, 0, new byte[8192]));
    assertEquals(3, stats().minus(s4).fences(), "8 KiB rewrite (chained record)");
    assertTrue(stats().minus(s4).flushes() >= 1 + 1 + 1 + 1, "8 KiB rewrite: " + stats().minus(s4));
  }

  @ParameterizedTest
  @MethodSource("backends")
  void readsSeeTheTransactionsOwnWrites(String backend) {
    Region r = open(backend);
    Frame page = r.allocate(0);
    r.putLong(page, 0, 1);
    try (Transaction tx = r.begin()) {
      tx.putLong(page, 0, 2);
      tx.write(page, 4, new byte[] {9, 9, 9, 9, 9, 9, 9, 9});
      assertEquals(2L | 0x0909090900000000L, tx.getLong(page, 0));
      byte[] b = new byte[12];
      tx.read(page, 0, b);
      assertArrayEquals(new byte[] {2, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9}, b);
      assertEquals(1L, r.getLong(page, 0), "outside the transaction nothing changed yet");
      Frame fresh = tx.allocate(0);
      tx.putLong(fresh, 16, 77);
      assertEquals(77, tx.getLong(fresh, 16));
      tx.setRoot("x", fresh);
      assertEquals(Optional.of(fresh), tx.root("x"));
      assertTrue(r.root("x").isEmpty());
      tx.commit();
    }
    assertEquals(2L | 0x0909090900000000L, r.getLong(page, 0));
    assertEquals(77, r.getLong(r.root("x").orElseThrow(), 16));
  }

  @ParameterizedTest
  @MethodSource("backends")
  void closingWithoutCommitLeavesNoTrace(String backend) {
    Region r = open(backend);
    Frame page = r.allocate(0);
    r.transact(tx -> tx.setRoot("keep", page));
    long free = r.stats().freeFrames();
    try (Transaction tx = r.begin()) {
      tx.putLong(page, 0, 5);
      Frame f = tx.allocate(3);
      tx.write(f, 0, new byte[100]);
      tx.free(page);
      tx.setRoot("new", f);
      tx.removeRoot("keep");
    }
    assertEquals(free, r.stats().freeFrames(), "reserved frames returned");
    assertEquals(0L, r.getLong(page, 0), "page still allocated and unchanged");
    assertTrue(r.root("new").isEmpty());
    assertEquals(page, r.root("keep").orElseThrow());
    RuntimeException boom = new IllegalStateException("boom");
    RuntimeException thrown = assertThrows(IllegalStateException.class, () -> r.transact(tx -> {
      tx.putLong(page, 0, 6);
      tx.allocate(0);
      throw boom;
    }));
    assertEquals(boom, thrown);
    assertEquals(0L, r.getLong(page, 0));
    assertEquals(free, r.stats().freeFrames());
  }

  @ParameterizedTest
  @MethodSource("backends")
  void freesTakeEffectOnlyAtCommitAndBumpTheGeneration(String backend) {
    Region r = open(backend);
    Frame a = r.allocate(1);
    long free = r.stats().freeFrames();
    try (Transaction tx = r.begin()) {
      tx.free(a);
      assertEquals(free, r.stats().freeFrames(), "not yet free");
      InvalidFrameException e = assertThrows(InvalidFrameException.class, () -> tx.getLong(a, 0));
      assertEquals(ErrorCode.FRAME_STALE, e.code());
      assertThrows(InvalidFrameException.class, () -> tx.free(a));
      tx.commit();
    }
    assertEquals(free + 2, r.stats().freeFrames());
    assertThrows(InvalidFrameException.class, () -> r.getLong(a, 0));
    Frame again = r.allocate(1);
    if (again.pfn() == a.pfn()) {
      assertTrue(again.generation() != a.generation(), "generation must move on: " + a + " vs " + again);
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void allocateAndFreeInOneTransactionIsANoOp(String backend) {
    Region r = open(backend);
    long free = r.stats().freeFrames();
    r.transact(tx -> {
      Frame f = tx.allocate(2);
      tx.putLong(f, 0, 1);
      tx.free(f);
    });
    assertEquals(free, r.stats().freeFrames());
  }

  @Test
  void rootsSurviveReopenAndNamesAreValidated() {
    Region r = open("dax");
    Frame f = r.allocate(0);
    r.transact(tx -> {
      tx.setRoot("users", f);
      tx.putLong(f, 0, 1234);
    });
    assertThrows(NvframeConfigurationException.class, () -> r.transact(tx -> tx.setRoot("bad name", f)));
    assertThrows(NvframeConfigurationException.class, () -> r.root("x".repeat(49)));
    r.close();
    region = regions.track(Regions.open(dir.resolve("tx.nvf")));
    Frame users = region.root("users").orElseThrow();
    assertEquals(f, new Frame(users.pfn(), users.order(), users.generation(), f.regionId()));
    assertEquals(1234, region.getLong(users, 0));
    region.transact(tx -> tx.removeRoot("users"));
    assertTrue(region.roots().isEmpty());
  }

  @Test
  void theRootDirectoryFillsUpWithAClearError() {
    Region r = open("heap");
    Frame f = r.allocate(0);
    for (int i = 0; i < RootDirectory.SLOTS; i++) {
      String name = "root-" + i;
      r.transact(tx -> tx.setRoot(name, f));
    }
    NvframeConfigurationException e =
        assertThrows(NvframeConfigurationException.class, () -> r.transact(tx -> tx.setRoot("one-more", f)));
    assertEquals(ErrorCode.ROOT_DIRECTORY_FULL, e.code());
    r.transact(tx -> tx.setRoot("root-3", f)); // replacing an existing root still works
    assertEquals(RootDirectory.SLOTS, r.roots().size());
  }

  @ParameterizedTest
  @MethodSource("backends")
  void aTransactionLargerThanItsLaneCommitsThroughExtensionFrames(String backend) {
    Region r = open(backend);
    Frame big = r.allocate(1);
    long free = r.stats().freeFrames();
    byte[] data = new byte[8192];
    new java.util.Random(4).nextBytes(data);
    PersistStats before = stats();
    Frame[] fresh = new Frame[1];
    r.transact(tx -> {
      fresh[0] = tx.allocate(0);
      tx.write(big, 0, data);
      tx.setRoot("fresh", fresh[0]);
    });
    assertEquals(3, stats().minus(before).fences(), "a chained record keeps the fence budget");
    byte[] got = new byte[data.length];
    r.read(big, 0, got);
    assertArrayEquals(data, got);
    assertEquals(free - 1, r.stats().freeFrames(), "extension frames released, the new frame kept");
  }

  @ParameterizedTest
  @MethodSource("backends")
  void aTransactionLargerThanTheFreeFramesFailsBeforeWritingAnything(String backend) {
    Region r = open(backend);
    Frame big = r.allocate(3);
    List<Frame> hog = new ArrayList<>();
    for (Optional<Frame> f; (f = r.tryAllocate(0)).isPresent(); ) {
      hog.add(f.get());
    }
    r.free(hog.remove(0)); // one frame free: the 32 KiB rewrite needs about 8 extension frames
    long free = r.stats().freeFrames();
    PersistStats before = stats();
    OutOfFramesException e = assertThrows(OutOfFramesException.class, () -> r.transact(tx -> {
      tx.allocate(0);
      tx.write(big, 0, new byte[32768]);
      tx.putLong(big, 0, 1);
    }));
    assertTrue(e.getMessage().contains("nothing was written"), e.getMessage());
    assertEquals(0, stats().minus(before).stores(), "nothing written");
    assertEquals(free, r.stats().freeFrames(), "the reservation and the extension frames returned");
    assertEquals(0L, r.getLong(big, 0));
    r.transact(tx -> tx.putLong(big, 0, 2)); // the region still commits
    assertEquals(2L, r.getLong(big, 0));
  }

  @Test
  void aTransactionIsConfinedAndEndsAtCommit() throws Exception {
    Region r = open("heap");
    Frame f = r.allocate(0);
    Transaction tx = r.begin();
    tx.putLong(f, 0, 1);
    ExecutorService other = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("other").factory());
    try {
      Future<?> use = other.submit(() -> tx.putLong(f, 0, 2));
      var ex = assertThrows(java.util.concurrent.ExecutionException.class, use::get);
      assertTrue(ex.getCause() instanceof IllegalStateException, ex.toString());
    } finally {
      other.shutdownNow();
    }
    tx.commit();
    assertFalse(tx.isActive());
    assertThrows(AlreadyClosedException.class, () -> tx.putLong(f, 0, 3));
    tx.close();
    assertEquals(1, r.getLong(f, 0));
  }


  /**
   * Reservations are pooled per thread: a reservation released in one transaction (allocated and
   * freed there) and one with direct writes are reused by the next transaction's allocations,
   * which must start clean: published, with only their own data durable. Checked for more
   * allocations than the pool keeps, too.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void pooledReservationsStartCleanInTheNextTransaction(String backend) {
    Region r = open(backend);
    Frame link = r.allocate(0);
    for (int n : new int[] {3, TxScratch.POOL_MAX + 5}) {
      Frame[] kept = new Frame[n];
      r.transact(tx -> {
        Frame gone = tx.allocate(0);
        tx.putLong(gone, 0, 99);
        tx.free(gone); // released reservation in slot 0
        for (int i = 0; i < n; i++) {
          kept[i] = tx.allocate(0);
          tx.putLong(kept[i], 8, i); // dirty ranges
        }
      });
      Frame[] next = new Frame[n];
      r.transact(tx -> {
        for (int i = 0; i < n; i++) {
          next[i] = tx.allocate(0); // reuses the pooled reservations, the released one first
        }
        tx.putLong(link, 0, next[0].pfn());
      });
      for (int i = 0; i < n; i++) {
        assertEquals(i, r.getLong(kept[i], 8));
        r.putLong(next[i], 16, i); // published: a write to it is accepted
        assertEquals(i, r.getLong(next[i], 16));
      }
      for (int i = 0; i < n; i++) {
        r.free(kept[i]);
        r.free(next[i]);
      }
    }
    assertTrue(r.check().consistent(), r.check()::toString);
  }

  /**
   * transact hands the thread's next body the same handle (no allocation per transaction): it is
   * closed between calls, a nested transact gets a handle of its own, and a rolled-back body
   * leaves the handle usable by the next call.
   */
  @Test
  void transactReusesItsHandleOnlyBetweenCalls() {
    Region r = open("heap");
    Frame f = r.allocate(0);
    Frame g = r.allocate(0);
    Transaction[] seen = new Transaction[3];
    r.transact(tx -> {
      seen[0] = tx;
      tx.putLong(f, 0, 1);
      r.transact(inner -> {
        seen[1] = inner;
        inner.putLong(g, 8, 2);
      });
    });
    assertNotSame(seen[0], seen[1], "a nested transaction has a handle of its own");
    assertFalse(seen[0].isActive());
    assertThrows(AlreadyClosedException.class, () -> seen[0].putLong(f, 0, 9));
    assertThrows(IllegalStateException.class, () -> r.transact(tx -> {
      tx.putLong(f, 0, 5);
      throw new IllegalStateException("roll back");
    }));
    r.transact(tx -> {
      seen[2] = tx;
      assertTrue(tx.isActive());
      assertEquals(1, tx.getLong(f, 0), "the rolled-back write is gone");
      tx.putLong(f, 16, 3);
    });
    assertSame(seen[0], seen[2], "the thread's transact reuses its handle");
    assertThrows(AlreadyClosedException.class, () -> seen[2].getLong(f, 0));
    assertEquals(1, r.getLong(f, 0));
    assertEquals(2, r.getLong(g, 8));
    assertEquals(3, r.getLong(f, 16));
  }
  @Test
  void aFrameHeldByOneTransactionMakesAnotherWaitThenFail() throws Exception {
    Region r = open("heap");
    Frame f = r.allocate(0);
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread holder = Thread.ofPlatform().name("holder").start(() -> {
      try (Transaction tx = r.begin()) {
        tx.putLong(f, 0, 1);
        held.countDown();
        release.await();
        tx.commit();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    held.await();
    TransactionConflictException e =
        assertThrows(TransactionConflictException.class, () -> r.transact(tx -> tx.putLong(f, 0, 2)));
    assertEquals(ErrorCode.TX_CONFLICT, e.code());
    assertThrows(TransactionConflictException.class, () -> r.free(f));
    release.countDown();
    holder.join();
    r.transact(tx -> tx.putLong(f, 0, tx.getLong(f, 0) + 1));
    assertEquals(2, r.getLong(f, 0));
  }

  /**
   * Every committed transaction is counted once, whichever thread committed it: threads that have
   * ended (more of them than the counter registry keeps before it sweeps), nested transactions, and
   * rolled-back or failed transactions not at all.
   */
  @ParameterizedTest
  @MethodSource("backends")
  void committedTransactionsAreCountedAcrossThreads(String backend) throws Exception {
    Region r = open(backend);
    Frame page = r.allocate(0);
    long before = r.stats().transactionsCommitted();
    int threads = 20;
    int perThread = 7;
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread th = Thread.ofPlatform().start(() -> {
        for (int i = 0; i < perThread; i++) {
          int off = 8 * (id % 8);
          r.transact(tx -> tx.putLong(page, off, tx.getLong(page, off) + 1));
        }
        try (Transaction rolledBack = r.begin()) {
          rolledBack.putLong(page, 64, 1);
        }
      });
      th.join();
      assertEquals(before + (long) (t + 1) * perThread, r.stats().transactionsCommitted(), "after thread " + t);
    }
    Thread virtual = Thread.ofVirtual().start(() -> r.transact(tx -> tx.putLong(page, 128, 5)));
    virtual.join();
    // nested: the outer transaction's scratch is in use, the inner one gets its own
    Frame other = r.allocate(0);
    r.transact(outer -> {
      outer.putLong(page, 136, 1);
      r.transact(inner -> inner.putLong(other, 0, 2));
    });
    assertEquals(before + (long) threads * perThread + 1 + 2, r.stats().transactionsCommitted());
    assertEquals(2, r.getLong(other, 0));
    assertEquals(1, r.getLong(page, 136));
  }

  @ParameterizedTest
  @MethodSource("backends")
  void concurrentTransactionsAreSerializedPerFrame(String backend) throws Exception {
    Region r = open(backend);
    Frame shared = r.allocate(0);
    int threads = 4;
    int perThread = 300;
    List<Frame> own = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      own.add(r.allocate(0));
    }
    AtomicLong conflicts = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform().name("tx-", 0).factory());
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Frame mine = own.get(t);
        futures.add(pool.submit(() -> {
          for (int i = 0; i < perThread; i++) {
            while (true) {
              try {
                r.transact(tx -> {
                  tx.putLong(shared, 0, tx.getLong(shared, 0) + 1);
                  tx.putLong(mine, 0, tx.getLong(mine, 0) + 1);
                  Frame scratch = tx.allocate(0);
                  tx.putLong(scratch, 0, 1);
                  tx.free(scratch);
                });
                break;
              } catch (TransactionConflictException e) {
                conflicts.incrementAndGet();
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals((long) threads * perThread, r.getLong(shared, 0), "lost update (conflicts: " + conflicts + ")");
    for (Frame mine : own) {
      assertEquals(perThread, r.getLong(mine, 0));
    }
    assertEquals((long) threads * perThread, r.stats().transactionsCommitted());
  }
}
