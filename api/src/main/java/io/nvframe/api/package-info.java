/**
 * The nvframe public API: page frames on non-volatile memory.
 *
 * <p>A {@link io.nvframe.api.Region} is one formatted persistent area. It hands out {@link
 * io.nvframe.api.Frame}s, blocks of {@code 2^order} pages, from a persistent buddy allocator.
 * Regions are created and opened with {@code io.nvframe.core.Regions} (module {@code
 * io.nvframe.core}), which selects a storage backend by name.
 *
 * <h2>Durability</h2>
 *
 * <ul>
 *   <li>{@code allocate} and {@code free} are durable when they return.
 *   <li>A {@link io.nvframe.api.Transaction} is all-or-nothing across a crash and durable when
 *       {@code commit()} returns.
 *   <li>Direct writes ({@code Region.write}, {@code putLong}, writes through {@code segment}) are
 *       durable once {@code persist} covering them returns; only aligned 8-byte stores are
 *       failure-atomic on their own.
 * </ul>
 *
 * <h2>Errors</h2>
 *
 * <p>All failures are unchecked {@link io.nvframe.api.NvframeException}s carrying an {@link
 * io.nvframe.api.ErrorCode}; messages say what failed, where, and what to do. Use after close is
 * {@link io.nvframe.api.AlreadyClosedException}.
 */
package io.nvframe.api;
