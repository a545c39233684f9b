package io.nvframe.backend.dax;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Whether this JVM can run HotSpot's cache-line write-back: {@code Unsafe.writebackMemory} and
 * {@code writeback0}/{@code writebackPreSync0}/{@code writebackPostSync0} (what {@link
 * CacheLineWriteback} calls, and what the JDK's {@code force()} of a MAP_SYNC mapping calls) jump
 * to stubs that HotSpot generates only when the C2 compiler is enabled. {@code Unsafe
 * .isWritebackEnabled()} looks at the processor only, so in a JVM started with {@code -Xint} or
 * {@code -XX:TieredStopAtLevel=0..3} it is true and the first call jumps to address 0: the JVM
 * crashes (SIGSEGV in {@code writebackPreSync0}, seen with JDK 25.0.3 for every one of those
 * flags). {@link #missing()} names the flag instead, so those media are refused with a message.
 *
 * <p>How it decides, once per JVM:
 *
 * <pre>
 *   java.vm.info says "interpreted mode" (-Xint) or "emulated-client" (C1 only)    missing
 *   else, if the command line or JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, _JAVA_OPTIONS
 *   mention a compiler flag, an options file or an @argfile: the effective values
 *   from HotSpotDiagnosticMXBean (about 15 ms the first time):
 *     UseCompiler false                                                           missing (-Xint)
 *     TieredCompilation true and TieredStopAtLevel below 4                        missing
 *   else                                                                          present
 * </pre>
 *
 * The MXBean is asked only when a flag may have changed the compilers, so a JVM with default flags
 * does not pay for it on its first region open.
 */
final class WritebackStubs {
  /** Text in JVM arguments after which the effective compiler flags are looked up. */
  private static final List<String> COMPILER_FLAGS =
      List.of("tieredstopatlevel", "tieredcompilation", "usecompiler", "xint", "vmoptionsfile", "-xx:flags");

  private static final String MISSING = find();

  private WritebackStubs() {}

  /** The JVM flag that left this JVM without the write-back stubs ({@code -Xint}, {@code -XX:TieredStopAtLevel=1}), or null. */
  static String missing() {
    return MISSING;
  }

  /** Why cache-line write-back is refused in this JVM ({@link #missing()} is not null). */
  static String refusal() {
    return "this JVM runs without the C2 compiler (" + MISSING + "), and HotSpot generates its cache-line write-back "
        + "stubs only with C2: calling them would crash the JVM; start it without " + MISSING + ", or use dax.mode=msync";
  }

  private static String find() {
    String info = System.getProperty("java.vm.info", "");
    if (info.contains("interpreted mode")) {
      return "-Xint";
    }
    if (info.contains("emulated-client")) {
      return "-XX:TieredStopAtLevel=1";
    }
    if (!mayChangeCompilers()) {
      return null;
    }
    try {
      HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      if (vm == null) {
        return null;
      }
      return fromFlags(Boolean.parseBoolean(vm.getVMOption("UseCompiler").getValue()),
          Boolean.parseBoolean(vm.getVMOption("TieredCompilation").getValue()),
          Integer.parseInt(vm.getVMOption("TieredStopAtLevel").getValue()));
    } catch (RuntimeException | LinkageError e) {
      return null; // not HotSpot, or no such flag: nothing known to be missing
    }
  }

  /** The missing stubs' flag for these effective flag values, or null when C2 is enabled. */
  static String fromFlags(boolean useCompiler, boolean tiered, int stopAtLevel) {
    if (!useCompiler) {
      return "-Xint";
    }
    if (tiered && stopAtLevel < 4) {
      return "-XX:TieredStopAtLevel=" + stopAtLevel;
    }
    return null;
  }

  /** Whether the command line or an options variable mentions something that can change the compilers. */
  static boolean mayChangeCompilers() {
    var arguments = ProcessHandle.current().info().arguments();
    if (arguments.isEmpty()) {
      return true; // not readable here: ask the MXBean
    }
    Stream<String> args = Stream.of(arguments.get());
    Stream<String> env = Stream.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS").map(System::getenv);
    return Stream.concat(args, env)
        .filter(Objects::nonNull)
        .map(s -> s.toLowerCase(Locale.ROOT))
        .anyMatch(s -> s.startsWith("@") || COMPILER_FLAGS.stream().anyMatch(s::contains));
  }
}
