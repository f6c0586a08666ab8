package io.flashtensors.llm.qwen3;

import io.flashtensors.format.DType;
import io.flashtensors.memory.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The committed parity fixtures (made by scripts/reference/make_tiny_models.py) and a reader. */
public final class Fixtures {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Little-endian element layouts, as safetensors stores them. */
  public static final ValueLayout.OfShort SHORT_LE =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  public static final ValueLayout.OfFloat FLOAT_LE =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private Fixtures() {}

  /** The repository's {@code fixtures/} folder (tests run in the module folder). */
  public static Path root() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolve("fixtures");
      if (Files.isDirectory(candidate.resolve("qwen3-parity"))) {
        return candidate;
      }
    }
    throw new IllegalStateException("fixtures/ not found above " + Path.of("").toAbsolutePath());
  }

  /** Folders of the tiny parity models. */
  public static List<Path> parityModels() {
    try (Stream<Path> s = Files.list(root().resolve("qwen3-parity"))) {
      return s.filter(Files::isDirectory).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The model with the full Qwen3 vocabulary and the real tokenizer. */
  public static Path tinyRandomModel() {
    return root().resolve("models/qwen3-tiny-random");
  }

  public static JsonNode json(Path file) {
    try {
      return JSON.readTree(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Maps a safetensors file and views its tensors (the arena keeps the mapping alive). */
  public static Map<String, Tensor> readSafetensors(Path file, Arena arena) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
      long headerLength =
          all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
      byte[] header = all.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
      JsonNode root = JSON.readTree(header);
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : root.properties()) {
        if (e.getKey().equals("__metadata__")) {
          continue;
        }
        JsonNode t = e.getValue();
        long[] shape = new long[t.get("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = t.get("shape").get(i).asLong();
        }
        long begin = t.get("data_offsets").get(0).asLong();
        long end = t.get("data_offsets").get(1).asLong();
        tensors.put(
            e.getKey(),
            new Tensor(
                e.getKey(),
                DType.fromSafetensorsName(t.get("dtype").asString()),
                shape,
                all.asSlice(8 + headerLength + begin, end - begin)));
      }
      return tensors;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An F32 tensor's values. */
  public static float[] floats(Tensor t) {
    return t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
  }

  public static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  /** Copies every tensor of a BF16 checkpoint into {@code dtype}, in {@code arena}. */
  public static Map<String, Tensor> convert(Map<String, Tensor> bf16, DType dtype, Arena arena) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Tensor t : bf16.values()) {
      long n = t.numel();
      MemorySegment seg = arena.allocate(dtype.byteSize(n), 64);
      for (long i = 0; i < n; i++) {
        float f = Float.intBitsToFloat(t.data().getAtIndex(SHORT_LE, i) << 16);
        switch (dtype) {
          case F32 -> seg.setAtIndex(FLOAT_LE, i, f);
          case F16 -> seg.setAtIndex(SHORT_LE, i, Float.floatToFloat16(f));
          case BF16 -> seg.setAtIndex(SHORT_LE, i, (short) (Float.floatToIntBits(f) >>> 16));
          default -> throw new IllegalArgumentException(dtype.toString());
        }
      }
      out.put(t.name(), new Tensor(t.name(), dtype, t.shape(), seg));
    }
    return out;
  }
}
