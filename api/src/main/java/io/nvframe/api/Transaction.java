package io.nvframe.api;

import java.util.Optional;

/**
 * A crash-consistent unit of work on a {@link Region}: allocations, frees, writes into frames and
 * root changes either all survive a crash or none does.
 *
 * <p>Implementations must:
 *
 * <ul>
 *   <li>make every effect durable when {@link #commit()} returns, and none before;
 *   <li>show the transaction's own writes to its reads ({@link #getLong}, {@link #read}, {@link
 *       #root});
 *   <li>write frames allocated in this transaction directly (not logged: nothing can reach them
 *       before commit) and make that data durable before the commit point;
 *   <li>apply frees to the allocator only after commit, so a freed frame is never reused before
 *       the free is durable;
 *   <li>leave no trace when closed without commit (or when the body passed to {@link
 *       Region#transact} throws), including releasing frames it reserved;
 *   <li>fail at commit, before anything is written, with {@link OutOfFramesException} when its
 *       redo record does not fit its lane and there are not enough free frames to continue it
 *       in, or with {@link TransactionTooLargeException} when the record is above the per-record
 *       limit (2 GiB);
 *   <li>be confined to one thread; different transactions may run on different threads.
 * </ul>
 */
public interface Transaction extends AutoCloseable {
  /** Allocates a block of {@code 2^order} pages, published at commit. */
  Frame allocate(int order);

  /** Allocates a block tagged with {@code owner} (a non-negative tag stored in the frame table). */
  Frame allocate(int order, long owner);

  /** Frees a block at commit. */
  void free(Frame frame);

  /** Writes {@code src} at {@code offset} inside the frame. */
  void write(Frame frame, long offset, byte[] src);

  /** Writes {@code length} bytes of {@code src} from {@code srcOffset} at {@code offset}. */
  void write(Frame frame, long offset, byte[] src, int srcOffset, int length);

  /** Stores an 8-byte little-endian value at {@code offset} (any alignment). */
  void putLong(Frame frame, long offset, long value);

  /** Reads an 8-byte value, seeing this transaction's writes. */
  long getLong(Frame frame, long offset);

  /** Reads bytes, seeing this transaction's writes. */
  void read(Frame frame, long offset, byte[] dst);

  /** Reads {@code length} bytes into {@code dst} at {@code dstOffset}, seeing this transaction's writes. */
  void read(Frame frame, long offset, byte[] dst, int dstOffset, int length);

  /** Points the named root at {@code frame} at commit. */
  void setRoot(String name, Frame frame);

  /** Removes the named root at commit (no effect if absent). */
  void removeRoot(String name);

  /** The named root as this transaction sees it. */
  Optional<Frame> root(String name);

  /** Makes every change durable and visible. The transaction is closed afterwards. */
  void commit();

  /** True until {@link #commit()} or {@link #close()}. */
  boolean isActive();

  /** Ends the transaction; without a prior {@link #commit()} every change is discarded. */
  @Override
  void close();
}
