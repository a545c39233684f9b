package io.nvframe.backend.dax;

import io.nvframe.api.BackendUnavailableException;
import io.nvframe.api.ErrorCode;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Map;

/**
 * A copy from a Java array into a mapping with non-temporal stores, through PMDK's libpmem ({@code
 * libpmem.so.1}) and the FFM {@link Linker}: {@code pmem_memcpy(dest, src, len, PMEM_F_MEM_NODRAIN
 * | PMEM_F_MEM_NONTEMPORAL)}. Java has no non-temporal store; a copy through the cache first reads
 * every destination line (a miss for a random block of a large mapping) and then needs one
 * cache-line write-back per line. Non-temporal stores write whole lines without reading them and
 * bypass the cache, so the lines need no write-back: the store fence that completes write-back
 * ({@code SFENCE}, {@link CacheLineWriteback#drain}) makes them durable too.
 *
 * <pre>
 *   used when (see MappedMedium, option dax.copy):
 *     Linux on x86-64, native access enabled for this module (--enable-native-access=...),
 *     libpmem.so.1 loadable with pmem_memcpy, PMEM_NO_FLUSH and PMEM_NO_MOVNT not set to 1
 *     (they change how libpmem copies), and the medium writes back with the split primitives
 *   a call copies only whole, 64-byte-aligned lines, at least MIN_LENGTH (512) bytes, so libpmem
 *     takes its non-temporal path for all of it (no head or tail stored through the cache)
 * </pre>
 *
 * <p>The downcall is {@link Linker.Option#critical critical} with heap access: the Java array is
 * passed in place (no staging copy) and the garbage collector waits for the call, which copies at
 * most {@link #CHUNK} bytes (longer copies take several calls). The destination is passed as an
 * address, like the line write-back primitives take it ({@link CacheLineWriteback}): passing a
 * segment of the mapping would make the linker acquire and release the mapping's shared arena
 * around the call, two atomic instructions, and the second one waits for the non-temporal stores
 * to drain, which is the fence's job. So, as for a flush, the medium must not be closed while
 * another thread writes to it (the medium checks that it is open before the call).
 */
final class NonTemporalCopy {
  /** {@code PMEM_F_MEM_NODRAIN}: no store fence at the end (the medium's fence drains). */
  static final int PMEM_F_MEM_NODRAIN = 1;
  /** {@code PMEM_F_MEM_NONTEMPORAL}: non-temporal stores whatever the length. */
  static final int PMEM_F_MEM_NONTEMPORAL = 1 << 1;
  /** Shortest copy handed to libpmem; shorter ones (a few lines) go through the cache. */
  static final int MIN_LENGTH = 512;
  /** Bytes per downcall (a multiple of 64, so every chunk stays line-aligned). */
  static final int CHUNK = 1 << 20;
  /** The library's name as {@code dlopen} finds it. */
  static final String LIBRARY = "libpmem.so.1";

  private static final MethodHandle MEMCPY;
  private static final String UNAVAILABLE;

  static {
    MethodHandle h = null;
    String reason = unavailable(System.getenv());
    if (reason == null) {
      try {
        SymbolLookup pmem = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
        MemorySegment fn = pmem.find("pmem_memcpy").orElse(null);
        if (fn == null) {
          reason = LIBRARY + " has no pmem_memcpy (libpmem 1.5 or later has it)";
        } else {
          h = Linker.nativeLinker().downcallHandle(fn,
              FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS,
                  ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT),
              Linker.Option.critical(true));
        }
      } catch (IllegalArgumentException e) {
        reason = LIBRARY + " is not installed or not on the library path (" + e.getMessage()
            + "); Debian/Ubuntu: apt-get install libpmem1";
      } catch (RuntimeException | LinkageError e) {
        reason = "cannot link pmem_memcpy in " + LIBRARY + ": " + e;
      }
    }
    MEMCPY = reason == null ? h : null;
    UNAVAILABLE = reason;
  }

  private NonTemporalCopy() {}

  /**
   * Why this process cannot use the copy, judged without loading the library: platform, native
   * access, libpmem's environment; null when those allow it.
   */
  static String unavailable(Map<String, String> env) {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      return "non-temporal copies through libpmem are used on Linux x86-64 only, not " + os + "/" + arch;
    }
    if (!NativeFiles.nativeAccessEnabled()) {
      return "native access is not enabled for the dax backend; start java with " + NativeFiles.nativeAccessFlag();
    }
    for (String var : new String[] {"PMEM_NO_FLUSH", "PMEM_NO_MOVNT"}) {
      if ("1".equals(env.get(var))) {
        return var + "=1 is set, which changes how libpmem copies; unset it to use libpmem's non-temporal copy";
      }
    }
    return null;
  }

  /** True when {@link #copy} can be called. */
  static boolean available() {
    return MEMCPY != null;
  }

  /** Why {@link #available()} is false, or null. */
  static String unavailableReason() {
    return UNAVAILABLE;
  }

  /** Throws {@link BackendUnavailableException} naming the fix when the copy is unavailable. */
  static void require(String what) {
    if (!available()) {
      throw new BackendUnavailableException(ErrorCode.MAPPING_MODE_UNSUPPORTED, what + " needs libpmem's "
          + "non-temporal copy: " + UNAVAILABLE + "; or use dax.copy=java");
    }
  }

  /** True when {@link #copy} takes a copy of {@code length} bytes to absolute address {@code address}. */
  static boolean eligible(long address, int length) {
    return length >= MIN_LENGTH && ((address | length) & 63) == 0;
  }

  /**
   * Copies {@code src[srcOffset, srcOffset + length)} to absolute address {@code address} (in a
   * mapping, {@link #eligible}) with non-temporal stores and no fence; only when {@link #available()}.
   */
  static void copy(long address, byte[] src, int srcOffset, int length) {
    MemorySegment from = MemorySegment.ofArray(src);
    try {
      // in chunks, so that the garbage collector, which waits for a critical call, waits for one
      // chunk at most
      for (int done = 0; done < length; ) {
        int n = Math.min(CHUNK, length - done);
        long unused = (long) MEMCPY.invokeExact(address + done, from.asSlice(srcOffset + done, n), (long) n,
            PMEM_F_MEM_NODRAIN | PMEM_F_MEM_NONTEMPORAL);
        done += n;
      }
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("pmem_memcpy failed", e);
    }
  }
}
