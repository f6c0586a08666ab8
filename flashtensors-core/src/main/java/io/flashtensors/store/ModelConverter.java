package io.flashtensors.store;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Turns a Hugging Face model folder (safetensors, config, tokenizer) into the flash layout. The
 * store calls it with an empty destination folder of its own and moves the result into place only
 * once it returned, so an implementation need not be atomic itself.
 */
@FunctionalInterface
public interface ModelConverter {

  /**
   * Converts {@code source} into {@code destination}.
   *
   * @param source the folder with {@code *.safetensors} (and an index when sharded) and the
   *     config/tokenizer files
   * @param destination an existing, empty folder to write the flash layout into
   * @param id the model id to record in the manifest
   * @param revision the revision to record in the manifest
   * @param progress told of bytes written
   * @return what was written
   */
  ConvertedModel convert(
      Path source, Path destination, ModelId id, String revision, Progress progress)
      throws IOException;

  /**
   * What a conversion wrote.
   *
   * @param tensorBytes bytes of tensor data
   * @param dtypes the dtypes present, e.g. {@code [BF16]}
   * @param partitions number of data partitions
   * @param tensors number of tensors
   */
  record ConvertedModel(
      long tensorBytes, java.util.List<String> dtypes, int partitions, int tensors) {
    public ConvertedModel {
      dtypes = java.util.List.copyOf(dtypes);
    }
  }
}
