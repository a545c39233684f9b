package io.nvframe.spi;

import java.util.concurrent.atomic.LongAdder;

/** Thread-safe counters a {@link Medium} implementation can use to produce {@link PersistStats}. */
public final class PersistCounters {
  private final LongAdder stores = new LongAdder();
  private final LongAdder bytesWritten = new LongAdder();
  private final LongAdder flushes = new LongAdder();
  private final LongAdder bytesFlushed = new LongAdder();
  private final LongAdder fences = new LongAdder();

  public void store(long bytes) {
    stores.increment();
    bytesWritten.add(bytes);
  }

  public void flush(long bytes) {
    flushes.increment();
    bytesFlushed.add(bytes);
  }

  public void fence() {
    fences.increment();
  }

  public PersistStats snapshot() {
    return new PersistStats(
        stores.sum(), bytesWritten.sum(), flushes.sum(), bytesFlushed.sum(), fences.sum());
  }
}
