package io.nvframe.backend.dax;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The descriptors a medium in mode {@code msync} with {@code dax.msync=fdatasync} syncs its file
 * through (backend-dax/README.md, "Merged msync and fdatasync").
 *
 * <p>A sync through a descriptor that two threads share makes both processors write the
 * descriptor's reference count, one cache line; so the medium keeps {@code slots} descriptors, each
 * a new open file description of the file ({@code open("/proc/self/fd/N")} of the base descriptor,
 * so a rename or unlink of the path changes nothing), opened on first use. Threads take slots in
 * turn ({@link #slotForNewThread()}): with up to {@code slots} threads no two share one. When a slot
 * cannot be opened (no {@code /proc}, out of descriptors) it uses the base descriptor, which is
 * correct and only shares the line again. Every descriptor but a base the caller owns is closed by
 * {@link #close()}; a sync after close is refused.
 *
 * <p>Closing a descriptor never drops the medium's file lock: an OFD lock belongs to its own
 * descriptor, and a classic lock (which closing any descriptor of the file would drop) is released
 * before {@link MappedMedium} closes this (its {@code doClose}).
 */
final class FileSyncs implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(FileSyncs.class);
  /** A slot not opened yet. */
  private static final int UNOPENED = -1;

  private final Path path;
  private final int baseFd;
  private final boolean ownsBase;
  /** Slot i's descriptor, {@link #UNOPENED}, or the base descriptor when opening failed. */
  private final AtomicIntegerArray fds;
  private final AtomicInteger next = new AtomicInteger();
  private boolean closed; // guarded by this
  private boolean warned; // guarded by this

  /**
   * Syncs for {@code path} with {@code slots} descriptors, reopened from {@code baseFd}; when {@code
   * baseFd} is -1 a base descriptor is opened from the path now and closed by {@link #close()}.
   *
   * @throws IOException when the base descriptor cannot be opened
   */
  FileSyncs(Path path, int baseFd, int slots) throws IOException {
    if (slots < 1) {
      throw new IllegalArgumentException("slots must be positive: " + slots);
    }
    this.path = path;
    this.ownsBase = baseFd < 0;
    this.baseFd = ownsBase ? NativeFiles.open(path, NativeFiles.O_RDWR) : baseFd;
    this.fds = new AtomicIntegerArray(slots);
    for (int i = 0; i < slots; i++) {
      fds.set(i, UNOPENED);
    }
  }

  /** Twice the processors, at least 2 and at most 64: enough that the threads of a busy process rarely share one. */
  static int defaultSlots() {
    return (int) Math.clamp(2L * Runtime.getRuntime().availableProcessors(), 2, 64);
  }

  /** The slot for a thread that syncs for the first time: slots in turn. */
  int slotForNewThread() {
    return Math.floorMod(next.getAndIncrement(), fds.length());
  }

  /**
   * {@code fdatasync} of the file through slot {@code slot}'s descriptor: 0, or the errno. {@code
   * state} is the calling thread's errno segment ({@link NativeFiles#errnoStateLayout()}).
   */
  int sync(MemorySegment state, int slot) {
    int fd = fds.get(slot);
    return NativeFiles.fdatasync(state, fd >= 0 ? fd : open(slot));
  }

  /** The base descriptor, for a sync at close. */
  int syncBase(MemorySegment state) {
    return NativeFiles.fdatasync(state, baseFd);
  }

  private synchronized int open(int slot) {
    int fd = fds.get(slot);
    if (fd >= 0) {
      return fd;
    }
    if (closed) {
      throw new IllegalStateException("the descriptors of " + path + " are closed");
    }
    try {
      fd = NativeFiles.open(Path.of("/proc/self/fd/" + baseFd), NativeFiles.O_RDWR);
    } catch (IOException e) {
      if (!warned) {
        warned = true;
        logger.warn("dax: cannot open another descriptor of {} for fdatasync ({}); threads share one, which is "
            + "correct but scales less", path, e.getMessage());
      }
      fd = baseFd;
    }
    fds.set(slot, fd);
    return fd;
  }

  /**
   * Makes slot {@code slot} sync through {@code fd} (closed by {@link #close()}), closing the
   * descriptor it had: for tests that need a sync to fail.
   */
  synchronized void substitute(int slot, int fd) {
    int old = fds.get(slot);
    if (old >= 0 && old != baseFd) {
      NativeFiles.close(old);
    }
    fds.set(slot, fd);
  }

  /** How many descriptors were opened besides the base (for tests). */
  synchronized int opened() {
    int n = 0;
    for (int i = 0; i < fds.length(); i++) {
      int fd = fds.get(i);
      if (fd >= 0 && fd != baseFd) {
        n++;
      }
    }
    return n;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (int i = 0; i < fds.length(); i++) {
      int fd = fds.get(i);
      if (fd >= 0 && fd != baseFd) {
        NativeFiles.close(fd);
      }
      fds.set(i, UNOPENED);
    }
    if (ownsBase) {
      NativeFiles.close(baseFd);
    }
  }
}
