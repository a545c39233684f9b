package io.nvframe.buddy;

/**
 * Tuning of the {@link BuddyAllocator}'s per-thread frame caches (the analogue of Linux's per-CPU
 * page lists, {@code struct per_cpu_pages}).
 *
 * <p>Blocks of order {@code 0..cacheMaxOrder} are allocated from and freed to a cache owned by the
 * calling thread, without the allocator's lock. For each cached order, a cache holds at most {@code
 * cacheHigh} frames ({@code max(1, cacheHigh >> order)} blocks); when a free finds it full, {@code
 * cacheBatch} frames' worth of blocks ({@code max(1, cacheBatch >> order)}) go back to the shared
 * free lists in one locked step, and an empty cache is refilled with the same batch.
 *
 * <p>Cached blocks are persistently free: a crash returns them without any work. They are not
 * coalesced with their buddies until they are drained, so {@link BuddyAllocator#drainCaches()}
 * restores the fully coalesced state.
 *
 * @param cacheMaxOrder largest cached order, {@code -1} to disable caching; at most 31 (the
 *     largest order a frame word holds)
 * @param cacheHigh frames per cached order a thread may hold, {@code 0} to disable caching
 * @param cacheBatch frames moved per refill or drain, in {@code [1, max(1, cacheHigh)]}
 */
public record BuddyConfig(int cacheMaxOrder, int cacheHigh, int cacheBatch) {
  /** Default largest cached order (Linux's {@code PAGE_ALLOC_COSTLY_ORDER}). */
  public static final int DEFAULT_CACHE_MAX_ORDER = 3;
  /** Default frames per cached order and thread. */
  public static final int DEFAULT_CACHE_HIGH = 256;
  /** Default frames per refill or drain. */
  public static final int DEFAULT_CACHE_BATCH = 64;
  /** Largest accepted {@code cacheHigh} (keeps a thread's cache a few MiB of longs at most). */
  public static final int MAX_CACHE_HIGH = 1 << 16;

  public BuddyConfig {
    if (cacheMaxOrder < -1 || cacheMaxOrder > FrameWord.MAX_ORDER) {
      throw new IllegalArgumentException(
          "cacheMaxOrder must be in [-1, " + FrameWord.MAX_ORDER + "] (-1 disables caching), got "
              + cacheMaxOrder);
    }
    if (cacheHigh < 0 || cacheHigh > MAX_CACHE_HIGH) {
      throw new IllegalArgumentException(
          "cacheHigh must be in [0, " + MAX_CACHE_HIGH + "] frames (0 disables caching), got "
              + cacheHigh);
    }
    if (cacheBatch < 1 || cacheBatch > Math.max(1, cacheHigh)) {
      throw new IllegalArgumentException(
          "cacheBatch must be in [1, cacheHigh=" + Math.max(1, cacheHigh) + "] frames, got "
              + cacheBatch);
    }
  }

  /** Orders 0..3 cached, 256 frames per order and thread, batches of 64 frames. */
  public static BuddyConfig defaults() {
    return new BuddyConfig(DEFAULT_CACHE_MAX_ORDER, DEFAULT_CACHE_HIGH, DEFAULT_CACHE_BATCH);
  }

  /** No per-thread caches: every allocation and free goes through the shared lists. */
  public static BuddyConfig noCache() {
    return new BuddyConfig(-1, 0, 1);
  }

  /** Whether thread caches are in use. */
  public boolean cachingEnabled() {
    return cacheMaxOrder >= 0 && cacheHigh > 0;
  }
}
