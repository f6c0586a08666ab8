package io.flashtensors.cli;

import io.flashtensors.bench.LoadBenchmark;
import io.flashtensors.bench.ModelShape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.json.JsonMapper;

/** {@code flashtensors bench}: host-side load benchmark. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Generates a Qwen3-shaped checkpoint with random BF16 weights (kept in --dir for reuse), warms the page cache and times host loads: FlashLoader at each thread count, a plain single-threaded FileChannel read, and mmap.")
final class BenchCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--dir",
      defaultValue = "target/bench",
      description = "Where the checkpoints are kept (default: ${DEFAULT-VALUE}).")
  Path dir;

  @Option(
      names = "--shape",
      defaultValue = "qwen3-1.7b",
      description = "Model shape (default: ${DEFAULT-VALUE}, about 3.2 GiB).")
  String shape;

  @Option(names = "--layers", paramLabel = "N", description = "Override the number of layers.")
  Integer layers;

  @Option(
      names = "--threads",
      split = ",",
      defaultValue = "1,2,4",
      description = "Thread counts (default: ${DEFAULT-VALUE}).")
  List<Integer> threads;

  @Option(
      names = "--chunk-size",
      converter = ByteSizeConverter.class,
      defaultValue = "32MB",
      description = "Bytes per read (default: ${DEFAULT-VALUE}).")
  long chunkSize;

  @Option(
      names = "--repeat",
      defaultValue = "5",
      description = "Timed runs per case (default: ${DEFAULT-VALUE}).")
  int repeat;

  @Option(
      names = "--direct",
      description = "Also time an O_DIRECT load (reads the disk, not the page cache).")
  boolean direct;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON.")
  Path json;

  @Override
  public Integer call() throws Exception {
    ModelShape model = ModelShape.named(shape);
    if (layers != null) {
      model = model.withLayers(layers);
    }
    var out = spec.commandLine().getOut();
    var result =
        new LoadBenchmark(
                new LoadBenchmark.Settings(dir, model, threads, chunkSize, repeat, direct), out)
            .run();
    String text =
        JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(result);
    if (json != null) {
      if (json.toAbsolutePath().getParent() != null) {
        Files.createDirectories(json.toAbsolutePath().getParent());
      }
      Files.writeString(json, text + "\n");
      out.printf("results written to %s%n", json);
    }
    out.flush();
    return 0;
  }
}
