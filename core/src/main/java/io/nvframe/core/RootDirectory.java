package io.nvframe.core;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.Frame;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.spi.Medium;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The persistent directory of named roots: 64 slots of 64 bytes in one 4 KiB area. Slots are
 * changed only through redo-log transactions (a whole-slot COPY), so a root and the frames it names
 * change atomically together.
 *
 * <pre>
 *   slot (64 B):  u64 ref | u8 nameLength | name bytes (1..48, ASCII) | zero padding
 *   ref:          bit 63 VALID | bits 62..58 order | bits 57..42 generation | bits 41..0 pfn
 * </pre>
 *
 * The volatile map is read without locks; writers (committed transactions) hold the {@link
 * FrameLocks#ROOTS} lock.
 */
final class RootDirectory {
  static final int SLOTS = RegionLayout.ROOT_DIR_BYTES / 64;
  static final int SLOT_BYTES = 64;
  static final int MAX_NAME = 48;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:/-]{1," + MAX_NAME + "}");

  private static final int PFN_BITS = 42;
  private static final int GEN_BITS = 16;
  private static final int ORDER_BITS = 5;
  private static final int GEN_SHIFT = PFN_BITS;
  private static final int ORDER_SHIFT = GEN_SHIFT + GEN_BITS;
  private static final long VALID = 1L << (ORDER_SHIFT + ORDER_BITS);
  private static final long PFN_MASK = (1L << PFN_BITS) - 1;
  private static final long GEN_MASK = (1L << GEN_BITS) - 1;
  private static final long ORDER_MASK = (1L << ORDER_BITS) - 1;

  /** A root as stored: its slot and frame. */
  record Entry(int slot, Frame frame) {}

  private final long offset;
  private final long regionId;
  private final ConcurrentHashMap<String, Entry> byName = new ConcurrentHashMap<>();
  private final List<String> loadProblems = new ArrayList<>();

  private RootDirectory(long offset, long regionId) {
    this.offset = offset;
    this.regionId = regionId;
  }

  static RootDirectory load(Medium medium, long offset, long regionId, long frameCount) {
    RootDirectory dir = new RootDirectory(offset, regionId);
    byte[] area = new byte[RegionLayout.ROOT_DIR_BYTES];
    medium.read(offset, area, 0, area.length);
    ByteBuffer b = ByteBuffer.wrap(area).order(ByteOrder.LITTLE_ENDIAN);
    for (int slot = 0; slot < SLOTS; slot++) {
      int base = slot * SLOT_BYTES;
      long ref = b.getLong(base);
      if ((ref & VALID) == 0) {
        continue;
      }
      int len = b.get(base + 8) & 0xff;
      String where = "root slot " + slot + " (offset " + (offset + base) + ")";
      if (len < 1 || len > MAX_NAME) {
        dir.loadProblems.add(where + ": name length " + len + " out of range");
        continue;
      }
      String name = new String(area, base + 9, len, StandardCharsets.US_ASCII);
      if (!NAME.matcher(name).matches()) {
        dir.loadProblems.add(where + ": invalid name '" + name + "'");
        continue;
      }
      Frame frame = decode(ref, regionId);
      if (frame.pfn() >= frameCount) {
        dir.loadProblems.add(where + ": root '" + name + "' points to pfn " + frame.pfn() + " beyond " + frameCount + " frames");
        continue;
      }
      Entry previous = dir.byName.putIfAbsent(name, new Entry(slot, frame));
      if (previous != null) {
        dir.loadProblems.add(where + ": duplicate root name '" + name + "' (also in slot " + previous.slot() + ")");
      }
    }
    return dir;
  }

  static void validateName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new NvframeConfigurationException(
          ErrorCode.ROOT_NAME_INVALID,
          "invalid root name '" + name + "': use 1 to " + MAX_NAME
              + " characters from A-Z a-z 0-9 . _ : / -");
    }
  }

  Optional<Entry> get(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  Map<String, Frame> snapshot() {
    Map<String, Frame> out = new TreeMap<>();
    byName.forEach((k, v) -> out.put(k, v.frame()));
    return out;
  }

  /** A slot not used by a committed root nor by {@code claimed}; -1 when full. */
  int freeSlot(java.util.Set<Integer> claimed) {
    boolean[] used = new boolean[SLOTS];
    byName.values().forEach(e -> used[e.slot()] = true);
    for (int s : claimed) {
      used[s] = true;
    }
    for (int s = 0; s < SLOTS; s++) {
      if (!used[s]) {
        return s;
      }
    }
    return -1;
  }

  long slotOffset(int slot) {
    return offset + (long) slot * SLOT_BYTES;
  }

  /** Applies a committed change to the volatile map; {@code frame == null} removes. */
  void applyCommitted(String name, int slot, Frame frame) {
    if (frame == null) {
      byName.remove(name);
    } else {
      byName.put(name, new Entry(slot, frame));
    }
  }

  List<String> loadProblems() {
    return List.copyOf(loadProblems);
  }

  static byte[] encodeSlot(String name, Frame frame) {
    byte[] slot = new byte[SLOT_BYTES];
    if (frame == null) {
      return slot;
    }
    ByteBuffer b = ByteBuffer.wrap(slot).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0, encode(frame));
    byte[] n = name.getBytes(StandardCharsets.US_ASCII);
    b.put(8, (byte) n.length);
    b.put(9, n);
    return slot;
  }

  static long encode(Frame frame) {
    if (frame.pfn() > PFN_MASK) {
      throw new IllegalArgumentException("pfn " + frame.pfn() + " does not fit a root reference");
    }
    return VALID
        | ((long) frame.order() & ORDER_MASK) << ORDER_SHIFT
        | ((long) frame.generation() & GEN_MASK) << GEN_SHIFT
        | frame.pfn();
  }

  static Frame decode(long ref, long regionId) {
    return new Frame(
        ref & PFN_MASK, (int) ((ref >>> ORDER_SHIFT) & ORDER_MASK), (int) ((ref >>> GEN_SHIFT) & GEN_MASK), regionId);
  }
}
