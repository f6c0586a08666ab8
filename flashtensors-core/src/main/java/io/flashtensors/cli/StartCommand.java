package io.flashtensors.cli;

import io.flashtensors.config.Setting;
import io.flashtensors.config.Settings;
import io.flashtensors.server.DaemonProcess;
import io.flashtensors.util.ByteSize;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flashtensors start}: the daemon that holds the pinned pool and the resident models. */
@Command(
    name = "start",
    description = {
      "Starts the flashtensors daemon in the background.",
      "One process keeps models resident in a host memory pool (mem-pool-size) and copies them into the GPU memory of other processes (CUDA IPC) or shares them with them (shared memory). It binds 127.0.0.1 unless --host says otherwise, and then needs a token. Its pid, address and log are under the flashtensors home (~/.flashtensors); `status` and `stop` find it there."
    })
final class StartCommand extends SettingsAware implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--port", description = "Port to listen on (default 8073).")
  Integer port;

  @Option(names = "--host", description = "Address to bind (default 127.0.0.1).")
  String host;

  @Option(
      names = "--mem-pool-size",
      paramLabel = "SIZE",
      description = "Host memory for resident models, e.g. 30GB (default 30GB).")
  String memPoolSize;

  @Mixin StorageOption storage;

  @Option(names = "--threads", description = "Reader threads of a load.")
  Integer threads;

  @Option(
      names = "--chunk-size",
      paramLabel = "SIZE",
      description = "Bytes per read (default 32MB).")
  String chunkSize;

  @Option(
      names = "--gpu-memory-utilization",
      paramLabel = "FRACTION",
      description = "Fraction of a GPU's memory loads may use (default 0.8).")
  String gpuMemoryUtilization;

  @Option(
      names = "--token",
      description = {
        "Secret every call must carry; required when --host is not loopback.",
        "Prefer FLASHTENSORS_TOKEN or the config file: flags show in `ps`."
      })
  String token;

  @Option(names = "--foreground", description = "Run in this terminal until Ctrl-C or `stop`.")
  boolean foreground;

  @Option(names = "--log-file", hidden = true, description = "Set by the background start.")
  String logFile;

  @Override
  protected void addFlags(Map<Setting, String> flags) {
    put(flags, Setting.PORT, port);
    put(flags, Setting.HOST, host);
    put(flags, Setting.MEM_POOL_SIZE, memPoolSize);
    storage.addTo(flags);
    put(flags, Setting.THREADS, threads);
    put(flags, Setting.CHUNK_SIZE, chunkSize);
    put(flags, Setting.GPU_MEMORY_UTILIZATION, gpuMemoryUtilization);
    put(flags, Setting.TOKEN, token);
  }

  @Override
  public Integer call() throws Exception {
    Settings settings = settings();
    PrintWriter out = spec.commandLine().getOut();
    if (foreground) {
      // One line per log record, with the time: the log file stays readable.
      System.setProperty(
          "java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$s %3$s: %5$s%6$s%n");
      DaemonProcess.runForeground(
          settings,
          logFile == null ? "" : logFile,
          state -> {
            out.println(
                "flashtensors daemon listening on "
                    + state.host()
                    + ":"
                    + state.port()
                    + " (pid "
                    + state.pid()
                    + "); Ctrl-C or `flashtensors stop` stops it");
            out.flush();
          });
      return 0;
    }
    DaemonProcess.State state = DaemonProcess.startBackground(settings, Duration.ofSeconds(120));
    out.println("flashtensors daemon started");
    out.println("  pid      " + state.pid());
    out.println(
        "  address  "
            + state.host()
            + ":"
            + state.port()
            + (state.tokenRequired() ? " (token required)" : ""));
    out.println("  pool     " + ByteSize.format(settings.memPoolSize()));
    out.println("  store    " + state.storagePath());
    out.println("  log      " + state.logFile());
    out.flush();
    return 0;
  }
}
