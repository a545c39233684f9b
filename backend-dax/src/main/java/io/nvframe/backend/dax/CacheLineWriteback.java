package io.nvframe.backend.dax;

import io.nvframe.api.BackendUnavailableException;
import io.nvframe.api.ErrorCode;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Cache-line write-back ({@code CLWB}/{@code CLFLUSHOPT}/{@code CLFLUSH}) of address ranges and the
 * store fence that completes it, through the JDK-internal {@code jdk.internal.misc.Unsafe}: the
 * primitives the JDK itself uses for {@code force()} on a MAP_SYNC mapping. nvframe needs them
 * directly for mappings the JDK does not know to be persistent memory ({@code emulate} mode, device
 * DAX).
 *
 * <h2>Two ways in</h2>
 *
 * <pre>
 *   JVM flag                                     what nvframe can call            one persist(range)
 *   --add-exports java.base/jdk.internal.misc=M  writebackMemory(addr, len)       pre-sync, CLWB per line, SFENCE
 *     (the documented requirement)               (public: lines + fence in one)   at flush; fence() adds nothing
 *   --add-opens   java.base/jdk.internal.misc=M  writeback0(line) and              pre-sync + CLWB per line at
 *     (optional, faster)                         writebackPostSync0() separately  flush; ONE SFENCE at fence()
 * </pre>
 *
 * With only the export, every {@link #writeback} call ends with its own store fence, so a commit
 * that flushes a record and two data lines pays three fences where one would do. With the package
 * opened as well, {@link #writebackLines} issues only the line write-backs ({@code CLWB} does not
 * wait) and {@link #drain} issues the single post-write-back fence ({@code SFENCE} on x86), which
 * is how PMDK flushes: {@code pmem_flush} per range, one {@code pmem_drain}. The split handles are
 * found with {@link MethodHandles#privateLookupIn}; C2 compiles calls through them to the same
 * intrinsics as {@code writebackMemory}. {@code M} is {@code ALL-UNNAMED} on the class path and
 * {@code io.nvframe.backend.dax} on the module path.
 *
 * <p>The handles are looked up once. When the export is missing, {@link #unavailableReason()} says
 * why and which flag to add; when only the opening is missing, {@link #split()} is false and the
 * export path is used.
 */
final class CacheLineWriteback {
  /** The internal package holding {@code Unsafe}. */
  static final String INTERNAL_PACKAGE = "jdk.internal.misc";

  /** {@code writebackMemory(address, length)}: every line of the range, then the post-sync fence. */
  private static final MethodHandle WRITEBACK;
  /** {@code writeback0(address)}: one line, no fence; null unless the package is opened. */
  private static final MethodHandle LINE;
  /** {@code writebackPreSync0()}: orders earlier stores before the write-backs (nothing on x86). */
  private static final MethodHandle PRE_SYNC;
  /** {@code writebackPostSync0()}: completes the write-backs ({@code sfence} on x86). */
  private static final MethodHandle POST_SYNC;
  /** Bytes one {@code writeback0} call covers: {@code Unsafe.dataCacheLineFlushSize()}. */
  private static final long LINE_BYTES;
  private static final String UNAVAILABLE;
  private static final String NOT_SPLIT;

  static {
    MethodHandle whole = null;
    MethodHandle line = null;
    MethodHandle pre = null;
    MethodHandle post = null;
    long lineBytes = 64;
    String reason = null;
    String notSplit = null;
    Module self = CacheLineWriteback.class.getModule();
    Module base = Object.class.getModule();
    if (!base.isExported(INTERNAL_PACKAGE, self)) {
      reason = missingExportMessage(self);
      notSplit = reason;
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
          notSplit = reason;
        } else if (WritebackStubs.missing() != null) {
          reason = WritebackStubs.refusal();
          notSplit = reason;
        } else {
          Object unsafe = lookup.findStatic(unsafeClass, "getUnsafe", MethodType.methodType(unsafeClass)).invoke();
          whole = lookup
              .findVirtual(unsafeClass, "writebackMemory", MethodType.methodType(void.class, long.class, long.class))
              .bindTo(unsafe);
          lineBytes = (int) lookup.findVirtual(unsafeClass, "dataCacheLineFlushSize", MethodType.methodType(int.class))
              .bindTo(unsafe)
              .invoke();
          if (!base.isOpen(INTERNAL_PACKAGE, self)) {
            notSplit = "java.base/" + INTERNAL_PACKAGE + " is exported but not opened to "
                + describe(self) + " (add " + openFlag(self) + " for one fence per persist instead of one per flush)";
          } else {
            MethodHandles.Lookup inside = MethodHandles.privateLookupIn(unsafeClass, lookup);
            MethodType none = MethodType.methodType(void.class);
            line = inside.findVirtual(unsafeClass, "writeback0", MethodType.methodType(void.class, long.class))
                .bindTo(unsafe);
            pre = inside.findVirtual(unsafeClass, "writebackPreSync0", none).bindTo(unsafe);
            post = inside.findVirtual(unsafeClass, "writebackPostSync0", none).bindTo(unsafe);
          }
        }
      } catch (Throwable e) {
        if (whole == null) {
          reason = "the JDK-internal write-back primitive jdk.internal.misc.Unsafe.writebackMemory is not usable in "
              + "this JDK (" + e + "); use dax.mode=msync";
          notSplit = reason;
        } else {
          line = null;
          pre = null;
          post = null;
          notSplit = "this JDK's Unsafe has no separate line write-back and fence (" + e + ")";
        }
      }
    }
    WRITEBACK = whole;
    LINE = line;
    PRE_SYNC = pre;
    POST_SYNC = post;
    LINE_BYTES = lineBytes;
    UNAVAILABLE = reason;
    NOT_SPLIT = notSplit;
  }

  private CacheLineWriteback() {}

  /** True when {@link #writeback} can be called. */
  static boolean available() {
    return WRITEBACK != null;
  }

  /** True when {@link #writebackLines} and {@link #drain} can be called (the package is opened). */
  static boolean split() {
    return LINE != null;
  }

  /** Why {@link #writeback} cannot be used, or {@code null} when it can. */
  static String unavailableReason() {
    return UNAVAILABLE;
  }

  /** Why {@link #split()} is false, or {@code null} when it is true. */
  static String notSplitReason() {
    return NOT_SPLIT;
  }

  /** Throws {@link BackendUnavailableException} naming the fix when write-back is unavailable. */
  static void require(String what) {
    if (!available()) {
      throw new BackendUnavailableException(ErrorCode.MAPPING_MODE_UNSUPPORTED, what + " needs cache-line write-back: "
          + UNAVAILABLE);
    }
  }

  /** The JVM flag that exports the primitive to {@code module}. */
  static String exportFlag(Module module) {
    return "--add-exports java.base/" + INTERNAL_PACKAGE + "=" + target(module);
  }

  /** The JVM flag that opens the split primitives to {@code module}. */
  static String openFlag(Module module) {
    return "--add-opens java.base/" + INTERNAL_PACKAGE + "=" + target(module);
  }

  /** The explanation given when the package is not exported to {@code module}. */
  static String missingExportMessage(Module module) {
    return "the JVM does not export java.base/" + INTERNAL_PACKAGE + " to " + describe(module)
        + "; start java with " + exportFlag(module)
        + " (Maven surefire: add it to <argLine>), or use dax.mode=msync";
  }

  private static String target(Module module) {
    return module.isNamed() ? module.getName() : "ALL-UNNAMED";
  }

  private static String describe(Module module) {
    return module.isNamed() ? "module " + module.getName() : "the class path";
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

  /**
   * Starts write-back of the cache lines of {@code [address, address + length)} without waiting:
   * the pre-sync barrier, then one line instruction per line. Only when {@link #split()}; {@link
   * #drain()} completes it.
   */
  static void writebackLines(long address, long length) {
    long line = address & -LINE_BYTES;
    long end = address + length;
    try {
      PRE_SYNC.invokeExact();
      for (; line < end; line += LINE_BYTES) {
        LINE.invokeExact(line);
      }
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("cache-line write-back failed", e);
    }
  }

  /** Completes every write-back this thread started with {@link #writebackLines}. Only when {@link #split()}. */
  static void drain() {
    try {
      POST_SYNC.invokeExact();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("cache-line write-back fence failed", e);
    }
  }
}
