package io.nvframe.tck;

import static java.util.Objects.requireNonNull;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Starts a second JVM for tests that need another process: a lock held by someone else, discovery
 * on the module path, a JVM started without some flag, a process killed mid-write.
 *
 * <p>The child runs the same {@code java} executable as the test ({@link
 * ProcessHandle.Info#command()}, else {@code java.home}) with the test's class path, so test
 * classes can serve as the child's main class. Output goes to files in a directory the caller
 * chooses (a pipe nobody reads could block the child), and {@link Finished} carries it back for
 * assertion messages.
 */
public final class ChildJvm {
  private ChildJvm() {}

  /** Exit code and output of a finished child. */
  public record Finished(int exitCode, String stdout, String stderr) {
    /** Both streams, for assertion messages. */
    public String describe() {
      return "exit code " + exitCode + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
    }
  }

  /** The {@code java} launcher of the running JVM. */
  public static String javaExecutable() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** The class path entries of the running JVM ({@code java.class.path}). */
  public static List<Path> classPath() {
    List<Path> entries = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        entries.add(Path.of(entry));
      }
    }
    return entries;
  }

  /**
   * The class path entries that are modules: directories holding a {@code module-info.class},
   * and jars with a {@code module-info.class} (plain or multi-release) or an {@code
   * Automatic-Module-Name}. Plain class directories ({@code target/test-classes}) and jars without
   * a module name are left out, because they cannot be put on a module path safely.
   */
  public static List<Path> modulePath() {
    List<Path> modules = new ArrayList<>();
    for (Path entry : classPath()) {
      if (isModule(entry)) {
        modules.add(entry);
      }
    }
    return modules;
  }

  /**
   * A command line running {@code mainClass} on the current class path.
   *
   * @param jvmOptions options placed before {@code -cp}, e.g. {@code -Xmx64m}
   * @param mainClass the class with a {@code main} method
   * @param args program arguments
   */
  public static List<String> classPathCommand(List<String> jvmOptions, String mainClass, List<String> args) {
    requireNonNull(jvmOptions, "jvmOptions");
    requireNonNull(mainClass, "mainClass");
    requireNonNull(args, "args");
    List<String> command = new ArrayList<>();
    command.add(javaExecutable());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(args);
    return command;
  }

  /**
   * Starts {@code command} with stderr sent to {@code logDir/<name>.stderr}; stdin and stdout are
   * pipes the caller can use for a handshake.
   */
  public static Process start(List<String> command, Path logDir, String name) {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.redirectError(logDir.resolve(name + ".stderr").toFile());
    try {
      return builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start child JVM: " + String.join(" ", command), e);
    }
  }

  /**
   * Runs {@code command} to completion with its output in {@code logDir}; a child still running
   * after {@code timeoutSeconds} is killed and reported with exit code -1.
   */
  public static Finished run(List<String> command, Path logDir, String name, long timeoutSeconds) {
    Path out = logDir.resolve(name + ".stdout");
    Path err = logDir.resolve(name + ".stderr");
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
    builder.redirectOutput(out.toFile());
    builder.redirectError(err.toFile());
    try {
      Process process = builder.start();
      int exit;
      if (process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        exit = process.exitValue();
      } else {
        process.destroyForcibly().waitFor();
        exit = -1;
      }
      return new Finished(exit, readOrEmpty(out), readOrEmpty(err));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run child JVM: " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a child JVM", e);
    }
  }

  private static File nullDevice() {
    return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
  }

  private static String readOrEmpty(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static boolean isModule(Path entry) {
    if (Files.isDirectory(entry)) {
      return Files.isRegularFile(entry.resolve("module-info.class"));
    }
    if (!Files.isRegularFile(entry) || !entry.getFileName().toString().endsWith(".jar")) {
      return false;
    }
    try (JarFile jar = new JarFile(entry.toFile())) {
      if (jar.getEntry("module-info.class") != null) {
        return true;
      }
      boolean versioned =
          jar.stream().anyMatch(e -> e.getName().matches("META-INF/versions/\\d+/module-info\\.class"));
      if (versioned) {
        return true;
      }
      Manifest manifest = jar.getManifest();
      return manifest != null && manifest.getMainAttributes().getValue("Automatic-Module-Name") != null;
    } catch (IOException e) {
      return false;
    }
  }
}
