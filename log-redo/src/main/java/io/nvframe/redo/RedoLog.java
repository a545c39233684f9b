package io.nvframe.redo;

import static java.util.Objects.requireNonNull;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.NvframeIOException;
import io.nvframe.api.OutOfFramesException;
import io.nvframe.api.TransactionTooLargeException;
import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-lane redo logs in a contiguous area of a {@link Medium}: transactions collect their changes
 * in a {@link WriteSet} and {@link #commit} makes them durable all-or-nothing; {@link #recover}
 * rolls committed records forward after a crash.
 *
 * <h2>Layout</h2>
 *
 * <pre>
 *   areaOffset                                                        areaEnd = areaOffset + lanes * laneSize
 *   | lane 0 (laneSize) | lane 1 | ... | lane lanes-1 |  targets: [areaEnd, medium.size())  ...
 *   each lane: | header 64 B | payload (at most laneSize - 64 bytes) |
 * </pre>
 *
 * The record format (header fields, entry encodings, CRC coverage) is described in {@link
 * RecordFormat} and in {@code log-redo/README.md}.
 *
 * <h2>Generations</h2>
 *
 * Each lane counts its records with a private sequence number (no shared counter on the commit
 * path, so lanes scale with threads); a record's generation is {@code sequence * lanes + laneId}.
 * Generations therefore increase within a lane, are unique across lanes and never reused. {@link
 * #open} starts every lane's sequence at {@code max(generation / lanes)} over all lane headers, so
 * every new record gets a generation above any on the medium.
 *
 * <h2>Commit</h2>
 *
 * <ol>
 *   <li>Empty write set: nothing. Only durable ranges: flush them, one fence.
 *   <li>Exactly one aligned 8-byte change: {@code storeLong} + {@code persist}, 1 fence, no record.
 *       With durable ranges: flush them, fence, then the store + persist, 2 fences. If the record
 *       the write set's previous commit left open may target that word, it is logged instead (step
 *       3), which adopts that record with the same one fence.
 *   <li>Otherwise the record size is checked against the lane capacity <em>before anything is
 *       written</em> ({@link TransactionTooLargeException}). A lane is taken: the other lane of the
 *       write set's pair if its lock is free ({@link #acquireLane}), else any free lane that is not
 *       open, else any free lane, else wait for it. The lock is held until step 7, so one lane never
 *       holds two transactions. If the lane is open (below), it is closed first: its targets
 *       flushed, one fence, its APPLIED word stored. The lanes whose records may target bytes this
 *       commit makes durable (their {@link Footprint}s overlap) are closed if open and their header
 *       lines flushed now (made durable by the next fence), and the record's generation is put
 *       above theirs. Then the lane the write set's previous record left open is adopted if its
 *       lock is free: its targets are flushed now.
 *   <li>The entries (sorted by offset) and then a VALID header with the next generation and the
 *       CRC32C over header and payload are encoded into the lane's DRAM buffer and written to the
 *       lane in one write (header and payload together: the order of their bytes does not matter, the
 *       CRC decides).
 *   <li>If the write set has durable ranges: one flush per coalesced durable range and <b>fence
 *       #0</b>, before the record is written (a record that reached the media before the ranges
 *       would be replayed, with a valid CRC, over lost data). Then one flush over the record,
 *       <b>fence #1 = commit point</b>: from here on recovery replays the transaction. The adopted
 *       lane's targets are durable too: its APPLIED word is stored.
 *   <li>The entries are applied from the DRAM buffer (never re-read from the medium) with plain
 *       stores: SET8 with an atomic 8-byte store, COPY with a bulk write ({@link
 *       RecordFormat#writeCopy}: at least 512 bytes of whole lines with one {@code
 *       writeAndFlush}); the other target lines are collected in the lane's flush plan (adjacent or
 *       overlapping lines merged), <em>not flushed</em>.
 *   <li>The lane is published <em>open</em> ({@link PendingInvalidations#publish}): its targets are
 *       flushed by the next commit of the same write set, which adopts it, or by whoever closes it
 *       before making any of those bytes durable (log-redo/README.md, "Open lanes"). A record
 *       whose apply wrote lines with {@code writeAndFlush}, which only this thread's fence
 *       completes, flushes the rest of its targets, fences (<b>fence #2</b>) and stores its APPLIED
 *       word instead (pending, not open). A chained
 *       record (streamed into its blocks by {@code writeChain} and applied from the write set)
 *       instead flushes its targets, <b>fence #2</b>, stores its APPLIED word, flushes it and fences
 *       (<b>fence #3</b>), because its extension blocks are free again when the commit returns. The
 *       lane lock is released.
 * </ol>
 *
 * A logged commit thus costs 1 fence (2 with durable ranges, 3 or 4 for a chained record, one
 * more when the lane it takes is open) and {@code D + T' + 1 + P} flushes, where D and T' are the
 * numbers of merged line runs of the durable ranges and of the adopted record's targets and P the
 * number of other lanes that were pending with overlapping footprints (a chained record's flushes:
 * log-redo/README.md, "Commit protocol"). Why leaving lanes open and deferring the invalidation is
 * safe, path by path: log-redo/README.md, "Open lanes" and "Deferred invalidation".
 *
 * <h2>Recovery</h2>
 *
 * Every lane header is classified (see {@link RecordFormat#classify}): empty, APPLIED, VALID (magic,
 * version, lane id, CRC, payload size and every entry's bounds all check out) or damaged. VALID
 * records are re-applied in generation order, flushed, one fence; then each is marked APPLIED with
 * its own store, flush and fence, oldest first, so an older record can never stay VALID while a
 * newer one touching the same bytes is already invalidated. Damaged headers (a record torn before
 * its commit point) are ignored and rewritten as clean APPLIED headers with a fresh generation, one
 * fence each. Re-applying is idempotent, so a crash during recovery is repaired by recovering
 * again, and a second recovery writes nothing.
 *
 * <h2>Concurrency</h2>
 *
 * {@link #commit} is thread-safe; transactions on different lanes commit in parallel, sharing no
 * mutable state but the medium's counters. Callers must serialize transactions that change the
 * same bytes, holding their locks until {@code commit} returns. Two VALID records on the media may
 * then cover the same bytes (the earlier one applied, its invalidation pending), but the later one
 * has the higher generation, and recovery replays in generation order and invalidates oldest
 * first, also when it is interrupted. Everything that makes bytes durable outside {@link #commit}
 * must do so through {@link #orderedMedium()}, whose fences first flush the pending lanes whose
 * records may target what the calling thread flushed there since its last fence there (a fence
 * completes its own thread's write-backs only). {@link #recover} and {@link #verify} take
 * every lane lock. A commit that fails after it started writing (an I/O error) leaves the log
 * unusable until {@link #recover} runs, because its lane may hold a committed record that was not
 * applied.
 */
public final class RedoLog {
  private static final Logger logger = LoggerFactory.getLogger(RedoLog.class);

  /** Size of a record header; a lane holds {@code laneSize - HEADER_BYTES} payload bytes. */
  public static final int HEADER_BYTES = RecordFormat.HEADER_BYTES;
  /** The default lane size (one page). */
  public static final int DEFAULT_LANE_SIZE = 4096;
  /** Lane sizes are positive multiples of this. */
  public static final int LANE_ALIGNMENT = 4096;
  /** Largest buffer a chained record's extension blocks are written from ({@link #writeChain}). */
  private static final int CHAIN_CHUNK = 256 << 10;
  /** At most this many lanes (lane ids are u16). */
  public static final int MAX_LANES = 1 << 16;
  /** {@code areaOffset} must be a multiple of this, so each header is one cache line. */
  public static final int AREA_ALIGNMENT = 64;

  private final Medium medium;
  private final long areaOffset;
  private final int lanes;
  private final int laneSize;
  private final long areaEnd;
  private final int capacity;
  private final Lane[] laneArray;
  private final LongAdder singleWordCommits = new LongAdder();
  /** The next lane pair handed to a write set ({@link #acquireLane}); taken modulo the pairs. */
  private final java.util.concurrent.atomic.AtomicInteger nextPair = new java.util.concurrent.atomic.AtomicInteger();
  private final LongAdder recordsReplayed = new LongAdder();
  /** VALID records found by open and not replayed yet; commits are refused while > 0. */
  private volatile int pendingRecords;
  /** Set when a logged commit failed midway; commits are refused until recover(). */
  private volatile Throwable failure;
  /**
   * Open found every lane EMPTY or APPLIED and no logged commit has started since, so {@link
   * #recover()} has nothing to replay or repair and need not read the lanes again.
   */
  private volatile boolean lanesCleanSinceOpen;
  /** Where records larger than a lane continue; null: such records are refused. */
  private volatile ExtensionSpace extensions;
  /** Lanes whose APPLIED word may not be durable yet (deferred invalidation). */
  private final PendingInvalidations pending;
  /** The footprint of fences whose bytes are not known ({@link #persistInvalidations}): overlaps every record. */
  private static final Footprint EVERYTHING = Footprint.everything();
  /**
   * Per thread, the ranges it flushed through the {@link #orderedMedium()} since its last fence
   * there: the only bytes that fence makes durable (a fence completes the write-backs its own
   * thread started; a write nobody flushed can reach the media any time, like before a crash, and
   * its operation has not returned). Cleared by the ordered fences that use it; one that finds no
   * lane pending leaves it, which only widens a later fence's footprint.
   */
  private final ThreadLocal<Footprint> orderedFlushes = ThreadLocal.withInitial(Footprint::new);

  /** Scratch of {@link #fenceOrdered} and single-word commits, which hold no lane. */
  private static final ThreadLocal<PendingInvalidations.Seen> SEEN =
      ThreadLocal.withInitial(PendingInvalidations.Seen::new);

  private RedoLog(Medium medium, long areaOffset, int lanes, int laneSize, long sequence) {
    this.medium = medium;
    this.areaOffset = areaOffset;
    this.lanes = lanes;
    this.laneSize = laneSize;
    this.areaEnd = areaOffset + (long) lanes * laneSize;
    this.capacity = laneSize - HEADER_BYTES;
    this.laneArray = new Lane[lanes];
    for (int i = 0; i < lanes; i++) {
      laneArray[i] = Lane.create(i, areaOffset + (long) i * laneSize, laneSize, medium, sequence);
    }
    this.pending = new PendingInvalidations(medium, laneArray);
  }

  /**
   * Writes an empty log: zeroes the header of every lane and persists them (one flush over the
   * area, one fence). Payload bytes are left as they are.
   *
   * @throws NvframeConfigurationException if the geometry is invalid or does not fit the medium
   */
  public static void format(Medium medium, long areaOffset, int lanes, int laneSize) {
    checkGeometry(medium, areaOffset, lanes, laneSize);
    for (int i = 0; i < lanes; i++) {
      medium.fill(areaOffset + (long) i * laneSize, HEADER_BYTES, (byte) 0);
    }
    medium.flush(areaOffset, (long) lanes * laneSize);
    medium.fence();
    logger.debug(
        "formatted redo log: {} lanes x {} bytes at offset {} of {}",
        lanes, laneSize, areaOffset, medium.description());
  }

  /**
   * Opens the log: reads every lane header to find the largest generation and the records that
   * await replay. Writes nothing and does not replay; call {@link #recover()} before committing.
   *
   * @throws NvframeConfigurationException if the geometry is invalid or does not fit the medium
   */
  public static RedoLog open(Medium medium, long areaOffset, int lanes, int laneSize) {
    checkGeometry(medium, areaOffset, lanes, laneSize);
    byte[] buf = new byte[laneSize];
    CRC32C crc = new CRC32C();
    long areaEnd = areaOffset + (long) lanes * laneSize;
    long maxGeneration = -1;
    int pending = 0;
    boolean clean = true;
    for (int i = 0; i < lanes; i++) {
      long laneOffset = areaOffset + (long) i * laneSize;
      medium.read(laneOffset, buf, 0, HEADER_BYTES);
      RecordFormat.LaneState st =
          RecordFormat.classify(
              buf, i, medium, laneOffset, laneSize - HEADER_BYTES, areaEnd, medium.size(), crc);
      // a torn header's generation word is still an old or a new generation (8-byte atomicity):
      // counting it keeps generations unique
      maxGeneration = Math.max(maxGeneration, st.generation());
      if (st.kind() == RecordFormat.Kind.VALID) {
        pending++;
      }
      clean &= st.kind() == RecordFormat.Kind.EMPTY || st.kind() == RecordFormat.Kind.APPLIED;
    }
    long sequence = maxGeneration < 0 ? 0 : maxGeneration / lanes;
    RedoLog log = new RedoLog(medium, areaOffset, lanes, laneSize, sequence);
    log.pendingRecords = pending;
    log.lanesCleanSinceOpen = clean;
    logger.debug(
        "opened redo log: {} lanes x {} bytes at offset {} of {}, largest generation {}, {} record(s) await recovery",
        lanes, laneSize, areaOffset, medium.description(), maxGeneration, pending);
    return log;
  }

  /**
   * Replays every valid record of every lane, then marks them APPLIED; rewrites torn or damaged
   * headers as clean APPLIED headers. Idempotent. Takes every lane lock for its duration.
   */
  public RecoveryResult recover() {
    lockAll();
    try {
      return recoverLocked();
    } finally {
      unlockAll();
    }
  }

  private RecoveryResult recoverLocked() {
    // lockAll closed every open lane (its plan is kept until a fence follows its flush, also when
    // a commit that was adopting it failed): it is read below as APPLIED
    if (lanesCleanSinceOpen) {
      logger.debug("redo recovery of {}: all {} lanes clean (as found by open)", describe(), lanes);
      return new RecoveryResult(lanes, 0, 0, 0, List.of());
    }
    byte[] buf = new byte[laneSize];
    CRC32C crc = new CRC32C();
    List<Replay> replays = new ArrayList<>();
    List<Integer> damaged = new ArrayList<>();
    List<String> details = new ArrayList<>();
    for (int i = 0; i < lanes; i++) {
      Lane lane = laneArray[i];
      medium.read(lane.offset, buf, 0, HEADER_BYTES);
      RecordFormat.LaneState st = classify(buf, lane, crc);
      switch (st.kind()) {
        case VALID ->
            replays.add(new Replay(lane, st, st.record() == buf
                ? Arrays.copyOf(buf, HEADER_BYTES + st.payloadBytes()) : st.record()));
        case DAMAGED -> {
          damaged.add(i);
          String line = "lane " + i + " at offset " + lane.offset + ": ignored, " + st.reason();
          details.add(line);
          logger.debug("redo recovery: {}", line);
        }
        case EMPTY, APPLIED -> {}
      }
    }
    replays.sort(Comparator.comparingLong(r -> r.state.generation()));

    long entriesApplied = 0;
    if (!replays.isEmpty()) {
      FlushPlan plan = new FlushPlan(medium);
      for (Replay r : replays) {
        entriesApplied +=
            RecordFormat.apply(medium, r.record, HEADER_BYTES, r.state.payloadBytes(), plan);
      }
      plan.flush(medium);
      medium.fence();
      for (Replay r : replays) {
        long word = RecordFormat.appliedStateWord(r.record, crc);
        long at = r.lane.offset + RecordFormat.STATE_WORD_OFFSET;
        medium.storeLong(at, word);
        medium.flush(at, Long.BYTES);
        medium.fence();
        String line =
            "lane " + r.lane.id + " at offset " + r.lane.offset + ": replayed generation "
                + r.state.generation() + " (" + r.state.entryCount() + " entries, "
                + r.state.payloadBytes() + " payload bytes)";
        details.add(line);
        logger.info("redo recovery: {}", line);
      }
    }
    for (int i : damaged) {
      Lane lane = laneArray[i];
      RecordFormat.writeCleanHeader(buf, i, nextGeneration(lane), crc);
      medium.write(lane.offset, buf, 0, HEADER_BYTES);
      medium.flush(lane.offset, HEADER_BYTES);
      medium.fence();
    }
    pendingRecords = 0;
    failure = null;
    recordsReplayed.add(replays.size());
    RecoveryResult result =
        new RecoveryResult(lanes, replays.size(), damaged.size(), entriesApplied, details);
    if (replays.isEmpty() && damaged.isEmpty()) {
      logger.debug("redo recovery of {}: all {} lanes clean", describe(), lanes);
    } else {
      logger.info(
          "redo recovery of {}: {} record(s) replayed ({} entries), {} torn or damaged header(s) discarded",
          describe(), replays.size(), entriesApplied, damaged.size());
    }
    return result;
  }

  /** A new, empty write set for this log. */
  public WriteSet newWriteSet() {
    return new WriteSet(this, areaEnd, medium.size());
  }

  /**
   * Makes the write set's changes durable, all or nothing (protocol in the class comment). The
   * write set is left unchanged; {@link WriteSet#clear()} it to reuse it.
   *
   * @throws TransactionTooLargeException if the record does not fit in a lane; nothing was written
   * @throws IllegalArgumentException if the write set was made by another log
   * @throws IllegalStateException if records found at open have not been replayed yet
   * @throws NvframeIOException if an earlier commit failed midway and {@link #recover()} has not run
   */
  public void commit(WriteSet writeSet) {
    commit(writeSet, -1);
  }

  /** {@link #commit(WriteSet)} preferring lane {@code preferredLane} (-1: the thread's lane); for tests. */
  void commit(WriteSet writeSet, int preferredLane) {
    requireNonNull(writeSet, "writeSet");
    if (writeSet.log() != this) {
      throw new IllegalArgumentException(
          "the write set belongs to " + writeSet.log().describe() + ", not to " + describe()
              + "; create write sets with this log's newWriteSet()");
    }
    ensureUsable();
    if (writeSet.isEmpty()) {
      return;
    }
    long payload = writeSet.payloadBytes();
    if (payload == 0) {
      FlushPlan plan = new FlushPlan(medium);
      writeSet.addDurableRangesTo(plan);
      plan.flush(medium);
      fenceOrdered(writeSet);
      return;
    }
    if (payload == RecordFormat.SET8_BYTES && !overlapsItsOpenRecord(writeSet)) {
      commitSingleWord(writeSet);
      return;
    }
    ExtensionSpace.Block[] chain = null;
    ExtensionSpace space = null;
    if (payload > capacity) {
      space = extensions;
      if (space == null || payload > RecordFormat.MAX_PAYLOAD_BYTES) {
        throw tooLarge(writeSet, payload, space != null);
      }
      chain = reserveChain(space, writeSet, payload - capacity);
    }
    Lane lane = acquireLane(preferredLane, writeSet);
    boolean written = false;
    try {
      if (lanesCleanSinceOpen) {
        lanesCleanSinceOpen = false; // this commit writes a lane: recover() must read them again
      }
      commitLogged(lane, writeSet, (int) payload, chain);
      written = true;
    } catch (RuntimeException | Error e) {
      failure = e;
      throw e;
    } finally {
      lane.unlock();
      // after a failed commit the chain may belong to a committed record that recover() must
      // still read: its blocks stay reserved until the region is reopened (then free again)
      if (chain != null && written) {
        releaseChain(space, chain, chain.length);
      }
    }
  }

  /**
   * Uses {@code space} for the extension blocks of records larger than a lane (see {@link
   * ExtensionSpace}); without it such records fail with {@link TransactionTooLargeException}.
   */
  public void useExtensionSpace(ExtensionSpace space) {
    this.extensions = requireNonNull(space, "space");
  }

  /**
   * Reserves extension blocks for {@code rest} payload bytes beyond the lane, before anything is
   * written. If the space runs out, gives back what it took and throws.
   */
  private ExtensionSpace.Block[] reserveChain(ExtensionSpace space, WriteSet writeSet, long rest) {
    ExtensionSpace.Block[] blocks = new ExtensionSpace.Block[4];
    int n = 0;
    long remaining = rest;
    try {
      while (remaining > 0) {
        ExtensionSpace.Block b = space.reserve(remaining + RecordFormat.LINK_BYTES);
        if (b == null) {
          long free = space.freeBytes();
          releaseChain(space, blocks, n);
          throw new OutOfFramesException(
              "transaction needs a redo record of " + (HEADER_BYTES + writeSet.payloadBytes())
                  + " bytes (" + writeSet.entryCount() + " entries); " + describe() + " holds "
                  + capacity + " payload bytes per lane and continues larger records in free "
                  + "frames, but only " + free + " bytes are free (" + remaining + " more payload "
                  + "bytes were needed); nothing was written. Free frames or split the transaction");
        }
        checkBlock(b);
        if (n == blocks.length) {
          blocks = Arrays.copyOf(blocks, n * 2);
        }
        blocks[n++] = b;
        remaining -= Math.min(remaining, b.length() - RecordFormat.LINK_BYTES);
      }
    } catch (RuntimeException | Error e) {
      if (!(e instanceof OutOfFramesException)) {
        releaseChain(space, blocks, n);
      }
      throw e;
    }
    return Arrays.copyOf(blocks, n);
  }

  private void checkBlock(ExtensionSpace.Block b) {
    if (b.length() < ExtensionSpace.MIN_BLOCK_BYTES || b.length() % RecordFormat.LINK_BYTES != 0
        || b.offset() % RecordFormat.LINK_BYTES != 0 || b.offset() < areaEnd
        || b.offset() > medium.size() - b.length()) {
      throw new IllegalStateException(
          "the extension space of " + describe() + " returned an unusable block " + b + ": it must be "
              + "64-aligned, at least " + ExtensionSpace.MIN_BLOCK_BYTES + " bytes, a multiple of 64, "
              + "inside [" + areaEnd + ", " + medium.size() + ")");
    }
  }

  private static void releaseChain(ExtensionSpace space, ExtensionSpace.Block[] blocks, int n) {
    for (int i = 0; i < n; i++) {
      space.release(blocks[i]);
    }
  }

  private void commitSingleWord(WriteSet writeSet) {
    long offset = writeSet.singleWordOffset();
    if (writeSet.durableCount() > 0) {
      // the durable ranges, and the deferred invalidations of records targeting them or the
      // word, are durable before the word can be
      FlushPlan plan = new FlushPlan(medium);
      writeSet.addDurableRangesTo(plan);
      plan.flush(medium);
      fenceOrdered(writeSet);
      medium.storeLong(offset, writeSet.singleWordValue());
      medium.persist(offset, Long.BYTES);
    } else {
      medium.storeLong(offset, writeSet.singleWordValue());
      // the word may reach the media before the deferred invalidations: a crash then replays an
      // older record over it, which undoes only this commit, which had not returned
      persistOrdered(offset, Long.BYTES, writeSet);
    }
    singleWordCommits.increment();
  }

  /**
   * Flushes the header lines of lanes with a deferred invalidation, fences, and retires what the
   * fence made durable: after it returns, no record applied before the call can be replayed. Used
   * before every fence that makes a write outside a logged commit durable.
   */
  void fenceOrdered() {
    if (pending.any()) {
      Footprint flushed = orderedFlushes.get();
      flushPendingAndFence(flushed);
      flushed.clear();
    } else {
      medium.fence();
    }
  }

  /** {@code medium.persist(offset, length)} as {@link #fenceOrdered} orders it. */
  void persistOrdered(long offset, long length) {
    if (pending.any()) {
      Footprint flushed = orderedFlushes.get();
      if (length > 0) {
        flushed.add(offset, length);
      }
      medium.flush(offset, length);
      flushPendingAndFence(flushed);
      flushed.clear();
    } else {
      medium.persist(offset, length);
    }
  }

  /** {@code medium.flush(offset, length)} through the ordered medium: noted for the thread's next ordered fence. */
  void flushOrdered(long offset, long length) {
    if (length > 0) {
      orderedFlushes.get().add(offset, length);
    }
    medium.flush(offset, length);
  }

  /** {@code medium.writeAndFlush} through the ordered medium: noted for the thread's next ordered fence. */
  void writeAndFlushOrdered(long offset, byte[] src, int srcOffset, int length) {
    if (length > 0) {
      orderedFlushes.get().add(offset, length);
    }
    medium.writeAndFlush(offset, src, srcOffset, length);
  }

  /**
   * A commit's fence that makes durable only bytes of {@code writeSet}'s footprint: flushes only
   * the pending lanes whose records target such bytes. The footprint is computed only when a lane
   * is pending.
   */
  private void fenceOrdered(WriteSet writeSet) {
    if (pending.any()) {
      flushPendingAndFence(writeSet.footprint());
    } else {
      medium.fence();
    }
  }

  /** A commit's persist of a range of {@code writeSet}'s footprint (see {@link #fenceOrdered(WriteSet)}). */
  private void persistOrdered(long offset, long length, WriteSet writeSet) {
    if (pending.any()) {
      medium.flush(offset, length);
      flushPendingAndFence(writeSet.footprint());
    } else {
      medium.persist(offset, length);
    }
  }

  private void flushPendingAndFence(Footprint footprint) {
    PendingInvalidations.Seen seen = SEEN.get();
    pending.flush(-1, -1, seen, footprint);
    medium.fence();
    pending.retire(seen);
  }

  /**
   * Sweeps idle lanes every {@code calls} scans of one flusher instead of every {@value
   * PendingInvalidations.Seen#SWEEP_EVERY}, and with no least time between two sweeps ({@link
   * PendingInvalidations#flush}): lets the crash simulator's short scenarios reach a sweep. Before
   * any commit.
   */
  void sweepEvery(int calls) {
    pending.sweepEvery = calls;
    pending.sweepIdleNanos = 0;
  }

  /**
   * Sets the least time between two sweeps of one flusher (default {@link
   * PendingInvalidations.Seen#SWEEP_IDLE_NANOS}), for tests. Before any commit.
   */
  void sweepIdleNanos(long nanos) {
    pending.sweepIdleNanos = nanos;
  }

  /** Lane {@code id} (for tests). */
  Lane lane(int id) {
    return laneArray[id];
  }

  /**
   * Makes every deferred invalidation durable (flush of their header lines, one fence; nothing
   * when none is pending): the lanes then hold no VALID record. Called before the medium is
   * closed, so a cleanly closed log opens with nothing to replay.
   */
  public void persistInvalidations() {
    if (pending.any()) {
      flushPendingAndFence(EVERYTHING);
    }
  }

  /**
   * {@code medium} as seen by code that writes it outside this log: its fences and persists first
   * make the log's deferred invalidations durable (log-redo/README.md, "Deferred invalidation").
   * Everything that makes data durable in the area the log's records target, other than through
   * {@link #commit}, must use it.
   */
  public Medium orderedMedium() {
    return new OrderedMedium(medium, this);
  }

  private void commitLogged(Lane lane, WriteSet writeSet, int payload, ExtensionSpace.Block[] chain) {
    // the lane's last record is overwritten below: if it is open, its targets are made durable and
    // its APPLIED word stored first (one fence)
    if (lane.openGeneration() != 0) {
      pending.close(lane);
    }
    byte[] buf = lane.buffer(); // the record is built at buf[at, at + laneSize)
    final int at = Lane.BUFFER_AT;
    int payloadBytes = chain == null ? writeSet.encodePayload(buf, at + HEADER_BYTES) : payload;
    int entries = writeSet.entryCount();
    // other lanes' records that target bytes this commit makes durable: closed if open, their
    // header lines flushed now (durable at this commit's first fence, before any of its entries is
    // applied); the record's generation is above theirs. The lane this write set's previous
    // record left open is adopted below instead, after this scan (which may wait for other lanes).
    Footprint footprint = writeSet.footprint();
    PendingInvalidations.Seen seen = lane.seen;
    Lane prior = priorOpenLane(writeSet, lane);
    long above = pending.flush(lane.id, prior == null ? -1 : prior.id, seen, footprint);
    boolean adopted = false;
    boolean pred = false;
    long generation;
    long appliedWord;
    try {
      if (prior != null) {
        long g = writeSet.lastGeneration;
        // with durable ranges, an open record that may target bytes they reuse (whose new content
        // no record holds) must be marked APPLIED durably before this record can reach the media,
        // which adoption (APPLIED stored after this commit's fence) does not give: it is closed below
        boolean adoptable = writeSet.durableCount() == 0 || !prior.mayTarget(footprint);
        if (adoptable && prior.tryLock()) {
          if (prior.openGeneration() == g) {
            adopted = true; // its targets are flushed now and made durable by this commit's fence
            prior.plan.issue(medium); // reset after the fence (kept if this commit fails before it)
            if (prior.predLane() != lane.id) {
              // its APPLIED word is stored after this fence: its predecessor's must be durable by
              // then (this thread may not be the one that flushed it; a predecessor in this lane is
              // overwritten by this record instead)
              pending.flushPredecessor(prior);
            }
            if (prior.mayTarget(footprint)) {
              pred = true; // it may be replayed together with this record: this one must come after
              above = Math.max(above, g);
            }
          } else {
            prior.unlock();
          }
        }
        if (!adopted) {
          above = Math.max(above, pending.flushLane(prior, seen, footprint));
        }
      }
      generation = nextGeneration(lane, above);
      if (chain == null) {
        appliedWord =
            RecordFormat.writeValidHeader(buf, at, lane.id, generation, entries, payloadBytes);
      } else {
        // the CRC is completed by writeChain, which streams the rest of the payload
        appliedWord = RecordFormat.fillValidHeader(buf, at, lane.id, generation, entries, payloadBytes,
            chain[0].offset(), chain.length, lane.crc);
        writeSet.encodeWindow(buf, at + HEADER_BYTES, 0, capacity);
      }
      long base = lane.offset;
      int recordBytes = HEADER_BYTES + payloadBytes;

      FlushPlan plan = lane.plan;
      if (writeSet.durableCount() > 0) {
        // the durable ranges must be durable before any byte of the record can be: a record that
        // reaches the media first would be replayed (valid CRC) over data that was lost
        writeSet.addDurableRangesTo(plan);
        plan.flush(medium);
        medium.fence(); // #0: durable ranges (and other lanes' invalidations), before the record
      }
      if (chain == null) {
        medium.write(base, buf, at, recordBytes);
        medium.flush(base, recordBytes);
      } else {
        writeChain(buf, at, writeSet, payloadBytes, chain, generation, lane.crc);
        medium.write(base + HEADER_BYTES, buf, at + HEADER_BYTES, capacity);
        medium.write(base, buf, at, HEADER_BYTES);
        medium.flush(base, laneSize);
      }
      medium.fence(); // #1: commit point; the adopted lane's targets are durable
      pending.retire(seen);
      if (adopted) {
        prior.plan.reset();
        medium.storeLong(prior.offset + RecordFormat.STATE_WORD_OFFSET, prior.openApplied);
        if (pred) {
          // durable at this thread's next fence, and by the fence of whoever closes this record's
          // lane before its APPLIED word is stored (Lane.predLane)
          medium.flush(prior.offset, HEADER_BYTES);
        }
        prior.closed();
      }
    } finally {
      if (adopted) {
        prior.unlock();
      }
    }

    long base = lane.offset;
    FlushPlan plan = lane.plan;
    if (chain == null) {
      // applied with plain stores; the targets are flushed by the next commit that adopts this
      // lane, or by whoever closes it (PendingInvalidations.close)
      RecordFormat.apply(medium, buf, at + HEADER_BYTES, payloadBytes, plan);
      if (plan.wroteAndFlushed) {
        // lines written with writeAndFlush (non-temporal stores on dax) are in no plan and only a
        // fence of this thread completes them: this record is not left open
        plan.flush(medium);
        medium.fence(); // #2
        medium.storeLong(base + RecordFormat.STATE_WORD_OFFSET, appliedWord);
        pending.publish(lane, generation, footprint, false, appliedWord, -1, 0);
      } else {
        pending.publish(lane, generation, footprint, true, appliedWord,
            pred ? prior.id : -1, pred ? writeSet.lastGeneration : 0);
      }
      writeSet.lastLane = lane.id;
      writeSet.lastGeneration = generation;
    } else {
      writeSet.applyTo(medium, plan); // the same bytes, from the write set: no record-sized buffer
      plan.flush(medium);
      medium.fence(); // #2: applied (and the prior lane's APPLIED word, if flushed above)
      // a chained record's extension blocks are free again once this returns: invalidate now
      long stateWord = base + RecordFormat.STATE_WORD_OFFSET;
      medium.storeLong(stateWord, appliedWord);
      medium.flush(stateWord, Long.BYTES);
      medium.fence(); // #3
      writeSet.lastLane = -1;
    }

    lane.countRecord(HEADER_BYTES + payloadBytes);
  }

  /**
   * Whether the record {@code writeSet}'s previous commit left open may target a byte of its
   * changes. A single 8-byte change of such a byte is committed as a record instead (one fence,
   * adopting the open lane), not as a store + persist, which would first have to close that lane
   * with a fence of its own.
   */
  private boolean overlapsItsOpenRecord(WriteSet writeSet) {
    int id = writeSet.lastLane;
    if (id < 0 || id >= lanes) {
      return false;
    }
    Lane last = laneArray[id];
    return last.openGeneration() == writeSet.lastGeneration && last.mayTarget(writeSet.footprint());
  }

  /**
   * The lane {@code writeSet}'s previous record left open, if it is not {@code lane} (which was
   * closed before this commit overwrites it) and still holds that record; else null. Read without
   * its lock: the caller tries the lock and checks again.
   */
  private Lane priorOpenLane(WriteSet writeSet, Lane lane) {
    int id = writeSet.lastLane;
    if (id < 0 || id == lane.id || id >= lanes) {
      return null;
    }
    Lane prior = laneArray[id];
    return prior.openGeneration() == writeSet.lastGeneration ? prior : null;
  }

  /**
   * Writes and flushes the extension blocks of a chained record whose header (crc 0) and first
   * {@code capacity} payload bytes are in {@code buf} from {@code bufAt}, and stores the record's CRC there.
   * Each block gets its link (one line) and then its payload in windows of at most {@link
   * #CHAIN_CHUNK} bytes, each checksummed and written with one call: whole lines that are data of
   * one COPY entry lying in one piece in the write set's arena straight from there ({@link
   * WriteSet#windowInArena}; the block's last partial line then follows as a window of its own),
   * any other window encoded into a buffer first ({@link
   * WriteSet#encodeWindow}) and padded with zeros to whole 64-byte lines of the block (bytes past
   * the payload, which the CRC does not cover). When the medium writes back cache lines, every
   * piece is written with {@link Medium#writeAndFlush}; with coarser write-back (msync pages,
   * blocks) the pieces are written and the block is flushed once.
   */
  private void writeChain(
      byte[] buf, int bufAt, WriteSet writeSet, int payloadBytes, ExtensionSpace.Block[] chain,
      long generation, CRC32C crc) {
    crc.reset();
    crc.update(buf, bufAt, HEADER_BYTES + capacity);
    int linkBytes = RecordFormat.LINK_BYTES;
    byte[] link = new byte[linkBytes];
    byte[] chunk = null;
    boolean lines = medium.flushGranularity() <= linkBytes;
    long pos = capacity;
    for (int i = 0; i < chain.length; i++) {
      ExtensionSpace.Block b = chain[i];
      long n = Math.min(payloadBytes - pos, b.length() - linkBytes);
      RecordFormat.fillLink(link, i + 1 < chain.length ? chain[i + 1].offset() : 0, b.length(), generation);
      crc.update(link, 0, linkBytes);
      writeChainPiece(b.offset(), link, 0, linkBytes, lines);
      long at = b.offset() + linkBytes;
      for (long done = 0; done < n; ) {
        int k = (int) Math.min(CHAIN_CHUNK, n - done);
        int whole = k & -linkBytes; // a shorter tail of the block's payload follows in its own window
        int direct = whole > 0 ? writeSet.windowInArena(pos + done, pos + done + whole) : -1;
        if (direct >= 0) {
          k = whole;
          byte[] arena = writeSet.arena();
          crc.update(arena, direct, k);
          writeChainPiece(at, arena, direct, k, lines);
        } else {
          int padded = RecordFormat.align64(k);
          if (chunk == null || chunk.length < padded) {
            chunk = new byte[padded];
          }
          writeSet.encodeWindow(chunk, 0, pos + done, pos + done + k);
          crc.update(chunk, 0, k);
          Arrays.fill(chunk, k, padded, (byte) 0);
          writeChainPiece(at, chunk, 0, padded, lines);
        }
        at += k;
        done += k;
      }
      if (!lines) {
        medium.flush(b.offset(), linkBytes + n);
      }
      pos += n;
    }
    RecordFormat.putInt(buf, bufAt + RecordFormat.CRC_OFFSET, (int) crc.getValue());
  }

  private void writeChainPiece(long at, byte[] src, int srcAt, int length, boolean lines) {
    if (lines) {
      medium.writeAndFlush(at, src, srcAt, length);
    } else {
      medium.write(at, src, srcAt, length);
    }
  }

  /** Payload bytes a record may hold in its lane: {@code laneSize - 64}. */
  public long laneCapacity() {
    return capacity;
  }

  /** Number of lanes. */
  public int lanes() {
    return lanes;
  }

  /** Bytes per lane (header and payload). */
  public int laneSize() {
    return laneSize;
  }

  /** Where the log area starts on the medium. */
  public long areaOffset() {
    return areaOffset;
  }

  /** Size of the log area: {@code lanes * laneSize}. */
  public long areaBytes() {
    return areaEnd - areaOffset;
  }

  private long recordsWritten() {
    long n = 0;
    for (Lane lane : laneArray) {
      n += lane.records();
    }
    return n;
  }

  private long bytesLogged() {
    long n = 0;
    for (Lane lane : laneArray) {
      n += lane.bytes();
    }
    return n;
  }

  /** Counters since open. */
  public LogStats stats() {
    return new LogStats(
        recordsWritten(), singleWordCommits.sum(), bytesLogged(), recordsReplayed.sum());
  }

  /**
   * Checks invariant L1 and header sanity: every lane header is empty or a CRC-correct APPLIED
   * header of that lane whose generation is not above the lane's last one. Returns one line per
   * problem; empty means consistent. Takes each lane lock while reading that lane.
   */
  public List<String> verify() {
    List<String> problems = new ArrayList<>();
    byte[] buf = new byte[laneSize];
    CRC32C crc = new CRC32C();
    for (Lane lane : laneArray) {
      RecordFormat.LaneState st;
      long sequence;
      lane.lock();
      try {
        if (lane.openGeneration() != 0) {
          pending.close(lane); // an open lane's record is applied but not yet marked so
        }
        medium.read(lane.offset, buf, 0, HEADER_BYTES);
        st = classify(buf, lane, crc);
        sequence = lane.sequence;
      } finally {
        lane.unlock();
      }
      String where = "lane " + lane.id + " at offset " + lane.offset + ": ";
      switch (st.kind()) {
        case VALID ->
            problems.add(
                where + "holds an unapplied record of generation " + st.generation() + " ("
                    + st.entryCount() + " entries); run recover() before using the log (L1)");
        case DAMAGED ->
            problems.add(where + "header is not sane: " + st.reason() + "; recover() rewrites it");
        case EMPTY, APPLIED -> {}
      }
      if (st.kind() != RecordFormat.Kind.DAMAGED && st.generation() / lanes > sequence) {
        problems.add(
            where + "generation " + st.generation() + " is above the lane's last sequence "
                + sequence + " (generation = sequence * " + lanes + " + lane); another writer "
                + "used this log area");
      }
    }
    return List.copyOf(problems);
  }

  @Override
  public String toString() {
    return "RedoLog(" + lanes + " lanes x " + laneSize + " B at " + areaOffset + ", "
        + recordsWritten() + " records, "
        + singleWordCommits.sum() + " single-word commits)";
  }

  // ---- package-private --------------------------------------------------------------------------

  /** One line naming this log, for messages. */
  String describe() {
    return "the redo log at [" + areaOffset + ", " + areaEnd + ") of " + medium.description();
  }

  /** The end of the log area: the lowest offset a write set may target. */
  long areaEnd() {
    return areaEnd;
  }

  // ---- internals --------------------------------------------------------------------------------

  private record Replay(Lane lane, RecordFormat.LaneState state, byte[] record) {}

  /** The next generation of {@code lane}: {@code ++sequence * lanes + laneId}. Under the lane lock. */
  private long nextGeneration(Lane lane) {
    return nextGeneration(lane, -1);
  }

  /**
   * The next generation of {@code lane} above {@code above} as well (-1: no bound): the lane's
   * sequence moves to {@code max(sequence + 1, above / lanes + 1)}. Under the lane lock.
   */
  private long nextGeneration(Lane lane, long above) {
    assert lane.isHeldByCurrentThread();
    long next = Math.addExact(lane.sequence, 1);
    if (above >= 0) {
      next = Math.max(next, above / lanes + 1);
    }
    lane.sequence = next;
    return Math.addExact(Math.multiplyExact(next, lanes), lane.id);
  }

  private RecordFormat.LaneState classify(byte[] buf, Lane lane, CRC32C crc) {
    return RecordFormat.classify(buf, lane.id, medium, lane.offset, capacity, areaEnd, medium.size(), crc);
  }

  /**
   * Takes a lane for a logged commit. Each write set has a pair of lanes ({@code 2k} and {@code 2k
   * + 1}; {@code k} handed out round-robin at its first commit) and alternates between them, so a commit does not
   * overwrite the lane its write set's previous record left open ({@code lastLane}) and adopts it
   * instead ("Open lanes" in the class comment). If that lane is taken, any free lane that is not
   * open, else any free lane, else it waits for it.
   */
  private Lane acquireLane(int preferredLane, WriteSet writeSet) {
    int preferred = preferredLane;
    int lastLane = writeSet.lastLane;
    if (preferred < 0) {
      int pairs = Math.max(1, lanes >>> 1);
      if (writeSet.pair < 0) {
        writeSet.pair = Math.floorMod(nextPair.getAndIncrement(), pairs);
      }
      preferred = 2 * writeSet.pair;
      if (preferred == lastLane && preferred + 1 < lanes) {
        preferred++;
      }
    }
    Lane p = laneArray[preferred];
    if (p.tryLock()) {
      return p;
    }
    for (int pass = 0; pass < 2; pass++) {
      for (int i = 1; i < lanes; i++) {
        Lane l = laneArray[(preferred + i) % lanes];
        if ((pass == 1 || (l.openGeneration() == 0 && l.id != lastLane)) && l.tryLock()) {
          return l;
        }
      }
    }
    p.lock();
    return p;
  }

  /**
   * Takes every lane lock in order, closing each open lane as soon as it holds it: a thread that
   * waits for an open lane to be closed ({@link PendingInvalidations#closeOrWait}) may hold a lane
   * this loop has yet to take, so no open lane is held while waiting for another lock.
   */
  private void lockAll() {
    int taken = 0;
    try {
      for (Lane lane : laneArray) {
        lane.lock();
        taken++;
        if (lane.openGeneration() != 0) {
          pending.close(lane);
        }
      }
    } catch (RuntimeException | Error e) {
      for (int i = taken - 1; i >= 0; i--) {
        laneArray[i].unlock();
      }
      throw e;
    }
  }

  private void unlockAll() {
    for (int i = laneArray.length - 1; i >= 0; i--) {
      laneArray[i].unlock();
    }
  }

  private void ensureUsable() {
    Throwable f = failure;
    if (f != null) {
      throw new NvframeIOException(
          ErrorCode.IO_ERROR,
          "a previous commit on " + describe() + " failed midway (" + f
              + "); its lane may hold a committed but unapplied record, so no further commit is "
              + "accepted: call recover() (or close and reopen the region) first",
          f);
    }
    if (pendingRecords > 0) {
      throw new IllegalStateException(
          describe() + " holds " + pendingRecords + " committed record(s) from before the last "
              + "shutdown; call recover() before the first commit");
    }
  }

  private TransactionTooLargeException tooLarge(WriteSet writeSet, long payload, boolean chained) {
    String what = "transaction needs a redo record of " + (HEADER_BYTES + payload) + " bytes ("
        + writeSet.entryCount() + " entries, " + payload + " payload bytes)";
    if (chained) {
      return new TransactionTooLargeException(
          what + " but one record of " + describe() + " holds at most "
              + RecordFormat.MAX_PAYLOAD_BYTES + " payload bytes; nothing was written. Split the "
              + "transaction, or allocate new frames, write them directly and register them with "
              + "addDurableRange instead of rewriting existing pages through the log");
    }
    return new TransactionTooLargeException(
        what + " but a lane of " + describe() + " holds at most " + capacity + " payload bytes "
            + "(laneSize " + laneSize + ") and this log has no extension space to continue it in; "
            + "nothing was written. Commit fewer changes per transaction, create the log with a "
            + "larger laneSize (a multiple of " + LANE_ALIGNMENT + "), or give it an extension space "
            + "(useExtensionSpace)");
  }

  private static void checkGeometry(Medium medium, long areaOffset, int lanes, int laneSize) {
    requireNonNull(medium, "medium");
    if (lanes < 1 || lanes > MAX_LANES) {
      throw config("lanes must be between 1 and " + MAX_LANES + ", got " + lanes);
    }
    if (laneSize < LANE_ALIGNMENT || laneSize % LANE_ALIGNMENT != 0) {
      throw config(
          "laneSize must be a positive multiple of " + LANE_ALIGNMENT + " bytes, got " + laneSize
              + "; the default is " + DEFAULT_LANE_SIZE);
    }
    if (areaOffset < 0 || areaOffset % AREA_ALIGNMENT != 0) {
      throw config(
          "the redo-log area offset must be a non-negative multiple of " + AREA_ALIGNMENT
              + ", got " + areaOffset);
    }
    long areaBytes = (long) lanes * laneSize;
    if (areaOffset > medium.size() - areaBytes) {
      throw config(
          "the redo-log area [" + areaOffset + ", " + (areaOffset + areaBytes) + ") of " + lanes
              + " lanes x " + laneSize + " bytes does not fit in " + medium.description() + " ("
              + medium.size() + " bytes); use fewer lanes, a smaller laneSize or a larger medium");
    }
  }

  private static NvframeConfigurationException config(String message) {
    return new NvframeConfigurationException(ErrorCode.CONFIG_INVALID, message);
  }
}
