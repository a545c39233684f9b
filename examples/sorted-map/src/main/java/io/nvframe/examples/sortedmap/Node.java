package io.nvframe.examples.sortedmap;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.MediaCorruptedException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One B+-tree node as the heap sees it: immutable once written, since the tree never changes a
 * written node in place (a change writes a new frame and frees the old one).
 *
 * <p>Layout of a node frame (little-endian):
 *
 * <pre>
 *   0  int    magic 0x4E564254 ("NVBT")
 *   4  u16    level (0 = leaf)
 *   6  u16    count (leaf: entries; internal: children)
 *   8  int    payload bytes after the 16-byte header
 *  12  int    0
 *  16  leaf entries:    u16 key length, u16 value length, key, value
 *      internal nodes:  child 0 as (long pfn, int generation), then per further child
 *                       u16 key length, key, long pfn, int generation
 * </pre>
 *
 * In an internal node, key {@code i} (for {@code i >= 1}) is the separator before child {@code i}:
 * every key under child {@code i} is {@code >= keys[i]} and {@code < keys[i + 1]}; {@code keys[0]}
 * is null.
 */
final class Node {
  static final int MAGIC = 0x4E564254;
  static final int HEADER = 16;
  static final int CHILD_REF = 12;

  final int level;
  final byte[][] keys;
  /** Leaf values; null in internal nodes. */
  final byte[][] values;
  /** Internal nodes: child frame numbers and generations; null in leaves. */
  final long[] childPfn;
  final int[] childGen;
  final int payload;
  /** Where the node is stored, once written; -1 before. */
  long pfn = -1;
  int gen;

  private Node(int level, byte[][] keys, byte[][] values, long[] childPfn, int[] childGen) {
    this.level = level;
    this.keys = keys;
    this.values = values;
    this.childPfn = childPfn;
    this.childGen = childGen;
    int bytes = 0;
    for (int i = 0; i < keys.length; i++) {
      bytes += level == 0 ? leafEntrySize(keys[i], values[i]) : childEntrySize(i, keys[i]);
    }
    this.payload = bytes;
  }

  static Node leaf(byte[][] keys, byte[][] values) {
    return new Node(0, keys, values, null, null);
  }

  static Node internal(int level, byte[][] keys, long[] childPfn, int[] childGen) {
    return new Node(level, keys, null, childPfn, childGen);
  }

  static int leafEntrySize(byte[] key, byte[] value) {
    return 4 + key.length + value.length;
  }

  static int childEntrySize(int index, byte[] key) {
    return index == 0 ? CHILD_REF : 2 + key.length + CHILD_REF;
  }

  boolean isLeaf() {
    return level == 0;
  }

  int count() {
    return keys.length;
  }

  int entrySize(int i) {
    return isLeaf() ? leafEntrySize(keys[i], values[i]) : childEntrySize(i, keys[i]);
  }

  /** Leaf: index of {@code key}, or {@code -(insertion point) - 1}. */
  int search(byte[] key) {
    int lo = isLeaf() ? 0 : 1;
    int hi = keys.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = Arrays.compareUnsigned(keys[mid], key);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -(lo + 1);
  }

  /** Internal: the child whose key range holds {@code key}. */
  int childIndex(byte[] key) {
    int i = search(key);
    return i >= 0 ? i : -i - 2;
  }

  byte[] encode(int frameSize) {
    ByteBuffer b = ByteBuffer.allocate(HEADER + payload).order(ByteOrder.LITTLE_ENDIAN);
    if (HEADER + payload > frameSize) {
      throw new IllegalStateException("node of " + (HEADER + payload) + " bytes exceeds frame size " + frameSize);
    }
    b.putInt(MAGIC).putShort((short) level).putShort((short) keys.length).putInt(payload).putInt(0);
    for (int i = 0; i < keys.length; i++) {
      if (isLeaf()) {
        b.putShort((short) keys[i].length).putShort((short) values[i].length).put(keys[i]).put(values[i]);
      } else {
        if (i > 0) {
          b.putShort((short) keys[i].length).put(keys[i]);
        }
        b.putLong(childPfn[i]).putInt(childGen[i]);
      }
    }
    return b.array();
  }

  static Node decode(byte[] frame, long pfn, int gen) {
    ByteBuffer b = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN);
    int magic = b.getInt();
    int level = Short.toUnsignedInt(b.getShort());
    int count = Short.toUnsignedInt(b.getShort());
    int payload = b.getInt();
    b.getInt();
    if (magic != MAGIC || payload < 0 || payload > frame.length - HEADER || (level > 0 && count == 0)) {
      throw corrupt(pfn, "bad node header (magic " + Integer.toHexString(magic) + ", level " + level
          + ", count " + count + ", payload " + payload + ")");
    }
    byte[][] keys = new byte[count][];
    try {
      Node node;
      if (level == 0) {
        byte[][] values = new byte[count][];
        for (int i = 0; i < count; i++) {
          int kl = Short.toUnsignedInt(b.getShort());
          int vl = Short.toUnsignedInt(b.getShort());
          keys[i] = new byte[kl];
          b.get(keys[i]);
          values[i] = new byte[vl];
          b.get(values[i]);
        }
        node = leaf(keys, values);
      } else {
        long[] pfns = new long[count];
        int[] gens = new int[count];
        for (int i = 0; i < count; i++) {
          if (i > 0) {
            keys[i] = new byte[Short.toUnsignedInt(b.getShort())];
            b.get(keys[i]);
          }
          pfns[i] = b.getLong();
          gens[i] = b.getInt();
        }
        node = internal(level, keys, pfns, gens);
      }
      if (node.payload != payload) {
        throw corrupt(pfn, "payload " + payload + " recorded, " + node.payload + " decoded");
      }
      node.pfn = pfn;
      node.gen = gen;
      return node;
    } catch (java.nio.BufferUnderflowException | NegativeArraySizeException e) {
      throw corrupt(pfn, "entries run past the frame");
    }
  }

  private static MediaCorruptedException corrupt(long pfn, String what) {
    return new MediaCorruptedException(ErrorCode.MEDIA_ERROR,
        "B+-tree node in frame " + pfn + " is not readable: " + what
            + "; run `nvframe check` on the region, restore from a backup if it reports damage");
  }
}
