package io.nvframe.tck;

import io.nvframe.spi.Medium;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * Wraps a medium, keeps a model of what is durable, and "crashes" at the k-th store, flush or fence
 * by throwing {@link SimulatedCrash}. After the crash, {@link #image(CrashImage)} gives the bytes a
 * restarted system could see:
 *
 * <ul>
 *   <li>{@link CrashImage#PERSISTED_ONLY}: the initial content plus every line whose flush was
 *       followed by a fence (with the line's content at flush time), nothing else;
 *   <li>{@link CrashImage#ALL_ISSUED}: every store issued before the crash.
 * </ul>
 *
 * <p>The model has cache-line granularity ({@link Medium#flushGranularity()}); the wrapped medium
 * should be small (the durable image is a full copy). Byte views ({@link #segment()}) are hidden,
 * because writes through them would bypass the model. Single-threaded use only: the model follows
 * one thread's flushes and fences.
 */
public final class FaultInjectingMedium extends io.nvframe.tck.crash.ForwardingMedium {
  /** What to count toward the crash point. */
  public enum Event {
    STORE,
    FLUSH,
    FENCE
  }

  /** Which crash image to build. */
  public enum CrashImage {
    PERSISTED_ONLY,
    ALL_ISSUED
  }

  /** Thrown when the crash point is reached; nothing after it reaches the medium. */
  public static final class SimulatedCrash extends RuntimeException {
    SimulatedCrash(String message) {
      super(message, null, false, false);
    }
  }

  private final int line;
  private final byte[] durable;
  private final Map<Long, byte[]> flushedNotFenced = new HashMap<>();
  private Event crashOn;
  private long crashAt = -1;
  private long stores;
  private long flushes;
  private long fences;
  private boolean crashed;

  public FaultInjectingMedium(Medium delegate) {
    super(delegate);
    if (delegate.size() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("fault injection needs a medium under 2 GiB");
    }
    this.line = delegate.flushGranularity();
    this.durable = new byte[(int) delegate.size()];
    delegate.read(0, durable, 0, durable.length);
  }

  /** Crash when the {@code k}-th (1-based) event of {@code kind} is about to happen. */
  public void crashAt(Event kind, long k) {
    this.crashOn = kind;
    this.crashAt = k;
  }

  /** Stops injecting; the model keeps tracking. */
  public void disarm() {
    this.crashAt = -1;
  }

  /** Whether the crash point was reached. */
  public boolean crashed() {
    return crashed;
  }

  /** Number of events of {@code kind} seen so far (including the one that crashed). */
  public long count(Event kind) {
    return switch (kind) {
      case STORE -> stores;
      case FLUSH -> flushes;
      case FENCE -> fences;
    };
  }

  /** The crash image of the requested kind. */
  public byte[] image(CrashImage kind) {
    if (kind == CrashImage.PERSISTED_ONLY) {
      return durable.clone();
    }
    byte[] all = new byte[durable.length];
    delegate.read(0, all, 0, all.length);
    return all;
  }

  private void event(Event kind) {
    if (crashed) {
      throw new SimulatedCrash("medium already crashed");
    }
    long n =
        switch (kind) {
          case STORE -> ++stores;
          case FLUSH -> ++flushes;
          case FENCE -> ++fences;
        };
    if (kind == crashOn && n == crashAt) {
      crashed = true;
      throw new SimulatedCrash("simulated crash at " + kind + " #" + n);
    }
  }



  @Override
  public int flushGranularity() {
    return line;
  }


  @Override
  public long loadLong(long offset) {
    check();
    return delegate.loadLong(offset);
  }

  @Override
  public void storeLong(long offset, long value) {
    event(Event.STORE);
    delegate.storeLong(offset, value);
  }

  @Override
  public int loadInt(long offset) {
    check();
    return delegate.loadInt(offset);
  }

  @Override
  public void storeInt(long offset, int value) {
    event(Event.STORE);
    delegate.storeInt(offset, value);
  }

  @Override
  public void read(long offset, byte[] dst, int dstOffset, int length) {
    check();
    delegate.read(offset, dst, dstOffset, length);
  }

  @Override
  public void read(long offset, MemorySegment dst) {
    check();
    delegate.read(offset, dst);
  }

  @Override
  public void write(long offset, byte[] src, int srcOffset, int length) {
    event(Event.STORE);
    delegate.write(offset, src, srcOffset, length);
  }

  @Override
  public void write(long offset, MemorySegment src) {
    event(Event.STORE);
    delegate.write(offset, src);
  }

  @Override
  public void fill(long offset, long length, byte value) {
    event(Event.STORE);
    delegate.fill(offset, length, value);
  }

  @Override
  public void flush(long offset, long length) {
    event(Event.FLUSH);
    delegate.flush(offset, length);
    if (length <= 0) {
      return;
    }
    long first = offset / line;
    long last = (offset + length - 1) / line;
    for (long l = first; l <= last; l++) {
      byte[] content = new byte[line];
      delegate.read(l * line, content, 0, (int) Math.min(line, delegate.size() - l * line));
      flushedNotFenced.put(l, content);
    }
  }

  @Override
  public void fence() {
    event(Event.FENCE);
    delegate.fence();
    for (Map.Entry<Long, byte[]> e : flushedNotFenced.entrySet()) {
      long start = e.getKey() * line;
      System.arraycopy(e.getValue(), 0, durable, (int) start, (int) Math.min(line, durable.length - start));
    }
    flushedNotFenced.clear();
  }



  @Override
  public String description() {
    return "fault-injecting(" + delegate.description() + ")";
  }



  private void check() {
    if (crashed) {
      throw new SimulatedCrash("medium already crashed");
    }
  }
}
