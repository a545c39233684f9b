package io.nvframe.api;

/**
 * Answers, for an allocated block tagged with a non-zero owner, whether the owner still references
 * it. Registered when a region is opened, it lets recovery free blocks that were allocated with an
 * owner tag but never linked (leak repair; invariant A7 of the allocator).
 *
 * <p>Implementations must be side-effect free and must not use the region being opened other than
 * through the frame handle they are given (reads only).
 */
@FunctionalInterface
public interface OwnerReconciler {
  /** True when {@code owner} still references {@code frame}; false frees the block at open. */
  boolean isReferenced(Frame frame, long owner);
}
