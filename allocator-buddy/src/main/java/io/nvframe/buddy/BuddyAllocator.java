package io.nvframe.buddy;

import static java.util.Objects.requireNonNull;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.spi.Medium;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A persistent buddy allocator of page frames.
 *
 * <h2>Notation</h2>
 *
 * A <em>frame</em> is one page, numbered by its {@code pfn} in {@code [0, frameCount)}. A
 * <em>block</em> of order {@code k} is {@code 2^k} frames starting at a pfn aligned to {@code 2^k};
 * its <em>buddy</em> is the block at {@code pfn ^ (1 << k)}, and the two together form the block of
 * order {@code k + 1} at {@code pfn & ~(1 << k)}. Orders go up to {@code maxOrder} (at most 31).
 * The allocator knows nothing about where the frames' data lives or how large a frame is: the core
 * module maps pfns to data.
 *
 * <pre>
 *  medium:  ... | frame table: word[0] word[1] ... word[frameCount-1] | ...
 *                ^ tableOffset            (8 bytes per frame, little-endian)
 *
 *  frames:  [0 ........ 1023][1024 ...... 2047][2048 .. 2559][2560 ..]
 *            order-10 block   order-10 block    order-9        ...
 *            (frameCount need not be a multiple of 2^maxOrder: the tail forms smaller blocks)
 * </pre>
 *
 * <h2>Persistent state</h2>
 *
 * One 8-byte frame word per frame ({@code FrameWord}): {@code HEAD | order | generation | owner}
 * on the first frame of an allocated block, {@code free(generation)} on every other frame, so one
 * atomic store publishes or retracts a whole allocation with its owner tag. Everything else is
 * volatile and rebuilt by {@link #open}.
 *
 * <h2>Frame handle</h2>
 *
 * <pre>
 *  63                                              16 15              0
 * +--------------------------------------------------+-----------------+
 * |                      pfn                         |   generation    |
 * +--------------------------------------------------+-----------------+
 * </pre>
 *
 * {@link #NO_FRAME} ({@code -1}) means "nothing could be allocated".
 *
 * <h2>Volatile state, one class each</h2>
 *
 * <pre>
 *   HeadMirror: LIVE | state | order | generation per live head; the state is ALLOCATED,
 *               RESERVED (held by a transaction) or FREEING (a free in progress)
 *
 *   ThreadCaches                                  Zones
 *   thread A FrameCache --refill/drain--+     +-- zone 0: FreeLists + SpinLock
 *   thread B FrameCache --refill/drain--+-----+-- zone 1: FreeLists + SpinLock
 *   (orders 0..cacheMaxOrder)                 +-- ...
 *   larger orders go straight to the zones: the home zone first, then the next zones
 * </pre>
 *
 * {@link HeadMirror} makes {@link #validate} two loads and a compare and every state change a
 * CAS. Cached blocks are persistently free, like those in the zones. {@link FrameTableScan}
 * formats the table and rebuilds this state at open, {@link AllocatorVerifier} checks it against
 * the table, and {@link FrameDiagnosis} explains a rejected call.
 *
 * <h2>Algorithms</h2>
 *
 * <ol>
 *   <li><b>allocate(order, owner)</b>: (a) {@link #take} a block: pop the thread cache (when empty,
 *       refill a batch from the first zone that has any, home zone first) or, for large orders,
 *       take from the home zone, then the others: the lowest block of the smallest non-empty order
 *       {@code >= order}, split down (Linux {@code expand}). If nothing is found, drain every
 *       thread cache and try the zones once more. (b) Store {@code FrameWord.allocated(order,
 *       generation, owner)} and persist it: one store, one flush, one fence. (c) Set the
 *       head-mirror entry to ALLOCATED and return {@code handle(pfn, generation)}. A crash before
 *       (b) is durable leaves the frame free.
 *   <li><b>free(pfn, order, generation)</b>: (a) CAS the entry from ALLOCATED to FREEING (this
 *       checks head, order and generation; on failure {@link FrameDiagnosis} classifies the
 *       error). (b) Store {@code FrameWord.free(generation + 1)} and persist: one store, one flush,
 *       one fence. (c) Only then clear the entry and {@link #release} the block: to the thread
 *       cache, or into its zone, merging it with its buddy while the buddy is free at the same
 *       order, climbing (Linux {@code __free_one_page}). A frame is never reusable before its free
 *       is durable.
 *   <li><b>Transactions</b> write no frame words here; the redo log writes the words this class
 *       gives it ({@link #publishedWord}, {@link #freedWord}). {@link #reserve} takes a block as in
 *       1(a) and marks it RESERVED; {@link #commitReserved} (word made durable by the log) marks it
 *       ALLOCATED; {@link #unreserve} releases it. {@link #beginFree} is 2(a); {@link
 *       #completeFree} (free word made durable by the log) is 2(c); {@link #abortFree} returns
 *       FREEING to ALLOCATED.
 *   <li><b>open</b>: one linear pass over the table ({@link FrameTableScan}) checks every word,
 *       marks every head ALLOCATED and adds each maximal free run {@code [a, b)} greedily as blocks
 *       of order {@code min(maxOrder, ctz(x), floor(log2(b - x)))}: the fully coalesced state.
 * </ol>
 *
 * <h2>Invariants</h2>
 *
 * A1–A7 are stated in {@code allocator-buddy/README.md}, "Invariants". {@link #verify()} checks
 * A1–A4 and A6; the tests assert A5 (after {@link #drainCaches()}, the state equals the one {@code
 * open} rebuilds).
 *
 * <h2>Threads</h2>
 *
 * All methods are thread-safe. Lock order: a thread cache's lock before a zone lock, at most one
 * zone lock at a time ({@link #verify()} takes them all, see {@link AllocatorVerifier}). {@link
 * #verify()} and {@link #stats()} are exact only while no other thread is allocating or freeing.
 * If the medium throws during {@link #allocate} or {@link #free}, the volatile state is left
 * matching what the table was told (a free whose persist failed stays FREEING and is never
 * reused); reopen the allocator after a media failure.
 */
public final class BuddyAllocator {
  private static final Logger logger = LoggerFactory.getLogger(BuddyAllocator.class);

  /** Returned by {@link #allocate} and {@link #reserve} when no block of the order can be made. */
  public static final long NO_FRAME = -1L;

  /** Bits of the generation in a handle. */
  static final int HANDLE_GENERATION_BITS = FrameWord.GENERATION_BITS;

  /** Mask of the generation in a handle. */
  static final long HANDLE_GENERATION_MASK = (1L << HANDLE_GENERATION_BITS) - 1;

  /** Largest frame count: frames are numbered by {@code int} in the free lists and head mirror. */
  public static final long MAX_FRAME_COUNT = Integer.MAX_VALUE - 8;

  private final Medium medium;
  private final long tableOffset;
  private final long frameCount;
  private final int maxOrder;
  private final BuddyConfig config;
  /** Largest cached order, -1 when caching is off. */
  private final int cacheMaxOrder;
  // the parts are package-private: the tests inspect them
  final HeadMirror mirror;
  final Zones zones;
  final ThreadCaches caches;
  private final FrameDiagnosis diagnosis;
  private final AllocatorVerifier verifier;

  private BuddyAllocator(Medium medium, long tableOffset, long frameCount, int maxOrder,
      BuddyConfig config, HeadMirror mirror, Zones zones) {
    this.medium = medium;
    this.tableOffset = tableOffset;
    this.frameCount = frameCount;
    this.maxOrder = maxOrder;
    this.config = config;
    this.cacheMaxOrder = config.cachingEnabled() ? Math.min(config.cacheMaxOrder(), maxOrder) : -1;
    this.mirror = mirror;
    this.zones = zones;
    this.caches = new ThreadCaches(zones, cacheMaxOrder, config.cacheHigh(), config.cacheBatch());
    this.diagnosis = new FrameDiagnosis(medium, tableOffset, frameCount, maxOrder, mirror);
    this.verifier = new AllocatorVerifier(
        medium, tableOffset, frameCount, maxOrder, mirror, zones, caches, diagnosis);
  }

  // ---------------------------------------------------------------- handles

  /** The handle {@code pfn << 16 | generation}. */
  public static long handle(long pfn, int generation) {
    assert pfn >= 0 && pfn <= (Long.MAX_VALUE >>> HANDLE_GENERATION_BITS) : "pfn " + pfn;
    return (pfn << HANDLE_GENERATION_BITS) | (generation & HANDLE_GENERATION_MASK);
  }

  /** The pfn of a handle. */
  public static long handlePfn(long handle) {
    return handle >>> HANDLE_GENERATION_BITS;
  }

  /** The generation of a handle. */
  public static int handleGeneration(long handle) {
    return (int) (handle & HANDLE_GENERATION_MASK);
  }

  // ---------------------------------------------------------------- format and open

  /** Bytes of a frame table for {@code frameCount} frames ({@code 8 * frameCount}). */
  public static long tableBytes(long frameCount) {
    if (frameCount < 0 || frameCount > MAX_FRAME_COUNT) {
      throw new IllegalArgumentException(
          "frameCount must be in [0, " + MAX_FRAME_COUNT + "], got " + frameCount);
    }
    return frameCount * Long.BYTES;
  }

  /**
   * Writes an empty frame table (all words zero: every frame free, generation 0) and persists it.
   *
   * @throws IndexOutOfBoundsException if the table does not fit in the medium
   * @throws IllegalArgumentException if {@code tableOffset} is not 8-byte aligned or {@code
   *     frameCount} is out of range
   */
  public static void format(Medium medium, long tableOffset, long frameCount) {
    requireNonNull(medium, "medium");
    FrameTableScan.format(medium, tableOffset, frameCount);
    logger.debug("formatted frame table of {} frames at offset {} of {}", frameCount, tableOffset,
        medium.description());
  }

  /** {@link #open(Medium, long, long, int, BuddyConfig)} with {@link BuddyConfig#defaults()}. */
  public static BuddyAllocator open(
      Medium medium, long tableOffset, long frameCount, int maxOrder) {
    return open(medium, tableOffset, frameCount, maxOrder, BuddyConfig.defaults());
  }

  /**
   * Scans the frame table, validates every head (order {@code <= maxOrder}, alignment, bounds, no
   * overlap) and every other word (a clean free word), and rebuilds the free lists as the largest
   * aligned blocks. Writes nothing.
   *
   * @throws MediaCorruptedException with {@link ErrorCode#FRAME_TABLE_CORRUPT} naming the pfn, the
   *     word and the problem, at the first bad word
   * @throws IndexOutOfBoundsException if the table does not fit in the medium
   * @throws IllegalArgumentException if an argument is out of range
   */
  public static BuddyAllocator open(
      Medium medium, long tableOffset, long frameCount, int maxOrder, BuddyConfig config) {
    requireNonNull(medium, "medium");
    requireNonNull(config, "config");
    FrameTableScan.checkGeometry(medium, tableOffset, frameCount, maxOrder);
    long start = System.nanoTime();
    Zones zones = new Zones(frameCount, maxOrder);
    HeadMirror mirror = new HeadMirror(frameCount);
    long heads = FrameTableScan.scan(medium, tableOffset, frameCount, maxOrder, zones, mirror);
    BuddyAllocator allocator = new BuddyAllocator(
        medium, tableOffset, frameCount, maxOrder, config, mirror, zones);
    if (logger.isDebugEnabled()) {
      logger.debug("opened frame table at offset {} of {}: {} frames, maxOrder {}, {} allocated"
              + " blocks, {} zones of {} frames, scan {} us, {}", tableOffset,
          medium.description(), frameCount, maxOrder, heads, zones.count(),
          1L << zones.shift(), (System.nanoTime() - start) / 1000, config);
    }
    return allocator;
  }

  // ---------------------------------------------------------------- standalone operations

  /**
   * Allocates a block of {@code 2^order} frames owned by {@code owner} and makes it durable:
   * exactly one 8-byte store and one persist (one flush, one fence).
   *
   * @return the handle ({@link #handle}), or {@link #NO_FRAME} when no block of that order can be
   *     made even after draining every thread cache
   * @throws IllegalArgumentException if {@code order} is outside {@code [0, maxOrder]} or {@code
   *     owner} outside {@code [0, MAX_OWNER]}
   */
  public long allocate(int order, long owner) {
    checkOrder(order);
    checkOwner(owner);
    long pfn = take(order);
    if (pfn == NO_FRAME) {
      return NO_FRAME;
    }
    long offset = tableOffset + pfn * Long.BYTES;
    int generation = freeGeneration(pfn, offset);
    int[] chunk = mirror.chunkFor(pfn);
    int slot = HeadMirror.slot(pfn);
    boolean stored = false;
    try {
      medium.storeLong(offset, FrameWord.allocated(order, generation, owner));
      stored = true;
      medium.persist(offset, Long.BYTES);
    } catch (RuntimeException | Error e) {
      if (stored) { // as the table says
        HeadMirror.set(chunk, slot,
            HeadMirror.live(order, generation) | HeadMirror.STATE_ALLOCATED);
      } else {
        release(pfn, order);
      }
      throw e;
    }
    HeadMirror.set(chunk, slot, HeadMirror.live(order, generation) | HeadMirror.STATE_ALLOCATED);
    return handle(pfn, generation);
  }

  /**
   * Frees the block and makes the free durable (one 8-byte store of {@code
   * FrameWord.free(generation + 1)}, one persist); only then can the block be allocated again.
   *
   * @throws InvalidFrameException {@link ErrorCode#FRAME_BOUNDS} (pfn or order out of range,
   *     misaligned), {@link ErrorCode#FRAME_DOUBLE_FREE} (already free, or a free of it is in
   *     progress), {@link ErrorCode#FRAME_STALE} (the table holds another generation), {@link
   *     ErrorCode#FRAME_NOT_HEAD} (a tail frame, another order, or a reservation); the allocator is
   *     unchanged
   */
  public void free(long pfn, int order, int generation) {
    int[] chunk = toFreeing("free", pfn, order, generation);
    int slot = HeadMirror.slot(pfn);
    long offset = tableOffset + pfn * Long.BYTES;
    boolean stored = false;
    try {
      medium.storeLong(offset, FrameWord.free(FrameWord.nextGeneration(generation)));
      stored = true;
      medium.persist(offset, Long.BYTES);
    } catch (RuntimeException | Error e) {
      if (!stored) {
        HeadMirror.set(chunk, slot,
            HeadMirror.live(order, generation) | HeadMirror.STATE_ALLOCATED);
      }
      // stored but not known durable: stays FREEING, never reused; reopening resolves it
      throw e;
    }
    HeadMirror.set(chunk, slot, 0);
    release(pfn, order);
  }

  // ---------------------------------------------------------------- transactional operations

  /**
   * Takes a block for a transaction without writing anything: the block is RESERVED until {@link
   * #commitReserved} or {@link #unreserve}. The handle's generation is the one the redo log must
   * write in {@link #publishedWord publishedWord(order, generation, owner)}. A reservation never
   * committed is free again after a crash. Reserved blocks pass {@link #validate}, so the reserving
   * transaction can write their data directly.
   *
   * @return the handle, or {@link #NO_FRAME}
   */
  public long reserve(int order) {
    checkOrder(order);
    long pfn = take(order);
    if (pfn == NO_FRAME) {
      return NO_FRAME;
    }
    int generation = freeGeneration(pfn, tableOffset + pfn * Long.BYTES);
    HeadMirror.set(mirror.chunkFor(pfn), HeadMirror.slot(pfn),
        HeadMirror.live(order, generation) | HeadMirror.STATE_RESERVED);
    return handle(pfn, generation);
  }

  /**
   * Aborts a reservation: the block goes back to the free lists.
   *
   * @throws IllegalStateException if the block is not reserved at that order
   */
  public void unreserve(long pfn, int order) {
    diagnosis.checkBlock("unreserve", pfn, order);
    if (mirror.remove(pfn, order, HeadMirror.STATE_RESERVED) == 0) {
      throw diagnosis.protocolError("unreserve", pfn, order, "a reserved block");
    }
    release(pfn, order);
  }

  /**
   * Records that the redo log has made {@link #publishedWord publishedWord(order, generation,
   * owner)} durable at {@code pfn}: the reservation becomes an allocated block. Writes nothing.
   *
   * @throws IllegalStateException if the block is not reserved with that order and generation
   */
  public void commitReserved(long pfn, int order, int generation, long owner) {
    diagnosis.checkBlock("commitReserved", pfn, order);
    checkOwner(owner);
    if (!mirror.change(pfn, order, generation, HeadMirror.STATE_RESERVED,
        HeadMirror.STATE_ALLOCATED)) {
      throw diagnosis.protocolError("commitReserved", pfn, order,
          "a block reserved with generation " + generation);
    }
    assert medium.loadLong(wordOffset(pfn)) == FrameWord.allocated(order, generation, owner)
        : "commitReserved(pfn=" + pfn + "): the table holds "
            + FrameWord.toString(medium.loadLong(wordOffset(pfn))) + ", not the allocated word";
  }

  /**
   * First half of a transactional free: validates like {@link #free} and marks the block "free
   * pending", so a concurrent {@code free}/{@code beginFree} of it fails with {@link
   * ErrorCode#FRAME_DOUBLE_FREE}. Writes nothing; the redo log then writes {@link #freedWord
   * freedWord(generation)}.
   *
   * @throws InvalidFrameException as {@link #free}; the allocator is unchanged
   */
  public void beginFree(long pfn, int order, int generation) {
    toFreeing("beginFree", pfn, order, generation);
  }

  /**
   * Records that the redo log has made {@link #freedWord freedWord(generation)} durable: the block
   * returns to the free lists. Writes nothing.
   *
   * @throws IllegalStateException if no free of that block is pending
   */
  public void completeFree(long pfn, int order) {
    diagnosis.checkBlock("completeFree", pfn, order);
    int e = mirror.remove(pfn, order, HeadMirror.STATE_FREEING);
    if (e == 0) {
      throw diagnosis.protocolError("completeFree", pfn, order, "a block whose free is pending");
    }
    long freeWord = FrameWord.free(FrameWord.nextGeneration(HeadMirror.generation(e)));
    assert medium.loadLong(wordOffset(pfn)) == freeWord
        : "completeFree(pfn=" + pfn + "): the table holds "
            + FrameWord.toString(medium.loadLong(wordOffset(pfn))) + ", not "
            + FrameWord.toString(freeWord);
    release(pfn, order);
  }

  /**
   * Rolls back {@link #beginFree}: the block is allocated again. Writes nothing.
   *
   * @throws IllegalStateException if no free of that block is pending
   */
  public void abortFree(long pfn, int order, int generation) {
    diagnosis.checkBlock("abortFree", pfn, order);
    if (!mirror.change(pfn, order, generation, HeadMirror.STATE_FREEING,
        HeadMirror.STATE_ALLOCATED)) {
      throw diagnosis.protocolError("abortFree", pfn, order,
          "a block with generation " + generation + " whose free is pending");
    }
  }

  // ---------------------------------- Words the redo log writes on the allocator's behalf

  /** The largest owner tag a frame word can hold. */
  public static final long MAX_OWNER = FrameWord.MAX_OWNER;

  /**
   * The frame word that publishes a reserved block: an allocated head of {@code order} at
   * {@code generation} owned by {@code owner}. A transaction logs it at {@link #wordOffset(long)}.
   *
   * @throws IllegalArgumentException if {@code owner} is outside [0, {@link #MAX_OWNER}]
   */
  public static long publishedWord(int order, int generation, long owner) {
    if (owner < 0 || owner > MAX_OWNER) {
      throw new IllegalArgumentException("owner tag " + owner + " is outside [0, " + MAX_OWNER + "]");
    }
    return FrameWord.allocated(order, generation, owner);
  }

  /** The frame word that a transaction's free of a block at {@code generation} logs: free, the next generation (wrapping). */
  public static long freedWord(int generation) {
    return FrameWord.free(FrameWord.nextGeneration(generation));
  }

  /**
   * The allocated block whose head is {@code pfn}, read from the frame table, or {@code null} when
   * {@code pfn} is not an allocated head.
   */
  public AllocatedBlock allocatedBlock(long pfn) {
    long w = word(pfn);
    return FrameWord.isHead(w)
        ? new AllocatedBlock(pfn, FrameWord.order(w), FrameWord.generation(w), FrameWord.owner(w))
        : null;
  }

  // ---------------------------------------------------------------- validation and queries

  /**
   * Checks that {@code (pfn, order, generation)} names a live block: allocated, reserved by a
   * transaction, or allocated with a free in progress. Two loads and one compare; no allocation,
   * no lock.
   *
   * @throws InvalidFrameException {@link ErrorCode#FRAME_BOUNDS}, {@link ErrorCode#FRAME_STALE}
   *     (freed since the handle was issued) or {@link ErrorCode#FRAME_NOT_HEAD}
   */
  public void validate(long pfn, int order, int generation) {
    if (pfn >= 0 && pfn < frameCount
        && (order >>> FrameWord.ORDER_BITS) == 0
        && (generation >>> FrameWord.GENERATION_BITS) == 0
        && mirror.holds(pfn, order, generation)) {
      return;
    }
    InvalidFrameException e = diagnosis.diagnose("validate", pfn, order, generation, false);
    if (e != null) {
      throw e;
    }
  }

  /** Offset of the frame word of {@code pfn} on the medium. */
  public long wordOffset(long pfn) {
    Objects.checkIndex(pfn, frameCount);
    return tableOffset + pfn * Long.BYTES;
  }

  /** The persistent frame word of {@code pfn}, read from the medium. */
  public long word(long pfn) {
    return medium.loadLong(wordOffset(pfn));
  }

  /** Frames managed. */
  public long frameCount() {
    return frameCount;
  }

  /** Largest block order. */
  public int maxOrder() {
    return maxOrder;
  }

  /** Offset of the frame table on the medium. */
  public long tableOffset() {
    return tableOffset;
  }

  /** The cache configuration. */
  public BuddyConfig config() {
    return config;
  }

  /** Free space, per order, and cached frames (exact only while no other thread is working). */
  public AllocatorStats stats() {
    long[] cached = new long[maxOrder + 1];
    caches.countCached(cached);
    long[] free = new long[maxOrder + 1];
    zones.countFree(free);
    return AllocatorStats.of(frameCount, free, cached);
  }

  /** Returns every thread cache's blocks to the shared free lists, where they coalesce. */
  public void drainCaches() {
    caches.drainAll();
  }

  /**
   * Checks invariants A1–A4 and A6 (see the class comment) against the frame table on the medium
   * and the volatile structures. Exact only while no other thread is allocating or freeing.
   *
   * @return the problems found, each naming the frames involved; empty when everything holds
   */
  public List<String> verify() {
    return verifier.verify();
  }

  /**
   * {@link #verify()} and throw when anything is wrong.
   *
   * @throws IllegalStateException listing every problem found
   */
  public void checkInvariants() {
    List<String> problems = verify();
    if (!problems.isEmpty()) {
      throw new IllegalStateException("buddy allocator invariants violated (" + this + "):\n  "
          + String.join("\n  ", problems));
    }
  }

  /**
   * One line, e.g. {@code BuddyAllocator(3072/8192 frames free (37%), largestFreeOrder=10,
   * cached=12, maxOrder=10, zones=8)}. Sizes are in frames: the allocator does not know how large
   * a frame is.
   */
  @Override
  public String toString() {
    AllocatorStats s = stats();
    long pct = frameCount == 0 ? 0 : s.freeFrames() * 100 / frameCount;
    return "BuddyAllocator(" + s.freeFrames() + "/" + frameCount + " frames free (" + pct
        + "%), largestFreeOrder=" + s.largestFreeOrder() + ", cached=" + s.cachedFrames()
        + ", maxOrder=" + maxOrder + ", zones=" + zones.count() + ")";
  }

  // ---------------------------------------------------------------- taking and releasing blocks

  /** Takes a free block of {@code order} (volatile only), or returns {@link #NO_FRAME}. */
  private long take(int order) {
    FrameCache c = caches.current();
    long pfn = order <= cacheMaxOrder && c.enabled ? caches.take(c, order) : zones.take(order, c);
    if (pfn != NO_FRAME) {
      return pfn;
    }
    // last resort before NO_FRAME: cached blocks may coalesce into the wanted order
    caches.drainAll();
    return zones.take(order, c);
  }

  /** Makes a block whose frame word is durably free available again. */
  private void release(long pfn, int order) {
    if (order <= cacheMaxOrder && caches.offer(pfn, order)) {
      return;
    }
    zones.free(pfn, order);
  }

  /**
   * The generation in the free word at {@code offset}, the frame word of a block the caller has
   * just taken from the free lists (so nobody else writes it).
   */
  private int freeGeneration(long pfn, long offset) {
    long word = medium.loadLong(offset);
    assert !FrameWord.isHead(word) && FrameWord.isWellFormed(word)
        : "pfn " + pfn + " was taken from the free lists but its frame word is "
            + FrameWord.toString(word);
    return FrameWord.generation(word);
  }

  /** CAS ALLOCATED to FREEING and return the entry's chunk, or throw the classified error. */
  private int[] toFreeing(String op, long pfn, int order, int generation) {
    for (; ; ) {
      if (pfn >= 0 && pfn < frameCount
          && (order >>> FrameWord.ORDER_BITS) == 0
          && (generation >>> FrameWord.GENERATION_BITS) == 0) {
        int[] chunk = mirror.beginFree(pfn, order, generation);
        if (chunk != null) {
          return chunk;
        }
      }
      InvalidFrameException e = diagnosis.diagnose(op, pfn, order, generation, true);
      if (e != null) {
        throw e;
      }
      // the block became ALLOCATED again meanwhile (abortFree): retry
    }
  }

  // ---------------------------------------------------------------- argument checks

  private void checkOrder(int order) {
    if (order < 0 || order > maxOrder) {
      throw new IllegalArgumentException(
          "order must be in [0, maxOrder=" + maxOrder + "], got " + order);
    }
  }

  private static void checkOwner(long owner) {
    if (owner < 0 || owner > MAX_OWNER) {
      throw new IllegalArgumentException(
          "owner tag must be in [0, " + MAX_OWNER + "] (42 bits), got " + owner);
    }
  }
}
