/**
 * The persistent buddy allocator of page frames.
 *
 * <p>{@link io.nvframe.buddy.BuddyAllocator} manages {@code frameCount} page frames whose only
 * persistent state is a table of 8-byte frame words on a {@link io.nvframe.spi.Medium}: {@code
 * HEAD | order | generation | owner} on the first frame of each allocated block, {@code
 * free(generation)} everywhere else. Free lists (per-order bitmaps) and per-thread caches are
 * volatile and rebuilt by {@code open} from the table.
 *
 * <p>Durability: a standalone {@code allocate} or {@code free} is one atomic 8-byte store and one
 * persist (one flush, one fence) and is durable when it returns; a block is never handed out again
 * before its free is durable. Inside a transaction ({@code reserve}/{@code commitReserved}, {@code
 * beginFree}/{@code completeFree}) the allocator writes nothing: the redo log writes the frame
 * words the allocator gives it ({@code publishedWord}, {@code freedWord}) and tells the allocator
 * when they are durable.
 *
 * <p>Generations detect stale handles: freeing bumps the generation stored in the head word, so a
 * handle kept after its free fails {@code validate} with {@code FRAME_STALE}.
 */
package io.nvframe.buddy;
