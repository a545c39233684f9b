package io.nvframe.buddy;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.spi.Medium;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Formatting the frame table, and the scan that {@link BuddyAllocator#open} rebuilds the volatile
 * state with.
 *
 * <p>The scan is one linear pass over the table. Every head is checked (order {@code <=
 * maxOrder}, aligned, inside the table, not inside the previous allocated block: heads are visited
 * in address order, so that is the only possible overlap) and recorded in the {@link HeadMirror} as
 * ALLOCATED; every other word must be a clean free word. Each maximal run {@code [a, b)} of frames
 * not covered by an allocated block goes to the {@link Zones} as the largest aligned blocks ({@link
 * Zones#addFreeRun}), which is the fully coalesced buddy state. The first bad word throws
 * {@link MediaCorruptedException} with {@link ErrorCode#FRAME_TABLE_CORRUPT}.
 *
 * <p>The table is read through a buffer of {@link #BUFFER_WORDS} and checked in spans of {@link
 * #SPAN} words: {@link #scanSpan} runs hundreds of times per open, so the JIT compiles it during
 * the first open instead of leaving one long loop to the interpreter. On a first open it usually
 * runs as profiled C1 code, where every branch updates a counter, so free words are tested {@link
 * #GROUP} at a time and a head's five validity conditions are combined into one branch.
 */
final class FrameTableScan {
  /** Table words read from the medium at a time (64 KiB). */
  private static final int BUFFER_WORDS = 8192;

  /** Words {@link #scanSpan} examines per call. */
  private static final int SPAN = 512;

  /** Words {@link #scanSpan} tests at once (its test is written out for 16). */
  private static final int GROUP = 16;

  private static final boolean NATIVE_LITTLE_ENDIAN =
      ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  private final Medium medium;
  private final long tableOffset;
  private final long frameCount;
  private final int maxOrder;
  private final Zones zones;
  private final int[][] chunks;
  private long coveredEnd;
  private long lastHead = -1;
  private long lastHeadWord;
  private long allocatedBlocks;

  private FrameTableScan(Medium medium, long tableOffset, long frameCount, int maxOrder,
      Zones zones, HeadMirror mirror) {
    this.medium = medium;
    this.tableOffset = tableOffset;
    this.frameCount = frameCount;
    this.maxOrder = maxOrder;
    this.zones = zones;
    this.chunks = mirror.chunks;
  }

  /**
   * Writes an empty frame table (all words zero: every frame free, generation 0) and persists it;
   * returns its size in bytes.
   */
  static long format(Medium medium, long tableOffset, long frameCount) {
    long bytes = checkTable(medium, tableOffset, frameCount);
    medium.fill(tableOffset, bytes, (byte) 0);
    medium.persist(tableOffset, bytes);
    return bytes;
  }

  /**
   * Checks the arguments of {@link BuddyAllocator#open}.
   *
   * @throws IndexOutOfBoundsException if the table does not fit in the medium
   * @throws IllegalArgumentException if an argument is out of range
   */
  static void checkGeometry(Medium medium, long tableOffset, long frameCount, int maxOrder) {
    checkTable(medium, tableOffset, frameCount);
    if (frameCount < 1) {
      throw new IllegalArgumentException("frameCount must be at least 1, got " + frameCount);
    }
    if (maxOrder < 0 || maxOrder > FrameWord.MAX_ORDER) {
      throw new IllegalArgumentException(
          "maxOrder must be in [0, " + FrameWord.MAX_ORDER + "], got " + maxOrder);
    }
  }

  private static long checkTable(Medium medium, long tableOffset, long frameCount) {
    long bytes = BuddyAllocator.tableBytes(frameCount);
    if ((tableOffset & (Long.BYTES - 1)) != 0) {
      throw new IllegalArgumentException(
          "tableOffset " + tableOffset + " must be 8-byte aligned (frame words are atomic 8-byte"
              + " stores)");
    }
    Objects.checkFromIndexSize(tableOffset, bytes, medium.size());
    return bytes;
  }

  /**
   * Scans the table (checked by {@link #checkGeometry}) into the empty {@code zones} and {@code
   * mirror}; returns the number of allocated blocks found. Writes nothing to the medium.
   *
   * @throws MediaCorruptedException at the first bad word
   */
  static long scan(Medium medium, long tableOffset, long frameCount, int maxOrder, Zones zones,
      HeadMirror mirror) {
    FrameTableScan scan = new FrameTableScan(medium, tableOffset, frameCount, maxOrder, zones,
        mirror);
    scan.run();
    return scan.allocatedBlocks;
  }

  private void run() {
    long[] buffer = new long[(int) Math.min(BUFFER_WORDS, frameCount)];
    for (long base = 0; base < frameCount; base += buffer.length) {
      int length = (int) Math.min(buffer.length, frameCount - base);
      readWords(medium, tableOffset + base * Long.BYTES, buffer, length);
      for (int from = 0; from < length; from += SPAN) {
        scanSpan(buffer, base, from, Math.min(length, from + SPAN));
      }
    }
    zones.addFreeRun(coveredEnd, frameCount);
  }

  /**
   * Checks {@code buffer[from, to)}, the words of frames {@code base + from ...}. The common head
   * work is inline (not a call) so that the compiled loop handles heads at compiled speed even
   * when the previous opens saw none; only a corrupt word leaves the loop.
   */
  private void scanSpan(long[] buffer, long base, int from, int to) {
    long covered = coveredEnd;
    for (int group = from; group < to; group += GROUP) {
      int end = Math.min(group + GROUP, to);
      if (end - group == GROUP && ((buffer[group] | buffer[group + 1] | buffer[group + 2]
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
          zones.addFreeRun(covered, p);
        }
        covered = p + size;
        lastHead = p;
        lastHeadWord = w;
        allocatedBlocks++;
        int[] chunk = chunks[(int) (p >>> HeadMirror.CHUNK_SHIFT)];
        if (chunk == null) {
          chunk = new int[HeadMirror.CHUNK_ENTRIES];
          chunks[(int) (p >>> HeadMirror.CHUNK_SHIFT)] = chunk;
        }
        chunk[HeadMirror.slot(p)] =
            HeadMirror.live(order, FrameWord.generation(w)) | HeadMirror.STATE_ALLOCATED;
      }
    }
    coveredEnd = covered;
  }

  /** The error for the non-free word {@code w} at {@code p} that is not a valid head. */
  private MediaCorruptedException corruptHead(long p, long w) {
    int order = FrameWord.order(w);
    long size = 1L << order;
    if (w >= 0) { // HEAD clear: a free or tail frame with bits outside the generation
      return corrupt(p, w, "a free or tail frame word has bits set outside the generation field");
    }
    if (order > maxOrder) {
      return corrupt(p, w,
          "the block order " + order + " exceeds the region's maxOrder " + maxOrder);
    }
    if ((p & (size - 1)) != 0) {
      return corrupt(p, w, "the head is not aligned to its block size of " + size + " frames");
    }
    if (p + size > frameCount) {
      return corrupt(p, w, "the block [" + p + ", " + (p + size) + ") extends past the last frame "
          + (frameCount - 1));
    }
    return corrupt(p, w,
        "the head lies inside the allocated block at pfn " + lastHead + " ("
            + FrameWord.toString(lastHeadWord) + " covering [" + lastHead + ", "
            + coveredEnd + ")): overlapping allocations");
  }

  private MediaCorruptedException corrupt(long pfn, long word, String problem) {
    return new MediaCorruptedException(ErrorCode.FRAME_TABLE_CORRUPT,
        "frame table at offset " + tableOffset + " of " + medium.description() + ": frame pfn="
            + pfn + " (word at offset " + (tableOffset + pfn * Long.BYTES) + ") holds 0x"
            + Long.toHexString(word) + " = " + FrameWord.toString(word) + ": " + problem
            + ". The allocator state on this medium is damaged and cannot be opened safely;"
            + " restore the region from a backup");
  }

  /** Reads {@code length} little-endian words at {@code offset} into {@code dst[0, length)}. */
  static void readWords(Medium medium, long offset, long[] dst, int length) {
    medium.read(offset, MemorySegment.ofArray(dst).asSlice(0, (long) length * Long.BYTES));
    if (!NATIVE_LITTLE_ENDIAN) {
      for (int i = 0; i < length; i++) {
        dst[i] = Long.reverseBytes(dst[i]);
      }
    }
  }
}
