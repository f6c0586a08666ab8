package io.flashtensors.cli;

import io.flashtensors.load.DeviceMap;
import io.flashtensors.load.DirectIo;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.load.LoadMetrics;
import io.flashtensors.load.LoadedModel;
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
          "Device or device map: cpu, or JSON such as {\"\": \"cpu\"} (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Reader threads (default: twice the processors, at most 16).")
  Integer threads;

  @Option(
      names = "--chunk-size",
      paramLabel = "SIZE",
      converter = ByteSize.Converter.class,
      defaultValue = "32MB",
      description = "Bytes per read (default: ${DEFAULT-VALUE}).")
  long chunkSize;

  @Option(names = "--verify", description = "Check CRC32C checksums while reading (flash layout).")
  boolean verify;

  @Option(
      names = "--io",
      defaultValue = "auto",
      description =
          "auto: O_DIRECT where the file system allows it; direct; buffered (page cache). Default: ${DEFAULT-VALUE}.")
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
}
