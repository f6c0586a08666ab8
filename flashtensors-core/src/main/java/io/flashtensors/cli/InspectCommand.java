package io.flashtensors.cli;

import io.flashtensors.format.FlashManifest;
import io.flashtensors.format.ModelFiles;
import io.flashtensors.util.ByteSize;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code flashtensors inspect PATH}: what a checkpoint holds. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description =
        "Lists the tensors of a flash layout or safetensors checkpoint: dtype, shape, bytes and where they are. Validates the headers or manifest on the way.")
final class InspectCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(
      paramLabel = "PATH",
      description = "flash layout folder, or safetensors file or folder")
  Path path;

  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    ModelFiles model = ModelFiles.open(path);
    FlashManifest manifest =
        model.format() == ModelFiles.Format.FLASH ? FlashManifest.read(path) : null;
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(toJson(model, manifest));
    } else {
      printTable(out, model, manifest);
    }
    out.flush();
    return 0;
  }

  private static void printTable(PrintWriter out, ModelFiles model, FlashManifest manifest) {
    long bytes = model.tensors().stream().mapToLong(ModelFiles.StoredTensor::length).sum();
    out.printf("path:      %s%n", model.root());
    if (manifest != null) {
      out.printf(
          "format:    flash layout v%d, %d partition%s (%s), crc32c per %s%n",
          manifest.version(),
          manifest.partitions().size(),
          manifest.partitions().size() == 1 ? "" : "s",
          ByteSize.format(manifest.partitionBytes()),
          ByteSize.format(manifest.checksumBlockSize()));
    } else {
      out.printf(
          "format:    safetensors, %d file%s%n",
          model.files().size(), model.files().size() == 1 ? "" : "s");
    }
    out.printf(
        "model:     %s%s%n",
        model.modelId(), model.revision() == null ? "" : " @ " + model.revision());
    out.printf(
        "tensors:   %d, %d bytes (%s)%s%n",
        model.tensors().size(),
        bytes,
        ByteSize.format(bytes),
        bytes == model.dataBytes()
            ? ""
            : ", %s stored (shared tensors stored once)"
                .formatted(ByteSize.format(model.dataBytes())));
    if (!model.metadata().isEmpty()) {
      out.printf("metadata:  %s%n", model.metadata());
    }
    if (manifest != null && !manifest.files().isEmpty()) {
      out.printf(
          "files:     %s%n",
          String.join(
              ", ", manifest.files().stream().map(FlashManifest.FileRecord::path).toList()));
    }
    out.println();
    int nameWidth =
        Math.max(4, model.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(4));
    int shapeWidth =
        Math.max(
            5,
            model.tensors().stream()
                .mapToInt(t -> Arrays.toString(t.shape()).length())
                .max()
                .orElse(5));
    String format = "%-" + nameWidth + "s  %-11s  %-" + shapeWidth + "s  %12s  %s%n";
    out.printf(format, "name", "dtype", "shape", "bytes", "file @ offset");
    for (ModelFiles.StoredTensor t : model.tensors()) {
      out.printf(
          format,
          t.name(),
          t.dtype(),
          Arrays.toString(t.shape()),
          t.length(),
          model.files().get(t.file()).path().getFileName() + " @ " + t.offset());
    }
  }

  private static String toJson(ModelFiles model, FlashManifest manifest) {
    JsonMapper mapper = JsonMapper.builder().build();
    ObjectNode root = mapper.createObjectNode();
    root.put("path", model.root().toString());
    root.put("format", model.format() == ModelFiles.Format.FLASH ? "flash" : "safetensors");
    if (manifest != null) {
      root.put("version", manifest.version());
      root.put("checksum_block_size", manifest.checksumBlockSize());
    }
    root.put("model_id", model.modelId());
    root.put("revision", model.revision());
    ObjectNode meta = root.putObject("metadata");
    for (Map.Entry<String, String> e : model.metadata().entrySet()) {
      meta.put(e.getKey(), e.getValue());
    }
    ArrayNode files = root.putArray("files");
    for (ModelFiles.SourceFile f : model.files()) {
      files.addObject().put("path", f.path().getFileName().toString()).put("size", f.size());
    }
    root.put(
        "tensor_bytes", model.tensors().stream().mapToLong(ModelFiles.StoredTensor::length).sum());
    root.put("stored_bytes", model.dataBytes());
    ArrayNode tensors = root.putArray("tensors");
    for (ModelFiles.StoredTensor t : model.tensors()) {
      ObjectNode node = tensors.addObject();
      node.put("name", t.name());
      node.put("dtype", t.dtype().name());
      ArrayNode shape = node.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      node.put("bytes", t.length());
      node.put("file", t.file());
      node.put("offset", t.offset());
    }
    return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root);
  }
}
