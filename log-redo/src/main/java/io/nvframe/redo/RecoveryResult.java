package io.nvframe.redo;

import java.util.List;

/**
 * What {@link RedoLog#recover()} found and did.
 *
 * @param lanesScanned lanes whose header was read (all of them)
 * @param recordsReplayed committed records that were re-applied and then marked APPLIED
 * @param recordsIgnored lanes holding something that is neither empty, APPLIED nor a valid record
 *     (a torn or damaged write that never reached its commit point); recovery rewrote their
 *     headers as clean APPLIED headers
 * @param entriesApplied entries (SET8 and COPY) re-applied, summed over the replayed records
 * @param details one line per replayed or ignored record: lane, offset, generation, reason
 */
public record RecoveryResult(
    int lanesScanned, int recordsReplayed, int recordsIgnored, long entriesApplied, List<String> details) {
  public RecoveryResult {
    details = List.copyOf(details);
  }
}
