package io.nvframe.tck.crash;

import io.nvframe.spi.Medium;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Wraps any {@link Medium} and records every store, flush and fence (with the calling thread) into
 * one serialised trace, plus named markers: {@link #begin(String)} before an operation and {@link
 * #durable(String)} after it returned. The trace and the content the medium had when recording
 * started ({@link #initialImage()}) are all the crash simulator needs.
 *
 * <p>Markers are placed by whoever drives the operations (a {@link CrashScenario} does it around
 * each operation), so code under test carries no hook and pays nothing when not recorded.
 *
 * <p>Atomic stores ({@code storeLong}, {@code storeInt}) and bulk writes are recorded as they were
 * issued; {@link CrashModel} splits them into atomic units. Bulk writes get a group id. The byte
 * view ({@link #segment()}) is hidden, since writes through it would not be recorded. Reads are
 * recorded only while {@link #recordReads(boolean)} is on. Recording is synchronized, so
 * concurrent threads are serialised into one linearisation.
 */
public final class RecordingMedium extends ForwardingMedium {
  private final byte[] initial;
  private final List<TraceEvent> events = new ArrayList<>();
  private final List<TraceEvent> reads = new ArrayList<>();
  private int groups;
  private boolean recordReads;
  private boolean recording = true;

  /**
   * Starts recording on {@code delegate}; its current content becomes the initial image (one copy,
   * so the medium must be smaller than 2 GiB).
   */
  public RecordingMedium(Medium delegate) {
    super(delegate);
    if (delegate.size() > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "crash simulation copies the medium: use one under 2 GiB, got " + delegate.size() + " bytes");
    }
    this.initial = new byte[(int) delegate.size()];
    delegate.read(0, initial, 0, initial.length);
  }

  /** The wrapped medium (holds every store issued so far). */
  public Medium delegate() {
    return delegate;
  }

  /** The content when recording started (do not modify). */
  public byte[] initialImage() {
    return initial;
  }

  /** A copy of the recorded trace. */
  public synchronized List<TraceEvent> trace() {
    return List.copyOf(events);
  }

  /** Reads recorded while {@link #recordReads(boolean)} was on. */
  public synchronized List<TraceEvent> reads() {
    return List.copyOf(reads);
  }

  /** Turns recording of reads on or off. */
  public synchronized void recordReads(boolean on) {
    this.recordReads = on;
  }

  /** Stops recording; later calls go straight to the delegate. */
  public synchronized void stop() {
    recording = false;
  }

  /** Records that operation {@code name} begins. */
  public void begin(String name) {
    marker(TraceEvent.Kind.BEGIN, name);
  }

  /** Records that operation {@code name} returned and must be durable. */
  public void durable(String name) {
    marker(TraceEvent.Kind.DURABLE, name);
  }

  /** Records a free-form note shown in failure reports. */
  public void note(String text) {
    marker(TraceEvent.Kind.NOTE, text);
  }

  private synchronized void marker(TraceEvent.Kind kind, String name) {
    Objects.requireNonNull(name, "name");
    if (recording) {
      events.add(new TraceEvent(events.size(), kind, Thread.currentThread().threadId(), -1, 0, null, false, -1, name));
    }
  }

  private synchronized void store(long offset, byte[] bytes, boolean atomic) {
    if (recording) {
      events.add(new TraceEvent(events.size(), TraceEvent.Kind.STORE, Thread.currentThread().threadId(), offset,
          bytes.length, bytes, atomic, atomic ? -1 : groups++, null));
    }
  }

  private synchronized void read(long offset, long length) {
    if (recording && recordReads) {
      reads.add(new TraceEvent(events.size(), TraceEvent.Kind.NOTE, Thread.currentThread().threadId(), offset,
          length, null, false, -1, "read"));
    }
  }





  @Override
  public long loadLong(long offset) {
    read(offset, 8);
    return delegate.loadLong(offset);
  }

  @Override
  public synchronized void storeLong(long offset, long value) {
    delegate.storeLong(offset, value);
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (value >>> (8 * i));
    }
    store(offset, b, true);
  }

  @Override
  public int loadInt(long offset) {
    read(offset, 4);
    return delegate.loadInt(offset);
  }

  @Override
  public synchronized void storeInt(long offset, int value) {
    delegate.storeInt(offset, value);
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      b[i] = (byte) (value >>> (8 * i));
    }
    store(offset, b, true);
  }

  @Override
  public void read(long offset, byte[] dst, int dstOffset, int length) {
    read(offset, length);
    delegate.read(offset, dst, dstOffset, length);
  }

  @Override
  public void read(long offset, MemorySegment dst) {
    read(offset, dst.byteSize());
    delegate.read(offset, dst);
  }

  @Override
  public synchronized void write(long offset, byte[] src, int srcOffset, int length) {
    delegate.write(offset, src, srcOffset, length);
    byte[] b = new byte[length];
    System.arraycopy(src, srcOffset, b, 0, length);
    store(offset, b, false);
  }

  @Override
  public synchronized void write(long offset, MemorySegment src) {
    delegate.write(offset, src);
    store(offset, src.toArray(ValueLayout.JAVA_BYTE), false);
  }

  @Override
  public synchronized void fill(long offset, long length, byte value) {
    delegate.fill(offset, length, value);
    if (length > 0) {
      byte[] b = new byte[Math.toIntExact(length)];
      java.util.Arrays.fill(b, value);
      store(offset, b, false);
    }
  }

  @Override
  public synchronized void flush(long offset, long length) {
    delegate.flush(offset, length);
    if (recording) {
      events.add(new TraceEvent(events.size(), TraceEvent.Kind.FLUSH, Thread.currentThread().threadId(), offset,
          length, null, false, -1, null));
    }
  }

  @Override
  public synchronized void fence() {
    delegate.fence();
    if (recording) {
      events.add(new TraceEvent(events.size(), TraceEvent.Kind.FENCE, Thread.currentThread().threadId(), -1, 0,
          null, false, -1, null));
    }
  }



  @Override
  public String description() {
    return "recording(" + delegate.description() + ")";
  }



}
