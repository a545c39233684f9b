package io.nvframe.redo;

import java.util.BitSet;

/**
 * A test {@link ExtensionSpace}: {@code count} blocks of {@code blockBytes} from {@code start},
 * handed out lowest free first, whatever size is wanted. Tracks what is reserved.
 */
final class PoolSpace implements ExtensionSpace {
  final long start;
  final long blockBytes;
  final int count;
  private final BitSet reserved = new BitSet();
  int reservations;

  PoolSpace(long start, long blockBytes, int count) {
    this.start = start;
    this.blockBytes = blockBytes;
    this.count = count;
  }

  @Override
  public synchronized Block reserve(long wantedBytes) {
    int i = reserved.nextClearBit(0);
    if (i >= count) {
      return null;
    }
    reserved.set(i);
    reservations++;
    return new Block(start + i * blockBytes, blockBytes, i);
  }

  @Override
  public synchronized void release(Block block) {
    int i = (int) block.token();
    if (!reserved.get(i) || block.offset() != start + i * blockBytes) {
      throw new IllegalStateException("released " + block + ", which is not reserved");
    }
    reserved.clear(i);
  }

  @Override
  public synchronized long freeBytes() {
    return (count - reserved.cardinality()) * blockBytes;
  }

  synchronized int reservedNow() {
    return reserved.cardinality();
  }
}
