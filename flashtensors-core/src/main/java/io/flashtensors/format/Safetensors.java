package io.flashtensors.format;

import io.flashtensors.memory.SegmentIo;
import io.flashtensors.memory.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads and writes safetensors files: an 8-byte little-endian header length N, N bytes of JSON
 * naming each tensor's dtype, shape and byte range, then the tensors' bytes back to back.
 *
 * <p>Reading validates the header as strictly as the reference implementation does: the header fits
 * the file, is UTF-8 JSON without duplicate names, every dtype is known, every byte range matches
 * dtype × shape, and the ranges cover the data exactly, without gaps or overlaps.
 */
public final class Safetensors {

  /** The largest header the reference implementation accepts (100 MB). */
  public static final long MAX_HEADER_SIZE = 100_000_000L;

  /** Key of the free-form string map in a header. */
  public static final String METADATA_KEY = "__metadata__";

  private Safetensors() {}

  /** Reads and validates the header of {@code file}. */
  public static SafetensorsFile readHeader(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      return readHeader(file, channel);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new FormatException(file, "no such file", e);
    }
  }

  /** Reads and validates the header of an open file; {@code file} names it in errors. */
  public static SafetensorsFile readHeader(Path file, FileChannel channel) throws IOException {
    long fileSize = channel.size();
    if (fileSize < 8) {
      throw new FormatException(
          file,
          "truncated: %d bytes, too short for the 8-byte header length of a safetensors file"
              .formatted(fileSize));
    }
    ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(file, channel, prefix, 0);
    long headerSize = prefix.flip().getLong();
    if (headerSize < 0 || headerSize > fileSize - 8) {
      throw new FormatException(
          file,
          "header length %s is larger than the file (%d bytes): truncated or not a safetensors file"
              .formatted(Long.toUnsignedString(headerSize), fileSize));
    }
    if (headerSize > MAX_HEADER_SIZE) {
      throw new FormatException(
          file,
          "header length %d is over the %d bytes safetensors allows"
              .formatted(headerSize, MAX_HEADER_SIZE));
    }
    ByteBuffer headerBytes = ByteBuffer.allocate((int) headerSize);
    readFully(file, channel, headerBytes, 8);
    String header;
    try {
      header =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(headerBytes.flip())
              .toString();
    } catch (CharacterCodingException e) {
      throw new FormatException(file, "header is not valid UTF-8", e);
    }
    return parseHeader(file, fileSize, headerSize, header);
  }

  private static SafetensorsFile parseHeader(
      Path file, long fileSize, long headerSize, String header) throws FormatException {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(header);
    } catch (JacksonException e) {
      String message = Json.shortMessage(e);
      if (message.startsWith("Duplicate Object property")) {
        throw new FormatException(
            file, "header names a tensor twice: " + message.replace("Object property", "name"), e);
      }
      throw new FormatException(file, "header is not JSON: " + message, e);
    }
    if (root == null || !root.isObject()) {
      throw new FormatException(file, "header is not a JSON object");
    }
    Map<String, String> metadata = Map.of();
    List<SafetensorsFile.Entry> entries = new ArrayList<>();
    for (Map.Entry<String, JsonNode> property : root.properties()) {
      String name = property.getKey();
      JsonNode value = property.getValue();
      if (name.equals(METADATA_KEY)) {
        metadata = parseMetadata(file, value);
      } else {
        entries.add(parseEntry(file, name, value));
      }
    }
    long dataSize = fileSize - 8 - headerSize;
    validateLayout(file, entries, dataSize);
    entries.sort(Comparator.comparingLong(SafetensorsFile.Entry::begin));
    return new SafetensorsFile(file, fileSize, headerSize, metadata, entries);
  }

  private static Map<String, String> parseMetadata(Path file, JsonNode value)
      throws FormatException {
    if (!value.isObject()) {
      throw new FormatException(file, METADATA_KEY + " is not a JSON object of strings");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : value.properties()) {
      if (!e.getValue().isString()) {
        throw new FormatException(
            file, "%s value of '%s' is not a string".formatted(METADATA_KEY, e.getKey()));
      }
      metadata.put(e.getKey(), e.getValue().stringValue());
    }
    return metadata;
  }

  private static SafetensorsFile.Entry parseEntry(Path file, String name, JsonNode value)
      throws FormatException {
    if (!value.isObject()) {
      throw new FormatException(file, "tensor '%s': entry is not a JSON object".formatted(name));
    }
    JsonNode dtypeNode = value.get("dtype");
    if (dtypeNode == null || !dtypeNode.isString()) {
      throw new FormatException(file, "tensor '%s': missing dtype".formatted(name));
    }
    DType dtype;
    try {
      dtype = DType.fromSafetensorsName(dtypeNode.stringValue());
    } catch (IllegalArgumentException e) {
      throw new FormatException(file, "tensor '%s': %s".formatted(name, e.getMessage()), e);
    }
    JsonNode shapeNode = value.get("shape");
    if (shapeNode == null || !shapeNode.isArray()) {
      throw new FormatException(file, "tensor '%s': missing shape".formatted(name));
    }
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = Json.nonNegativeLong(shapeNode.get(i));
      if (shape[i] < 0) {
        throw new FormatException(
            file, "tensor '%s': shape %s is not a list of sizes".formatted(name, shapeNode));
      }
    }
    JsonNode offsets = value.get("data_offsets");
    if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
      throw new FormatException(
          file, "tensor '%s': data_offsets is not a pair [begin, end]".formatted(name));
    }
    long begin = Json.nonNegativeLong(offsets.get(0));
    long end = Json.nonNegativeLong(offsets.get(1));
    if (begin < 0 || end < 0) {
      throw new FormatException(
          file,
          "tensor '%s': data_offsets %s are not non-negative integers".formatted(name, offsets));
    }
    if (end < begin) {
      throw new FormatException(
          file,
          "tensor '%s': data_offsets [%d, %d) end before they begin".formatted(name, begin, end));
    }
    return new SafetensorsFile.Entry(name, dtype, shape, begin, end);
  }

  private static void validateLayout(Path file, List<SafetensorsFile.Entry> entries, long dataSize)
      throws FormatException {
    for (SafetensorsFile.Entry e : entries) {
      long expected = expectedBytes(file, e.name(), e.dtype(), e.shape());
      if (e.length() != expected) {
        throw new FormatException(
            file,
            "tensor '%s': %s%s needs %d bytes but data_offsets [%d, %d) hold %d"
                .formatted(
                    e.name(),
                    e.dtype(),
                    Arrays.toString(e.shape()),
                    expected,
                    e.begin(),
                    e.end(),
                    e.length()));
      }
      if (e.end() > dataSize) {
        throw new FormatException(
            file,
            "tensor '%s': data_offsets [%d, %d) run past the end of the data (%d bytes): the file is truncated or its header lies"
                .formatted(e.name(), e.begin(), e.end(), dataSize));
      }
    }
    List<SafetensorsFile.Entry> sorted = new ArrayList<>(entries);
    sorted.sort(
        Comparator.comparingLong(SafetensorsFile.Entry::begin)
            .thenComparingLong(SafetensorsFile.Entry::end));
    long covered = 0;
    SafetensorsFile.Entry previous = null;
    for (SafetensorsFile.Entry e : sorted) {
      if (e.begin() < covered) {
        throw new FormatException(
            file,
            "tensors '%s' [%d, %d) and '%s' [%d, %d) overlap"
                .formatted(
                    previous.name(),
                    previous.begin(),
                    previous.end(),
                    e.name(),
                    e.begin(),
                    e.end()));
      }
      if (e.begin() > covered) {
        throw new FormatException(
            file,
            "data bytes [%d, %d) before tensor '%s' belong to no tensor"
                .formatted(covered, e.begin(), e.name()));
      }
      covered = e.end();
      previous = e;
    }
    if (covered != dataSize) {
      throw new FormatException(
          file,
          "the last %d bytes of the file belong to no tensor (tensors end at data byte %d of %d)"
              .formatted(dataSize - covered, covered, dataSize));
    }
  }

  /** Bytes a tensor of this dtype and shape takes, or an error naming the tensor. */
  static long expectedBytes(Path file, String name, DType dtype, long[] shape)
      throws FormatException {
    try {
      long numel = Tensor.numel(shape);
      long bits = Math.multiplyExact(numel, (long) dtype.bits());
      if (bits % 8 != 0) {
        throw new FormatException(
            file,
            "tensor '%s': %s%s is not a whole number of bytes (%d bits)"
                .formatted(name, dtype, Arrays.toString(shape), bits));
      }
      return bits / 8;
    } catch (ArithmeticException e) {
      throw new FormatException(
          file, "tensor '%s': shape %s overflows".formatted(name, Arrays.toString(shape)), e);
    }
  }

  private static void readFully(Path file, FileChannel channel, ByteBuffer into, long position)
      throws IOException {
    while (into.hasRemaining()) {
      int n = channel.read(into, position + into.position());
      if (n < 0) {
        throw new FormatException(file, "truncated while reading the header");
      }
    }
  }

  /**
   * Writes {@code tensors} to {@code file} as safetensors, atomically (a temporary file renamed
   * into place). Tensors are ordered as the reference writer orders them: larger dtypes first, then
   * by name, so every tensor starts aligned to its element size.
   *
   * @param tensors tensors by name (the map key is the name written)
   * @param metadata the {@code __metadata__} map, empty for none
   */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    List<TensorSpec> specs = new ArrayList<>();
    Map<String, Tensor> byName = new java.util.HashMap<>();
    tensors.forEach(
        (name, t) -> {
          specs.add(new TensorSpec(name, t.dtype(), t.shape()));
          byName.put(name, t);
        });
    specs.sort(
        Comparator.<TensorSpec>comparingInt(t -> -t.dtype().bits())
            .thenComparing(TensorSpec::name));
    write(
        file,
        specs,
        metadata,
        (spec, offset, piece) ->
            MemorySegment.copy(byName.get(spec.name()).data(), offset, piece, 0, piece.byteSize()));
  }

  /** Supplies tensor bytes to {@link #write(Path, List, Map, Content)} piece by piece. */
  @FunctionalInterface
  public interface Content {
    /**
     * Fills {@code piece} with the bytes of {@code tensor} that start at {@code offset}.
     *
     * @param tensor the tensor being written
     * @param offset first byte of the piece within the tensor
     * @param piece where to put the bytes (at most a few MiB)
     */
    void fill(TensorSpec tensor, long offset, MemorySegment piece) throws IOException;
  }

  /**
   * Writes a safetensors file whose bytes come from {@code content}, in the order given, without
   * holding more than one piece in memory. The file appears atomically.
   */
  public static void write(
      Path file, List<TensorSpec> tensors, Map<String, String> metadata, Content content)
      throws IOException {
    ObjectNode header = Json.MAPPER.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject(METADATA_KEY);
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (TensorSpec t : tensors) {
      if (t.name().equals(METADATA_KEY) || header.has(t.name())) {
        throw new IllegalArgumentException(
            "tensor name '%s' is reserved or repeated".formatted(t.name()));
      }
      long length = Safetensors.expectedBytes(file, t.name(), t.dtype(), t.shape());
      ObjectNode entry = header.putObject(t.name());
      entry.put("dtype", t.dtype().safetensorsName());
      ArrayNode shape = entry.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      entry.putArray("data_offsets").add(offset).add(offset + length);
      offset += length;
    }
    byte[] json = Json.COMPACT.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    head.flip();
    AtomicFiles.write(
        file,
        channel -> {
          while (head.hasRemaining()) {
            channel.write(head);
          }
          try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(WRITE_PIECE, 4096);
            for (TensorSpec t : tensors) {
              long length = t.byteSize();
              for (long done = 0; done < length; ) {
                int n = (int) Math.min(WRITE_PIECE, length - done);
                MemorySegment piece = buffer.asSlice(0, n);
                content.fill(t, done, piece);
                SegmentIo.writeFully(channel, piece);
                done += n;
              }
            }
          }
        });
  }

  private static final int WRITE_PIECE = 8 << 20;
}
