package io.flashtensors.server;

import io.flashtensors.format.DType;
import io.flashtensors.format.Safetensors;
import io.flashtensors.format.TestTensors;
import io.flashtensors.memory.Tensor;
import io.flashtensors.store.FlashModelConverter;
import io.flashtensors.store.ModelId;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.Progress;
import io.flashtensors.store.RegisterOptions;
import io.flashtensors.store.StoredModel;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Small random models registered in a store, for daemon and CLI tests. */
public final class TestModels {

  private TestModels() {}

  /**
   * Writes a random safetensors model with {@code tensors} BF16 tensors of about {@code kib} KiB
   * each into {@code temp/id}, and registers it in the store.
   */
  public static StoredModel register(
      ModelStore store, Path temp, String id, int tensors, int kib, long seed) throws IOException {
    Path source = temp.resolve("src-" + id.replace('/', '_'));
    Files.createDirectories(source);
    try (Arena arena = Arena.ofConfined()) {
      Random random = new Random(seed);
      Map<String, Tensor> map = new LinkedHashMap<>();
      for (int i = 0; i < tensors; i++) {
        String name = "model.layers." + i + ".weight";
        map.put(
            name, TestTensors.random(arena, name, DType.BF16, new long[] {kib, 512 + i}, random));
      }
      Safetensors.write(source.resolve("model.safetensors"), map, Map.of());
    }
    Files.writeString(source.resolve("config.json"), "{\"model_type\":\"qwen3\"}");
    return store.register(
        ModelId.parse(id),
        "main",
        source,
        new FlashModelConverter(),
        RegisterOptions.local(),
        Progress.NONE);
  }
}
