package io.flashtensors.cli;

import io.flashtensors.config.SettingsResolver;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Entry point of the {@code flashtensors} command line. Each subcommand is its own class in this
 * package; this class only wires them together and turns failures into one clear error line.
 */
@Command(
    name = "flashtensors",
    mixinStandardHelpOptions = true,
    scope = CommandLine.ScopeType.INHERIT, // every subcommand takes -h/--help (and -V)
    versionProvider = VersionProvider.class,
    description = "Loads LLM weights to GPU memory at close to the hardware limit and runs Qwen3.",
    subcommands = {
      CommandLine.HelpCommand.class,
      ConvertCommand.class,
      InspectCommand.class,
      LoadCommand.class,
      GenerateCommand.class,
      StartCommand.class,
      StopCommand.class,
      StatusCommand.class,
      PullCommand.class,
      RegisterCommand.class,
      ListCommand.class,
      InfoCommand.class,
      RmCommand.class,
      BenchCommand.class,
      TokenizeCommand.class,
      RenderChatCommand.class,
      RunCommand.class,
      ChatCommand.class
    })
public final class FlashTensorsCli {

  /** Shown by every subcommand through {@code @Mixin}; read by the error handler. */
  @Option(
      names = "--debug",
      scope = CommandLine.ScopeType.INHERIT,
      description = "Print stack traces of errors.")
  boolean debug;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit code; never calls {@link System#exit}. */
  public static int execute(String... args) {
    return newCommandLine().execute(args);
  }

  /** A fully wired command line, for tests that capture its output. */
  public static CommandLine newCommandLine() {
    return newCommandLine(SettingsResolver.system());
  }

  /**
   * A command line whose commands resolve their settings (flashtensors home, config file,
   * environment) through {@code resolver}; tests pass one over a temporary home.
   */
  public static CommandLine newCommandLine(SettingsResolver resolver) {
    CommandLine.IFactory defaults = CommandLine.defaultFactory();
    CommandLine.IFactory factory =
        new CommandLine.IFactory() {
          @Override
          public <K> K create(Class<K> type) throws Exception {
            K instance = defaults.create(type);
            if (instance instanceof SettingsAware aware) {
              aware.useResolver(resolver);
            }
            return instance;
          }
        };
    CommandLine cli = new CommandLine(new FlashTensorsCli(), factory);
    cli.setExecutionExceptionHandler(FlashTensorsCli::handleFailure);
    cli.setParameterExceptionHandler(FlashTensorsCli::handleBadArguments);
    return cli;
  }

  private static int handleFailure(
      Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
    PrintWriter err = commandLine.getErr();
    boolean debug =
        parseResult.matchedOption("--debug") != null
            || parseResult.subcommands().stream().anyMatch(p -> p.matchedOption("--debug") != null);
    err.println("error: " + describe(e));
    if (debug) {
      e.printStackTrace(err);
    }
    err.flush();
    return commandLine.getCommandSpec().exitCodeOnExecutionException();
  }

  /** Bad flags or arguments: one line naming the problem and where the usage is, no usage dump. */
  private static int handleBadArguments(CommandLine.ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    PrintWriter err = command.getErr();
    err.println(
        "error: "
            + e.getMessage()
            + " (see '"
            + command.getCommandSpec().qualifiedName()
            + " --help')");
    err.flush();
    return command.getCommandSpec().exitCodeOnInvalidInput();
  }

  private static String describe(Throwable e) {
    Throwable t = e;
    while ((t.getMessage() == null || t.getMessage().isBlank()) && t.getCause() != null) {
      t = t.getCause();
    }
    // These carry only the path as their message; say what happened to it.
    switch (t) {
      case java.nio.file.NoSuchFileException x -> {
        return x.getFile()
            + ": "
            + (x.getReason() != null ? x.getReason() : "no such file or folder");
      }
      case java.nio.file.AccessDeniedException x -> {
        return x.getFile() + ": permission denied";
      }
      case java.nio.file.FileAlreadyExistsException x -> {
        return x.getFile() + ": already exists";
      }
      case java.nio.file.NotDirectoryException x -> {
        return x.getFile() + ": not a folder";
      }
      default -> {}
    }
    String message = t.getMessage();
    return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
  }
}
