package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.RegionInfo;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RegionLayoutTest {
  static LongStream seeds() {
    return LongStream.range(0, 200);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void areasAreAlignedOrderedDisjointAndInsideTheCapacity(long seed) {
    Random r = new Random(seed);
    int frameSize = 4096 << r.nextInt(4);
    int maxOrder = r.nextInt(12);
    int lanes = 1 + r.nextInt(128);
    int laneSize = 4096 * (1 + r.nextInt(4));
    long capacity = 4096L * (1 + r.nextInt(1 << 18));
    RegionLayout l;
    try {
      l = RegionLayout.compute(capacity, frameSize, maxOrder, lanes, laneSize);
    } catch (NvframeConfigurationException e) {
      assertEquals(ErrorCode.CONFIG_INVALID, e.code(), "seed " + seed);
      assertTrue(e.getMessage().contains("at least"), "seed " + seed + ": " + e.getMessage());
      return;
    }
    List<RegionInfo.Area> areas = l.areas();
    long end = 0;
    for (RegionInfo.Area a : areas) {
      assertEquals(0, a.offset() % 4096, "seed " + seed + " " + a);
      assertTrue(a.offset() >= end, "seed " + seed + " overlap at " + a);
      end = a.offset() + a.length();
    }
    assertTrue(end <= capacity, "seed " + seed);
    assertTrue(l.frameTableBytes() >= l.frameCount() * 8, "seed " + seed);
    assertEquals(0, l.dataOffset() % Math.min((long) frameSize << maxOrder, 2L << 20), "seed " + seed);
    assertTrue(capacity - end < frameSize, "seed " + seed + ": a whole frame was left unused");
  }

  @Test
  void badInputsAreNamed() {
    assertThrows(NvframeConfigurationException.class, () -> RegionLayout.compute(1 << 20, 1000, 10, 8, 4096));
    assertThrows(NvframeConfigurationException.class, () -> RegionLayout.compute(1 << 20, 4096, 40, 8, 4096));
    assertThrows(NvframeConfigurationException.class, () -> RegionLayout.compute(1 << 20, 4096, 10, 0, 4096));
    assertThrows(NvframeConfigurationException.class, () -> RegionLayout.compute(1 << 20, 4096, 10, 8, 100));
    assertThrows(NvframeConfigurationException.class, () -> RegionLayout.compute(4097, 4096, 10, 8, 4096));
    NvframeConfigurationException e =
        assertThrows(NvframeConfigurationException.class, () -> RegionLayout.compute(16384, 4096, 0, 8, 4096));
    assertTrue(e.getMessage().contains("leaves no room"), e.getMessage());
  }
}
