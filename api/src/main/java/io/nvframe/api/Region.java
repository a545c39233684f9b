package io.nvframe.api;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One formatted persistent area of page frames, opened through a backend.
 *
 * <p>Implementations must:
 *
 * <ul>
 *   <li>make {@link #allocate} and {@link #free} durable before they return (one 8-byte store and
 *       one fence each on byte-addressable media), and never hand out a frame whose free is not yet
 *       durable;
 *   <li>reject stale handles, double frees, tail frames and handles of other regions with {@link
 *       InvalidFrameException}, and accesses outside a frame with {@link InvalidFrameException}
 *       ({@link ErrorCode#FRAME_BOUNDS});
 *   <li>treat direct writes ({@link #write}, {@link #putLong}) as not durable until {@link #persist}
 *       covers them; only aligned 8-byte stores are failure-atomic;
 *   <li>be safe for use by many threads; each {@link Transaction} is confined to one thread;
 *   <li>throw {@link AlreadyClosedException} for any use after {@link #close()}.
 * </ul>
 */
public interface Region extends AutoCloseable {
  /** Geometry, identity and layout of the region. */
  RegionInfo info();

  /** Allocates a durable block of {@code 2^order} pages; throws {@link OutOfFramesException}. */
  Frame allocate(int order);

  /** Allocates a durable block tagged with {@code owner} (0 = anonymous). */
  Frame allocate(int order, long owner);

  /** Like {@link #allocate(int)}, but empty instead of throwing when no block is free. */
  Optional<Frame> tryAllocate(int order);

  /** Frees a block durably. */
  void free(Frame frame);

  /** Reads an 8-byte little-endian value (atomic when {@code offset} is 8-byte aligned). */
  long getLong(Frame frame, long offset);

  /** Stores an 8-byte little-endian value; durable after {@link #persist}. */
  void putLong(Frame frame, long offset, long value);

  /** Reads {@code dst.length} bytes from {@code offset}. */
  void read(Frame frame, long offset, byte[] dst);

  /** Reads {@code length} bytes into {@code dst} at {@code dstOffset}. */
  void read(Frame frame, long offset, byte[] dst, int dstOffset, int length);

  /** Reads {@code dst.byteSize()} bytes from {@code offset}. */
  void read(Frame frame, long offset, MemorySegment dst);

  /** Writes bytes; durable after {@link #persist}. */
  void write(Frame frame, long offset, byte[] src);

  /** Writes {@code length} bytes of {@code src} from {@code srcOffset}; durable after {@link #persist}. */
  void write(Frame frame, long offset, byte[] src, int srcOffset, int length);

  /** Makes {@code [offset, offset + length)} of the frame durable (flush + fence). */
  void persist(Frame frame, long offset, long length);

  /**
   * A zero-copy view of the frame's bytes, valid until the frame is freed or the region closed.
   * Writes through it are durable after {@link #persist}. Throws {@link UnsupportedOperationException}
   * on backends that are not byte-addressable ({@link RegionInfo#byteAddressable()}).
   */
  MemorySegment segment(Frame frame);

  /** Starts a transaction on the calling thread. */
  Transaction begin();

  /**
   * Runs {@code body} in a transaction and commits it; an exception from {@code body} rolls back.
   * The {@link Transaction} handed to {@code body} is valid during the call only: afterwards its
   * methods throw {@link AlreadyClosedException}, and a later {@code transact} on the same thread
   * may hand the same object to its body (so that a transaction allocates no handle), so a body
   * must not keep it.
   */
  void transact(Consumer<Transaction> body);

  /** The frame a named root points to, if set. */
  Optional<Frame> root(String name);

  /** All roots, by name. */
  Map<String, Frame> roots();

  /**
   * The allocated block whose head frame is {@code pfn}, if there is one (for tools such as {@code
   * nvframe dump}); empty for free frames and tails.
   */
  Optional<Frame> frameAt(long pfn);

  /** Verifies every invariant of every layer; never modifies the region. */
  CheckReport check();

  /** Free frames per order, fragmentation, log use, stores, flushes and fences. */
  RegionStats stats();

  /** False after {@link #close()}. */
  boolean isOpen();

  /** Releases the medium and the region lock. Idempotent. */
  @Override
  void close();
}
