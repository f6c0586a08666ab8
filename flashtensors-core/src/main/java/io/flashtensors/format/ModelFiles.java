package io.flashtensors.format;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The files of a model on disk and where each tensor's bytes are in them, whatever the format: a
 * flash layout folder or a safetensors checkpoint. This is what the loader plans its reads from.
 *
 * @param root the folder or file it was opened from
 * @param format which format the files are in
 * @param modelId the model id (from the manifest, or the folder name)
 * @param revision the source revision, or null when unknown
 * @param metadata free-form string metadata ({@code __metadata__})
 * @param files the files holding tensor bytes
 * @param tensors every tensor, in file order then byte order
 */
public record ModelFiles(
    Path root,
    Format format,
    String modelId,
    String revision,
    Map<String, String> metadata,
    List<SourceFile> files,
    List<StoredTensor> tensors) {

  /** On-disk format of a model. */
  public enum Format {
    /** Hugging Face safetensors: one file, or shards with an index. */
    SAFETENSORS,
    /** The flash layout: manifest plus 4 KiB-aligned partitions with checksums. */
    FLASH
  }

  public ModelFiles {
    metadata = Map.copyOf(metadata);
    files = List.copyOf(files);
    tensors = List.copyOf(tensors);
  }

  /**
   * A file holding tensor bytes.
   *
   * @param path the file
   * @param size its expected size in bytes
   * @param dataStart first byte of tensor data (after any header)
   * @param checksums CRC32C per block, or null when the format has none
   */
  public record SourceFile(Path path, long size, long dataStart, Checksums checksums) {}

  /**
   * CRC32C of consecutive blocks of a file, starting at byte 0.
   *
   * @param blockSize bytes per block (the last block may be shorter)
   * @param crc32c one value per block
   */
  public record Checksums(int blockSize, int[] crc32c) {

    public Checksums {
      crc32c = crc32c.clone();
    }

    /** The expected CRC32C of block {@code i}. */
    public int block(int i) {
      return crc32c[i];
    }

    /** Number of blocks. */
    public int blocks() {
      return crc32c.length;
    }

    @Override
    public int[] crc32c() {
      return crc32c.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Checksums c
          && blockSize == c.blockSize
          && Arrays.equals(crc32c, c.crc32c);
    }

    @Override
    public int hashCode() {
      return Objects.hash(blockSize, Arrays.hashCode(crc32c));
    }

    @Override
    public String toString() {
      return "Checksums[%d blocks of %d bytes]".formatted(crc32c.length, blockSize);
    }
  }

  /**
   * Where one tensor's bytes are.
   *
   * @param name tensor name
   * @param dtype element type
   * @param shape dimensions
   * @param file index into {@link ModelFiles#files()}
   * @param offset first byte, from the start of the file
   * @param length bytes
   */
  public record StoredTensor(
      String name, DType dtype, long[] shape, int file, long offset, long length) {

    public StoredTensor {
      shape = shape.clone();
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof StoredTensor t
          && name.equals(t.name)
          && dtype == t.dtype
          && Arrays.equals(shape, t.shape)
          && file == t.file
          && offset == t.offset
          && length == t.length;
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, dtype, Arrays.hashCode(shape), file, offset, length);
    }

    @Override
    public String toString() {
      return "%s %s%s file %d @%d (%d bytes)"
          .formatted(name, dtype, Arrays.toString(shape), file, offset, length);
    }
  }

  /** Bytes of tensor data, counting shared bytes once. */
  public long dataBytes() {
    return tensors.stream()
        .map(t -> List.of(t.file(), t.offset(), t.length()))
        .distinct()
        .mapToLong(k -> (Long) k.get(2))
        .sum();
  }

  /**
   * Opens a model: a flash layout folder (it has {@value FlashManifest#FILE_NAME}), or a
   * safetensors file or folder. Validates the headers or the manifest, and that every file is there
   * with the size the metadata expects.
   */
  public static ModelFiles open(Path path) throws IOException {
    if (FlashManifest.isFlashLayout(path)) {
      return fromFlash(path, FlashManifest.read(path));
    }
    return fromSafetensors(SafetensorsCheckpoint.open(path));
  }

  /** The files of a flash layout whose manifest has been read. */
  public static ModelFiles fromFlash(Path folder, FlashManifest manifest) throws IOException {
    Path manifestFile = folder.resolve(FlashManifest.FILE_NAME);
    List<SourceFile> files = new ArrayList<>();
    for (FlashManifest.Partition p : manifest.partitions()) {
      Path file = SafetensorsCheckpoint.resolveInside(folder, manifestFile, p.path());
      if (!Files.isRegularFile(file)) {
        throw new FormatException(
            manifestFile, "names partition '%s', which does not exist".formatted(p.path()));
      }
      long actual = Files.size(file);
      if (actual != p.size()) {
        throw new FormatException(
            file,
            "is %d bytes but the manifest says %d%s"
                .formatted(actual, p.size(), actual < p.size() ? " (truncated)" : ""));
      }
      files.add(
          new SourceFile(
              file, p.size(), 0, new Checksums(manifest.checksumBlockSize(), p.crc32c())));
    }
    List<StoredTensor> tensors = new ArrayList<>();
    for (FlashManifest.TensorRecord t : manifest.tensors()) {
      tensors.add(
          new StoredTensor(t.name(), t.dtype(), t.shape(), t.partition(), t.offset(), t.length()));
    }
    return new ModelFiles(
        folder,
        Format.FLASH,
        manifest.modelId(),
        manifest.revision(),
        manifest.metadata(),
        files,
        tensors);
  }

  /** The files of a validated safetensors checkpoint. */
  public static ModelFiles fromSafetensors(SafetensorsCheckpoint checkpoint) {
    List<SourceFile> files = new ArrayList<>();
    List<StoredTensor> tensors = new ArrayList<>();
    for (SafetensorsFile f : checkpoint.files()) {
      int index = files.size();
      files.add(new SourceFile(f.path(), f.fileSize(), f.dataStart(), null));
      for (SafetensorsFile.Entry e : f.tensors()) {
        tensors.add(
            new StoredTensor(
                e.name(), e.dtype(), e.shape(), index, f.dataStart() + e.begin(), e.length()));
      }
    }
    Path root = checkpoint.root().toAbsolutePath().normalize();
    Path named = Files.isDirectory(root) ? root : root.getParent();
    ModelIdentity id = ModelIdentity.of(named);
    return new ModelFiles(
        checkpoint.root(),
        Format.SAFETENSORS,
        id.modelId(),
        id.revision(),
        checkpoint.metadata(),
        files,
        tensors);
  }
}
