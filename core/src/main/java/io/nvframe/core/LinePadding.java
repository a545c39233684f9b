package io.nvframe.core;

/**
 * 64 bytes before the fields of a subclass (the JVM lays out a superclass's fields first), so that
 * no other object's data shares a cache line with them: the per-thread objects every transaction
 * writes (scratch, handle, maps, reservations) are made by different threads at different times,
 * and a copying collector may place one thread's right after another thread's. Each such class
 * also ends with 64 bytes of {@code long} fields of its own (its fields sit in an abstract {@code
 * ...Fields} class between), so nothing that follows shares their lines either.
 */
@SuppressWarnings("unused")
abstract class LinePadding {
  /**
   * Takes the 4 bytes after the object header (with compressed class pointers), where the JVM
   * would otherwise place an {@code int} field of a subclass: in front of the padding, on the line
   * of whatever object precedes this one (see {@code PaddingLayoutTest}).
   */
  private int gap;
  private long p0, p1, p2, p3, p4, p5, p6, p7;
}
