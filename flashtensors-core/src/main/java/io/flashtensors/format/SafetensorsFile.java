package io.flashtensors.format;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The validated header of one safetensors file: where each tensor's bytes are. Read with {@link
 * Safetensors#readHeader(Path)}.
 *
 * @param path the file
 * @param fileSize its size in bytes when the header was read
 * @param headerSize N, the length of the JSON header that follows the 8-byte length prefix
 * @param metadata the {@code __metadata__} string map (empty when absent)
 * @param tensors the tensors, in the order of their bytes in the file
 */
public record SafetensorsFile(
    Path path, long fileSize, long headerSize, Map<String, String> metadata, List<Entry> tensors) {

  public SafetensorsFile {
    Objects.requireNonNull(path, "path");
    metadata = Map.copyOf(metadata);
    tensors = List.copyOf(tensors);
  }

  /** Offset in the file of the first data byte: 8 + header size. */
  public long dataStart() {
    return 8 + headerSize;
  }

  /**
   * One tensor of the header.
   *
   * @param name tensor name
   * @param dtype element type
   * @param shape dimensions
   * @param begin first byte, relative to {@link SafetensorsFile#dataStart()}
   * @param end one past the last byte, relative to {@link SafetensorsFile#dataStart()}
   */
  public record Entry(String name, DType dtype, long[] shape, long begin, long end) {

    public Entry {
      shape = shape.clone();
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    /** Number of bytes. */
    public long length() {
      return end - begin;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e
          && name.equals(e.name)
          && dtype == e.dtype
          && Arrays.equals(shape, e.shape)
          && begin == e.begin
          && end == e.end;
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
      return "%s %s%s [%d, %d)".formatted(name, dtype, Arrays.toString(shape), begin, end);
    }
  }
}
