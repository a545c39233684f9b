package io.nvframe.backend.dax;

import io.nvframe.api.BackendUnavailableException;
import io.nvframe.api.ErrorCode;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Cache-line write-back ({@code CLWB}/{@code CLFLUSHOPT}/{@code CLFLUSH} followed by a store fence)
 * of an address range, through the JDK-internal {@code jdk.internal.misc.Unsafe.writebackMemory}.
 * It is the primitive the JDK itself uses for {@code force()} on a MAP_SYNC mapping; nvframe needs
 * it directly for mappings the JDK does not know to be persistent memory ({@code emulate} mode,
 * device DAX).
 *
 * <p>{@code jdk.internal.misc} is not exported, so the JVM must be started with {@code
 * --add-exports java.base/jdk.internal.misc=io.nvframe.backend.dax} (module path) or {@code
 * =ALL-UNNAMED} (class path). The handle is looked up once; when it cannot be, {@link
 * #unavailableReason()} says why and which flag to add. One {@link #writeback} call costs a
 * pre-sync barrier (none on x86), one write-back instruction per 64-byte line and one {@code
 * sfence}.
 */
final class CacheLineWriteback {
  /** The internal package holding {@code Unsafe}. */
  static final String INTERNAL_PACKAGE = "jdk.internal.misc";

  private static final MethodHandle WRITEBACK;
  private static final String UNAVAILABLE;

  static {
    MethodHandle handle = null;
    String reason = null;
    Module self = CacheLineWriteback.class.getModule();
    if (!Object.class.getModule().isExported(INTERNAL_PACKAGE, self)) {
      reason = missingExportMessage(self);
    } else {
      try {
        Class<?> unsafeClass = Class.forName(INTERNAL_PACKAGE + ".Unsafe");
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        boolean enabled =
            (boolean) lookup.findStatic(unsafeClass, "isWritebackEnabled", MethodType.methodType(boolean.class))
                .invoke();
        if (!enabled) {
          reason = "this CPU or JVM has no cache-line write-back instruction (Unsafe.isWritebackEnabled() is false on "
              + System.getProperty("os.arch") + "); use dax.mode=msync, or dax.mode=none on eADR hardware";
        } else {
          Object unsafe = lookup.findStatic(unsafeClass, "getUnsafe", MethodType.methodType(unsafeClass)).invoke();
          handle = lookup
              .findVirtual(unsafeClass, "writebackMemory", MethodType.methodType(void.class, long.class, long.class))
              .bindTo(unsafe);
        }
      } catch (Throwable e) {
        reason = "the JDK-internal write-back primitive jdk.internal.misc.Unsafe.writebackMemory is not usable in "
            + "this JDK (" + e + "); use dax.mode=msync";
      }
    }
    WRITEBACK = handle;
    UNAVAILABLE = reason;
  }

  private CacheLineWriteback() {}

  /** True when {@link #writeback} can be called. */
  static boolean available() {
    return WRITEBACK != null;
  }

  /** Why {@link #writeback} cannot be used, or {@code null} when it can. */
  static String unavailableReason() {
    return UNAVAILABLE;
  }

  /** Throws {@link BackendUnavailableException} naming the fix when write-back is unavailable. */
  static void require(String what) {
    if (!available()) {
      throw new BackendUnavailableException(ErrorCode.MAPPING_MODE_UNSUPPORTED, what + " needs cache-line write-back: "
          + UNAVAILABLE);
    }
  }

  /** The JVM flag that opens the primitive to {@code module}. */
  static String exportFlag(Module module) {
    return "--add-exports java.base/" + INTERNAL_PACKAGE + "=" + (module.isNamed() ? module.getName() : "ALL-UNNAMED");
  }

  /** The explanation given when the package is not exported to {@code module}. */
  static String missingExportMessage(Module module) {
    return "the JVM does not export java.base/" + INTERNAL_PACKAGE + " to "
        + (module.isNamed() ? "module " + module.getName() : "the class path")
        + "; start java with " + exportFlag(module)
        + " (Maven surefire: add it to <argLine>), or use dax.mode=msync";
  }

  /** Writes back the cache lines of {@code [address, address + length)} and fences. */
  static void writeback(long address, long length) {
    try {
      WRITEBACK.invokeExact(address, length);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("cache-line write-back failed", e);
    }
  }
}
