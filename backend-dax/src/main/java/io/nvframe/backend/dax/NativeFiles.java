package io.nvframe.backend.dax;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The few libc calls the JDK does not offer, made through the FFM {@link Linker}: {@code open},
 * {@code close}, {@code posix_fallocate}, {@code mmap}, {@code munmap}, {@code strerror}, {@code
 * fstatfs}, {@code fdatasync} (the JDK's {@code FileChannel.force(false)} closes the channel when
 * the calling thread is interrupted) and {@code msync} (the JDK offers it as {@code force()} only on
 * a segment, which a flush of part of a mapping must first allocate as a slice).
 * Linux on x86-64 and AArch64 only (the flag values below are theirs); {@link #supported()} says
 * whether this platform qualifies.
 *
 * <p>Downcall handles are restricted methods: the JVM prints a warning unless it runs with {@code
 * --enable-native-access=io.nvframe.backend.dax} (or {@code ALL-UNNAMED}). The handles are created
 * lazily in {@link Calls}, so loading this class alone never triggers the warning, and callers that
 * have a pure-Java fallback (preallocation) check {@link #nativeAccessEnabled()} first.
 *
 * <p>Classic POSIX record locks belong to the process: closing <em>any</em> descriptor of a file
 * drops every lock the process holds on it. {@link #ofdLock} takes an open-file-description lock
 * (Linux 3.15+) instead, which belongs to one descriptor and survives other descriptors of the file
 * being closed; it conflicts with classic locks held by other processes.
 */
final class NativeFiles {
  static final int O_RDONLY = 0;
  static final int O_WRONLY = 1;
  static final int O_RDWR = 2;
  static final int O_CLOEXEC = 0x80000;

  static final int PROT_READ = 1;
  static final int PROT_WRITE = 2;
  static final int MAP_SHARED = 0x01;
  static final int MAP_SHARED_VALIDATE = 0x03;
  static final int MAP_SYNC = 0x80000;

  static final int MS_SYNC = 4;

  /** {@code f_type} of tmpfs and ramfs in {@code struct statfs} (linux/magic.h). */
  static final long TMPFS_MAGIC = 0x01021994L;
  static final long RAMFS_MAGIC = 0x858458f6L;

  static final int F_OFD_SETLK = 37;
  static final short F_RDLCK = 0;
  static final short F_WRLCK = 1;

  static final int EAGAIN = 11;
  static final int EACCES = 13;
  static final int EINVAL = 22;
  static final int ENOSPC = 28;
  static final int EOPNOTSUPP = 95;

  private NativeFiles() {}

  /** Linux on x86-64 or AArch64. */
  static boolean supported() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    return os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"));
  }

  /** Whether this module may call native code without the JVM warning about it. */
  static boolean nativeAccessEnabled() {
    return NativeFiles.class.getModule().isNativeAccessEnabled();
  }

  /** The JVM flag that enables native access for this module. */
  static String nativeAccessFlag() {
    Module m = NativeFiles.class.getModule();
    return "--enable-native-access=" + (m.isNamed() ? m.getName() : "ALL-UNNAMED");
  }

  /** {@code open(path, flags)}; the descriptor, or an IOException with the errno text. */
  static int open(Path path, int flags) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Calls.STATE);
      MemorySegment cpath = arena.allocateFrom(path.toString());
      int fd = (int) Open.HANDLE.invokeExact(state, cpath, flags | O_CLOEXEC, 0);
      if (fd < 0) {
        int errno = (int) Calls.ERRNO.get(state, 0L);
        throw new IOException(path + ": open failed: " + strerror(errno) + " (errno " + errno + ")");
      }
      return fd;
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code close(fd)}, ignoring errors (there is nothing to do about them). */
  static void close(int fd) {
    try {
      int ignored = (int) Close.HANDLE.invokeExact(fd);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code posix_fallocate(fd, offset, length)}: 0 or the error number (it does not set errno). */
  static int posixFallocate(int fd, long offset, long length) {
    try {
      return (int) Fallocate.HANDLE.invokeExact(fd, offset, length);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code mmap(NULL, length, prot, flags, fd, 0)}.
   *
   * @return the address
   * @throws NativeError with the errno when the call fails
   */
  static long mmap(int fd, long length, boolean writable, int flags) throws NativeError {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Calls.STATE);
      int prot = PROT_READ | (writable ? PROT_WRITE : 0);
      MemorySegment addr = (MemorySegment) Mmap.HANDLE.invokeExact(state, MemorySegment.NULL, length, prot, flags, fd, 0L);
      if (addr.address() == -1L) {
        throw new NativeError((int) Calls.ERRNO.get(state, 0L), "mmap");
      }
      return addr.address();
    } catch (NativeError | RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Tries to lock the whole file open on {@code fd} with an open-file-description lock: {@code
   * fcntl(fd, F_OFD_SETLK, {F_RDLCK or F_WRLCK, SEEK_SET, 0, 0})}.
   *
   * @return true when locked, false when another holder (process or descriptor) conflicts
   * @throws NativeError for any other failure ({@code EINVAL} on kernels without OFD locks)
   */
  static boolean ofdLock(int fd, boolean shared) throws NativeError {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Calls.STATE);
      MemorySegment flock = arena.allocate(Calls.FLOCK); // zeroed: SEEK_SET, start 0, len 0 (whole file), pid 0
      flock.set(ValueLayout.JAVA_SHORT, Calls.FLOCK.byteOffset(MemoryLayout.PathElement.groupElement("l_type")),
          shared ? F_RDLCK : F_WRLCK);
      int rc = (int) Fcntl.HANDLE.invokeExact(state, fd, F_OFD_SETLK, flock);
      if (rc == 0) {
        return true;
      }
      int errno = (int) Calls.ERRNO.get(state, 0L);
      if (errno == EAGAIN || errno == EACCES) {
        return false;
      }
      throw new NativeError(errno, "fcntl(F_OFD_SETLK)");
    } catch (NativeError | RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code msync(address, length, MS_SYNC)}, allocating nothing (the address is passed as a 64-bit
   * integer, no errno is captured): 0, or -1 when it failed. The caller then repeats the write-back
   * with the JDK's {@code force()} (the same msync), which reports the error with its text.
   */
  static int msync(long address, long length) {
    try {
      return (int) Msync.HANDLE.invokeExact(address, length, MS_SYNC);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code fdatasync(fd)}: 0, or the errno when it failed. {@code state} is a segment of {@link
   * #errnoStateLayout()} owned by the calling thread (the call stores errno in it), so that a sync on
   * every commit allocates nothing.
   */
  static int fdatasync(MemorySegment state, int fd) {
    try {
      int rc = (int) Fdatasync.HANDLE.invokeExact(state, fd);
      return rc == 0 ? 0 : (int) Calls.ERRNO.get(state, 0L);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** The layout of the segment {@link #fdatasync} stores errno in. */
  static StructLayout errnoStateLayout() {
    return Calls.STATE;
  }

  /**
   * The filesystem type of the file open on {@code fd}: {@code f_type} of {@code fstatfs(fd)}, the
   * first field of {@code struct statfs} (a {@code long} on x86-64 and AArch64).
   *
   * @throws NativeError with the errno when the call fails
   */
  static long fstatfsType(int fd) throws NativeError {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Calls.STATE);
      MemorySegment buf = arena.allocate(256, 8); // struct statfs is 120 bytes on both
      int rc = (int) Fstatfs.HANDLE.invokeExact(state, fd, buf);
      if (rc != 0) {
        throw new NativeError((int) Calls.ERRNO.get(state, 0L), "fstatfs");
      }
      return buf.get(ValueLayout.JAVA_LONG, 0);
    } catch (NativeError | RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code munmap(address, length)}; 0 or the errno. */
  static int munmap(long address, long length) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(Calls.STATE);
      int rc = (int) Munmap.HANDLE.invokeExact(state, MemorySegment.ofAddress(address), length);
      return rc == 0 ? 0 : (int) Calls.ERRNO.get(state, 0L);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** The C library's text for {@code errno}. */
  static String strerror(int errno) {
    try {
      MemorySegment s = (MemorySegment) Strerror.HANDLE.invokeExact(errno);
      return s.reinterpret(256).getString(0);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** A failed call and its errno. */
  static final class NativeError extends Exception {
    private final int errno;

    NativeError(int errno, String call) {
      super(call + " failed: " + strerror(errno) + " (errno " + errno + ")");
      this.errno = errno;
    }

    int errno() {
      return errno;
    }
  }

  /**
   * Downcall linking is slow the first time (the JVM generates the binding code, tens of
   * milliseconds per signature on a cold JVM), so every function has its own holder class and is
   * linked on first use: opening a region links only {@code open}, {@code fcntl} and {@code close}.
   */
  private static final class Calls {
    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIBC = LINKER.defaultLookup();
    static final StructLayout STATE = Linker.Option.captureStateLayout();
    static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    static final ValueLayout PTR = ValueLayout.ADDRESS;

    /** {@code struct flock} on Linux x86-64 and AArch64. */
    static final StructLayout FLOCK = MemoryLayout.structLayout(
        ValueLayout.JAVA_SHORT.withName("l_type"),
        ValueLayout.JAVA_SHORT.withName("l_whence"),
        MemoryLayout.paddingLayout(4),
        ValueLayout.JAVA_LONG.withName("l_start"),
        ValueLayout.JAVA_LONG.withName("l_len"),
        ValueLayout.JAVA_INT.withName("l_pid"),
        MemoryLayout.paddingLayout(4));

    static MethodHandle link(String name, FunctionDescriptor descriptor, Linker.Option... options) {
      return LINKER.downcallHandle(LIBC.findOrThrow(name), descriptor, options);
    }
  }

  private static final class Open {
    static final MethodHandle HANDLE = Calls.link("open",
        FunctionDescriptor.of(Calls.I, Calls.PTR, Calls.I, Calls.I),
        Calls.CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
  }

  private static final class Close {
    static final MethodHandle HANDLE = Calls.link("close", FunctionDescriptor.of(Calls.I, Calls.I));
  }

  private static final class Fallocate {
    static final MethodHandle HANDLE = Calls.link("posix_fallocate",
        FunctionDescriptor.of(Calls.I, Calls.I, Calls.L, Calls.L));
  }

  private static final class Mmap {
    static final MethodHandle HANDLE = Calls.link("mmap",
        FunctionDescriptor.of(Calls.PTR, Calls.PTR, Calls.L, Calls.I, Calls.I, Calls.I, Calls.L),
        Calls.CAPTURE_ERRNO);
  }

  private static final class Msync {
    static final MethodHandle HANDLE = Calls.link("msync", FunctionDescriptor.of(Calls.I, Calls.L, Calls.L, Calls.I));
  }

  private static final class Fdatasync {
    static final MethodHandle HANDLE = Calls.link("fdatasync", FunctionDescriptor.of(Calls.I, Calls.I),
        Calls.CAPTURE_ERRNO);
  }

  private static final class Fstatfs {
    static final MethodHandle HANDLE = Calls.link("fstatfs", FunctionDescriptor.of(Calls.I, Calls.I, Calls.PTR),
        Calls.CAPTURE_ERRNO);
  }

  private static final class Munmap {
    static final MethodHandle HANDLE = Calls.link("munmap",
        FunctionDescriptor.of(Calls.I, Calls.PTR, Calls.L), Calls.CAPTURE_ERRNO);
  }

  private static final class Strerror {
    static final MethodHandle HANDLE = Calls.link("strerror",
        FunctionDescriptor.of(Calls.PTR, Calls.I));
  }

  private static final class Fcntl {
    static final MethodHandle HANDLE = Calls.link("fcntl",
        FunctionDescriptor.of(Calls.I, Calls.I, Calls.I, Calls.PTR),
        Calls.CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
  }
}
