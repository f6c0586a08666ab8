package io.flashtensors.format;

import io.flashtensors.memory.Tensor;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Saves tensors from memory as a flash layout folder (the {@code save_dict} of the Python
 * flashtensors). The folder appears complete or not at all.
 */
public final class FlashLayout {

  private FlashLayout() {}

  /**
   * Saves {@code tensors} (by name, in map order) into {@code folder} with the default partition
   * size. An existing flash layout or empty folder there is replaced; anything else is refused.
   */
  public static FlashManifest save(Map<String, Tensor> tensors, Path folder) throws IOException {
    return save(
        tensors,
        folder,
        folder.toAbsolutePath().getFileName().toString(),
        FlashLayoutWriter.DEFAULT_PARTITION_SIZE);
  }

  /**
   * Saves {@code tensors} into {@code folder}.
   *
   * @param modelId id recorded in the manifest
   * @param partitionSize largest partition file, in bytes
   */
  public static FlashManifest save(
      Map<String, Tensor> tensors, Path folder, String modelId, long partitionSize)
      throws IOException {
    if (Files.exists(folder) && !FlashManifest.isFlashLayout(folder) && !isEmptyFolder(folder)) {
      throw new FormatException(folder, "exists and is not a flash layout; refusing to replace it");
    }
    List<Tensor> list = new ArrayList<>(tensors.size());
    tensors.forEach((name, t) -> list.add(new Tensor(name, t.dtype(), t.shape(), t.data())));
    Path parent = folder.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Path temp = AtomicFiles.temporarySibling(folder);
    Files.createDirectory(temp);
    try {
      FlashLayoutWriter.Written written =
          new FlashLayoutWriter(
                  partitionSize,
                  FlashLayoutWriter.DEFAULT_CHECKSUM_BLOCK,
                  Progress.NONE,
                  FlashLayoutWriter.WriteCheck.NONE)
              .write(temp, list);
      FlashManifest manifest =
          new FlashManifest(
              FlashManifest.VERSION,
              modelId,
              null,
              FlashManifest.ALIGNMENT,
              FlashLayoutWriter.DEFAULT_CHECKSUM_BLOCK,
              partitionSize,
              FlashConverter.createdBy(),
              Map.of(),
              List.of(),
              List.of(),
              written.partitions(),
              written.tensors());
      manifest.write(temp);
      AtomicFiles.replaceFolder(temp, folder);
      return manifest;
    } catch (IOException | RuntimeException | Error e) {
      AtomicFiles.deleteQuietly(temp, e);
      throw e;
    }
  }

  private static boolean isEmptyFolder(Path path) throws IOException {
    if (!Files.isDirectory(path)) {
      return false;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
      return !entries.iterator().hasNext();
    }
  }
}
