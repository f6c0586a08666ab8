package io.flashtensors.cli;

import io.flashtensors.config.Settings;
import io.flashtensors.server.DaemonClient;
import io.flashtensors.server.DaemonProcess;
import io.flashtensors.server.proto.Gpu;
import io.flashtensors.server.proto.ModelSummary;
import io.flashtensors.server.proto.StatusReply;
import io.flashtensors.util.ByteSize;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flashtensors status}: whether the daemon runs, and what it holds. */
@Command(
    name = "status",
    description = {
      "Shows whether the flashtensors daemon runs, and what it holds.",
      "Its address, pool, resident models and GPUs. Exit code 0 when it runs, 3 when it does not."
    })
final class StatusCommand extends SettingsAware implements Callable<Integer> {

  /** Exit code when no daemon runs (as {@code systemctl status} does). */
  static final int NOT_RUNNING = 3;

  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print the daemon's status as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Settings settings = settings();
    PrintWriter out = spec.commandLine().getOut();
    Optional<DaemonProcess.State> state = DaemonProcess.find(settings.home());
    if (state.isEmpty()) {
      out.println(json ? "{\"running\":false}" : "flashtensors daemon: not running");
      out.flush();
      return NOT_RUNNING;
    }
    DaemonProcess.State s = state.get();
    StatusReply r;
    try (DaemonClient client = DaemonClient.connect(s.connectHost(), s.port(), settings.token())) {
      r = client.status();
    }
    if (json) {
      out.println(Json.MAPPER.writeValueAsString(statusJson(r)));
      out.flush();
      return 0;
    }
    Duration up = Duration.between(Instant.ofEpochMilli(r.getStartedUnixMs()), Instant.now());
    out.println("flashtensors daemon: running");
    out.printf("  pid       %d (up %s)%n", r.getPid(), uptime(up));
    out.printf("  version   %s%n", r.getVersion());
    out.printf("  address   %s:%d%n", r.getHost(), r.getPort());
    out.printf("  store     %s%n", r.getStoragePath());
    out.printf(
        Locale.ROOT,
        "  pool      %s of %s used (%s)%n",
        ByteSize.format(r.getPoolUsedBytes()),
        ByteSize.format(r.getPoolBytes()),
        r.getPoolPinned() ? "pinned" : "not pinned");
    out.printf(
        "  loader    %d threads, %s chunks%n", r.getThreads(), ByteSize.format(r.getChunkSize()));
    if (r.getCudaAvailable()) {
      for (Gpu g : r.getGpusList()) {
        out.printf(
            "  gpu %d     %s, %s, %s%n",
            g.getIndex(), g.getName(), ByteSize.format(g.getTotalBytes()), g.getUuid());
      }
    } else {
      out.printf("  gpu       none (%s)%n", r.getCudaMessage());
    }
    if (r.getResidentCount() == 0) {
      out.println("  resident  none");
    }
    for (ModelSummary m : r.getResidentList()) {
      out.printf(
          "  resident  %s@%s  %s%s%n",
          m.getModelId(),
          m.getRevision(),
          ByteSize.format(m.getResidency().getHostBytes()),
          m.getResidency().getInUse() > 0 ? "  in use by " + m.getResidency().getInUse() : "");
    }
    if (r.getPendingReplicas() > 0) {
      out.printf("  copying   %d GPU load(s)%n", r.getPendingReplicas());
    }
    out.flush();
    return 0;
  }

  private static Map<String, Object> statusJson(StatusReply r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("running", true);
    m.put("pid", r.getPid());
    m.put("version", r.getVersion());
    m.put("host", r.getHost());
    m.put("port", r.getPort());
    m.put("started_unix_ms", r.getStartedUnixMs());
    m.put("storage_path", r.getStoragePath());
    m.put("pool_bytes", r.getPoolBytes());
    m.put("pool_used_bytes", r.getPoolUsedBytes());
    m.put("pool_pinned", r.getPoolPinned());
    m.put("chunk_size", r.getChunkSize());
    m.put("threads", r.getThreads());
    m.put("cuda_available", r.getCudaAvailable());
    m.put("cuda_message", r.getCudaMessage());
    m.put(
        "gpus",
        r.getGpusList().stream()
            .map(
                g ->
                    Map.of(
                        "index",
                        g.getIndex(),
                        "uuid",
                        g.getUuid(),
                        "name",
                        g.getName(),
                        "total_bytes",
                        g.getTotalBytes()))
            .toList());
    m.put("resident", r.getResidentList().stream().map(Json::summary).toList());
    m.put("pending_gpu_loads", r.getPendingReplicas());
    return m;
  }

  private static String uptime(Duration d) {
    long s = d.toSeconds();
    if (s < 120) {
      return s + " s";
    }
    if (s < 7200) {
      return s / 60 + " min";
    }
    return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s / 60) % 60);
  }
}
