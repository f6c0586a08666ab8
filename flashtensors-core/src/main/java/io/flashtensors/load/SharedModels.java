package io.flashtensors.load;

import io.flashtensors.format.FlashManifest;
import io.flashtensors.format.FormatException;
import io.flashtensors.format.ModelFiles;
import io.flashtensors.memory.SharedMemory;
import io.flashtensors.memory.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Models whose partitions another process (the daemon) holds in shared memory: mapped read-only, so
 * the weights are used where they are, with no read and no copy.
 */
public final class SharedModels {

  private SharedModels() {}

  /**
   * Maps a flash layout's partitions from shared files.
   *
   * @param folder the model's flash layout folder (its manifest says where each tensor is)
   * @param partitionFiles one file per partition, in order, each holding the partition's bytes
   * @return a model whose tensors are read-only views into the mappings; closing it unmaps them
   * @throws FormatException when the files do not match the manifest
   */
  public static LoadedModel map(Path folder, List<Path> partitionFiles) throws IOException {
    long t0 = System.nanoTime();
    FlashManifest manifest = FlashManifest.read(folder);
    ModelFiles files = ModelFiles.fromFlash(folder, manifest);
    if (partitionFiles.size() != manifest.partitions().size()) {
      throw new FormatException(
          folder,
          "has %d partitions but %d shared files were given"
              .formatted(manifest.partitions().size(), partitionFiles.size()));
    }
    Arena arena = Arena.ofShared();
    try {
      MemorySegment[] partitions = new MemorySegment[partitionFiles.size()];
      long bytes = 0;
      for (int i = 0; i < partitions.length; i++) {
        partitions[i] = SharedMemory.openReadOnly(partitionFiles.get(i), arena);
        long expected = manifest.partitions().get(i).size();
        if (partitions[i].byteSize() < expected) {
          throw new FormatException(
              partitionFiles.get(i),
              "holds %d bytes, partition %d has %d"
                  .formatted(partitions[i].byteSize(), i, expected));
        }
        bytes += expected;
      }
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (FlashManifest.TensorRecord t : manifest.tensors()) {
        tensors.put(
            t.name(),
            new Tensor(
                t.name(),
                t.dtype(),
                t.shape(),
                partitions[t.partition()].asSlice(t.offset(), t.length())));
      }
      LoadContext context = new LoadContext(FlashLoader.create(), new AtomicBoolean());
      context.record("map", bytes, System.nanoTime() - t0);
      return new LoadedModel(files, tensors, bytes, arena, context);
    } catch (IOException | RuntimeException | Error e) {
      arena.close();
      throw e;
    }
  }
}
