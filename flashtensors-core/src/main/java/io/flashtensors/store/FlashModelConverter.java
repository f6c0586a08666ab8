package io.flashtensors.store;

import io.flashtensors.format.FlashConverter;
import io.flashtensors.format.FlashManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The store's converter: the loader's {@link FlashConverter} into the flash layout. */
public final class FlashModelConverter implements ModelConverter {

  private final long partitionSize;

  /** A converter with the flash layout's default partition size (4 GiB). */
  public FlashModelConverter() {
    this(0);
  }

  /**
   * @param partitionSize largest partition file in bytes; 0 for the default
   */
  public FlashModelConverter(long partitionSize) {
    this.partitionSize = partitionSize;
  }

  @Override
  public ConvertedModel convert(
      Path source, Path destination, ModelId id, String revision, Progress progress)
      throws IOException {
    FlashConverter.Builder builder =
        FlashConverter.builder()
            .modelId(id.toString())
            .revision(revision)
            .force(true)
            .progress((done, total) -> progress.update("convert", done, total));
    if (partitionSize > 0) {
      builder.partitionSize(partitionSize);
    }
    FlashConverter.Result result = builder.build().convert(source, destination);
    return summarize(result.manifest());
  }

  /** The store's summary of a flash layout. */
  public static ConvertedModel summarize(FlashManifest manifest) {
    long tensorBytes =
        manifest.tensors().stream()
            .map(t -> List.of(t.partition(), t.offset(), t.length()))
            .distinct()
            .mapToLong(k -> ((Number) k.get(2)).longValue())
            .sum();
    List<String> dtypes =
        manifest.tensors().stream().map(t -> t.dtype().name()).distinct().sorted().toList();
    return new ConvertedModel(
        tensorBytes, dtypes, manifest.partitions().size(), manifest.tensors().size());
  }
}
