package io.flashtensors.format;

import io.flashtensors.memory.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A safetensors checkpoint: one file, a folder of files, or a sharded folder whose {@code
 * model.safetensors.index.json} maps every tensor to its shard. Opening it validates every header
 * and checks that the index and the shards agree.
 *
 * @param root the file or folder it was opened from
 * @param index the index file, or null when there is none
 * @param files the safetensors files, in index (or name) order
 */
public record SafetensorsCheckpoint(Path root, Path index, List<SafetensorsFile> files) {

  /** File name of the index Hugging Face writes beside sharded checkpoints. */
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private static final String INDEX_SUFFIX = ".safetensors.index.json";

  public SafetensorsCheckpoint {
    files = List.copyOf(files);
  }

  /** Opens and validates a safetensors file or a folder holding one or more. */
  public static SafetensorsCheckpoint open(Path path) throws IOException {
    if (!Files.exists(path)) {
      throw new FormatException(path, "no such file or folder");
    }
    if (!Files.isDirectory(path)) {
      return new SafetensorsCheckpoint(path, null, List.of(Safetensors.readHeader(path)));
    }
    Path index = findIndex(path);
    if (index != null) {
      return openIndexed(path, index);
    }
    List<Path> shards = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(path, "*.safetensors")) {
      stream.forEach(shards::add);
    }
    if (shards.isEmpty()) {
      throw new FormatException(path, "holds no .safetensors file");
    }
    shards.sort(null);
    List<SafetensorsFile> files = new ArrayList<>();
    Map<String, Path> owners = new HashMap<>();
    for (Path shard : shards) {
      SafetensorsFile file = Safetensors.readHeader(shard);
      for (SafetensorsFile.Entry e : file.tensors()) {
        Path other = owners.putIfAbsent(e.name(), shard);
        if (other != null) {
          throw new FormatException(
              shard,
              "holds tensor '%s', which %s holds too".formatted(e.name(), other.getFileName()));
        }
      }
      files.add(file);
    }
    return new SafetensorsCheckpoint(path, null, files);
  }

  private static Path findIndex(Path folder) throws IOException {
    Path standard = folder.resolve(INDEX_FILE);
    if (Files.isRegularFile(standard)) {
      return standard;
    }
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(folder, "*" + INDEX_SUFFIX)) {
      stream.forEach(found::add);
    }
    if (found.size() > 1) {
      found.sort(null);
      throw new FormatException(
          folder, "holds several safetensors indexes (%s); expected one".formatted(found));
    }
    return found.isEmpty() ? null : found.getFirst();
  }

  private static SafetensorsCheckpoint openIndexed(Path folder, Path index) throws IOException {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(Files.readString(index));
    } catch (JacksonException e) {
      throw new FormatException(index, "is not JSON: " + Json.shortMessage(e), e);
    } catch (java.nio.charset.MalformedInputException e) {
      throw new FormatException(index, "is not UTF-8 text", e);
    }
    JsonNode weightMap = root == null ? null : root.get("weight_map");
    if (weightMap == null || !weightMap.isObject()) {
      throw new FormatException(index, "has no \"weight_map\" object");
    }
    Map<String, String> shardOf = new LinkedHashMap<>();
    Set<String> shardNames = new LinkedHashSet<>();
    for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
      if (!e.getValue().isString()) {
        throw new FormatException(
            index, "maps tensor '%s' to %s, not a file name".formatted(e.getKey(), e.getValue()));
      }
      String shard = e.getValue().stringValue();
      shardOf.put(e.getKey(), shard);
      shardNames.add(shard);
    }
    List<SafetensorsFile> files = new ArrayList<>();
    Map<String, SafetensorsFile> byShard = new HashMap<>();
    for (String shard : new TreeSet<>(shardNames)) {
      Path file = resolveInside(folder, index, shard);
      if (!Files.isRegularFile(file)) {
        throw new FormatException(index, "names shard '%s', which does not exist".formatted(shard));
      }
      SafetensorsFile parsed = Safetensors.readHeader(file);
      files.add(parsed);
      byShard.put(shard, parsed);
    }
    for (Map.Entry<String, String> e : shardOf.entrySet()) {
      SafetensorsFile shard = byShard.get(e.getValue());
      if (shard.tensors().stream().noneMatch(t -> t.name().equals(e.getKey()))) {
        throw new FormatException(
            index,
            "maps tensor '%s' to %s, which does not hold it".formatted(e.getKey(), e.getValue()));
      }
    }
    for (SafetensorsFile file : files) {
      for (SafetensorsFile.Entry t : file.tensors()) {
        String listed = shardOf.get(t.name());
        if (listed == null || !folder.resolve(listed).normalize().equals(file.path().normalize())) {
          throw new FormatException(
              file.path(),
              "holds tensor '%s', which %s %s"
                  .formatted(
                      t.name(),
                      index.getFileName(),
                      listed == null ? "does not list" : "maps to " + listed));
        }
      }
    }
    return new SafetensorsCheckpoint(folder, index, files);
  }

  /** Resolves a file name from an index or manifest, refusing anything outside the folder. */
  static Path resolveInside(Path folder, Path namedBy, String name) throws FormatException {
    Path base = folder.toAbsolutePath().normalize();
    Path resolved;
    try {
      resolved = base.resolve(name).normalize();
    } catch (java.nio.file.InvalidPathException e) {
      throw new FormatException(namedBy, "names file '%s', not a valid path".formatted(name), e);
    }
    if (name.isEmpty() || !resolved.startsWith(base) || resolved.equals(base)) {
      throw new FormatException(
          namedBy, "names file '%s', which is outside its folder %s".formatted(name, base));
    }
    return resolved;
  }

  /** Total bytes of tensor data over all files. */
  public long dataBytes() {
    long total = 0;
    for (SafetensorsFile f : files) {
      total += f.fileSize() - f.dataStart();
    }
    return total;
  }

  /** Number of tensors over all files. */
  public int tensorCount() {
    return files.stream().mapToInt(f -> f.tensors().size()).sum();
  }

  /** The {@code __metadata__} maps of all files merged (the first file wins on conflicts). */
  public Map<String, String> metadata() {
    Map<String, String> merged = new LinkedHashMap<>();
    for (SafetensorsFile f : files) {
      f.metadata().forEach(merged::putIfAbsent);
    }
    return merged;
  }

  /**
   * Writes {@code tensors} as a Hugging Face-style sharded checkpoint into {@code folder}: files
   * {@code model-00001-of-0000N.safetensors} of at most {@code maxShardBytes} of data each (a
   * larger tensor gets a shard of its own) and {@code model.safetensors.index.json}. With one shard
   * the file is {@code model.safetensors} and no index is written.
   */
  public static void writeSharded(
      Path folder, Map<String, Tensor> tensors, long maxShardBytes, Map<String, String> metadata)
      throws IOException {
    List<TensorSpec> specs = new ArrayList<>();
    tensors.forEach((name, t) -> specs.add(new TensorSpec(name, t.dtype(), t.shape())));
    writeSharded(
        folder,
        specs,
        maxShardBytes,
        metadata,
        (spec, offset, piece) ->
            MemorySegment.copy(
                tensors.get(spec.name()).data(), offset, piece, 0, piece.byteSize()));
  }

  /**
   * Writes a sharded checkpoint whose bytes come from {@code content}, tensors in the order given.
   *
   * @see #writeSharded(Path, Map, long, Map)
   */
  public static void writeSharded(
      Path folder,
      List<TensorSpec> tensors,
      long maxShardBytes,
      Map<String, String> metadata,
      Safetensors.Content content)
      throws IOException {
    if (maxShardBytes <= 0) {
      throw new IllegalArgumentException("maxShardBytes must be positive");
    }
    Files.createDirectories(folder);
    List<List<TensorSpec>> shards = new ArrayList<>();
    List<TensorSpec> current = new ArrayList<>();
    long currentBytes = 0;
    for (TensorSpec t : tensors) {
      long size = t.byteSize();
      if (!current.isEmpty() && currentBytes + size > maxShardBytes) {
        shards.add(current);
        current = new ArrayList<>();
        currentBytes = 0;
      }
      current.add(t);
      currentBytes += size;
    }
    shards.add(current);
    if (shards.size() == 1) {
      Safetensors.write(folder.resolve("model.safetensors"), shards.getFirst(), metadata, content);
      return;
    }
    ObjectNode index = Json.MAPPER.createObjectNode();
    long total = 0;
    ObjectNode weightMap = Json.MAPPER.createObjectNode();
    for (int i = 0; i < shards.size(); i++) {
      String name = "model-%05d-of-%05d.safetensors".formatted(i + 1, shards.size());
      Safetensors.write(folder.resolve(name), shards.get(i), metadata, content);
      for (TensorSpec t : shards.get(i)) {
        weightMap.put(t.name(), name);
        total += t.byteSize();
      }
    }
    index.putObject("metadata").put("total_size", total);
    index.set("weight_map", weightMap);
    byte[] json = Json.MAPPER.writeValueAsBytes(index);
    AtomicFiles.write(
        folder.resolve(INDEX_FILE), channel -> channel.write(java.nio.ByteBuffer.wrap(json)));
  }
}
