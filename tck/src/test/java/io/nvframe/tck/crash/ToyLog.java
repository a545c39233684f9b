package io.nvframe.tck.crash;

import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny persistent structure written for the simulator's self-tests: an append-only list of
 * 8-byte values with a commit word, a two-word pair updated in place, a hint word, and a frame
 * bitmap with a linked list. {@link Bug} switches on one deliberately broken protocol at a time.
 *
 * <pre>
 *   offset 0     commit word: number of appended values
 *   offset 64    pair: two words a, b with b == ~a (64 + 8)
 *   offset 128   hint: a cached copy of the count (the correct protocol never writes or reads it)
 *   offset 192   frame bitmap word (bit i = frame i allocated)
 *   offset 256   list head: 1 + index of the first linked frame, 0 = none
 *   offset 512 + 64 k   value k (one line each); frame i's "next" link lives here too
 * </pre>
 */
final class ToyLog {
  static final int SIZE = 8192;
  static final long COUNT = 0;
  static final long PAIR = 64;
  static final long HINT = 128;
  static final long BITMAP = 192;
  static final long HEAD = 256;
  static final long SLOTS = 512;

  /** Broken protocols. */
  enum Bug {
    NONE,
    /** The value is not flushed before the commit word is stored. */
    MISSING_FLUSH,
    /** The value is flushed but not fenced before the commit word is stored. */
    COMMIT_BEFORE_DATA,
    /** The pair is updated with two separate word stores, no log. */
    TORN_PAIR,
    /** Recovery reads the hint, which is stored but never persisted. */
    UNPERSISTED_READ,
    /** Open rebuilds the volatile count from the hint instead of the commit word. */
    WRONG_REBUILD,
    /** Allocating a frame persists the bitmap, then links it in a second step. */
    LEAK
  }

  final Medium m;
  final Bug bug;
  long count;

  ToyLog(Medium m, Bug bug) {
    this.m = m;
    this.bug = bug;
  }

  static ToyLog open(Medium m, Bug bug) {
    ToyLog t = new ToyLog(m, bug);
    long committed = m.loadLong(COUNT);
    if (bug == Bug.UNPERSISTED_READ) {
      long hint = m.loadLong(HINT); // a read of a line that may not be durable
      t.count = hint == committed ? hint : committed;
    } else if (bug == Bug.WRONG_REBUILD) {
      t.count = m.loadLong(HINT);
    } else {
      t.count = committed;
    }
    return t;
  }

  void append(long value) {
    long slot = SLOTS + 64 * count;
    m.storeLong(slot, value);
    if (bug != Bug.MISSING_FLUSH) {
      m.flush(slot, 8);
    }
    if (bug != Bug.COMMIT_BEFORE_DATA && bug != Bug.MISSING_FLUSH) {
      m.fence();
    }
    if (bug == Bug.WRONG_REBUILD) {
      m.storeLong(HINT, count + 1); // written ahead of the commit word
      m.persist(HINT, 8);
    }
    count++;
    m.storeLong(COUNT, count);
    m.persist(COUNT, 8);
  }

  /** Sets the pair to (a, ~a) atomically: both words in one aligned 16 bytes of one line. */
  void setPair(long a) {
    if (bug == Bug.TORN_PAIR) {
      m.storeLong(PAIR, a);
      m.storeLong(PAIR + 8, ~a);
      m.persist(PAIR, 16);
      return;
    }
    // correct: write the new pair into a free value slot region? keep it simple: log it in the
    // commit word's line as a shadow pair, then flip (a shadow copy with a version word)
    long shadow = PAIR + 16 + 16 * ((m.loadLong(PAIR + 48) + 1) & 1);
    m.storeLong(shadow, a);
    m.storeLong(shadow + 8, ~a);
    m.persist(shadow, 16);
    m.storeLong(PAIR + 48, m.loadLong(PAIR + 48) + 1);
    m.persist(PAIR + 48, 8);
  }

  long pairA() {
    if (bug == Bug.TORN_PAIR) {
      return m.loadLong(PAIR);
    }
    long v = m.loadLong(PAIR + 48);
    return v == 0 ? 0 : m.loadLong(PAIR + 16 + 16 * (v & 1));
  }

  long pairB() {
    if (bug == Bug.TORN_PAIR) {
      return m.loadLong(PAIR + 8);
    }
    long v = m.loadLong(PAIR + 48);
    return v == 0 ? -1 : m.loadLong(PAIR + 16 + 16 * (v & 1) + 8);
  }

  /** Allocates frame {@code i} and links it at the head of the list. */
  void allocateAndLink(int i) {
    long bitmap = m.loadLong(BITMAP) | (1L << i);
    long next = m.loadLong(HEAD);
    m.storeLong(SLOTS + 64L * (32 + i), next); // the frame's link
    m.persist(SLOTS + 64L * (32 + i), 8);
    if (bug == Bug.LEAK) {
      m.storeLong(BITMAP, bitmap);
      m.persist(BITMAP, 8);
      m.storeLong(HEAD, i + 1);
      m.persist(HEAD, 8);
      return;
    }
    // correct: link first (the head publishes the frame), then mark it; open repairs a linked but
    // unmarked frame by marking every frame on the list
    m.storeLong(HEAD, i + 1);
    m.persist(HEAD, 8);
    m.storeLong(BITMAP, bitmap);
    m.persist(BITMAP, 8);
  }

  /** Open-time repair of the correct protocol: every linked frame is marked allocated. */
  void repair() {
    if (bug == Bug.LEAK) {
      return;
    }
    long bitmap = m.loadLong(BITMAP);
    long want = bitmap;
    for (long at = m.loadLong(HEAD); at != 0; at = m.loadLong(SLOTS + 64L * (32 + at - 1))) {
      want |= 1L << (at - 1);
    }
    if (want != bitmap) {
      m.storeLong(BITMAP, want);
      m.persist(BITMAP, 8);
    }
  }

  List<Long> values() {
    List<Long> out = new ArrayList<>();
    for (int k = 0; k < m.loadLong(COUNT); k++) {
      out.add(m.loadLong(SLOTS + 64L * k));
    }
    return out;
  }

  List<Integer> linked() {
    List<Integer> out = new ArrayList<>();
    for (long at = m.loadLong(HEAD); at != 0; at = m.loadLong(SLOTS + 64L * (32 + at - 1))) {
      out.add((int) at - 1);
    }
    return out;
  }

  /** Invariants: the volatile count matches the commit word, the pair is whole, no leaked frame. */
  void checkInvariants() {
    if (count != m.loadLong(COUNT)) {
      throw new AssertionError("volatile count " + count + " but " + m.loadLong(COUNT) + " committed");
    }
    if (pairB() != ~pairA()) {
      throw new AssertionError("torn pair: a=" + pairA() + " b=" + pairB());
    }
    long bitmap = m.loadLong(BITMAP);
    long linked = 0;
    for (int i : linked()) {
      linked |= 1L << i;
    }
    if (bitmap != linked) {
      throw new AssertionError("allocated frames " + Long.toBinaryString(bitmap) + " but linked "
          + Long.toBinaryString(linked) + " (a leaked frame)");
    }
  }

  /** Scenario: three appends, two pair updates, two allocations. */
  static CrashScenario<ToyLog> scenario(Bug bug) {
    return scenario(bug, () -> new ImageMedium(new byte[SIZE], 64));
  }

  /** The scenario on media from {@code media} (of at least {@link #SIZE} bytes, zeroed). */
  static CrashScenario<ToyLog> scenario(Bug bug, java.util.function.Supplier<Medium> media) {
    return CrashScenario.<ToyLog>named("toy " + bug)
        .medium(() -> {
          Medium m = media.get();
          m.storeLong(PAIR + 8, -1); // the pair starts as (0, ~0)
          m.persist(PAIR + 8, 8);
          return m;
        })
        .driver((medium, ops) -> {
          ToyLog t = open(medium, bug);
          for (int k = 0; k < 3; k++) {
            long v = 1000 + k;
            ops.run("append " + v, () -> t.append(v));
            if (bug == Bug.UNPERSISTED_READ) {
              medium.storeLong(HINT, t.count); // a cache outside any operation, never flushed
            }
          }
          ops.run("pair 5", () -> t.setPair(5));
          ops.run("pair 6", () -> t.setPair(6));
          ops.run("frame 1", () -> t.allocateAndLink(1));
          ops.run("frame 2", () -> t.allocateAndLink(2));
        })
        .recover(m -> {
          ToyLog t = open(m, bug);
          t.repair();
          return t;
        })
        .invariants(ToyLog::checkInvariants)
        .observe(t -> List.of(t.values(), t.pairA(), t.linked()))
        .commitWords((off, len) -> off == COUNT || off == HEAD || off == PAIR + 48)
        .readTolerated((off, len) -> off + len <= 64 || (off >= PAIR && off + len <= PAIR + 64)
            || (off >= BITMAP && off + len <= HEAD + 8) || off >= SLOTS
            // the broken rebuild claims to validate the hint: the bug is what it rebuilds from it
            || (bug == Bug.WRONG_REBUILD && off == HINT))
        .close(t -> t.m.close())
        .build();
  }
}
