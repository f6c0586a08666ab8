package io.flashtensors.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A stand-in converter for store tests: copies every file and writes a small manifest. The real
 * converter (flash layout) has its own tests; the store only needs one that writes files and can
 * fail.
 */
public final class CopyingConverter implements ModelConverter {

  public int calls;

  @Override
  public ConvertedModel convert(
      Path source, Path destination, ModelId id, String revision, Progress progress)
      throws IOException {
    calls++;
    long bytes = 0;
    int files = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(source)) {
      for (Path f : entries) {
        if (Files.isRegularFile(f)) {
          Files.copy(f, destination.resolve(f.getFileName()));
          if (f.getFileName().toString().endsWith(".safetensors")) {
            bytes += Files.size(f);
            files++;
          }
        }
      }
    }
    if (files == 0) {
      throw new IOException("no .safetensors files in " + source);
    }
    Files.writeString(destination.resolve("manifest.json"), "{\"id\":\"" + id + "\"}");
    progress.update("convert", bytes, bytes);
    return new ConvertedModel(bytes, List.of("BF16"), 1, files);
  }
}
