package io.flashtensors.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The manifest of a flash layout folder ({@value #FILE_NAME}): which model it holds, where it came
 * from, and where each tensor's bytes are. {@code docs/format.md} specifies it.
 *
 * @param version format version ({@value #VERSION} is the one this code writes and reads)
 * @param modelId model id, such as {@code Qwen/Qwen3-0.6B}
 * @param revision source revision (a commit hash), or null when unknown
 * @param alignment alignment of every record and of every partition's size, in bytes
 * @param checksumBlockSize bytes covered by each CRC32C of a partition
 * @param partitionSize the largest partition the converter aimed for
 * @param createdBy the writer, such as {@code flashtensors 0.1.0}
 * @param metadata the sources' {@code __metadata__} maps, merged
 * @param sources the safetensors files converted, with size, modification time and SHA-256
 * @param files other files copied beside the partitions (config, tokenizer, generation config)
 * @param partitions the data files
 * @param tensors every tensor, in the order of its bytes; tensors sharing bytes share a record
 */
public record FlashManifest(
    int version,
    String modelId,
    String revision,
    int alignment,
    int checksumBlockSize,
    long partitionSize,
    String createdBy,
    Map<String, String> metadata,
    List<FileRecord> sources,
    List<FileRecord> files,
    List<Partition> partitions,
    List<TensorRecord> tensors) {

  /** File name of the manifest inside a flash layout folder. */
  public static final String FILE_NAME = "flashtensors.json";

  /** The format version this code writes. */
  public static final int VERSION = 1;

  /** Record alignment on disk: O_DIRECT needs 4 KiB on common file systems. */
  public static final int ALIGNMENT = 4096;

  private static final String FORMAT_NAME = "flashtensors";

  public FlashManifest {
    Objects.requireNonNull(modelId, "modelId");
    metadata = Map.copyOf(metadata);
    sources = List.copyOf(sources);
    files = List.copyOf(files);
    partitions = List.copyOf(partitions);
    tensors = List.copyOf(tensors);
  }

  /**
   * A file the layout was made from, or copied beside it.
   *
   * @param path file name, relative to its folder
   * @param size bytes
   * @param modifiedMillis last modification time (epoch milliseconds) when it was read
   * @param sha256 SHA-256 of its content, lower-case hex
   */
  public record FileRecord(String path, long size, long modifiedMillis, String sha256) {}

  /**
   * A data file.
   *
   * @param path file name, relative to the manifest's folder
   * @param size bytes, a multiple of the alignment
   * @param crc32c CRC32C of each checksum block of the file, in order (the last may be shorter)
   */
  public record Partition(String path, long size, int[] crc32c) {

    public Partition {
      crc32c = crc32c.clone();
    }

    @Override
    public int[] crc32c() {
      return crc32c.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Partition p
          && path.equals(p.path)
          && size == p.size
          && Arrays.equals(crc32c, p.crc32c);
    }

    @Override
    public int hashCode() {
      return Objects.hash(path, size, Arrays.hashCode(crc32c));
    }

    @Override
    public String toString() {
      return "Partition[%s, %d bytes, %d checksums]".formatted(path, size, crc32c.length);
    }
  }

  /**
   * Where one tensor's bytes are.
   *
   * @param name tensor name
   * @param dtype element type
   * @param shape dimensions
   * @param partition index into {@link FlashManifest#partitions()}
   * @param offset first byte in the partition, a multiple of the alignment
   * @param length bytes (dtype × shape)
   */
  public record TensorRecord(
      String name, DType dtype, long[] shape, int partition, long offset, long length) {

    public TensorRecord {
      shape = shape.clone();
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TensorRecord t
          && name.equals(t.name)
          && dtype == t.dtype
          && Arrays.equals(shape, t.shape)
          && partition == t.partition
          && offset == t.offset
          && length == t.length;
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, dtype, Arrays.hashCode(shape), partition, offset, length);
    }

    @Override
    public String toString() {
      return "%s %s%s @%d+%d (%d bytes)"
          .formatted(name, dtype, Arrays.toString(shape), partition, offset, length);
    }
  }

  /** True when {@code folder} holds a manifest. */
  public static boolean isFlashLayout(Path folder) {
    return Files.isDirectory(folder) && Files.isRegularFile(folder.resolve(FILE_NAME));
  }

  /** Total bytes of all partitions. */
  public long partitionBytes() {
    return partitions.stream().mapToLong(Partition::size).sum();
  }

  /** Reads and validates the manifest in {@code folder}. */
  public static FlashManifest read(Path folder) throws IOException {
    Path file = folder.resolve(FILE_NAME);
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new FormatException(file, "no such file: not a flash layout folder", e);
    } catch (MalformedInputException e) {
      throw new FormatException(file, "is not UTF-8 text", e);
    }
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(text);
    } catch (JacksonException e) {
      throw new FormatException(file, "is not JSON: " + Json.shortMessage(e), e);
    }
    return new Parser(folder, file).parse(root);
  }

  /** Writes the manifest into {@code folder}, atomically. */
  public void write(Path folder) throws IOException {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("format", FORMAT_NAME);
    root.put("version", version);
    ObjectNode model = root.putObject("model");
    model.put("id", modelId);
    if (revision == null) {
      model.putNull("revision");
    } else {
      model.put("revision", revision);
    }
    root.put("created_by", createdBy);
    root.put("alignment", alignment);
    root.put("partition_size", partitionSize);
    ObjectNode checksum = root.putObject("checksum");
    checksum.put("algorithm", "crc32c");
    checksum.put("block_size", checksumBlockSize);
    ObjectNode meta = root.putObject("metadata");
    metadata.forEach(meta::put);
    writeFiles(root.putArray("sources"), sources);
    writeFiles(root.putArray("files"), files);
    ArrayNode parts = root.putArray("partitions");
    for (Partition p : partitions) {
      ObjectNode node = parts.addObject();
      node.put("path", p.path());
      node.put("size", p.size());
      ArrayNode crcs = node.putArray("crc32c");
      for (int crc : p.crc32c) {
        crcs.add(Integer.toUnsignedLong(crc));
      }
    }
    ArrayNode list = root.putArray("tensors");
    for (TensorRecord t : tensors) {
      ObjectNode node = list.addObject();
      node.put("name", t.name());
      node.put("dtype", t.dtype().safetensorsName());
      ArrayNode shape = node.putArray("shape");
      for (long d : t.shape) {
        shape.add(d);
      }
      node.put("partition", t.partition());
      node.put("offset", t.offset());
      node.put("length", t.length());
    }
    byte[] json = Json.MAPPER.writeValueAsBytes(root);
    AtomicFiles.write(
        folder.resolve(FILE_NAME),
        channel -> {
          ByteBuffer buffer = ByteBuffer.wrap(json);
          while (buffer.hasRemaining()) {
            channel.write(buffer);
          }
        });
  }

  private static void writeFiles(ArrayNode array, List<FileRecord> records) {
    for (FileRecord r : records) {
      ObjectNode node = array.addObject();
      node.put("path", r.path());
      node.put("size", r.size());
      node.put("modified", r.modifiedMillis());
      node.put("sha256", r.sha256());
    }
  }

  /** Validating reader: each problem becomes one error naming the manifest. */
  private static final class Parser {
    private final Path folder;
    private final Path file;

    Parser(Path folder, Path file) {
      this.folder = folder;
      this.file = file;
    }

    FlashManifest parse(JsonNode root) throws FormatException {
      if (root == null || !root.isObject()) {
        throw fail("is not a JSON object");
      }
      if (!FORMAT_NAME.equals(text(root, "format", false))) {
        throw fail("\"format\" is not \"" + FORMAT_NAME + "\"");
      }
      long version = number(root, "version");
      if (version != VERSION) {
        throw fail(
            "format version %d is not supported (this reader knows version %d)"
                .formatted(version, VERSION));
      }
      JsonNode model = object(root, "model");
      String modelId = text(model, "id", false);
      String revision = text(model, "revision", true);
      String createdBy = text(root, "created_by", true);
      long alignment = number(root, "alignment");
      if (alignment < ALIGNMENT || alignment % ALIGNMENT != 0 || Long.bitCount(alignment) != 1) {
        throw fail(
            "alignment %d is not a power of two multiple of %d".formatted(alignment, ALIGNMENT));
      }
      long partitionSize = number(root, "partition_size");
      JsonNode checksum = object(root, "checksum");
      if (!"crc32c".equals(text(checksum, "algorithm", false))) {
        throw fail("checksum algorithm is not crc32c");
      }
      long blockSize = number(checksum, "block_size");
      if (blockSize <= 0 || blockSize % alignment != 0 || blockSize > (1 << 30)) {
        throw fail(
            "checksum block_size %d is not a multiple of the alignment %d (at most 1 GiB)"
                .formatted(blockSize, alignment));
      }
      Map<String, String> metadata = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : object(root, "metadata").properties()) {
        if (!e.getValue().isString()) {
          throw fail("metadata value of '%s' is not a string".formatted(e.getKey()));
        }
        metadata.put(e.getKey(), e.getValue().stringValue());
      }
      List<FileRecord> sources = files(root, "sources");
      List<FileRecord> files = files(root, "files");
      List<Partition> partitions = new ArrayList<>();
      Set<String> partitionPaths = new HashSet<>();
      for (JsonNode node : array(root, "partitions")) {
        String path = text(node, "path", false);
        SafetensorsCheckpoint.resolveInside(folder, file, path);
        if (!partitionPaths.add(path)) {
          throw fail("lists partition '%s' twice".formatted(path));
        }
        long size = number(node, "size");
        if (size % alignment != 0) {
          throw fail(
              "partition '%s' size %d is not a multiple of the alignment %d"
                  .formatted(path, size, alignment));
        }
        JsonNode crcs = array(node, "crc32c");
        long blocks = (size + blockSize - 1) / blockSize;
        if (crcs.size() != blocks) {
          throw fail(
              "partition '%s' has %d checksums; %d bytes in blocks of %d need %d"
                  .formatted(path, crcs.size(), size, blockSize, blocks));
        }
        int[] crc = new int[crcs.size()];
        for (int i = 0; i < crc.length; i++) {
          long value = Json.nonNegativeLong(crcs.get(i));
          if (value < 0 || value > 0xFFFF_FFFFL) {
            throw fail("partition '%s' checksum %d is not a CRC32C".formatted(path, i));
          }
          crc[i] = (int) value;
        }
        partitions.add(new Partition(path, size, crc));
      }
      List<TensorRecord> tensors = new ArrayList<>();
      Set<String> names = new HashSet<>();
      for (JsonNode node : array(root, "tensors")) {
        String name = text(node, "name", false);
        if (!names.add(name)) {
          throw fail("lists tensor '%s' twice".formatted(name));
        }
        DType dtype;
        try {
          dtype = DType.fromSafetensorsName(text(node, "dtype", false));
        } catch (IllegalArgumentException e) {
          throw fail("tensor '%s': %s".formatted(name, e.getMessage()));
        }
        JsonNode shapeNode = array(node, "shape");
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = Json.nonNegativeLong(shapeNode.get(i));
          if (shape[i] < 0) {
            throw fail("tensor '%s': shape %s is not a list of sizes".formatted(name, shapeNode));
          }
        }
        long partition = number(node, "partition");
        long offset = number(node, "offset");
        long length = number(node, "length");
        if (partition >= partitions.size()) {
          throw fail(
              "tensor '%s' is in partition %d but there are %d partitions"
                  .formatted(name, partition, partitions.size()));
        }
        long expected = Safetensors.expectedBytes(file, name, dtype, shape);
        if (length != expected) {
          throw fail(
              "tensor '%s': %s%s needs %d bytes but its length is %d"
                  .formatted(name, dtype, Arrays.toString(shape), expected, length));
        }
        if (offset % alignment != 0) {
          throw fail(
              "tensor '%s' offset %d is not a multiple of the alignment %d"
                  .formatted(name, offset, alignment));
        }
        Partition p = partitions.get((int) partition);
        if (offset + length > p.size()) {
          throw fail(
              "tensor '%s' bytes [%d, %d) run past the end of partition '%s' (%d bytes)"
                  .formatted(name, offset, offset + length, p.path(), p.size()));
        }
        tensors.add(new TensorRecord(name, dtype, shape, (int) partition, offset, length));
      }
      return new FlashManifest(
          (int) version,
          modelId,
          revision,
          (int) alignment,
          (int) blockSize,
          partitionSize,
          createdBy,
          metadata,
          sources,
          files,
          partitions,
          tensors);
    }

    private List<FileRecord> files(JsonNode root, String field) throws FormatException {
      List<FileRecord> records = new ArrayList<>();
      for (JsonNode node : array(root, field)) {
        String path = text(node, "path", false);
        SafetensorsCheckpoint.resolveInside(folder, file, path);
        records.add(
            new FileRecord(
                path, number(node, "size"), number(node, "modified"), text(node, "sha256", false)));
      }
      return records;
    }

    private FormatException fail(String problem) {
      return new FormatException(file, problem);
    }

    private JsonNode object(JsonNode node, String field) throws FormatException {
      JsonNode value = node.get(field);
      if (value == null || !value.isObject()) {
        throw fail("\"%s\" is missing or not an object".formatted(field));
      }
      return value;
    }

    private JsonNode array(JsonNode node, String field) throws FormatException {
      JsonNode value = node.get(field);
      if (value == null || !value.isArray()) {
        throw fail("\"%s\" is missing or not an array".formatted(field));
      }
      return value;
    }

    private String text(JsonNode node, String field, boolean nullable) throws FormatException {
      JsonNode value = node.get(field);
      if (nullable && (value == null || value.isNull())) {
        return null;
      }
      if (value == null || !value.isString()) {
        throw fail("\"%s\" is missing or not a string".formatted(field));
      }
      return value.stringValue();
    }

    private long number(JsonNode node, String field) throws FormatException {
      long value = Json.nonNegativeLong(node.get(field));
      if (value < 0) {
        throw fail("\"%s\" is missing or not a non-negative integer".formatted(field));
      }
      return value;
    }
  }
}
