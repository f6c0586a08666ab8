package io.flashtensors.bench;

import io.flashtensors.config.Setting;
import io.flashtensors.config.Settings;
import io.flashtensors.config.SettingsResolver;
import io.flashtensors.cuda.Cuda;
import io.flashtensors.cuda.CudaDevice;
import io.flashtensors.load.gpu.GpuModel;
import io.flashtensors.server.DaemonClient;
import io.flashtensors.server.DaemonGpuLoader;
import io.flashtensors.server.DaemonProcess;
import io.flashtensors.server.proto.LoadToHostReply;
import io.flashtensors.server.proto.StatusReply;
import io.flashtensors.store.FlashModelConverter;
import io.flashtensors.store.ModelId;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.Progress;
import io.flashtensors.store.RegisterOptions;
import io.flashtensors.store.StoredModel;
import io.flashtensors.util.ByteSize;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Hot swap through the daemon: a client process cycles models that the daemon (another process)
 * holds resident, each swap being "allocate GPU memory, hand it to the daemon as CUDA IPC handles,
 * let it copy the model in, free the previous model". Reports the latency of a whole swap and of
 * its host-to-device copies alone (p50/p90/p99/max), with the first, disk-bound loads on their own.
 *
 * <pre>
 * java -cp ... io.flashtensors.bench.DaemonSwapBenchmark --models DIR,DIR,... [--home DIR]
 *     [--pool 16GB] [--swaps 200] [--threads 16] [--out daemon-swap.json]
 * </pre>
 *
 * The models are safetensors folders; they are converted into a store under the home folder first.
 */
public final class DaemonSwapBenchmark {

  private DaemonSwapBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = parse(args);
    List<Path> folders = Arrays.stream(opts.get("models").split(",")).map(Path::of).toList();
    Path home = Path.of(opts.getOrDefault("home", "/tmp/flashtensors-daemon-bench"));
    int swaps = Integer.parseInt(opts.getOrDefault("swaps", "200"));
    Path out = Path.of(opts.getOrDefault("out", "daemon-swap.json"));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Settings settings =
        new SettingsResolver(Map.of("FLASHTENSORS_HOME", home.toString()), home)
            .resolve(
                Map.of(
                    Setting.PORT, Integer.toString(port),
                    Setting.MEM_POOL_SIZE, opts.getOrDefault("pool", "16GB"),
                    Setting.THREADS, opts.getOrDefault("threads", "16")));
    Map<String, Object> report = new LinkedHashMap<>();
    CudaDevice gpu = Cuda.device(0);
    report.put("gpu", gpu.name());
    report.put("gpu_uuid", gpu.uuid());

    // 1. The models into the store.
    ModelStore store = ModelStore.open(settings.storagePath());
    List<StoredModel> models = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < folders.size(); i++) {
      models.add(
          store.register(
              ModelId.parse("bench/swap-" + i),
              "main",
              folders.get(i),
              new FlashModelConverter(),
              RegisterOptions.local(),
              Progress.NONE));
    }
    report.put("convert_seconds", seconds(t0));
    long modelBytes = models.getFirst().tensorBytes();
    report.put("model_bytes", modelBytes);
    report.put("models", models.size());
    System.out.printf(
        Locale.ROOT,
        "converted %d models of %s in %.1f s%n",
        models.size(),
        ByteSize.format(modelBytes),
        seconds(t0));

    // 2. The daemon, in another process.
    DaemonProcess.stop(home, Optional.empty(), Duration.ofSeconds(30));
    t0 = System.nanoTime();
    DaemonProcess.State state = DaemonProcess.startBackground(settings, Duration.ofSeconds(120));
    report.put("daemon_start_seconds", seconds(t0));
    try (DaemonClient client = DaemonClient.connect("127.0.0.1", state.port(), Optional.empty())) {
      // 3. First loads: the daemon reads each model from disk (page cache) into its pool.
      List<Double> hostLoads = new ArrayList<>();
      for (StoredModel m : models) {
        LoadToHostReply r = client.loadToHost(m.id(), m.revision());
        hostLoads.add(r.getSeconds());
      }
      StatusReply status = client.status();
      report.put("pool_pinned", status.getPoolPinned());
      report.put("pool_used_bytes", status.getPoolUsedBytes());
      report.put("host_load_seconds", hostLoads);
      System.out.printf(
          Locale.ROOT,
          "daemon read %d models into its pool (%s, %s): %s s%n",
          models.size(),
          ByteSize.format(status.getPoolUsedBytes()),
          status.getPoolPinned() ? "pinned" : "not pinned",
          hostLoads.stream().map(d -> String.format(Locale.ROOT, "%.2f", d)).toList());

      // 4. Swaps: load the next model into fresh GPU memory, then free the previous one.
      DaemonGpuLoader loader = new DaemonGpuLoader(client, Duration.ofMinutes(2));
      GpuModel current = null;
      double[] total = new double[swaps];
      double[] copy = new double[swaps];
      double[] allocate = new double[swaps];
      double[] open = new double[swaps];
      double[] release = new double[swaps];
      double[] describe = new double[swaps];
      double[] request = new double[swaps];
      double[] confirm = new double[swaps];
      int warmup = models.size() * 2;
      for (int i = -warmup; i < swaps; i++) {
        StoredModel m = models.get(Math.floorMod(i, models.size()));
        long s0 = System.nanoTime();
        DaemonGpuLoader.Loaded loaded = loader.load(m.id(), m.revision(), gpu);
        double swapSeconds = seconds(s0);
        if (current != null) {
          current.close();
        }
        current = loaded.model();
        if (i >= 0) {
          total[i] = swapSeconds;
          copy[i] = loaded.confirm().getCopySeconds();
          allocate[i] = loaded.model().report().allocateSeconds();
          open[i] = loaded.confirm().getOpenSeconds();
          release[i] = loaded.confirm().getReleaseSeconds();
          describe[i] = loaded.phases().describeSeconds();
          request[i] = loaded.phases().requestSeconds();
          confirm[i] = loaded.phases().confirmSeconds();
        }
      }
      if (current != null) {
        current.close();
      }
      report.put("swaps", swaps);
      report.put("swap_seconds", percentiles(total));
      report.put("copy_seconds", percentiles(copy));
      report.put("client_allocate_seconds", percentiles(allocate));
      report.put("daemon_open_seconds", percentiles(open));
      report.put("daemon_release_seconds", percentiles(release));
      report.put("client_describe_seconds", percentiles(describe));
      report.put("client_request_seconds", percentiles(request));
      report.put("client_confirm_seconds", percentiles(confirm));
      double p50copy = percentile(copy, 50);
      report.put("copy_gb_per_s_p50", modelBytes / p50copy / 1e9);
      report.put("swap_gb_per_s_p50", modelBytes / percentile(total, 50) / 1e9);
      System.out.printf(
          Locale.ROOT,
          "%d swaps of %s through the daemon (CUDA IPC):%n"
              + "  whole swap  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms  (%.1f GB/s at p50)%n"
              + "  copies      p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms  (%.1f GB/s at p50)%n"
              + "  allocation  p50 %.1f ms  p99 %.1f ms (the client's cuMemAlloc and IPC handles)%n"
              + "  open        p50 %.1f ms  p99 %.1f ms (the daemon's cuIpcOpenMemHandle)%n"
              + "  release     p50 %.1f ms  p99 %.1f ms (the daemon's cuIpcCloseMemHandle, streams)%n"
              + "  client: Describe p50 %.1f ms, LoadToGpu p50 %.1f ms, Confirm (waiting) p50 %.1f ms%n",
          swaps,
          ByteSize.format(modelBytes),
          1e3 * percentile(total, 50),
          1e3 * percentile(total, 90),
          1e3 * percentile(total, 99),
          1e3 * percentile(total, 100),
          modelBytes / percentile(total, 50) / 1e9,
          1e3 * percentile(copy, 50),
          1e3 * percentile(copy, 90),
          1e3 * percentile(copy, 99),
          1e3 * percentile(copy, 100),
          modelBytes / p50copy / 1e9,
          1e3 * percentile(allocate, 50),
          1e3 * percentile(allocate, 99),
          1e3 * percentile(open, 50),
          1e3 * percentile(open, 99),
          1e3 * percentile(release, 50),
          1e3 * percentile(release, 99),
          1e3 * percentile(describe, 50),
          1e3 * percentile(request, 50),
          1e3 * percentile(confirm, 50));
    } finally {
      DaemonProcess.stop(home, Optional.empty(), Duration.ofSeconds(60));
    }
    Files.write(
        out,
        JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsBytes(report));
    System.out.println("wrote " + out);
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  private static Map<String, Double> percentiles(double[] values) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (int p : new int[] {50, 90, 99, 100}) {
      m.put(p == 100 ? "max" : "p" + p, percentile(values, p));
    }
    m.put("min", Arrays.stream(values).min().orElse(0));
    return m;
  }

  /** Nearest-rank percentile. */
  static double percentile(double[] values, int p) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.clamp(rank - 1, 0, sorted.length - 1)];
  }

  private static Map<String, String> parse(String[] args) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "usage: --models DIR,DIR,... [--home DIR] [--pool SIZE]"
                + " [--swaps N] [--threads N] [--out FILE]; got "
                + args[i]);
      }
      m.put(args[i].substring(2), args[++i]);
    }
    if (!m.containsKey("models")) {
      throw new IllegalArgumentException("--models DIR,DIR,... is needed");
    }
    return m;
  }
}
