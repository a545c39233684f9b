package io.nvframe.backend.heap;

import io.nvframe.spi.Capability;
import io.nvframe.spi.SegmentMedium;
import java.lang.foreign.Arena;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** Volatile medium on a zeroed shared-arena segment; flush and fence are counted no-ops. */
final class HeapMedium extends SegmentMedium {
  static final Set<Capability> CAPABILITIES =
      Set.copyOf(EnumSet.of(Capability.VOLATILE, Capability.BYTE_ADDRESSABLE));

  private final Arena arena;

  HeapMedium(long capacity) {
    this(Arena.ofShared(), capacity);
  }

  private HeapMedium(Arena arena, long capacity) {
    super(arena.allocate(capacity, 4096), "heap(" + capacity + " bytes)");
    this.arena = arena;
  }

  @Override
  public Set<Capability> capabilities() {
    return CAPABILITIES;
  }

  @Override
  public Map<String, String> properties() {
    return Map.of("heap.volatile", "true");
  }

  @Override
  protected void doFlush(long offset, long length) {
    // volatile memory: nothing to write back
  }

  @Override
  protected void doFence() {
    // volatile memory: nothing to wait for
  }

  @Override
  protected void doClose() {
    arena.close();
  }
}
