package io.flashtensors.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.format.DType;
import io.flashtensors.format.FlashManifest;
import io.flashtensors.format.Safetensors;
import io.flashtensors.format.TestTensors;
import io.flashtensors.load.DeviceMap;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.load.LoadedModel;
import io.flashtensors.memory.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlashModelConverterTest {

  @TempDir Path temp;

  @Test
  void registerShouldWriteAFlashLayoutTheLoaderReadsBackByteForByte() throws IOException {
    Path source = temp.resolve("hf");
    Files.createDirectories(source);
    try (Arena arena = Arena.ofConfined()) {
      Random random = new Random(7);
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      tensors.put("a", TestTensors.random(arena, "a", DType.BF16, new long[] {64, 33}, random));
      tensors.put("b", TestTensors.random(arena, "b", DType.F32, new long[] {17}, random));
      Safetensors.write(source.resolve("model.safetensors"), tensors, Map.of());
      Files.writeString(source.resolve("config.json"), "{\"model_type\":\"qwen3\"}");

      ModelStore store = ModelStore.open(temp.resolve("store"));
      StoredModel m =
          store.register(
              ModelId.parse("t/tiny"),
              "local",
              source,
              new FlashModelConverter(),
              RegisterOptions.local(),
              Progress.NONE);

      assertThat(m.dtypes()).containsExactly("BF16", "F32");
      assertThat(m.tensors()).isEqualTo(2);
      assertThat(m.partitions()).isEqualTo(1);
      assertThat(m.tensorBytes()).isEqualTo(64 * 33 * 2 + 17 * 4);
      Path folder = store.folder(m);
      assertThat(FlashManifest.read(folder).modelId()).isEqualTo("t/tiny");
      assertThat(folder.resolve("config.json")).exists();
      try (LoadedModel loaded = FlashLoader.create().load(folder, DeviceMap.cpu())) {
        for (Tensor t : tensors.values()) {
          assertThat(TestTensors.sameContent(loaded.tensor(t.name()), t)).isTrue();
        }
      }
    }
  }

  @Test
  void registerWhenSourceIsNotSafetensorsShouldFailNamingTheFileAndLeaveNothing()
      throws IOException {
    Path source = temp.resolve("hf");
    Files.createDirectories(source);
    Files.write(source.resolve("model.safetensors"), new byte[] {1, 2, 3});
    ModelStore store = ModelStore.open(temp.resolve("store"));

    assertThatThrownBy(
            () ->
                store.register(
                    ModelId.parse("t/bad"),
                    "local",
                    source,
                    new FlashModelConverter(),
                    RegisterOptions.local(),
                    Progress.NONE))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("model.safetensors");
    assertThat(store.list()).isEmpty();
    assertThat(store.root().resolve("t")).doesNotExist();
  }
}
