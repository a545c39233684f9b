/**
 * Redo-log transactions on a {@link io.nvframe.spi.Medium}.
 *
 * <p>The central type is {@link io.nvframe.redo.RedoLog}: a contiguous area of the medium split
 * into lanes, each holding at most one redo record. A transaction records its changes in a {@link
 * io.nvframe.redo.WriteSet} (in DRAM; reads through the write set see its own writes) and {@link
 * io.nvframe.redo.RedoLog#commit commit} makes them durable:
 *
 * <ul>
 *   <li>one aligned 8-byte change: a single atomic store and one fence, no record;
 *   <li>anything else: record written and flushed, fence (commit point), changes applied without
 *       being flushed: one fence. The lane stays open; the thread's next commit flushes those
 *       changes before its own fence and then invalidates the record in memory, and anyone who
 *       must make those bytes durable earlier closes the lane first (writes outside the log go
 *       through {@link io.nvframe.redo.RedoLog#orderedMedium()}).
 * </ul>
 *
 * <p>Guarantees: when {@code commit} returns, the changes are durable. If the process or machine
 * stops during a commit, {@link io.nvframe.redo.RedoLog#recover recover} leaves either none or all
 * of the transaction's changes; all of them if the commit point was reached. Recovery is
 * idempotent, including when it is itself interrupted. Records are checked with CRC32C (collision
 * probability 2<sup>-32</sup> per torn record, accepted by design) and never trusted before the
 * check. The on-media format is described in {@code log-redo/README.md}.
 */
package io.nvframe.redo;
