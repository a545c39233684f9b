package io.nvframe.tck.crash;

import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What to crash and how to judge the result: a medium holding the starting state, a driver that
 * runs named operations on the recording medium, a recovery that opens the component on a crash
 * image, its invariant check, and an oracle.
 *
 * <pre>{@code
 * CrashScenario<MyStore> s = CrashScenario.<MyStore>named("put")
 *     .medium(() -> formattedHeapMedium())
 *     .driver((medium, ops) -> {
 *       MyStore store = MyStore.open(medium);
 *       ops.run("put a", () -> store.put("a", 1));
 *       ops.run("put b", () -> store.put("b", 2));
 *     })
 *     .recover(MyStore::open)                 // recovery: must not throw
 *     .invariants(MyStore::checkInvariants)
 *     .observe(MyStore::contents)              // logical state, compared with the oracle
 *     .build();
 * CrashReport r = CrashSimulator.run(s, CrashOptions.defaults());
 * }</pre>
 *
 * <p>The generic oracle uses {@link Builder#observe}: the simulator observes the recovered state
 * after each operation of an uninterrupted run; after a crash with operations {@code 1..d} durable
 * the observed state must be the one after {@code d} operations, or, if operation {@code d + 1} had
 * begun, the one after {@code d + 1}. Operations must then run one at a time and every change of
 * the observed state must happen inside an operation. {@link Builder#oracle} adds a custom check
 * that gets the status of every operation (for concurrent drivers).
 *
 * @param <R> what recovery returns (the opened component)
 */
public final class CrashScenario<R> {
  /** Runs the operations under test on the recording medium. */
  @FunctionalInterface
  public interface Driver {
    /** Runs operations through {@code ops}; everything it writes goes to {@code medium}. */
    void run(Medium medium, Operations ops) throws Exception;
  }

  /** Places the begin and durable markers around one operation. */
  public interface Operations {
    /** Runs {@code body} as the operation {@code name} (names must be unique in a scenario). */
    void run(String name, Body body);
  }

  /** The body of an operation. */
  @FunctionalInterface
  public interface Body {
    /** Does the operation. */
    void run() throws Exception;
  }

  /** Recovery: opens the component on a crash image. */
  @FunctionalInterface
  public interface Recovery<R> {
    /** Recovers from {@code medium}; may throw only what {@link Builder#unrecoverable} declares. */
    R recover(Medium medium) throws Exception;
  }

  /** A check of the recovered state that fails with an {@link AssertionError}. */
  @FunctionalInterface
  public interface Oracle<R> {
    /** Checks {@code recovered} after the crash described by {@code context}. */
    void check(R recovered, CrashContext context) throws Exception;
  }

  /** Byte ranges of the medium. */
  @FunctionalInterface
  public interface Ranges {
    /** Whether {@code [offset, offset + length)} lies in the ranges. */
    boolean contains(long offset, long length);
  }

  final String name;
  final Supplier<Medium> medium;
  final Driver driver;
  final Recovery<R> recovery;
  final Consumer<R> invariants;
  final Function<R, Object> observe;
  final List<Oracle<R>> oracles;
  final Consumer<R> close;
  final TraceLints.CommitWords commitWords;
  final TraceLints.DeferredStores deferredStores;
  final Ranges readTolerated;
  final Predicate<Throwable> unrecoverable;
  final int lineSize;

  private CrashScenario(Builder<R> b) {
    this.name = b.name;
    this.medium = Objects.requireNonNull(b.medium, "medium(...) is required");
    this.driver = Objects.requireNonNull(b.driver, "driver(...) is required");
    this.recovery = Objects.requireNonNull(b.recovery, "recover(...) is required");
    this.invariants = b.invariants;
    this.observe = b.observe;
    this.oracles = List.copyOf(b.oracles);
    this.close = b.close;
    this.commitWords = b.commitWords;
    this.deferredStores = b.deferredStores;
    this.readTolerated = b.readTolerated;
    this.unrecoverable = b.unrecoverable;
    this.lineSize = b.lineSize;
    if (observe == null && oracles.isEmpty()) {
      throw new IllegalArgumentException("scenario '" + name + "' has no oracle: set observe(...) or oracle(...)");
    }
  }

  /** The scenario's name (shown in reports). */
  public String name() {
    return name;
  }

  /** A builder for a scenario called {@code name}. */
  public static <R> Builder<R> named(String name) {
    return new Builder<>(name);
  }

  /** Builds a {@link CrashScenario}. */
  public static final class Builder<R> {
    private final String name;
    private Supplier<Medium> medium;
    private Driver driver;
    private Recovery<R> recovery;
    private Consumer<R> invariants = r -> {};
    private Function<R, Object> observe;
    private final List<Oracle<R>> oracles = new ArrayList<>();
    private Consumer<R> close = r -> {
      if (r instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IllegalStateException("closing the recovered component failed", e);
        }
      }
    };
    private TraceLints.CommitWords commitWords = TraceLints.CommitWords.none();
    private TraceLints.DeferredStores deferredStores = TraceLints.DeferredStores.none();
    private Ranges readTolerated = (o, l) -> false;
    private Predicate<Throwable> unrecoverable = t -> false;
    private int lineSize;

    private Builder(String name) {
      this.name = Objects.requireNonNull(name, "name");
    }

    /**
     * A new medium holding the starting state (called once per simulation; the simulator
     * records on it). Keep it small (a few MiB): crash images copy it once per crash point run.
     */
    public Builder<R> medium(Supplier<Medium> medium) {
      this.medium = Objects.requireNonNull(medium, "medium");
      return this;
    }

    /** The operations under test. */
    public Builder<R> driver(Driver driver) {
      this.driver = Objects.requireNonNull(driver, "driver");
      return this;
    }

    /** Recovery on a crash image (opening the component). */
    public Builder<R> recover(Recovery<R> recovery) {
      this.recovery = Objects.requireNonNull(recovery, "recovery");
      return this;
    }

    /** The component's invariant check, run after every recovery. */
    public Builder<R> invariants(Consumer<R> invariants) {
      this.invariants = Objects.requireNonNull(invariants, "invariants");
      return this;
    }

    /** The logical state for the generic all-or-nothing oracle (must have a value-based equals). */
    public Builder<R> observe(Function<R, Object> observe) {
      this.observe = Objects.requireNonNull(observe, "observe");
      return this;
    }

    /** An additional oracle. */
    public Builder<R> oracle(Oracle<R> oracle) {
      this.oracles.add(Objects.requireNonNull(oracle, "oracle"));
      return this;
    }

    /** Releases the recovered component (default: {@code close()} if it is AutoCloseable). */
    public Builder<R> close(Consumer<R> close) {
      this.close = Objects.requireNonNull(close, "close");
      return this;
    }

    /** Which atomic stores are commit words (for the commit-before-data lint). */
    public Builder<R> commitWords(TraceLints.CommitWords commitWords) {
      this.commitWords = Objects.requireNonNull(commitWords, "commitWords");
      return this;
    }

    /** Which stores the protocol makes durable after their operation on purpose (exempt from the missing-persist lint). */
    public Builder<R> deferredStores(TraceLints.DeferredStores deferredStores) {
      this.deferredStores = Objects.requireNonNull(deferredStores, "deferredStores");
      return this;
    }

    /**
     * Ranges recovery may read while they are not durable, because it validates them (checksummed
     * records, single-word commit words); reads elsewhere of non-durable lines fail the
     * unpersisted-read lint.
     */
    public Builder<R> readTolerated(Ranges ranges) {
      this.readTolerated = Objects.requireNonNull(ranges, "ranges");
      return this;
    }

    /**
     * Recovery failures that are declared outcomes (e.g. no structure yet before the operation that
     * creates it). With {@link #observe}, such a failure is accepted only where the oracle allows
     * the state of an image whose recovery fails this way (the state before the creating operation).
     */
    public Builder<R> unrecoverable(Predicate<Throwable> declared) {
      this.unrecoverable = Objects.requireNonNull(declared, "declared");
      return this;
    }

    /** Line size of the model (default: the medium's flush granularity). */
    public Builder<R> lineSize(int bytes) {
      this.lineSize = bytes;
      return this;
    }

    /** The scenario. */
    public CrashScenario<R> build() {
      return new CrashScenario<>(this);
    }
  }
}
