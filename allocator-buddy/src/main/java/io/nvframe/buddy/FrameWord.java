package io.nvframe.buddy;

/**
 * Encoding of the 8-byte <em>frame word</em>, the only persistent state of the {@link
 * BuddyAllocator}. The frame table holds one word per page frame, little-endian, at {@code
 * tableOffset + 8 * pfn}.
 *
 * <pre>
 *  63  62      58 57                42 41                                         0
 * +---+----------+--------------------+--------------------------------------------+
 * | H |  order   |     generation     |                 owner tag                  |
 * +---+----------+--------------------+--------------------------------------------+
 *   1      5               16                               42          bits
 * </pre>
 *
 * <ul>
 *   <li>{@code H} (HEAD) is 1 when the frame is the first frame of an allocated block of {@code
 *       2^order} frames; the word then also carries the block's generation and owner tag.
 *   <li>Free frames and the tail frames of allocated blocks have {@code H = 0}, order 0 and owner 0;
 *       they keep their generation bits. A freshly formatted table is all zero.
 *   <li>Allocating a block does not change the generation: a handle's generation is the generation
 *       stored in the head word. Freeing stores {@link #free free(generation + 1)} (modulo {@code
 *       2^16}), so a handle kept after the free no longer matches.
 *   <li>Owner tag 0 means anonymous; other values are chosen by the layer above (for example a
 *       logical page id + 1).
 * </ul>
 *
 * <p>The words are on persistent media, and the redo log writes some of them on the allocator's
 * behalf (the words {@link BuddyAllocator#publishedWord} and {@link BuddyAllocator#freedWord}
 * return), so the layout is fixed. Field widths are named constants; shifts and masks are derived
 * from them.
 */
public final class FrameWord {
  /** Width of the owner tag field. */
  public static final int OWNER_BITS = 42;
  /** Width of the generation field. */
  public static final int GENERATION_BITS = 16;
  /** Width of the order field. */
  public static final int ORDER_BITS = 5;
  /** Width of the head flag. */
  public static final int HEAD_BITS = 1;

  /** Bit position of the owner tag (0). */
  public static final int OWNER_SHIFT = 0;
  /** Bit position of the generation field (42). */
  public static final int GENERATION_SHIFT = OWNER_SHIFT + OWNER_BITS;
  /** Bit position of the order field (58). */
  public static final int ORDER_SHIFT = GENERATION_SHIFT + GENERATION_BITS;
  /** Bit position of the head flag (63). */
  public static final int HEAD_SHIFT = ORDER_SHIFT + ORDER_BITS;

  /** Largest owner tag ({@code 2^42 - 1}). */
  public static final long MAX_OWNER = (1L << OWNER_BITS) - 1;
  /** Largest generation ({@code 2^16 - 1}); generations wrap to 0 after it. */
  public static final int MAX_GENERATION = (1 << GENERATION_BITS) - 1;
  /** Largest order the word can hold (31). */
  public static final int MAX_ORDER = (1 << ORDER_BITS) - 1;

  /** Mask of the owner field in place. */
  public static final long OWNER_MASK = MAX_OWNER << OWNER_SHIFT;
  /** Mask of the generation field in place. */
  public static final long GENERATION_MASK = (long) MAX_GENERATION << GENERATION_SHIFT;
  /** Mask of the order field in place. */
  public static final long ORDER_MASK = (long) MAX_ORDER << ORDER_SHIFT;
  /** The head flag in place. */
  public static final long HEAD = 1L << HEAD_SHIFT;

  static {
    assert HEAD_SHIFT + HEAD_BITS == Long.SIZE : "frame word fields must fill 64 bits";
  }

  private FrameWord() {}

  /**
   * The word of the head frame of an allocated block.
   *
   * @throws IllegalArgumentException if a field is out of range
   */
  public static long allocated(int order, int generation, long owner) {
    checkOrder(order);
    checkGeneration(generation);
    if (owner < 0 || owner > MAX_OWNER) {
      throw new IllegalArgumentException(
          "owner tag must be in [0, " + MAX_OWNER + "] (42 bits), got " + owner);
    }
    return HEAD
        | ((long) order << ORDER_SHIFT)
        | ((long) generation << GENERATION_SHIFT)
        | (owner << OWNER_SHIFT);
  }

  /**
   * The word of a free frame (or of a tail frame) that carries {@code generation}.
   *
   * @throws IllegalArgumentException if {@code generation} is outside {@code [0, MAX_GENERATION]}
   */
  public static long free(int generation) {
    checkGeneration(generation);
    return (long) generation << GENERATION_SHIFT;
  }

  /** The generation that follows {@code generation}, wrapping after {@link #MAX_GENERATION}. */
  public static int nextGeneration(int generation) {
    return (generation + 1) & MAX_GENERATION;
  }

  /** Whether {@code word} is the head of an allocated block. */
  public static boolean isHead(long word) {
    return (word & HEAD) != 0;
  }

  /** The order field. */
  public static int order(long word) {
    return (int) ((word & ORDER_MASK) >>> ORDER_SHIFT);
  }

  /** The generation field. */
  public static int generation(long word) {
    return (int) ((word & GENERATION_MASK) >>> GENERATION_SHIFT);
  }

  /** The owner tag field. */
  public static long owner(long word) {
    return (word & OWNER_MASK) >>> OWNER_SHIFT;
  }

  /**
   * Whether {@code word} is well formed: a head word (any field values), or a free/tail word whose
   * bits outside the generation field are all zero.
   */
  public static boolean isWellFormed(long word) {
    return isHead(word) || (word & ~GENERATION_MASK) == 0;
  }

  /** A readable form, e.g. {@code head(order=3, gen=7, owner=42)} or {@code free(gen=8)}. */
  public static String toString(long word) {
    if (isHead(word)) {
      return "head(order=" + order(word) + ", gen=" + generation(word) + ", owner=" + owner(word)
          + ")";
    }
    if ((word & ~GENERATION_MASK) != 0) {
      return "malformed(0x" + Long.toHexString(word) + ")";
    }
    return "free(gen=" + generation(word) + ")";
  }

  private static void checkOrder(int order) {
    if (order < 0 || order > MAX_ORDER) {
      throw new IllegalArgumentException("order must be in [0, " + MAX_ORDER + "], got " + order);
    }
  }

  private static void checkGeneration(int generation) {
    if (generation < 0 || generation > MAX_GENERATION) {
      throw new IllegalArgumentException(
          "generation must be in [0, " + MAX_GENERATION + "] (16 bits), got " + generation);
    }
  }
}
