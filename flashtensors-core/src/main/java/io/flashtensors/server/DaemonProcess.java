package io.flashtensors.server;

import io.flashtensors.config.Settings;
import io.flashtensors.store.LockFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The daemon as an operating-system process, found through files in the flashtensors home folder:
 *
 * <ul>
 *   <li>{@code daemon.lock}: locked by the running daemon for its whole life, so a second one
 *       refuses to start and a crashed one leaves no false "running";
 *   <li>{@code daemon.json}: its pid, address and version, written once it listens;
 *   <li>{@code daemon.log}: its output when it runs in the background.
 * </ul>
 *
 * {@code status} and {@code stop} need no flags: they read {@code daemon.json}.
 */
public final class DaemonProcess {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private DaemonProcess() {}

  /**
   * What a running daemon wrote about itself.
   *
   * @param pid its process id
   * @param host the address it listens on
   * @param port its port
   * @param startedMillis when it started (epoch milliseconds)
   * @param version flashtensors version
   * @param storagePath its model store
   * @param logFile its log file (empty in the foreground)
   * @param tokenRequired whether calls need a token
   */
  public record State(
      long pid,
      String host,
      int port,
      long startedMillis,
      String version,
      String storagePath,
      String logFile,
      boolean tokenRequired) {

    /** The address clients connect to: a wildcard bind is reached through loopback. */
    public String connectHost() {
      return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")
          ? "127.0.0.1"
          : host;
    }
  }

  public static Path lockFile(Path home) {
    return home.resolve("daemon.lock");
  }

  public static Path stateFile(Path home) {
    return home.resolve("daemon.json");
  }

  public static Path logFile(Path home) {
    return home.resolve("daemon.log");
  }

  /** The running daemon of this home folder, if any. */
  public static Optional<State> find(Path home) {
    if (!Files.isDirectory(home)) {
      return Optional.empty();
    }
    LockFile lock = LockFile.tryAcquire(lockFile(home));
    if (lock != null) {
      // Nobody holds the lock: whatever daemon.json says is left from a crash.
      try (lock) {
        Files.deleteIfExists(stateFile(home));
      } catch (IOException e) {
        // A stale file that stays is harmless: the lock decides.
      }
      return Optional.empty();
    }
    // Locked: running, or starting and not yet listening.
    for (int i = 0; i < 50; i++) {
      Optional<State> state = readState(home);
      if (state.isPresent()) {
        return state;
      }
      sleep(Duration.ofMillis(100));
    }
    return Optional.empty();
  }

  private static Optional<State> readState(Path home) {
    try {
      return Optional.of(JSON.readValue(Files.readAllBytes(stateFile(home)), State.class));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | JacksonException e) {
      return Optional.empty();
    }
  }

  /**
   * Runs the daemon in this process until it is asked to stop (Shutdown RPC, SIGTERM or Ctrl-C).
   *
   * @param logFile recorded in {@code daemon.json} (empty when logging to the terminal)
   * @param started told once the daemon listens
   * @throws IllegalStateException when a daemon of this home folder is running already
   */
  public static void runForeground(
      Settings settings, String logFile, java.util.function.Consumer<State> started)
      throws IOException, InterruptedException {
    Path home = settings.home();
    Files.createDirectories(home);
    LockFile lock = LockFile.tryAcquire(lockFile(home));
    if (lock == null) {
      Optional<State> other = readState(home);
      throw new IllegalStateException(
          "a flashtensors daemon is running already"
              + other
                  .map(s -> " (pid " + s.pid() + ", " + s.host() + ":" + s.port() + ")")
                  .orElse("")
              + "; `flashtensors stop` stops it");
    }
    DaemonServer server;
    try {
      server = DaemonServer.start(settings);
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
    State state =
        new State(
            ProcessHandle.current().pid(),
            settings.host(),
            server.port(),
            System.currentTimeMillis(),
            DaemonServer.version(),
            settings.storagePath().toString(),
            logFile,
            settings.token().isPresent());
    Thread hook =
        Thread.ofPlatform()
            .unstarted(
                () -> {
                  server.close();
                  cleanUp(home, lock);
                });
    Runtime.getRuntime().addShutdownHook(hook);
    writeState(home, state);
    started.accept(state);
    server.awaitStop();
    cleanUp(home, lock);
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // The hook runs (or ran) anyway.
    }
  }

  private static synchronized void cleanUp(Path home, LockFile lock) {
    try {
      Files.deleteIfExists(stateFile(home));
    } catch (IOException e) {
      // The next status sees the lock free and ignores the file.
    }
    try {
      lock.close();
    } catch (RuntimeException alreadyReleased) {
      // Closed by the other path (hook or normal stop).
    }
  }

  private static void writeState(Path home, State state) throws IOException {
    Path temp = home.resolve("daemon.json.tmp");
    Files.write(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
    try {
      Files.move(
          temp,
          stateFile(home),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, stateFile(home), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * Starts the daemon in the background: a new JVM running {@code flashtensors start --foreground}
   * with the resolved settings, detached from the terminal, logging to {@code daemon.log}. Returns
   * once it listens.
   *
   * @throws IllegalStateException when one is running already, or the new one fails to start (with
   *     the end of its log)
   */
  public static State startBackground(Settings settings, Duration timeout)
      throws IOException, InterruptedException {
    Path home = settings.home();
    Files.createDirectories(home);
    Optional<State> running = find(home);
    if (running.isPresent()) {
      State s = running.get();
      throw new IllegalStateException(
          "a flashtensors daemon is running already (pid "
              + s.pid()
              + ", "
              + s.host()
              + ":"
              + s.port()
              + "); `flashtensors stop` stops it");
    }
    Path log = logFile(home);
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      command.add("/usr/bin/setsid"); // leaves the terminal's process group: Ctrl-C spares it
    }
    command.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.contains("jdwp") && !arg.startsWith("-Xdebug")) {
        command.add(arg);
      }
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.flashtensors.cli.FlashTensorsCli");
    command.addAll(
        List.of(
            "start",
            "--foreground",
            "--log-file",
            log.toString(),
            "--host",
            settings.host(),
            "--port",
            Integer.toString(settings.port()),
            "--mem-pool-size",
            Long.toString(settings.memPoolSize()),
            "--chunk-size",
            Long.toString(settings.chunkSize()),
            "--threads",
            Integer.toString(settings.threads()),
            "--gpu-memory-utilization",
            Double.toString(settings.gpuMemoryUtilization()),
            "--storage-path",
            settings.storagePath().toString()));
    long logStart = Files.exists(log) ? Files.size(log) : 0;
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectErrorStream(true);
    pb.environment().put("FLASHTENSORS_HOME", home.toString());
    // The token travels in the environment, not on the command line where `ps` shows it.
    settings
        .token()
        .ifPresentOrElse(
            t -> pb.environment().put("FLASHTENSORS_TOKEN", t),
            () -> pb.environment().remove("FLASHTENSORS_TOKEN"));
    Process process = pb.start();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<State> state = readState(home);
      if (state.isPresent()
          && (state.get().pid() == process.pid() || isDescendant(process, state.get().pid()))) {
        return state.get();
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "the daemon exited at start (code "
                + process.exitValue()
                + "); "
                + log
                + " says: "
                + tail(log, logStart));
      }
      sleep(Duration.ofMillis(100));
    }
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    throw new IllegalStateException(
        "the daemon did not start listening within "
            + timeout.toSeconds()
            + " s; "
            + log
            + " says: "
            + tail(log, logStart));
  }

  private static boolean isDescendant(Process process, long pid) {
    return process.descendants().anyMatch(p -> p.pid() == pid);
  }

  /** The log written since {@code from}, on one line, its last 600 characters. */
  private static String tail(Path log, long from) {
    try {
      byte[] all = Files.readAllBytes(log);
      String text =
          new String(
                  all,
                  (int) Math.min(from, all.length),
                  (int) Math.max(0, all.length - from),
                  StandardCharsets.UTF_8)
              .lines()
              .filter(l -> !l.startsWith("WARNING: Using incubator modules"))
              .map(String::strip)
              .filter(l -> !l.isEmpty())
              .collect(java.util.stream.Collectors.joining(" | "));
      return text.isEmpty()
          ? "(nothing)"
          : text.length() > 600 ? "..." + text.substring(text.length() - 600) : text;
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  /**
   * Stops the running daemon: asks it over gRPC, and if it cannot be reached (a wrong token, a hung
   * server) sends SIGTERM, whose handler shuts it down the same way.
   *
   * @return the state of the daemon stopped; empty when none was running
   * @throws IllegalStateException when it is still alive after {@code timeout}
   */
  public static Optional<State> stop(Path home, Optional<String> token, Duration timeout) {
    Optional<State> found = find(home);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    State state = found.get();
    Optional<ProcessHandle> process = ProcessHandle.of(state.pid());
    boolean asked = false;
    try (DaemonClient client = DaemonClient.connect(state.connectHost(), state.port(), token)) {
      client.shutdown();
      asked = true;
    } catch (DaemonException e) {
      // Fall back to the signal below.
    }
    try {
      if (!asked) {
        process
            .filter(p -> p.pid() != ProcessHandle.current().pid())
            .ifPresent(ProcessHandle::destroy);
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      // Stopped when the lock is free (the daemon released it) and, for another process, it exited.
      while (System.nanoTime() < deadline) {
        boolean exited =
            process.isEmpty()
                || process.get().pid() == ProcessHandle.current().pid()
                || !process.get().isAlive();
        if (exited && LockFile.tryAcquire(lockFile(home)) instanceof LockFile free) {
          free.close();
          return found;
        }
        Thread.sleep(50);
      }
      throw new IllegalStateException(
          "the daemon (pid "
              + state.pid()
              + ") did not stop within "
              + timeout.toSeconds()
              + " s; `kill -9 "
              + state.pid()
              + "` ends it");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the daemon to stop", e);
    }
  }

  /** A one-line description of a running daemon. */
  public static String describe(State s) {
    return "pid " + s.pid() + ", " + s.host() + ":" + s.port() + ", store " + s.storagePath();
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new java.io.InterruptedIOException("interrupted"));
    }
  }
}
