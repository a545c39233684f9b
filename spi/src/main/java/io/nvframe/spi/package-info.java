/**
 * The backend SPI: how storage plugs into nvframe.
 *
 * <p>A {@link io.nvframe.spi.BackendProvider} is found with {@link java.util.ServiceLoader} and
 * selected by name. It creates or opens a {@link io.nvframe.spi.Medium}: byte-addressed storage with
 * 8-byte atomic loads and stores, bulk reads and writes, and explicit {@code flush}/{@code fence}
 * persistence. Everything above the SPI (region layout, allocator, redo log) uses only {@code
 * Medium}, so test wrappers that record or inject faults work with every backend. Third-party
 * backends prove themselves with the {@code nvframe-tck} contract tests; see {@code
 * docs/writing-a-backend.md}.
 */
package io.nvframe.spi;
