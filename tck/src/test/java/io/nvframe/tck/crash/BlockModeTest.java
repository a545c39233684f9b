package io.nvframe.tck.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.spi.Medium;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Block mode (atomic unit = line = block, as on a BTT): overwriting a whole 512-byte block in place
 * is atomic there, and torn under the x86 model. A BTT-style write (new data into a free block,
 * then an atomic map update) is correct in both.
 */
class BlockModeTest {
  private static final int BLOCK = 512;
  private static final int BLOCKS = 8;
  private static final long MAP = 0; // block 0: map word (logical block 0 -> physical block)

  /** A block device of {@link #BLOCKS} blocks; logical block 0 lives at the mapped physical block. */
  record Device(Medium m) {
    byte[] read() {
      long phys = m.loadLong(MAP);
      byte[] b = new byte[BLOCK];
      m.read(phys * BLOCK, b, 0, BLOCK);
      return b;
    }
  }

  static byte[] pattern(int v) {
    byte[] b = new byte[BLOCK];
    Arrays.fill(b, (byte) v);
    return b;
  }

  static CrashScenario<Device> scenario(boolean inPlace) {
    return CrashScenario.<Device>named(inPlace ? "block overwritten in place" : "block via free block and map")
        .medium(() -> {
          Medium m = new ImageMedium(new byte[BLOCK * BLOCKS], BLOCK);
          m.storeLong(MAP, 1);
          m.write(BLOCK, pattern(1), 0, BLOCK);
          m.persist(0, 2L * BLOCK);
          return m;
        })
        .driver((m, ops) -> {
          for (int v = 2; v <= 4; v++) {
            int value = v;
            ops.run("write " + v, () -> {
              if (inPlace) {
                m.write(BLOCK, pattern(value), 0, BLOCK);
                m.persist(BLOCK, BLOCK);
              } else {
                long free = m.loadLong(MAP) == 1 ? 2 : 1;
                m.write(free * BLOCK, pattern(value), 0, BLOCK);
                m.persist(free * BLOCK, BLOCK);
                m.storeLong(MAP, free);
                m.persist(MAP, 8);
              }
            });
          }
        })
        .recover(Device::new)
        .observe(d -> List.of(d.read()[0], d.read()[BLOCK - 1]))
        .invariants(d -> {
          byte[] b = d.read();
          for (byte x : b) {
            if (x != b[0]) {
              throw new AssertionError("torn block: " + b[0] + " and " + x);
            }
          }
        })
        .lineSize(BLOCK)
        .close(d -> d.m().close())
        .build();
  }

  @Test
  void anInPlaceBlockWriteIsAtomicOnlyInBlockMode() {
    CrashReport ok = CrashSimulator.run(scenario(true), CrashOptions.defaults().mode(PersistencyMode.BLOCK));
    assertTrue(ok.images() >= 4, ok.toString());
    CrashFailure torn = assertThrows(CrashFailure.class,
        () -> CrashSimulator.run(scenario(true), CrashOptions.defaults().mode(PersistencyMode.X86)));
    assertEquals("invariants", torn.check(), torn.getMessage());
  }

  @Test
  void aMappedBlockWriteIsCorrectInBothModes() {
    for (PersistencyMode mode : new PersistencyMode[] {PersistencyMode.BLOCK, PersistencyMode.X86}) {
      for (CrashOptions.Strategy s : CrashOptions.Strategy.values()) {
        CrashReport r = CrashSimulator.run(scenario(false), CrashOptions.defaults().mode(mode).strategy(s));
        assertTrue(r.points() >= 6, r.toString());
      }
    }
  }
}
