package io.nvframe.backend.dax;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Filesystem helpers for tests: small tmpfs mounts (needs root), allocated-size queries, commands. */
final class TestFs {
  private TestFs() {}

  /** Output and exit code of a command. */
  record Result(int exit, String output) {}

  /** Runs a command, merging stderr into the output. */
  static Result run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, out + " (timed out)");
      }
      return new Result(p.exitValue(), out);
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, e.toString());
    }
  }

  /**
   * Mounts a tmpfs of {@code size} (e.g. {@code 1m}) on a new temporary directory; empty when this
   * process may not mount (not root, no CAP_SYS_ADMIN, in a restricted container), with the reason
   * in {@code why}.
   */
  static Optional<Path> mountTmpfs(String size, List<String> why) {
    Path dir;
    try {
      dir = Files.createTempDirectory("nvframe-tmpfs-");
    } catch (IOException e) {
      why.add(e.toString());
      return Optional.empty();
    }
    Result r = run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", dir.toString());
    if (r.exit() != 0) {
      why.add("'mount -t tmpfs' failed (exit " + r.exit() + "): " + r.output().trim());
      try {
        Files.deleteIfExists(dir);
      } catch (IOException ignored) {
        // best effort
      }
      return Optional.empty();
    }
    return Optional.of(dir);
  }

  /** Unmounts and removes a directory made by {@link #mountTmpfs}. */
  static void unmount(Path dir) throws IOException {
    Result r = run("umount", dir.toString());
    if (r.exit() != 0) {
      r = run("umount", "-l", dir.toString());
    }
    if (r.exit() != 0) {
      throw new IOException("umount " + dir + " failed: " + r.output());
    }
    Files.deleteIfExists(dir);
  }

  /** Bytes allocated on disk for {@code file} ({@code du -B1}). */
  static long allocatedBytes(Path file) {
    Result r = run("du", "-B1", file.toString());
    if (r.exit() != 0) {
      throw new IllegalStateException("du failed: " + r.output());
    }
    return Long.parseLong(r.output().trim().split("\\s+")[0]);
  }

  /** The lines of a command's output. */
  static List<String> lines(String output) {
    return new ArrayList<>(output.lines().toList());
  }
}
