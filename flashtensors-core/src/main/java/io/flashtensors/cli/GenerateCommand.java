package io.flashtensors.cli;

import io.flashtensors.bench.CheckpointGenerator;
import io.flashtensors.bench.ModelShape;
import io.flashtensors.format.DType;
import io.flashtensors.util.ByteSize;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code flashtensors generate DEST}: a checkpoint with random weights, for demos and benchmarks.
 */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description =
        "Writes a Hugging Face-style safetensors checkpoint with random weights and Qwen3 tensor names and shapes (sharded, with model.safetensors.index.json and config.json).")
final class GenerateCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "DEST", description = "folder to create")
  Path destination;

  @Option(
      names = "--shape",
      defaultValue = "small",
      description =
          "tiny, small, qwen3-0.6b, qwen3-1.7b, qwen3-4b, qwen3-8b, qwen3-14b (default: ${DEFAULT-VALUE}).")
  String shape;

  @Option(names = "--layers", paramLabel = "N", description = "Override the number of layers.")
  Integer layers;

  @Option(
      names = "--dtype",
      defaultValue = "BF16",
      description = "BF16, F16 or F32 (default: ${DEFAULT-VALUE}).")
  String dtype;

  @Option(
      names = "--shard-size",
      paramLabel = "SIZE",
      converter = ByteSizeConverter.class,
      defaultValue = "4GiB",
      description = "Largest shard (default: ${DEFAULT-VALUE}).")
  long shardSize;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    ModelShape model = ModelShape.named(shape);
    if (layers != null) {
      model = model.withLayers(layers);
    }
    DType type = DType.fromSafetensorsName(dtype.toUpperCase(java.util.Locale.ROOT));
    ProgressPrinter progress = new ProgressPrinter(spec.commandLine().getErr(), "generating");
    new CheckpointGenerator(model, type, shardSize, seed).write(destination, progress);
    progress.finish();
    spec.commandLine()
        .getOut()
        .printf(
            "wrote %s-shaped checkpoint (%d layers, %s, %s) to %s%n",
            model.name(), model.layers(), type, ByteSize.format(model.byteSize(type)), destination);
    return 0;
  }
}
