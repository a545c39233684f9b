package io.nvframe.core;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.Region;
import io.nvframe.tck.RegionCheckExtension;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;

/** {@link RegionCheckExtension} passes consistent regions, fails damaged ones, and closes both. */
class RegionCheckExtensionTest {
  private static final ExtensionContext CONTEXT =
      (ExtensionContext)
          Proxy.newProxyInstance(
              ExtensionContext.class.getClassLoader(),
              new Class<?>[] {ExtensionContext.class},
              (proxy, method, args) -> {
                if (method.getName().equals("getDisplayName")) {
                  return "someTest()";
                }
                throw new UnsupportedOperationException(method.getName());
              });

  private static Region heapRegion() {
    return Regions.builder().backend("heap").capacity(4L << 20).maxOrder(4).lanes(2).create();
  }

  @Test
  void aConsistentRegionPassesAndIsClosed() {
    RegionCheckExtension ext = new RegionCheckExtension();
    Region r = ext.track(heapRegion());
    r.transact(tx -> tx.setRoot("a", tx.allocate(0)));
    assertDoesNotThrow(() -> ext.afterEach(CONTEXT));
    assertFalse(r.isOpen(), "the extension closes what it checked");
  }

  @Test
  void aDamagedRegionFailsTheTestWithTheReportAndIsClosed() {
    RegionCheckExtension ext = new RegionCheckExtension();
    Region good = ext.track(heapRegion());
    Region damaged = ext.track(heapRegion());
    ((FrameRegion) damaged).medium.write(RegionLayout.HEADER_A_OFFSET, new byte[] {1, 2, 3}, 0, 3);
    AssertionError e = assertThrows(AssertionError.class, () -> ext.afterEach(CONTEXT));
    assertTrue(e.getMessage().contains("someTest()"), e.getMessage());
    assertTrue(e.getMessage().contains("copy A (offset 0) is invalid"), e.getMessage());
    assertEquals(1, e.getMessage().split("problem\\(s\\)", -1).length - 1, "only the damaged region is reported: " + e.getMessage());
    assertFalse(good.isOpen());
    assertFalse(damaged.isOpen(), "a failing region is closed too");
  }

  @Test
  void aRegionTheTestClosedIsSkippedAndTrackingStartsAfreshPerTest() {
    RegionCheckExtension ext = new RegionCheckExtension();
    Region r = ext.track(heapRegion());
    ((FrameRegion) r).medium.write(RegionLayout.HEADER_A_OFFSET, new byte[] {1, 2, 3}, 0, 3);
    r.close();
    assertDoesNotThrow(() -> ext.afterEach(CONTEXT));
    assertDoesNotThrow(() -> ext.afterEach(CONTEXT), "nothing is tracked any more");
  }
}
