package io.nvframe.redo;

import io.nvframe.spi.Medium;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The lanes whose last record is applied and marked APPLIED in memory, but whose APPLIED state word
 * may not be durable yet (the deferred invalidation of log-redo/README.md, "Commit protocol").
 *
 * <p>Invariant P: a lane whose header may hold a VALID record on the media that is already applied
 * has its bit set in {@link #bits} and its generation in {@link Lane#pending()}, from before its
 * commit returns until a fence made the APPLIED word (or anything written to the line after it)
 * durable. Anyone about to make a write durable that a later replay of such a record could undo
 * first calls {@link #flush} (one flush of each such lane's 64-byte header line) and then fences;
 * {@link #retire} after that fence clears what the fence covered.
 *
 * <p>Only a write to a byte the record targets can be undone by its replay (every other byte the
 * replay writes gets the value it already holds). So each lane publishes, with its generation, the
 * {@link Footprint} of its record's targets ({@link Lane#mayTarget}), and a flusher flushes only
 * the lanes whose footprint overlaps that of the bytes it is about to make durable ({@link
 * Footprint#everything()} when it does not know them). Two threads changing different data then
 * flush each other's line only when their footprints' hashes collide. The owner writes the footprint (plain stores) before the volatile
 * store of the generation, and only after its record's commit point: a flusher that reads a
 * footprint being replaced reads it for a record that its lane's next record already overwrote
 * durably, which can no longer be replayed, so a wrong answer for it does no harm; a flusher
 * ordered after the record by the caller's locks sees the record's footprint exactly. Before it
 * reads a lane's generation and footprint (a line the owner writes on every commit, so a cache miss
 * for every other core), a flusher tests the lane's page summary ({@link LaneSummary}, a line the
 * owner rewrites only when its records move to other pages) against its footprint's pages, and
 * skips the lane when they share no bit: the summary covers the lane's last published record, and
 * a shared byte gives a shared page bit ({@link Footprint}).
 *
 * <p>Concurrency: the owner of a lane (the thread holding its lock) publishes with a volatile store
 * of the generation, then sets the bit. A flusher reads the bit, then the generation (both
 * volatile, so the APPLIED store that preceded them is visible to its flush). Retiring is a CAS of
 * the generation it saw to 0 (fails if the owner published a newer one), then clearing the bit and
 * setting it again if a generation appeared meanwhile; so a lane with a non-zero generation never
 * stays without its bit. The owner never clears its own bit: while a thread keeps committing on its
 * lane the bit stays set and publishing costs one volatile store.
 *
 * <p>A flusher retires a lane only when it flushes the same generation of it a second time (the
 * lane's owner has not committed since): two threads committing on their own lanes over the same
 * data then flush each other's header line every commit but share no atomic update, and an idle
 * lane stops being flushed after two fences that overlap it. A lane that no later footprint
 * overlaps is retired by a sweep: every {@value Seen#SWEEP_EVERY}th flush of a flusher, if its
 * previous sweep was at least 50 ms ago ({@link Seen#SWEEP_IDLE_NANOS}), also flushes the lanes
 * still pending with the generation it saw at its previous sweep ({@link #sweepIdle}), so only
 * lanes idle that long. Retiring is an optimization; flushing a lane that is no longer pending is
 * harmless.
 */
final class PendingInvalidations {
  private static final VarHandle BITS = MethodHandles.arrayElementVarHandle(long[].class);
  /**
   * Unused entries on either side of {@link #bits}' entries (64 bytes), and {@link #REF_PAD} on
   * either side of {@link #lanes}' (64 bytes of compressed references, 128 of full ones): every
   * commit of every thread reads both arrays, so no object that a thread writes may share their
   * cache lines, wherever the collector moves them.
   */
  private static final int PAD = 8;
  private static final int REF_PAD = 16;
  private final Medium medium;
  /** Lane {@code i} at {@code lanes[REF_PAD + i]}. */
  private final Lane[] lanes;
  private final int laneCount;
  /** Calls of {@link #flush} per sweep ({@link Seen#SWEEP_EVERY}; tests set it lower). */
  int sweepEvery = Seen.SWEEP_EVERY;
  /** Least time between two sweeps of one flusher ({@link Seen#SWEEP_IDLE_NANOS}; tests set 0). */
  long sweepIdleNanos = Seen.SWEEP_IDLE_NANOS;
  /**
   * Bit {@code i % 64} of word {@code i / 64}, at {@code bits[PAD + i / 64]}: lane i may hold a
   * non-durable APPLIED word (volatile access through {@link #BITS}).
   */
  private final long[] bits;
  private final int words;

  PendingInvalidations(Medium medium, Lane[] lanes) {
    this.medium = medium;
    this.laneCount = lanes.length;
    this.lanes = new Lane[REF_PAD + laneCount + REF_PAD];
    System.arraycopy(lanes, 0, this.lanes, REF_PAD, laneCount);
    this.words = (laneCount + 63) >>> 6;
    this.bits = new long[PAD + words + PAD];
  }

  /**
   * Publishes {@code lane}'s record of {@code generation}, whose targets lie in {@code footprint}:
   * {@code open} (targets applied, not flushed; {@code applied} is the APPLIED word that {@link
   * #close} stores) or applied with a non-durable APPLIED word; {@code predLane}/{@code predGen}:
   * see {@link Lane#predLane()}. Under the lane lock, after the record's commit point.
   */
  void publish(Lane lane, long generation, Footprint footprint, boolean open, long applied,
      int predLane, long predGen) {
    lane.publish(generation, footprint, open, applied, predLane, predGen);
    int w = lane.id >>> 6;
    long m = 1L << lane.id;
    if ((word(w) & m) == 0) {
      BITS.getAndBitwiseOr(bits, PAD + w, m);
    }
  }

  /**
   * Prepares a fence of this thread that makes bytes of {@code footprint} durable: every lane but
   * {@code except} and {@code except2} (-1: none) whose published record may target one of those
   * bytes is closed if it is open ({@link #closeOrWait}) and its header line is flushed ({@link
   * #flushLane}); on a sweep, so is every idle lane ({@link #sweepIdle}). Notes in {@code seen} the
   * generations this flusher had already flushed once, and the idle ones, to retire after its
   * fence (as many as fit; the others stay pending until a later flush retires them). Returns the
   * largest generation flushed for an overlap, or -1.
   */
  long flush(int except, int except2, Seen seen, Footprint footprint) {
    long max = -1;
    seen.n = 0;
    boolean sweep = false;
    if (++seen.sinceSweep >= sweepEvery) {
      seen.sinceSweep = 0;
      sweep = sweepDue(seen);
    }
    for (int w = 0; w < words; w++) {
      long word = word(w);
      while (word != 0) {
        int bit = Long.numberOfTrailingZeros(word);
        word &= word - 1;
        int id = (w << 6) + bit;
        if (id == except || id == except2) {
          continue;
        }
        Lane lane = lanes[REF_PAD + id];
        // the summary is a line the owner rarely writes: no read of its pending line unless the pages overlap
        long g = lane.mayTouchPages(footprint) ? flushLane(lane, seen, footprint) : -1;
        if (g >= 0) {
          max = Math.max(max, g);
        } else if (sweep) {
          sweepIdle(lane, seen);
        }
      }
    }
    return max;
  }

  /**
   * Whether this scan of {@code seen}'s flusher is a sweep: its first, and then one at least {@link
   * #sweepIdleNanos} after its previous sweep (no clock read when that is 0). So a lane that a sweep
   * finds with the generation of the previous sweep has been idle that long: its thread is blocked
   * or gone, not merely waiting for a processor (log-redo/README.md, "Sweeps").
   */
  private boolean sweepDue(Seen seen) {
    long now = sweepIdleNanos == 0 ? 0 : System.nanoTime();
    if (seen.sweptAt != Seen.NEVER && now - seen.sweptAt < sweepIdleNanos) {
      return false;
    }
    seen.sweptAt = now;
    return true;
  }

  /**
   * One lane of a sweep ({@link #flush} every {@value Seen#SWEEP_EVERY}th call with one {@link
   * Seen}, at least {@link #sweepIdleNanos} after the previous one): a lane still pending with the
   * generation this flusher saw at its previous sweep has not committed since (its thread is idle
   * or gone) and is retired as if it overlapped: closed if
   * open (unless its lock is taken: then it is in use and skipped, without waiting), its header
   * line flushed, retired after the caller's fence. Without it a lane that no
   * later footprint overlaps would stay pending for good, and every commit would test it: a region
   * used by many short-lived threads would test every lane on every commit.
   */
  private void sweepIdle(Lane lane, Seen seen) {
    long g = lane.pending();
    int slot = lane.id & (Seen.LAST - 1);
    if (g == 0 || seen.idle(slot) != g) {
      seen.setIdle(slot, g);
      return;
    }
    if (lane.openGeneration() == g) {
      // a sweep does not wait: a lane whose lock is taken is in use, not idle (its owner, or a
      // flusher that closes it)
      if (!tryClose(lane, g)) {
        return;
      }
      if (lane.pending() != g) {
        return; // its next record was published after it overwrote this one durably
      }
    }
    medium.flush(lane.offset, RecordFormat.HEADER_BYTES);
    seen.note(g);
  }

  /**
   * {@link #flush} for one lane: if its published record of generation g may target a byte of
   * {@code footprint}, closes it when it is open and flushes its header line; returns g, or -1 when nothing was flushed (no overlap, or the record was
   * overwritten by the lane's next one meanwhile and can no longer be replayed).
   */
  long flushLane(Lane lane, Seen seen, Footprint footprint) {
    long g = lane.pending();
    if (g == 0 || !lane.mayTarget(footprint)) {
      return -1;
    }
    if (lane.openGeneration() == g) {
      closeOrWait(lane, g);
      if (lane.pending() != g) {
        return -1; // its next record was published after it overwrote this one durably
      }
    }
    medium.flush(lane.offset, RecordFormat.HEADER_BYTES);
    int slot = lane.id & (Seen.LAST - 1);
    if (seen.last(slot) == g) {
      seen.note(g);
    } else {
      seen.setLast(slot, g);
    }
    return g;
  }

  /**
   * Flushes the header line of the predecessor of {@code lane}'s published record (see {@link
   * Lane#predLane()}) while that lane still holds the predecessor's generation: its APPLIED word
   * is stored, but only the thread that committed {@code lane}'s record flushed it. Called before
   * the fence after which {@code lane}'s own APPLIED word is stored ({@link #close}, adoption in
   * {@link RedoLog}), so a record is never marked APPLIED while the older record it may be replayed
   * with can still be replayed alone.
   */
  void flushPredecessor(Lane lane) {
    int p = lane.predLane();
    if (p >= 0) {
      Lane pred = lanes[REF_PAD + p];
      if (pred.pending() == lane.predGeneration()) {
        medium.flush(pred.offset, RecordFormat.HEADER_BYTES);
      }
    }
  }

  /**
   * Returns once {@code lane} no longer holds its record of generation {@code g} open: closes it
   * if its lock is free, else waits for the holder, who closes an open lane it holds without
   * waiting for anything ({@link RedoLog}, "Open lanes"; the caller holds no open lane).
   */
  void closeOrWait(Lane lane, long g) {
    for (int spins = 1; lane.openGeneration() == g; spins++) {
      if (tryClose(lane, g)) {
        return;
      }
      if ((spins & 1023) == 0) {
        Thread.yield(); // the holder may be descheduled: let it run
      } else {
        Thread.onSpinWait();
      }
    }
  }

  /**
   * If {@code lane}'s lock is free: takes it, closes the lane if it still holds its record of
   * generation {@code g} open, and returns true; false when another thread holds the lock.
   */
  private boolean tryClose(Lane lane, long g) {
    if (!lane.tryLock()) {
      return false;
    }
    try {
      if (lane.openGeneration() == g) {
        close(lane);
      }
    } finally {
      lane.unlock();
    }
    return true;
  }

  /**
   * Closes an open lane: flushes its record's targets (the line runs in its plan) and its
   * predecessor's header line, fences, and stores its APPLIED word (not flushed: the lane is now
   * pending as usual). Under the lane lock; one fence.
   */
  void close(Lane lane) {
    lane.plan.issue(medium);
    flushPredecessor(lane);
    medium.fence();
    lane.plan.reset();
    medium.storeLong(lane.offset + RecordFormat.STATE_WORD_OFFSET, lane.openApplied);
    lane.closed();
  }

  /** Whether any lane is pending (one volatile read per 64 lanes). */
  boolean any() {
    for (int w = 0; w < words; w++) {
      if (word(w) != 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * After a fence that followed {@link #flush}: each lane whose pending generation is still the one
   * flushed is no longer pending.
   */
  void retire(Seen seen) {
    for (int i = 0; i < seen.n; i++) {
      long g = seen.gen(i);
      Lane lane = lanes[REF_PAD + (int) Long.remainderUnsigned(g, laneCount)];
      if (lane.retirePending(g)) {
        int w = lane.id >>> 6;
        long m = 1L << lane.id;
        BITS.getAndBitwiseAnd(bits, PAD + w, ~m);
        if (lane.pending() != 0) {
          BITS.getAndBitwiseOr(bits, PAD + w, m);
        }
      }
    }
    seen.n = 0;
  }

  private long word(int w) {
    return (long) BITS.getVolatile(bits, PAD + w);
  }

  /**
   * The fields of a {@link Seen}, between {@link LinePadding} and its 64 bytes after them (written
   * on every commit that flushes another lane).
   */
  abstract static class SeenFields extends LinePadding {
    /** Unused longs on either side of the entries of {@link #slots}: one cache line. */
    static final int PAD = 8;
    /** Generations to retire ({@link Seen#GENS}), then {@link Seen#LAST} last-flushed, then as many idle ones. */
    final long[] slots = new long[PAD + Seen.GENS + 2 * Seen.LAST + PAD];
    int n;
    /** Calls of {@link PendingInvalidations#flush} since the last sweep. */
    int sinceSweep;
    /** {@link System#nanoTime()} of the last sweep (0 when the sweeps are not timed), or {@link Seen#NEVER}. */
    long sweptAt = Seen.NEVER;
  }

  /** Scratch of one flusher: the generations flushed, to retire after its fence. */
  static final class Seen extends SeenFields {
    static final int LAST = 64;
    /** Most generations noted for retiring after one fence. */
    static final int GENS = 64;
    /** A flusher sweeps idle lanes every this many calls of {@link #flush}, ... */
    static final int SWEEP_EVERY = 64;
    /** ... but no sooner than this long after its previous sweep: 50 ms. */
    static final long SWEEP_IDLE_NANOS = 50_000_000L;
    /** {@link SeenFields#sweptAt} of a flusher that has not swept yet. */
    static final long NEVER = Long.MIN_VALUE;
    @SuppressWarnings("unused")
    private long q0, q1, q2, q3, q4, q5, q6, q7;

    /** Notes generation {@code g} for retiring after the fence, if there is room (else it stays pending). */
    void note(long g) {
      if (n < GENS) {
        slots[PAD + n++] = g;
      }
    }

    /** Noted generation {@code i} (below {@link #n}). */
    long gen(int i) {
      return slots[PAD + i];
    }

    /** The generation this flusher last flushed of lanes {@code slot} modulo {@link #LAST}. */
    long last(int slot) {
      return slots[PAD + GENS + slot];
    }

    void setLast(int slot, long g) {
      slots[PAD + GENS + slot] = g;
    }

    /** The generation this flusher saw at its last sweep, per lane id modulo {@link #LAST}. */
    long idle(int slot) {
      return slots[PAD + GENS + LAST + slot];
    }

    void setIdle(int slot, long g) {
      slots[PAD + GENS + LAST + slot] = g;
    }
  }
}
