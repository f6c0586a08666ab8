package io.flashtensors.cli;

import io.flashtensors.load.DeviceMap;
import io.flashtensors.load.DirectIo;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.load.LoadMetrics;
import io.flashtensors.load.LoadedModel;
import io.flashtensors.load.gpu.GpuLoadReport;
import io.flashtensors.load.gpu.GpuLoader;
import io.flashtensors.load.gpu.GpuLoaderOptions;
import io.flashtensors.load.gpu.GpuModel;
import io.flashtensors.load.gpu.LoadSource;
import io.flashtensors.util.ByteSize;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flashtensors load PATH}: loads a model and reports how fast. */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    description =
        "Loads a flash layout or safetensors checkpoint with parallel chunked reads and prints bytes, seconds and GB/s.")
final class LoadCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(
      paramLabel = "PATH",
      description = "flash layout folder, or safetensors file or folder")
  Path path;

  @Option(
      names = "--device",
      defaultValue = "cpu",
      description =
          "Device or device map: cpu, cuda:N, a GPU UUID, or JSON such as {\"\": \"cpu\"} or"
              + " {\"model.layers.0\": 0, \"\": 1} (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(
      names = "--mem-pool-size",
      paramLabel = "SIZE",
      converter = ByteSizeConverter.class,
      defaultValue = "1GB",
      description =
          "GPU loads: pinned host memory to stage chunks in; a model larger than it streams"
              + " through it (default: ${DEFAULT-VALUE}).")
  long memPoolSize;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Reader threads (default: twice the processors, at most 16).")
  Integer threads;

  @Option(
      names = "--chunk-size",
      paramLabel = "SIZE",
      converter = ByteSizeConverter.class,
      defaultValue = "32MB",
      description = "Bytes per read (default: ${DEFAULT-VALUE}).")
  long chunkSize;

  @Option(names = "--verify", description = "Check CRC32C checksums while reading (flash layout).")
  boolean verify;

  @Option(
      names = "--io",
      defaultValue = "auto",
      description =
          "auto: O_DIRECT where the file system allows it, unless the page cache holds most of the"
              + " file; direct; buffered (page cache). Default: ${DEFAULT-VALUE}.")
  String io;

  @Option(names = "--quiet", description = "No progress output.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    DeviceMap deviceMap = DeviceMap.parse(device);
    DirectIo directIo =
        switch (io.toLowerCase(Locale.ROOT)) {
          case "auto" -> DirectIo.AUTO;
          case "direct" -> DirectIo.ON;
          case "buffered" -> DirectIo.OFF;
          default ->
              throw new IllegalArgumentException(
                  "--io must be auto, direct or buffered, not '" + io + "'");
        };
    if (deviceMap.devices().stream().anyMatch(d -> !d.isCpu())) {
      return loadOnGpu(deviceMap, directIo);
    }
    ProgressPrinter progress = new ProgressPrinter(spec.commandLine().getErr(), "loading");
    FlashLoader.Builder builder =
        FlashLoader.builder().chunkSize(chunkSize).verifyChecksums(verify).directIo(directIo);
    if (threads != null) {
      builder.threads(threads);
    }
    if (!quiet) {
      builder.listener(progress);
    }
    FlashLoader loader = builder.build();
    try (LoadedModel model = loader.load(path, deviceMap)) {
      progress.finish();
      LoadMetrics m = model.metrics();
      var out = spec.commandLine().getOut();
      out.printf(
          "loaded %s: %d tensors, %d bytes (%s) in %.3f s, %.2f GB/s%n",
          model.modelId(),
          model.tensors().size(),
          m.bytes(),
          ByteSize.format(m.bytes()),
          m.seconds(),
          m.gigabytesPerSecond());
      out.printf(
          "device %s, %d threads, %s chunks, %s, %s%n",
          deviceMap,
          loader.threads(),
          ByteSize.format(loader.chunkSize()),
          m.directIo() ? "O_DIRECT" : "buffered reads",
          m.verified()
              ? "checksums verified"
              : verify ? "no checksums to verify (safetensors)" : "checksums not verified");
      StringBuilder stages = new StringBuilder("stages (thread-seconds):");
      for (Map.Entry<String, LoadMetrics.Stage> e : m.stages().entrySet()) {
        stages.append(
            String.format(Locale.ROOT, " %s %.3f s", e.getKey(), e.getValue().nanos() / 1e9));
      }
      out.println(stages);
      out.flush();
    }
    return 0;
  }

  /** Loads onto GPUs through {@link GpuLoader}; fails with one line when CUDA is unavailable. */
  private int loadOnGpu(DeviceMap deviceMap, DirectIo directIo) throws Exception {
    GpuLoaderOptions.Builder options =
        GpuLoaderOptions.builder()
            .memPoolSize(memPoolSize)
            .chunkSize(chunkSize)
            .directIo(directIo)
            .verifyChecksums(verify);
    if (threads != null) {
      options.threads(threads);
    }
    try (GpuLoader gpu = GpuLoader.create(options.build());
        GpuModel model = gpu.loadDict(path, deviceMap)) {
      GpuLoadReport r = model.report();
      var out = spec.commandLine().getOut();
      out.printf(
          "loaded %s onto %s: %d tensors, %d bytes (%s) in %.3f s, %.2f GB/s%n",
          model.modelId(),
          deviceMap,
          model.tensors().size(),
          r.deviceBytes(),
          ByteSize.format(r.deviceBytes()),
          r.seconds(),
          r.gigabytesPerSecond());
      out.printf(
          Locale.ROOT,
          "%s: read %.2f GB/s, host to device %.2f GB/s; pinned pool %s pinned in %.2f s before"
              + " the load%n",
          r.source() == LoadSource.STREAMED ? "streamed through the pinned pool" : "via the pool",
          r.readGigabytesPerSecond(),
          r.copyGigabytesPerSecond(),
          ByteSize.format(memPoolSize),
          gpu.poolAllocationTime().toNanos() / 1e9);
      out.flush();
    }
    return 0;
  }
}
