package io.nvframe.redo;

/**
 * Counters of a {@link RedoLog} since it was opened. Flush and fence counts live in the medium's
 * {@link io.nvframe.spi.PersistStats}; these say which commit path was taken.
 *
 * @param recordsWritten logged commits (1 fence each, 2 with durable ranges; one more when the lane
 *     taken was open)
 * @param singleWordCommits commits of one aligned 8-byte change that skipped the log (1 fence, or 2
 *     with durable ranges)
 * @param bytesLogged header and payload bytes written to lanes by logged commits
 * @param recordsReplayed records re-applied by {@link RedoLog#recover()}
 */
public record LogStats(long recordsWritten, long singleWordCommits, long bytesLogged, long recordsReplayed) {}
