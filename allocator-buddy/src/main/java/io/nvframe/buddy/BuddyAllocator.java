package io.nvframe.buddy;

import static java.util.Objects.requireNonNull;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.InvalidFrameException;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.spi.Medium;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
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
 * The allocator knows nothing about where the frames' data lives: the core module maps pfns to
 * data.
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
 * The only persistent state is one {@link FrameWord frame word} per frame: {@code HEAD | order |
 * generation | owner} on the first frame of an allocated block, {@code free(generation)} on every
 * other frame. One 8-byte atomic store therefore publishes or retracts a whole allocation together
 * with its owner tag. Everything below is volatile and rebuilt by {@link #open}.
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
 * <h2>Volatile state</h2>
 *
 * <ul>
 *   <li>The <em>head mirror</em>: one {@code int} entry per frame, in pages of {@link #PAGE_FRAMES}
 *       entries created only where a block has ever been live (memory grows with use, not with
 *       the region; free frames have no entry and their generation is read from the table). A
 *       live head's entry is {@code LIVE | state | order | generation}, the state being {@code
 *       ALLOCATED}, {@code RESERVED} (a transaction holds it, the table still says free) or {@code
 *       FREEING} (a free is in progress); every other entry is 0. State changes are compare-and-set
 *       on the entry, so two threads freeing one handle cannot both win. {@link #validate} is two
 *       loads and one compare.
 *   <li>Zones: the frames are split into at most {@link #MAX_ZONES} contiguous zones of {@code
 *       2^zoneShift >= 2^maxOrder} frames (the count depends only on frameCount and maxOrder).
 *       Each zone has its own {@link FreeLists} (per-order free bitmaps with a summary level for
 *       find-first, {@code nrFree[order]}) and its own {@link SpinLock}; critical sections are a
 *       few bitmap operations. A block never crosses a zone boundary, so zones change nothing
 *       about merging. Each thread has a home zone (assigned round-robin) and falls back to the
 *       next zones in turn, like Linux's zonelist, so two threads rarely share a lock.
 *   <li>{@link FrameCache}: per-thread FIFO caches of free blocks of orders {@code
 *       0..cacheMaxOrder}, refilled from and drained to the zones in batches (Linux per-CPU
 *       lists), so no lock is on the common path. Cached blocks are persistently free.
 * </ul>
 *
 * <pre>
 *   thread A cache --refill/drain--+     +-- zone 0: FreeLists + lock   frames [0, 2^zs)
 *   thread B cache --refill/drain--+-----+-- zone 1: FreeLists + lock   frames [2^zs, 2*2^zs)
 *   (orders 0..cacheMaxOrder)            +-- ...
 *   larger orders: straight to the home zone, then the next zones
 * </pre>
 *
 * <h2>Algorithms</h2>
 *
 * <ol>
 *   <li><b>allocate(order, owner)</b>: (a) take a block: pop the thread cache (when empty, refill
 *       {@code batch} blocks from the first zone that has any, home zone first) or, for large
 *       orders, take from the home zone, then the others: the lowest block of the smallest
 *       non-empty order {@code >= order}, split down (Linux {@code expand}). If nothing is found,
 *       drain every thread cache and try the zones once more. (b) Store {@code
 *       FrameWord.allocated(order, generation, owner)} and persist it: one store, one flush, one
 *       fence. (c) Set the head-mirror entry to ALLOCATED and return {@code handle(pfn,
 *       generation)}. A crash before (b) is durable leaves the frame free.
 *   <li><b>free(pfn, order, generation)</b>: (a) CAS the entry from ALLOCATED to FREEING (this
 *       checks head, order and generation; on failure the slow path classifies the error). (b)
 *       Store {@code FrameWord.free(generation + 1)} and persist: one store, one flush, one fence.
 *       (c) Only then clear the entry and release the block: to the thread cache, or into its
 *       zone, merging it with its buddy while the buddy is free at the same order, climbing (Linux
 *       {@code __free_one_page}). A frame is never reusable before its free is durable.
 *   <li><b>Transactions</b> write no frame words here; the redo log does. {@link #reserve} takes a
 *       block as in 1(a) and marks it RESERVED; {@link #commitReserved} (word made durable by the
 *       log) marks it ALLOCATED; {@link #unreserve} releases it. {@link #beginFree} is 2(a);
 *       {@link #completeFree} (free word made durable by the log) is 2(c); {@link #abortFree}
 *       returns FREEING to ALLOCATED.
 *   <li><b>open</b>: one linear pass over the table. Every head is checked (order {@code <=
 *       maxOrder}, aligned, inside the table, not inside the previous allocated block; since heads
 *       are visited in address order, "inside the previous block" is the only possible overlap),
 *       every other word must be a clean free word. Each maximal run {@code [a, b)} of frames not
 *       covered by an allocated block is added greedily as blocks of order {@code k = min(maxOrder,
 *       ctz(x), floor(log2(b - x)))}, which is exactly the fully coalesced buddy state.
 * </ol>
 *
 * <h2>Invariants (brief §4.5), checked by {@link #verify()}</h2>
 *
 * A1 allocated heads aligned, in bounds, disjoint; A2 free blocks (shared and cached) aligned,
 * disjoint, covering exactly the frames not in use; A3 no shared free block whose buddy is free at
 * the same order; A4 {@code sum(nrFree[k] << k) + cached + in-use = frameCount}; A6 cached blocks
 * are free in the table and in no other list. A5 (incremental state equals the state rebuilt by
 * {@code open}, after {@link #drainCaches()}) is asserted by the tests.
 *
 * <h2>Threads</h2>
 *
 * All methods are thread-safe. Lock order: a thread cache's lock before a zone lock; at most one
 * zone lock at a time, except {@link #verify()}, which takes every cache lock (registry order) and
 * then every zone lock (zone order). {@link #verify()} and {@link #stats()} give an exact answer
 * only while no other thread is allocating or freeing. Virtual threads get no cache (one per
 * virtual thread would hoard frames); their home zone comes from the thread id. If the medium throws during
 * {@link #allocate} or {@link #free}, the volatile state is left matching what the table was told
 * (a free whose persist failed stays FREEING and is never reused); reopen the allocator after a
 * media failure.
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

  /** log2 of the head-mirror entries per page. */
  static final int PAGE_SHIFT = 12;

  /** Head-mirror entries per page (16 KiB of {@code int}). */
  static final int PAGE_FRAMES = 1 << PAGE_SHIFT;

  private static final int PAGE_MASK = PAGE_FRAMES - 1;

  /*
   * Head-mirror entry of a live head (0 for every other frame):
   *   bit 31 LIVE | bits 21..22 state | bits 16..20 order | bits 0..15 generation
   */
  private static final int LIVE = 1 << 31;
  private static final int ENTRY_ORDER_SHIFT = 16;
  private static final int STATE_SHIFT = ENTRY_ORDER_SHIFT + FrameWord.ORDER_BITS;
  private static final int STATE_MASK = 3 << STATE_SHIFT;

  private static final int STATE_ALLOCATED = 0;
  private static final int STATE_RESERVED = 1 << STATE_SHIFT;
  private static final int STATE_FREEING = 2 << STATE_SHIFT;

  private static final VarHandle PAGES = MethodHandles.arrayElementVarHandle(int[][].class);
  private static final VarHandle ENTRY = MethodHandles.arrayElementVarHandle(int[].class);

  private static final boolean NATIVE_LITTLE_ENDIAN =
      ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  /** verify() stops listing problems after this many. */
  private static final int MAX_PROBLEMS = 100;

  /** Most zones a table is split into. */
  static final int MAX_ZONES = 8;

  private final Medium medium;
  private final long tableOffset;
  private final long frameCount;
  private final int maxOrder;
  private final BuddyConfig config;
  private final int cacheMaxOrder;
  /** Head-mirror pages, null where no block has been live since open. */
  private final int[][] pages;
  private final Zone[] zones;
  private final int zoneShift;
  private final AtomicInteger nextHomeZone = new AtomicInteger();
  private final ThreadLocal<FrameCache> caches = new ThreadLocal<>();
  private final CopyOnWriteArrayList<FrameCache> registry = new CopyOnWriteArrayList<>();

  private BuddyAllocator(
      Medium medium, long tableOffset, long frameCount, int maxOrder, BuddyConfig config,
      int[][] pages, Zone[] zones, int zoneShift) {
    this.medium = medium;
    this.tableOffset = tableOffset;
    this.frameCount = frameCount;
    this.maxOrder = maxOrder;
    this.config = config;
    this.cacheMaxOrder = config.cachingEnabled() ? Math.min(config.cacheMaxOrder(), maxOrder) : -1;
    this.pages = pages;
    this.zones = zones;
    this.zoneShift = zoneShift;
  }

  /**
   * One zone: the frames {@code [base, base + frames)}, {@code base} a multiple of {@code
   * 2^zoneShift} (itself at least {@code 2^maxOrder}), with its own free lists and lock. A block
   * never crosses a zone boundary, so zones do not change which blocks can merge.
   */
  static final class Zone {
    final int index;
    final long base;
    final long frames;
    final FreeLists free;
    final SpinLock lock = new SpinLock();

    Zone(int index, long base, long frames, int maxOrder) {
      this.index = index;
      this.base = base;
      this.frames = frames;
      this.free = new FreeLists(frames, maxOrder);
    }
  }

  /**
   * log2 of the frames per zone: {@code min(MAX_ZONES, ceil(frameCount / 2^maxOrder))} zones of
   * equal power-of-two size, at least {@code 2^maxOrder} frames each. Depends on the geometry only,
   * so the same table always gets the same zones.
   */
  static int zoneShift(long frameCount, int maxOrder) {
    long maxBlocks = Math.max(1, ((frameCount - 1) >>> maxOrder) + 1);
    long wanted = Math.min(MAX_ZONES, maxBlocks);
    long perZone = (frameCount + wanted - 1) / wanted;
    int shift = perZone <= 1 ? 0 : 64 - Long.numberOfLeadingZeros(perZone - 1);
    return Math.max(maxOrder, shift);
  }

  private static Zone[] newZones(long frameCount, int maxOrder, int zoneShift) {
    int count = (int) Math.max(1, ((frameCount - 1) >>> zoneShift) + 1);
    Zone[] zones = new Zone[count];
    for (int z = 0; z < count; z++) {
      long base = (long) z << zoneShift;
      zones[z] = new Zone(z, base, Math.min(1L << zoneShift, frameCount - base), maxOrder);
    }
    return zones;
  }

  /**
   * Adds the free run {@code [start, end)} as the largest aligned blocks, greedily: at {@code x}
   * the order is {@code min(maxOrder, ctz(x), floor(log2(end - x)))}. For a maximal run between
   * allocated blocks this is the fully coalesced buddy state. Each block lies inside one zone.
   */
  private static void addFreeRun(Zone[] zones, int zoneShift, int maxOrder, long start, long end) {
    long x = start;
    while (x < end) {
      int k = Math.min(maxOrder, Math.min(Long.numberOfTrailingZeros(x),
          63 - Long.numberOfLeadingZeros(end - x)));
      Zone z = zones[(int) (x >>> zoneShift)];
      z.free.add(x - z.base, k);
      x += 1L << k;
    }
  }

  private Zone zoneOf(long pfn) {
    return zones[(int) (pfn >>> zoneShift)];
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
    long bytes = checkTable(medium, tableOffset, frameCount);
    medium.fill(tableOffset, bytes, (byte) 0);
    medium.persist(tableOffset, bytes);
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
    checkTable(medium, tableOffset, frameCount);
    if (frameCount < 1) {
      throw new IllegalArgumentException("frameCount must be at least 1, got " + frameCount);
    }
    if (maxOrder < 0 || maxOrder > FrameWord.MAX_ORDER) {
      throw new IllegalArgumentException(
          "maxOrder must be in [0, " + FrameWord.MAX_ORDER + "], got " + maxOrder);
    }
    long start = System.nanoTime();
    int zoneShift = zoneShift(frameCount, maxOrder);
    Zone[] zones = newZones(frameCount, maxOrder, zoneShift);
    int[][] pages = new int[(int) ((frameCount + PAGE_MASK) >>> PAGE_SHIFT)][];
    TableScan scan = new TableScan(medium, tableOffset, frameCount, maxOrder, zones, zoneShift,
        pages);
    scan.run();
    BuddyAllocator allocator = new BuddyAllocator(
        medium, tableOffset, frameCount, maxOrder, config, pages, zones, zoneShift);
    if (logger.isDebugEnabled()) {
      logger.debug("opened frame table at offset {} of {}: {} frames, maxOrder {}, {} allocated"
              + " blocks, {} zones of {} frames, scan {} us, {}", tableOffset,
          medium.description(), frameCount, maxOrder, scan.allocatedBlocks, zones.length,
          1L << zoneShift, (System.nanoTime() - start) / 1000, config);
    }
    return allocator;
  }

  /** Table words read from the medium at a time by the open scan (64 KiB). */
  private static final int SCAN_BUFFER_WORDS = 8192;

  /** Words {@link TableScan#scanChunk} examines per call. */
  private static final int SCAN_CHUNK = 512;

  /** Words {@link TableScan#scanChunk} tests at once (its test is written out for 16). */
  private static final int SCAN_GROUP = 16;

  /**
   * The open scan (algorithm 4 in the class comment). It reads the table through a small buffer
   * and checks it in chunks: {@link #scanChunk} runs hundreds of times per open, so the JIT
   * compiles it during the first open instead of leaving one long loop to the interpreter (which
   * dominated the first opens in a JVM). During a first open it usually runs as profiled C1 code,
   * where every branch costs a counter update: so free words are tested sixteen at a time, and a
   * head's five validity conditions are combined into one branch (which halved the time of 16384
   * heads on a first open after create, 600 to 350 µs; benchmarks/results.md, "Open time").
   */
  private static final class TableScan {
    private final Medium medium;
    private final long tableOffset;
    private final long frameCount;
    private final int maxOrder;
    private final Zone[] zones;
    private final int zoneShift;
    private final int[][] pages;
    private long coveredEnd;
    private long lastHead = -1;
    private long lastHeadWord;
    long allocatedBlocks;

    TableScan(Medium medium, long tableOffset, long frameCount, int maxOrder, Zone[] zones,
        int zoneShift, int[][] pages) {
      this.medium = medium;
      this.tableOffset = tableOffset;
      this.frameCount = frameCount;
      this.maxOrder = maxOrder;
      this.zones = zones;
      this.zoneShift = zoneShift;
      this.pages = pages;
    }

    void run() {
      long[] buffer = new long[(int) Math.min(SCAN_BUFFER_WORDS, frameCount)];
      for (long base = 0; base < frameCount; base += buffer.length) {
        int length = (int) Math.min(buffer.length, frameCount - base);
        readWords(medium, tableOffset + base * Long.BYTES, buffer, length);
        for (int from = 0; from < length; from += SCAN_CHUNK) {
          scanChunk(buffer, base, from, Math.min(length, from + SCAN_CHUNK));
        }
      }
      addFreeRun(zones, zoneShift, maxOrder, coveredEnd, frameCount);
    }

    /**
     * Checks {@code buffer[from, to)}, the words of frames {@code base + from ...}. The common head
     * work is inline (not a call) so that the compiled loop handles heads at compiled speed even
     * when the previous opens saw none; only a corrupt word leaves the loop.
     */
    private void scanChunk(long[] buffer, long base, int from, int to) {
      long covered = coveredEnd;
      for (int group = from; group < to; group += SCAN_GROUP) {
        int end = Math.min(group + SCAN_GROUP, to);
        if (end - group == SCAN_GROUP && ((buffer[group] | buffer[group + 1] | buffer[group + 2]
            | buffer[group + 3] | buffer[group + 4] | buffer[group + 5] | buffer[group + 6]
            | buffer[group + 7] | buffer[group + 8] | buffer[group + 9] | buffer[group + 10]
            | buffer[group + 11] | buffer[group + 12] | buffer[group + 13] | buffer[group + 14]
            | buffer[group + 15]) & ~FrameWord.GENERATION_MASK) == 0) {
          continue; // sixteen clean free or tail words, the common case, in few bytecodes
        }
        for (int i = group; i < end; i++) {
          long w = buffer[i];
          if ((w & ~FrameWord.GENERATION_MASK) == 0) {
            continue; // a clean free or tail word
          }
          long p = base + i;
          int order = FrameWord.order(w);
          long size = 1L << order;
          // the five ways a head can be wrong, in one test (corruptHead tells which): HEAD bit
          // clear, order above maxOrder, misaligned, past the end, inside the previous block
          long bad = (~w >>> 63) | ((maxOrder - order) >>> 31) | (p & (size - 1))
              | ((frameCount - p - size) >>> 63) | ((p - covered) >>> 63);
          if (bad != 0) {
            coveredEnd = covered;
            throw corruptHead(p, w);
          }
          if (p > covered) {
            addFreeRun(zones, zoneShift, maxOrder, covered, p);
          }
          covered = p + size;
          lastHead = p;
          lastHeadWord = w;
          allocatedBlocks++;
          int[] page = pages[(int) (p >>> PAGE_SHIFT)];
          if (page == null) {
            page = new int[PAGE_FRAMES];
            pages[(int) (p >>> PAGE_SHIFT)] = page;
          }
          page[(int) (p & PAGE_MASK)] = live(order, FrameWord.generation(w)) | STATE_ALLOCATED;
        }
      }
      coveredEnd = covered;
    }

    /** The error for the non-free word {@code w} at {@code p} that is not a valid head. */
    private MediaCorruptedException corruptHead(long p, long w) {
      int order = FrameWord.order(w);
      long size = 1L << order;
      if (w >= 0) { // HEAD clear: a free or tail frame with bits outside the generation
        return corrupt(medium, tableOffset, p, w,
            "a free or tail frame word has bits set outside the generation field");
      }
      if (order > maxOrder) {
        return corrupt(medium, tableOffset, p, w,
            "the block order " + order + " exceeds the region's maxOrder " + maxOrder);
      }
      if ((p & (size - 1)) != 0) {
        return corrupt(medium, tableOffset, p, w,
            "the head is not aligned to its block size of " + size + " frames");
      }
      if (p + size > frameCount) {
        return corrupt(medium, tableOffset, p, w,
            "the block [" + p + ", " + (p + size) + ") extends past the last frame "
                + (frameCount - 1));
      }
      return corrupt(medium, tableOffset, p, w,
          "the head lies inside the allocated block at pfn " + lastHead + " ("
              + FrameWord.toString(lastHeadWord) + " covering [" + lastHead + ", "
              + coveredEnd + ")): overlapping allocations");
    }
  }

  private static long checkTable(Medium medium, long tableOffset, long frameCount) {
    long bytes = tableBytes(frameCount);
    if ((tableOffset & (Long.BYTES - 1)) != 0) {
      throw new IllegalArgumentException(
          "tableOffset " + tableOffset + " must be 8-byte aligned (frame words are atomic 8-byte"
              + " stores)");
    }
    Objects.checkFromIndexSize(tableOffset, bytes, medium.size());
    return bytes;
  }

  /** Bulk-reads the table into {@code dst} (frame words are little-endian on the medium). */
  private static void readTable(Medium medium, long tableOffset, long[] dst) {
    readWords(medium, tableOffset, dst, dst.length);
  }

  /** Bulk-reads {@code length} little-endian words at {@code offset} into {@code dst[0, length)}. */
  private static void readWords(Medium medium, long offset, long[] dst, int length) {
    medium.read(offset, MemorySegment.ofArray(dst).asSlice(0, (long) length * Long.BYTES));
    if (!NATIVE_LITTLE_ENDIAN) {
      for (int i = 0; i < length; i++) {
        dst[i] = Long.reverseBytes(dst[i]);
      }
    }
  }

  private static MediaCorruptedException corrupt(
      Medium medium, long tableOffset, long pfn, long word, String problem) {
    return new MediaCorruptedException(ErrorCode.FRAME_TABLE_CORRUPT,
        "frame table at offset " + tableOffset + " of " + medium.description() + ": frame pfn="
            + pfn + " (word at offset " + (tableOffset + pfn * Long.BYTES) + ") holds 0x"
            + Long.toHexString(word) + " = " + FrameWord.toString(word) + ": " + problem
            + ". The allocator state on this medium is damaged and cannot be opened safely;"
            + " restore the region from a backup");
  }

  // ---------------------------------------------------------------- standalone operations

  /**
   * Allocates a block of {@code 2^order} frames owned by {@code owner} and makes it durable: exactly
   * one 8-byte store and one persist (one flush, one fence).
   *
   * @return the handle ({@link #handle}), or {@link #NO_FRAME} when no block of that order can be
   *     made even after draining every thread cache
   * @throws IllegalArgumentException if {@code order} is outside {@code [0, maxOrder]} or {@code
   *     owner} outside {@code [0, FrameWord.MAX_OWNER]}
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
    int[] page = pageFor(pfn);
    int slot = (int) (pfn & PAGE_MASK);
    boolean stored = false;
    try {
      medium.storeLong(offset, FrameWord.allocated(order, generation, owner));
      stored = true;
      medium.persist(offset, Long.BYTES);
    } catch (RuntimeException | Error e) {
      if (stored) {
        ENTRY.setRelease(page, slot, live(order, generation) | STATE_ALLOCATED); // as the table says
      } else {
        release(pfn, order);
      }
      throw e;
    }
    ENTRY.setRelease(page, slot, live(order, generation) | STATE_ALLOCATED);
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
    int[] page = toFreeing("free", pfn, order, generation);
    int slot = (int) (pfn & PAGE_MASK);
    long offset = tableOffset + pfn * Long.BYTES;
    boolean stored = false;
    try {
      medium.storeLong(offset, FrameWord.free(FrameWord.nextGeneration(generation)));
      stored = true;
      medium.persist(offset, Long.BYTES);
    } catch (RuntimeException | Error e) {
      if (!stored) {
        ENTRY.setRelease(page, slot, live(order, generation) | STATE_ALLOCATED);
      }
      // stored but not known durable: stays FREEING, never reused; reopening resolves it
      throw e;
    }
    ENTRY.setRelease(page, slot, 0);
    release(pfn, order);
  }

  // ---------------------------------------------------------------- transactional operations

  /**
   * Takes a block for a transaction without writing anything: the block is RESERVED until {@link
   * #commitReserved} or {@link #unreserve}. The handle's generation is the one the redo log must
   * write in {@code FrameWord.allocated(order, generation, owner)}. A reservation never committed
   * is free again after a crash. Reserved blocks pass {@link #validate}, so the reserving
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
    ENTRY.setRelease(pageFor(pfn), (int) (pfn & PAGE_MASK), live(order, generation) | STATE_RESERVED);
    return handle(pfn, generation);
  }

  /**
   * Aborts a reservation: the block goes back to the free lists.
   *
   * @throws IllegalStateException if the block is not reserved at that order
   */
  public void unreserve(long pfn, int order) {
    checkBlock("unreserve", pfn, order);
    int[] page = page(pfn);
    int slot = (int) (pfn & PAGE_MASK);
    int e = page == null ? 0 : (int) ENTRY.getAcquire(page, slot);
    if (!hasState(e, order, STATE_RESERVED) || !ENTRY.compareAndSet(page, slot, e, 0)) {
      throw protocolError("unreserve", pfn, order, "a reserved block");
    }
    release(pfn, order);
  }

  /**
   * Records that the redo log has made {@code FrameWord.allocated(order, generation, owner)}
   * durable at {@code pfn}: the reservation becomes an allocated block. Writes nothing.
   *
   * @throws IllegalStateException if the block is not reserved with that order and generation
   */
  public void commitReserved(long pfn, int order, int generation, long owner) {
    checkBlock("commitReserved", pfn, order);
    checkOwner(owner);
    int live = live(order, generation & FrameWord.MAX_GENERATION);
    int[] page = page(pfn);
    if (generation < 0 || generation > FrameWord.MAX_GENERATION || page == null
        || !ENTRY.compareAndSet(page, (int) (pfn & PAGE_MASK), live | STATE_RESERVED,
            live | STATE_ALLOCATED)) {
      throw protocolError("commitReserved", pfn, order,
          "a block reserved with generation " + generation);
    }
    assert medium.loadLong(wordOffset(pfn)) == FrameWord.allocated(order, generation, owner)
        : "commitReserved(pfn=" + pfn + "): the table holds "
            + FrameWord.toString(medium.loadLong(wordOffset(pfn))) + ", not the allocated word";
  }

  /**
   * First half of a transactional free: validates like {@link #free} and marks the block "free
   * pending", so a concurrent {@code free}/{@code beginFree} of it fails with {@link
   * ErrorCode#FRAME_DOUBLE_FREE}. Writes nothing; the redo log then writes {@code
   * FrameWord.free(generation + 1)}.
   *
   * @throws InvalidFrameException as {@link #free}; the allocator is unchanged
   */
  public void beginFree(long pfn, int order, int generation) {
    toFreeing("beginFree", pfn, order, generation);
  }

  /**
   * Records that the redo log has made {@code FrameWord.free(generation + 1)} durable: the block
   * returns to the free lists. Writes nothing.
   *
   * @throws IllegalStateException if no free of that block is pending
   */
  public void completeFree(long pfn, int order) {
    checkBlock("completeFree", pfn, order);
    int[] page = page(pfn);
    int slot = (int) (pfn & PAGE_MASK);
    int e = page == null ? 0 : (int) ENTRY.getAcquire(page, slot);
    if (!hasState(e, order, STATE_FREEING) || !ENTRY.compareAndSet(page, slot, e, 0)) {
      throw protocolError("completeFree", pfn, order, "a block whose free is pending");
    }
    long freeWord = FrameWord.free(FrameWord.nextGeneration(entryGeneration(e)));
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
    checkBlock("abortFree", pfn, order);
    int live = live(order, generation & FrameWord.MAX_GENERATION);
    int[] page = page(pfn);
    if (generation < 0 || generation > FrameWord.MAX_GENERATION || page == null
        || !ENTRY.compareAndSet(page, (int) (pfn & PAGE_MASK), live | STATE_FREEING,
            live | STATE_ALLOCATED)) {
      throw protocolError("abortFree", pfn, order,
          "a block with generation " + generation + " whose free is pending");
    }
  }

  // ---------------------------------------------------------------- validation and queries

  /**
   * Checks that {@code (pfn, order, generation)} names a live block: allocated, reserved by a
   * transaction, or allocated with a free in progress. One load and one compare; no allocation, no
   * lock.
   *
   * @throws InvalidFrameException {@link ErrorCode#FRAME_BOUNDS}, {@link ErrorCode#FRAME_STALE}
   *     (freed since the handle was issued) or {@link ErrorCode#FRAME_NOT_HEAD}
   */
  public void validate(long pfn, int order, int generation) {
    if (pfn >= 0 && pfn < frameCount
        && (order >>> FrameWord.ORDER_BITS) == 0
        && (generation >>> FrameWord.GENERATION_BITS) == 0) {
      int[] page = pages[(int) (pfn >>> PAGE_SHIFT)];
      if (page != null
          && ((int) ENTRY.getAcquire(page, (int) (pfn & PAGE_MASK)) & ~STATE_MASK)
              == live(order, generation)) {
        return;
      }
    }
    InvalidFrameException e = diagnose("validate", pfn, order, generation, false);
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
    long cached = 0;
    int largestCached = -1;
    for (FrameCache c : registry) {
      c.lock();
      try {
        cached += c.frames();
        for (int k = c.maxCachedOrder(); k > largestCached; k--) {
          if (c.count(k) != 0) {
            largestCached = k;
            break;
          }
        }
      } finally {
        c.unlock();
      }
    }
    long[] blocks = new long[maxOrder + 1];
    long sharedFree = 0;
    int largest = -1;
    for (Zone z : zones) {
      z.lock.lock();
      try {
        for (int k = 0; k <= maxOrder; k++) {
          blocks[k] += z.free.nrFree(k);
        }
        sharedFree += z.free.freeFrames();
        largest = Math.max(largest, z.free.largestFreeOrder());
      } finally {
        z.lock.unlock();
      }
    }
    Long[] perOrder = new Long[maxOrder + 1];
    for (int k = 0; k <= maxOrder; k++) {
      perOrder[k] = blocks[k];
    }
    long freeFrames = sharedFree + cached;
    long outside = freeFrames - (perOrder[maxOrder] << maxOrder);
    return new AllocatorStats(frameCount, freeFrames, Arrays.asList(perOrder),
        Math.max(largest, largestCached), outside, cached);
  }

  /** Returns every thread cache's blocks to the shared free lists, where they coalesce. */
  public void drainCaches() {
    drainAll();
  }

  // ---------------------------------------------------------------- invariants

  /**
   * Checks invariants A1–A4 and A6 (brief §4.5) against the frame table on the medium and the
   * volatile structures. Exact only while no other thread is allocating or freeing.
   *
   * @return the problems found, each naming the frames involved; empty when everything holds
   */
  public List<String> verify() {
    Problems problems = new Problems();
    List<FrameCache> snapshot = new ArrayList<>(registry);
    int locked = 0;
    try {
      for (FrameCache c : snapshot) {
        c.lock();
        locked++;
      }
      int zonesLocked = 0;
      try {
        for (Zone z : zones) {
          z.lock.lock();
          zonesLocked++;
        }
        verifyLocked(snapshot, problems);
      } finally {
        for (int z = 0; z < zonesLocked; z++) {
          zones[z].lock.unlock();
        }
      }
    } finally {
      for (int j = 0; j < locked; j++) {
        snapshot.get(j).unlock();
      }
    }
    return problems.list();
  }

  /**
   * {@link #verify()} and throw when anything is wrong.
   *
   * @throws IllegalStateException listing every problem found
   */
  public void checkInvariants() {
    List<String> problems = verify();
    if (!problems.isEmpty()) {
      throw new IllegalStateException(
          "buddy allocator invariants violated (" + this + "):\n  " + String.join("\n  ", problems));
    }
  }

  private void verifyLocked(List<FrameCache> snapshot, Problems problems) {
    int n = (int) frameCount;
    long[] table = new long[n];
    readTable(medium, tableOffset, table);
    Coverage coverage = new Coverage(frameCount);
    long inUse = 0;
    // A1 + table/head-mirror agreement: every live block in the mirror, every word in the table
    for (int p = 0; p < n; p++) {
      long w = table[p];
      int m = entry(p);
      if (!FrameWord.isWellFormed(w)) {
        problems.add("A1: frame word of pfn " + p + " is malformed: 0x" + Long.toHexString(w));
      }
      if (!isLive(m)) {
        if (m != 0) {
          problems.add("A1: frame pfn " + p + ": the head mirror holds the invalid entry 0x"
              + Integer.toHexString(m));
        } else if (FrameWord.isHead(w)) {
          problems.add("A1: frame pfn " + p + ": the table holds " + FrameWord.toString(w)
              + " but the allocator has no live block there");
        }
        continue;
      }
      int order = entryOrder(m);
      int gen = entryGeneration(m);
      int state = m & STATE_MASK;
      long size = 1L << order;
      if (order > maxOrder || (p & (size - 1)) != 0 || p + size > frameCount) {
        problems.add("A1: block at pfn " + p + " (" + describeEntry(p, m) + ") is misaligned,"
            + " above maxOrder " + maxOrder + " or past the last frame " + (frameCount - 1));
        continue;
      }
      long overlap = coverage.mark(p, size);
      if (overlap >= 0) {
        problems.add("A1: block at pfn " + p + " (" + describeEntry(p, m) + ") overlaps another"
            + " allocated block at frame " + overlap);
      }
      inUse += size;
      boolean tableAllocated = FrameWord.isHead(w) && FrameWord.order(w) == order
          && FrameWord.generation(w) == gen;
      boolean ok;
      if (state == STATE_ALLOCATED) {
        ok = tableAllocated;
      } else if (state == STATE_RESERVED) {
        ok = tableAllocated || w == FrameWord.free(gen);
      } else if (state == STATE_FREEING) {
        ok = tableAllocated || w == FrameWord.free(FrameWord.nextGeneration(gen));
      } else {
        ok = false;
      }
      if (!ok) {
        problems.add("A1: block at pfn " + p + " is " + describeEntry(p, m)
            + " but the table holds " + FrameWord.toString(w));
      }
    }
    // A2 + A3: shared free blocks
    long[] sharedFree = {0};
    for (Zone z : zones) {
      z.free.forEach((local, order) -> {
      long pfn = z.base + local;
      sharedFree[0] += 1L << order;
      long overlap = coverage.mark(pfn, 1L << order);
      if (overlap >= 0) {
        problems.add("A2: free block pfn " + pfn + " order " + order
            + " overlaps a block already accounted for at frame " + overlap);
      }
      if (FrameWord.isHead(table[(int) pfn])) {
        problems.add("A2: free block pfn " + pfn + " order " + order + " has an allocated head "
            + FrameWord.toString(table[(int) pfn]) + " in the table");
      }
      long buddy = local ^ (1L << order);
      if (order < maxOrder && local < buddy && z.free.isFree(buddy, order)) {
        problems.add("A3: free blocks pfn " + pfn + " and its buddy " + (z.base + buddy)
            + " (order " + order + ") are both free but not merged");
      }
      });
    }
    // A6: cached blocks
    long cached = 0;
    for (FrameCache c : snapshot) {
      long[] sum = {0};
      c.forEach((pfn, order) -> {
        sum[0] += 1L << order;
        if (pfn < 0 || pfn >= frameCount || (pfn & ((1L << order) - 1)) != 0
            || pfn + (1L << order) > frameCount) {
          problems.add("A6: cache of thread " + c.ownerName() + " holds an invalid block pfn "
              + pfn + " order " + order);
          return;
        }
        long w = table[(int) pfn];
        if (FrameWord.isHead(w) || isLive(entry(pfn))) {
          problems.add("A6: cache of thread " + c.ownerName() + " holds block pfn " + pfn
              + " order " + order + " but its frame word is " + FrameWord.toString(w)
              + " (allocator: " + describe(pfn) + ")");
        }
        long overlap = coverage.mark(pfn, 1L << order);
        if (overlap >= 0) {
          problems.add("A6: cached block pfn " + pfn + " order " + order + " (thread "
              + c.ownerName() + ") overlaps a block already accounted for at frame " + overlap);
        }
      });
      cached += sum[0];
    }
    // A2: nothing leaked
    coverage.forEachUncovered((a, b) -> problems.add(
        "A2: frames [" + a + ", " + b + ") are neither allocated, reserved, free nor cached"
            + " (leaked)"));
    // A4
    if (sharedFree[0] + cached + inUse != frameCount) {
      problems.add("A4: free " + sharedFree[0] + " + cached " + cached + " + in use " + inUse
          + " = " + (sharedFree[0] + cached + inUse) + " frames, expected " + frameCount);
    }
    for (Zone z : zones) {
      List<String> bookkeeping = new ArrayList<>();
      z.free.verifyBookkeeping(bookkeeping);
      for (String s : bookkeeping) {
        problems.add("A4: zone " + z.index + " (frames from " + z.base + "): " + s);
      }
    }
  }

  /** Collects at most {@link #MAX_PROBLEMS} messages. */
  private static final class Problems {
    private final List<String> list = new ArrayList<>();
    private int dropped;

    void add(String problem) {
      if (list.size() < MAX_PROBLEMS) {
        list.add(problem);
      } else {
        dropped++;
      }
    }

    List<String> list() {
      if (dropped > 0) {
        List<String> all = new ArrayList<>(list);
        all.add("... and " + dropped + " more problems");
        return List.copyOf(all);
      }
      return List.copyOf(list);
    }
  }

  /** One bit per frame, for the coverage checks of {@link #verify()}. */
  private static final class Coverage {
    private final long frameCount;
    private final long[] bits;

    Coverage(long frameCount) {
      this.frameCount = frameCount;
      this.bits = new long[(int) ((frameCount + 63) >>> 6)];
    }

    /** Marks {@code [start, start + length)}; returns the first frame already marked, or -1. */
    long mark(long start, long length) {
      long first = -1;
      for (long f = start; f < start + length; f++) {
        int w = (int) (f >>> 6);
        long bit = 1L << f;
        if ((bits[w] & bit) != 0 && first < 0) {
          first = f;
        }
        bits[w] |= bit;
      }
      return first;
    }

    void forEachUncovered(RangeVisitor visitor) {
      long f = 0;
      while (f < frameCount) {
        if ((bits[(int) (f >>> 6)] & (1L << f)) != 0) {
          f++;
          continue;
        }
        long a = f;
        while (f < frameCount && (bits[(int) (f >>> 6)] & (1L << f)) == 0) {
          f++;
        }
        visitor.visit(a, f);
      }
    }

    @FunctionalInterface
    interface RangeVisitor {
      void visit(long from, long to);
    }
  }

  /** The shared free blocks, pfn to order (package-private, for tests of A5). */
  TreeMap<Long, Integer> sharedFreeBlocks() {
    TreeMap<Long, Integer> blocks = new TreeMap<>();
    for (Zone z : zones) {
      z.lock.lock();
      try {
        z.free.forEach((local, order) -> blocks.put(z.base + local, order));
      } finally {
        z.lock.unlock();
      }
    }
    return blocks;
  }

  /** Head-mirror pages created so far (package-private, for tests). */
  int mirrorPages() {
    int count = 0;
    for (int i = 0; i < pages.length; i++) {
      if (PAGES.getAcquire(pages, i) != null) {
        count++;
      }
    }
    return count;
  }

  /** Threads' caches currently registered (package-private, for tests). */
  int registeredCaches() {
    return registry.size();
  }

  /**
   * Adds ({@code add}) or removes a free block without any check (package-private: lets tests
   * damage the volatile state to prove that {@link #verify()} notices).
   */
  void damageFreeLists(long pfn, int order, boolean add) {
    Zone z = zoneOf(pfn);
    z.lock.lock();
    try {
      if (add) {
        z.free.add(pfn - z.base, order);
      } else {
        z.free.remove(pfn - z.base, order);
      }
    } finally {
      z.lock.unlock();
    }
  }

  /** Number of zones (package-private, for tests). */
  int zoneCount() {
    return zones.length;
  }

  // ---------------------------------------------------------------- taking and releasing blocks

  /** Takes a free block of {@code order} (volatile only), or returns {@link #NO_FRAME}. */
  private long take(int order) {
    FrameCache c = cache();
    long pfn;
    if (order <= cacheMaxOrder && c.enabled) {
      c.lock();
      try {
        pfn = c.poll(order);
        if (pfn == NO_FRAME) {
          pfn = refill(c, order);
        }
      } finally {
        c.unlock();
      }
    } else {
      pfn = takeShared(order, home(c));
    }
    if (pfn != NO_FRAME) {
      return pfn;
    }
    // last resort before NO_FRAME: cached blocks may coalesce into the wanted order
    drainAll();
    return takeShared(order, home(c));
  }

  /** The zone to try first: the thread's home zone. */
  private int home(FrameCache c) {
    return c.homeZone >= 0 ? c.homeZone
        : (int) Math.floorMod(Thread.currentThread().threadId(), (long) zones.length);
  }

  /** Takes a block from the home zone, else from the next zones in turn, or -1. */
  private long takeShared(int order, int home) {
    int z = home;
    for (int i = 0; i < zones.length; i++) {
      Zone zone = zones[z];
      long local;
      zone.lock.lock();
      try {
        local = zone.free.allocate(order);
      } finally {
        zone.lock.unlock();
      }
      if (local >= 0) {
        return zone.base + local;
      }
      z = z + 1 == zones.length ? 0 : z + 1;
    }
    return NO_FRAME;
  }

  /**
   * Refills an empty cache list with up to a batch of blocks from the first zone (home first) that
   * has any; returns one block for the caller, or -1.
   */
  private long refill(FrameCache c, int order) {
    int z = c.homeZone;
    for (int i = 0; i < zones.length; i++) {
      Zone zone = zones[z];
      zone.lock.lock();
      try {
        long first = zone.free.allocate(order);
        if (first >= 0) {
          for (int j = 1; j < c.batch(order); j++) {
            long local = zone.free.allocate(order);
            if (local < 0) {
              break;
            }
            c.push(order, zone.base + local);
          }
          return zone.base + first;
        }
      } finally {
        zone.lock.unlock();
      }
      z = z + 1 == zones.length ? 0 : z + 1;
    }
    return NO_FRAME;
  }

  /** Makes a block whose frame word is durably free available again. */
  private void release(long pfn, int order) {
    if (order <= cacheMaxOrder) {
      FrameCache c = cache();
      if (c.enabled) {
        c.lock();
        try {
          if (c.full(order)) {
            returnToZones(c, order, c.batch(order));
          }
          c.push(order, pfn);
        } finally {
          c.unlock();
        }
        return;
      }
    }
    Zone z = zoneOf(pfn);
    z.lock.lock();
    try {
      z.free.free(pfn - z.base, order);
    } finally {
      z.lock.unlock();
    }
  }

  /**
   * Moves up to {@code count} of the oldest cached blocks of {@code order} to their zones' free
   * lists, where they merge; consecutive blocks of one zone share one lock hold. The caller holds
   * the cache's lock. Returns the frames moved.
   */
  private long returnToZones(FrameCache c, int order, int count) {
    Zone held = null;
    long frames = 0;
    try {
      for (int j = 0; j < count; j++) {
        long pfn = c.poll(order);
        if (pfn == NO_FRAME) {
          break;
        }
        Zone z = zoneOf(pfn);
        if (z != held) {
          if (held != null) {
            held.lock.unlock();
          }
          held = z;
          z.lock.lock();
        }
        z.free.free(pfn - z.base, order);
        frames += 1L << order;
      }
    } finally {
      if (held != null) {
        held.lock.unlock();
      }
    }
    return frames;
  }

  private FrameCache cache() {
    FrameCache c = caches.get();
    return c != null ? c : attachCache();
  }

  private FrameCache attachCache() {
    Thread t = Thread.currentThread();
    FrameCache c;
    if (t.isVirtual()) {
      c = FrameCache.DISABLED; // one cache per virtual thread would hoard frames
    } else {
      int home = Math.floorMod(nextHomeZone.getAndIncrement(), zones.length);
      c = new FrameCache(t, home, cacheMaxOrder, config.cacheHigh(), config.cacheBatch());
      if (c.enabled) {
        reclaimDeadCaches();
        registry.add(c);
      }
    }
    caches.set(c);
    return c;
  }

  private void reclaimDeadCaches() {
    for (FrameCache c : registry) {
      if (c.ownerDead()) {
        drainOne(c);
        registry.remove(c);
      }
    }
  }

  /**
   * Drains every registered cache and drops those of dead threads. A cache is dropped only if its
   * owner was dead before the drain began: a thread observed alive may still free a block into its
   * cache and then die, and dropping that cache after the drain would lose the block (termination
   * observed through {@code isAlive()} happens-before the drain, so a cache seen dead first is
   * complete when drained).
   */
  private long drainAll() {
    long drained = 0;
    for (FrameCache c : registry) {
      boolean deadBefore = c.ownerDead();
      drained += drainOne(c);
      if (deadBefore) {
        registry.remove(c);
      }
    }
    return drained;
  }

  private long drainOne(FrameCache c) {
    c.lock();
    try {
      long frames = 0;
      for (int k = 0; k <= c.maxCachedOrder(); k++) {
        frames += returnToZones(c, k, Integer.MAX_VALUE);
      }
      return frames;
    } finally {
      c.unlock();
    }
  }

  // ---------------------------------------------------------------- checks and errors

  // ---------------------------------------------------------------- head mirror

  /** The head-mirror entry of a live head without its state: {@code LIVE | order | generation}. */
  private static int live(int order, int generation) {
    return LIVE | (order << ENTRY_ORDER_SHIFT) | generation;
  }

  private static boolean isLive(int entry) {
    return entry < 0;
  }

  private static int entryOrder(int entry) {
    return (entry >>> ENTRY_ORDER_SHIFT) & FrameWord.MAX_ORDER;
  }

  private static int entryGeneration(int entry) {
    return entry & FrameWord.MAX_GENERATION;
  }

  private static boolean hasState(int entry, int order, int state) {
    return isLive(entry) && entryOrder(entry) == order && (entry & STATE_MASK) == state;
  }

  /** The page holding {@code pfn}'s entry, or null if no block there has been live. */
  private int[] page(long pfn) {
    return (int[]) PAGES.getAcquire(pages, (int) (pfn >>> PAGE_SHIFT));
  }

  /** The page holding {@code pfn}'s entry, created (and published by CAS) if absent. */
  private int[] pageFor(long pfn) {
    int index = (int) (pfn >>> PAGE_SHIFT);
    int[] page = (int[]) PAGES.getAcquire(pages, index);
    if (page == null) {
      int[] fresh = new int[PAGE_FRAMES];
      page = (int[]) PAGES.compareAndExchange(pages, index, (int[]) null, fresh);
      if (page == null) {
        page = fresh;
      }
    }
    return page;
  }

  /** The entry of {@code pfn}: 0 unless a live block starts there. */
  private int entry(long pfn) {
    int[] page = page(pfn);
    return page == null ? 0 : (int) ENTRY.getAcquire(page, (int) (pfn & PAGE_MASK));
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

  /** CAS ALLOCATED to FREEING and return the entry's page, or throw the classified error. */
  private int[] toFreeing(String op, long pfn, int order, int generation) {
    for (; ; ) {
      if (pfn >= 0 && pfn < frameCount
          && (order >>> FrameWord.ORDER_BITS) == 0
          && (generation >>> FrameWord.GENERATION_BITS) == 0) {
        int[] page = page(pfn);
        int live = live(order, generation);
        if (page != null && ENTRY.compareAndSet(page, (int) (pfn & PAGE_MASK),
            live | STATE_ALLOCATED, live | STATE_FREEING)) {
          return page;
        }
      }
      InvalidFrameException e = diagnose(op, pfn, order, generation, true);
      if (e != null) {
        throw e;
      }
      // the block became ALLOCATED again meanwhile (abortFree): retry
    }
  }

  /**
   * Classifies a failed check (slow path). Returns {@code null} if the block turns out to be in
   * the wanted state after all (a concurrent change).
   */
  private InvalidFrameException diagnose(
      String op, long pfn, int order, int generation, boolean freeing) {
    String what = op + "(pfn=" + pfn + ", order=" + order + ", generation=" + generation + "): ";
    if (pfn < 0 || pfn >= frameCount) {
      return new InvalidFrameException(ErrorCode.FRAME_BOUNDS, what + "pfn is outside the frame"
          + " table [0, " + frameCount + "); the handle does not belong to this region");
    }
    if (order < 0 || order > maxOrder) {
      return new InvalidFrameException(ErrorCode.FRAME_BOUNDS, what + "order is outside [0, "
          + maxOrder + "]; the handle does not belong to this region");
    }
    long size = 1L << order;
    if ((pfn & (size - 1)) != 0 || pfn + size > frameCount) {
      return new InvalidFrameException(ErrorCode.FRAME_BOUNDS, what + "a block of " + size
          + " frames cannot start at pfn " + pfn + " (misaligned or past the last frame "
          + (frameCount - 1) + "); the handle is corrupt");
    }
    if (generation < 0 || generation > FrameWord.MAX_GENERATION) {
      return new InvalidFrameException(ErrorCode.FRAME_STALE, what + "generation is outside [0, "
          + FrameWord.MAX_GENERATION + "]; the handle is corrupt");
    }
    int e = entry(pfn);
    String table = " (the allocator holds " + describe(pfn) + ")";
    if (isLive(e)) {
      int g = entryGeneration(e);
      int o = entryOrder(e);
      int state = e & STATE_MASK;
      if (g != generation) {
        return new InvalidFrameException(ErrorCode.FRAME_STALE, what + "stale handle: the block"
            + " was freed and reallocated since this handle was issued" + table
            + "; drop the handle");
      }
      if (o != order) {
        return new InvalidFrameException(ErrorCode.FRAME_NOT_HEAD, what + "pfn " + pfn
            + " heads a block of order " + o + ", not " + order + table
            + "; pass the order the block was allocated with");
      }
      if (state == STATE_FREEING) {
        if (freeing) {
          return new InvalidFrameException(ErrorCode.FRAME_DOUBLE_FREE, what + "a free of this"
              + " block is already in progress" + table + "; free a block only once");
        }
        return null;
      }
      if (state == STATE_RESERVED) {
        if (freeing) {
          return new InvalidFrameException(ErrorCode.FRAME_NOT_HEAD, what + "the block is"
              + " reserved by a transaction that has not committed" + table
              + "; free it through that transaction");
        }
        return null;
      }
      return null; // ALLOCATED with this order and generation: it is valid now
    }
    long head = coveringHead(pfn);
    if (head >= 0) {
      return new InvalidFrameException(ErrorCode.FRAME_NOT_HEAD, what + "pfn " + pfn
          + " is a tail frame inside the block at pfn " + head + " ("
          + describe(head) + "); use the block's own handle");
    }
    int g = FrameWord.generation(medium.loadLong(tableOffset + pfn * Long.BYTES));
    if (g == FrameWord.nextGeneration(generation)) {
      if (freeing) {
        return new InvalidFrameException(ErrorCode.FRAME_DOUBLE_FREE, what + "the block is"
            + " already free" + table + ": it was freed twice with the same handle");
      }
      return new InvalidFrameException(ErrorCode.FRAME_STALE, what + "use after free: the block"
          + " was freed" + table + "; drop the handle");
    }
    if (g != generation) {
      return new InvalidFrameException(ErrorCode.FRAME_STALE, what + "stale handle: the frame"
          + " is free and its generation has moved on" + table + "; drop the handle");
    }
    return new InvalidFrameException(ErrorCode.FRAME_NOT_HEAD, what + "no block is allocated at"
        + " pfn " + pfn + table + "; the handle was never issued by this allocator");
  }

  /** The head of the live block covering {@code pfn} as a tail frame, or -1. */
  private long coveringHead(long pfn) {
    for (int k = 1; k <= maxOrder; k++) {
      long base = pfn & -(1L << k);
      if (base != pfn) {
        int e = entry(base);
        if (isLive(e) && entryOrder(e) == k) {
          return base;
        }
      }
    }
    return -1;
  }

  /** Readable form of what the allocator knows of {@code pfn}. */
  private String describe(long pfn) {
    int e = entry(pfn);
    if (!isLive(e)) {
      return "pfn " + pfn + " not a live block, table word "
          + FrameWord.toString(medium.loadLong(tableOffset + pfn * Long.BYTES));
    }
    return describeEntry(pfn, e);
  }

  private static String describeEntry(long pfn, int entry) {
    int state = entry & STATE_MASK;
    String s = state == STATE_ALLOCATED ? "allocated"
        : state == STATE_RESERVED ? "reserved"
        : state == STATE_FREEING ? "free pending"
        : "state " + (state >>> STATE_SHIFT);
    return s + " block pfn " + pfn + " order " + entryOrder(entry) + " gen "
        + entryGeneration(entry);
  }

  /** Bounds check of the transactional protocol calls. */
  private int checkBlock(String op, long pfn, int order) {
    if (pfn < 0 || pfn >= frameCount || order < 0 || order > maxOrder
        || (pfn & ((1L << order) - 1)) != 0 || pfn + (1L << order) > frameCount) {
      throw new InvalidFrameException(ErrorCode.FRAME_BOUNDS, op + "(pfn=" + pfn + ", order="
          + order + "): no block of that order can start there in a table of " + frameCount
          + " frames with maxOrder " + maxOrder);
    }
    return (int) pfn;
  }

  private IllegalStateException protocolError(
      String op, long pfn, int order, String expected) {
    return new IllegalStateException(op + "(pfn=" + pfn + ", order=" + order + "): expected "
        + expected + ", but the allocator holds " + describe(pfn)
        + "; the transaction protocol was not followed (reserve -> commitReserved | unreserve,"
        + " beginFree -> completeFree | abortFree)");
  }

  private void checkOrder(int order) {
    if (order < 0 || order > maxOrder) {
      throw new IllegalArgumentException(
          "order must be in [0, maxOrder=" + maxOrder + "], got " + order);
    }
  }

  private static void checkOwner(long owner) {
    if (owner < 0 || owner > FrameWord.MAX_OWNER) {
      throw new IllegalArgumentException(
          "owner tag must be in [0, " + FrameWord.MAX_OWNER + "] (42 bits), got " + owner);
    }
  }

  /**
   * One line, e.g. {@code BuddyAllocator(12/32 MiB free at 4 KiB frames, 3072/8192 frames,
   * largestFreeOrder=10, cached=12, maxOrder=10)}.
   */
  @Override
  public String toString() {
    AllocatorStats s = stats();
    long pct = frameCount == 0 ? 0 : s.freeFrames() * 100 / frameCount;
    return "BuddyAllocator(" + mib(s.freeFrames()) + "/" + mib(frameCount)
        + " MiB free at 4 KiB frames, " + s.freeFrames() + "/" + frameCount + " frames (" + pct
        + "%), largestFreeOrder=" + s.largestFreeOrder() + ", cached=" + s.cachedFrames()
        + ", maxOrder=" + maxOrder + ", zones=" + zones.length + ")";
  }

  /** Frames of 4 KiB in MiB (256 frames per MiB), one decimal when not whole. */
  private static String mib(long frames) {
    return frames % 256 == 0 ? Long.toString(frames / 256)
        : String.format(Locale.ROOT, "%.1f", frames / 256.0);
  }

  // ---- Words the redo log writes on the allocator's behalf ----

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

  /** The frame word that a transaction's free of a block at {@code generation} logs: free, generation + 1. */
  public static long freedWord(int generation) {
    return FrameWord.free(generation + 1);
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
}
