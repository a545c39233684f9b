package io.nvframe.cli;

import io.nvframe.api.Frame;
import io.nvframe.api.Region;
import io.nvframe.api.Transaction;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.concurrent.atomic.LongAdder;

/**
 * One thread's part of a region operation of {@code nvframe bench} ({@link BenchCommand.Op}). Every
 * operation has a class of its own, so that the JIT compiles and profiles each operation's loop
 * apart (one method switching over the operations would be recompiled, with another profile, each
 * time the next operation starts in the same JVM), as JMH's {@code RegionBenchmark} has one method
 * per operation. Every thread first allocates the two frames JMH's {@code RegionBenchmark.PerThread}
 * allocates (a frame to update, a frame of links), whether its operation uses them or not: the
 * allocator's state (what else is allocated decides its splits, merges and per-thread cache
 * hits), and so the work of an allocation and a free, is then the same in both tools.
 */
final class BenchRegionWork {
  private BenchRegionWork() {}

  /** Frame size the operations use (order 0). */
  static final int FRAME = 4096;

  /** Thread {@code id}'s work for {@code op}; {@code verified} adds up the bytes a rewrite checked at the end. */
  static BenchHarness.ThreadWork create(Region region, BenchCommand.Op op, LongAdder verified) {
    return switch (op) {
      case ALLOC_FREE_4K -> new AllocFree(region);
      case TX_UPDATE_64B -> new Update64(region);
      case TX_ALLOC_4K_LINK -> new AllocLink(region);
      case TX_REWRITE_1M, TX_REWRITE_16M -> new Rewrite(region, op.rewriteBytes, op.toString(), verified);
      default -> throw new IllegalArgumentException(op + " is a block operation, not a region operation");
    };
  }

  /** A thread's region and its two frames, freed when the work closes. */
  /**
   * 64 bytes before a worker's fields (the JVM lays out a superclass's fields first): the workers of
   * a run are made one after another and kept in one list, so one thread's worker tends to sit right
   * after another thread's objects (its frame list, say), and the fields each operation writes must
   * not share their cache lines.
   */
  @SuppressWarnings("unused")
  abstract static class Padding {
    /**
     * Takes the 4 bytes after the object header (with compressed class pointers), where the JVM
     * would otherwise place an {@code int} field of a subclass: in front of the padding, on the
     * line of whatever object precedes this one (see {@code PaddingLayoutTest}).
     */
    private int gap;
    private long p0, p1, p2, p3, p4, p5, p6, p7;
  }

  abstract static class Base extends Padding implements BenchHarness.ThreadWork {
    final Region region;
    final Frame page;
    final Frame links;

    Base(Region region) {
      this.region = region;
      this.page = region.allocate(0);
      this.links = region.allocate(0);
    }

    @Override
    public void close() {
      region.free(page);
      region.free(links);
    }
  }

  /** Durable allocation and free of one 4 KiB frame. */
  static final class AllocFree extends Base {
    AllocFree(Region region) {
      super(region);
    }

    @Override
    public void op(int i) {
      region.free(region.allocate(0));
    }
  }

  /** {@link Update64}'s fields, between {@link Padding} and its 64 bytes after them. */
  abstract static class Update64Fields extends Base {
    /** The 64 bytes written, at {@link #DATA_AT}: 64 unused bytes on either side keep other objects' data off their line. */
    final byte[] data = new byte[DATA_AT + 64 + DATA_AT];
    int offset;
    int next;
    /** One body for every operation (it reads {@link #offset}): the loop allocates nothing. */
    final Consumer<Transaction> body = tx -> tx.write(page, offset, data, DATA_AT, 64);

    Update64Fields(Region region) {
      super(region);
    }
  }

  /** Where {@link Update64Fields#data}'s 64 bytes start. */
  static final int DATA_AT = 64;

  /** A transaction writing 64 bytes of a frame of the thread's own, at a rotating offset. */
  static final class Update64 extends Update64Fields {
    @SuppressWarnings("unused")
    private long q0, q1, q2, q3, q4, q5, q6, q7;

    Update64(Region region) {
      super(region);
    }

    @Override
    public void op(int i) {
      offset = next;
      next = (next + 64) & (FRAME - 1);
      data[DATA_AT]++;
      region.transact(body);
    }
  }

  /** {@link AllocLink}'s fields, between {@link Padding} and its 64 bytes after them. */
  abstract static class AllocLinkFields extends Base {
    /** The frames linked since the last batch, at {@code LINKED_AT + i}: 16 unused slots on either side. */
    final Frame[] linked = new Frame[LINKED_AT + BenchHarness.BATCH + LINKED_AT];
    int linkedCount;
    /** The slot of the current operation, read by {@link #body}. */
    int slot;
    /** One body for every operation: the loop allocates only what the API returns (the frame). */
    final Consumer<Transaction> body = tx -> {
      Frame f = tx.allocate(0);
      tx.putLong(links, slot * 8L, f.pfn());
      linked[LINKED_AT + linkedCount++] = f;
    };

    AllocLinkFields(Region region) {
      super(region);
    }
  }

  /** Where {@link AllocLinkFields#linked}'s entries start. */
  static final int LINKED_AT = 16;

  /**
   * A transaction allocating a 4 KiB frame and storing its pfn in slot {@code i} of the thread's
   * link frame; the linked frames are freed after each batch (untimed).
   */
  static final class AllocLink extends AllocLinkFields {
    @SuppressWarnings("unused")
    private long q0, q1, q2, q3, q4, q5, q6, q7;

    AllocLink(Region region) {
      super(region);
    }

    @Override
    public void op(int i) {
      slot = i;
      region.transact(body);
    }

    @Override
    public void afterBatch() {
      for (int k = 0; k < linkedCount; k++) {
        region.free(linked[LINKED_AT + k]);
        linked[LINKED_AT + k] = null;
      }
      linkedCount = 0;
    }
  }

  /**
   * A transaction rewriting all {@code bytes} of the thread's own existing 4 KiB frames (allocated
   * before the measurement), with content that changes every operation: the redo record holds all
   * of it and continues in extension frames (log-redo/README.md, "Chained records"). After the
   * last operation {@link #close()} reads every frame back and throws if one does not hold what the
   * last transaction wrote.
   */
  static final class Rewrite extends Base {
    private final String name;
    private final Frame[] frames;
    private final byte[] buf = new byte[FRAME];
    private final LongAdder verified;
    /** Operations committed so far; operation {@code seq} writes {@link #fill}{@code (seq, k)} into frame k. */
    private long seq;

    Rewrite(Region region, long bytes, String name, LongAdder verified) {
      if (bytes % FRAME != 0 || bytes <= 0) {
        throw new IllegalArgumentException(name + ": " + bytes + " bytes is not a positive multiple of " + FRAME);
      }
      super(region);
      this.name = name;
      this.verified = verified;
      this.frames = new Frame[(int) (bytes / FRAME)];
      try {
        for (int k = 0; k < frames.length; k++) {
          frames[k] = region.allocate(0);
        }
      } catch (RuntimeException e) {
        freeFrames();
        super.close();
        throw e;
      }
    }

    /** The content of frame {@code k} after operation {@code seq}: {@code seq} and {@code k} in the first 16 bytes, then a byte pattern of both. */
    static void fill(byte[] b, long seq, int k) {
      Arrays.fill(b, (byte) (seq * 31 + k));
      BlockBench.putLba(b, seq);
      for (int j = 0; j < 8; j++) {
        b[8 + j] = (byte) ((long) k >>> (8 * j));
      }
    }

    /** Frame {@code k} of the thread's {@code bytes / 4096}. */
    Frame frame(int k) {
      return frames[k];
    }

    @Override
    public int batch() {
      return 1;
    }

    @Override
    public void op(int i) {
      long s = ++seq;
      region.transact(tx -> {
        for (int k = 0; k < frames.length; k++) {
          fill(buf, s, k);
          tx.write(frames[k], 0, buf);
        }
      });
    }

    /** Reads every frame back; throws {@link IllegalStateException} naming the first frame that does not hold operation {@link #seq}'s content. */
    void verify() {
      byte[] expected = new byte[FRAME];
      byte[] actual = new byte[FRAME];
      for (int k = 0; k < frames.length; k++) {
        fill(expected, seq, k);
        region.read(frames[k], 0, actual);
        int at = Arrays.mismatch(expected, actual);
        if (at >= 0) {
          throw new IllegalStateException(name + ": frame " + k + " of " + frames.length + " (pfn " + frames[k].pfn()
              + ") differs at byte " + at + " from what transaction " + seq + " wrote: 0x"
              + Integer.toHexString(actual[at] & 0xff) + " instead of 0x" + Integer.toHexString(expected[at] & 0xff));
        }
      }
      verified.add((long) frames.length * FRAME);
    }

    @Override
    public void close() {
      try {
        verify();
      } finally {
        freeFrames();
        super.close();
      }
    }

    private void freeFrames() {
      for (Frame f : frames) {
        if (f != null) {
          region.free(f);
        }
      }
    }
  }
}
