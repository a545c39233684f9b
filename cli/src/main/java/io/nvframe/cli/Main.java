package io.nvframe.cli;

import io.nvframe.api.NvframeException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code nvframe} command. Exit codes: 0 success or consistent, 1 operation failed or region
 * inconsistent (reason on stderr), 2 usage error.
 */
@Command(
    name = "nvframe",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Page frames on non-volatile memory: create, inspect and check regions.",
    subcommands = {
      CreateCommand.class,
      InfoCommand.class,
      CheckCommand.class,
      StatsCommand.class,
      RootsCommand.class,
      DumpCommand.class,
      BackendsCommand.class,
      BttCommand.class,
      DemoCommand.class,
      BenchCommand.class,
      DemoWorkerCommand.class,
      AotTrainingCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  /** Exit code for a failed operation or an inconsistent region. */
  static final int FAILED = 1;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = {"-v", "--verbose"}, description = "Log at INFO level to stderr.", scope = CommandLine.ScopeType.INHERIT)
  void verbose(boolean on) {
    if (on) {
      System.setProperty("nvframe.log.level", "INFO");
    }
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns the exit code (used by tests too). */
  static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main());
    // --help and --version on every command, not only on 'nvframe' itself
    cli.getSubcommands().values().forEach(sub -> sub.getCommandSpec().mixinStandardHelpOptions(true));
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          String message = e instanceof NvframeException || e instanceof IllegalArgumentException
              || e instanceof UnsupportedOperationException || e instanceof IllegalStateException
              ? e.getMessage()
              : e.toString();
          commandLine.getErr().println("nvframe: error: " + message);
          if (Boolean.getBoolean("nvframe.debug")) {
            e.printStackTrace(commandLine.getErr());
          }
          return FAILED;
        });
    return cli.execute(args);
  }

  /** Version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"nvframe " + (v == null ? "development build" : v) + ", Java " + Runtime.version()};
    }
  }
}
