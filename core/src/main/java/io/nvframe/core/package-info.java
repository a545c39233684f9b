/**
 * Creating and opening regions.
 *
 * <p>{@link io.nvframe.core.Regions#builder()} configures a region (backend, path, capacity, frame
 * size, max order, lanes) and {@code create()}s or {@code open()}s it. The backend is found with
 * {@link java.util.ServiceLoader} by name; on open, the name and geometry come from the region
 * header. Opening validates both header copies (CRC32C, version, geometry, size) before anything is
 * written, then replays committed redo records, rebuilds the buddy allocator from the frame table and
 * loads the root directory.
 *
 * <p>Guarantees: standalone {@code allocate}/{@code free} are durable on return; transactions are
 * all-or-nothing across crashes and durable when {@code commit()} returns; a region is held by one
 * process at a time.
 */
package io.nvframe.core;
