package io.flashtensors.cli;

import io.flashtensors.format.FlashConverter;
import io.flashtensors.util.ByteSize;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flashtensors convert SRC DEST}: safetensors to the flash layout. */
@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    description =
        "Converts a safetensors checkpoint (a file, or a folder with or without model.safetensors.index.json) into the flash layout. The result appears only when complete; converting an unchanged source again does nothing unless --force.")
final class ConvertCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SRC", description = "safetensors file or folder")
  Path source;

  @Parameters(index = "1", paramLabel = "DEST", description = "flash layout folder to create")
  Path destination;

  @Option(names = "--force", description = "Convert even when DEST is up to date, and replace it.")
  boolean force;

  @Option(
      names = "--partition-size",
      paramLabel = "SIZE",
      converter = ByteSizeConverter.class,
      defaultValue = "4GiB",
      description = "Largest partition file (default: ${DEFAULT-VALUE}).")
  long partitionSize;

  @Option(
      names = "--model-id",
      description = "Model id for the manifest (default: from the source folder).")
  String modelId;

  @Option(names = "--revision", description = "Source revision for the manifest.")
  String revision;

  @Option(names = "--quiet", description = "No progress output.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    var out = spec.commandLine().getOut();
    ProgressPrinter progress = new ProgressPrinter(spec.commandLine().getErr(), "converting");
    FlashConverter.Builder builder =
        FlashConverter.builder()
            .partitionSize(partitionSize)
            .force(force)
            .modelId(modelId)
            .revision(revision);
    if (!quiet) {
      builder.progress(progress);
    }
    FlashConverter.Result result = builder.build().convert(source, destination);
    progress.finish();
    var manifest = result.manifest();
    if (result.skipped()) {
      out.printf("%s is up to date with %s (use --force to convert again)%n", destination, source);
    } else {
      out.printf(
          "converted %s: %d tensors into %d partition%s (%s) at %s in %.2f s%n",
          manifest.modelId(),
          manifest.tensors().size(),
          manifest.partitions().size(),
          manifest.partitions().size() == 1 ? "" : "s",
          ByteSize.format(result.bytesWritten()),
          destination,
          result.nanos() / 1e9);
    }
    out.flush();
    return 0;
  }
}
