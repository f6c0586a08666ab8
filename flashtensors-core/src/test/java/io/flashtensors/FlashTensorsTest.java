package io.flashtensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.config.SettingsResolver;
import io.flashtensors.format.DType;
import io.flashtensors.format.TestTensors;
import io.flashtensors.llm.ChatMessage;
import io.flashtensors.llm.ChatRequest;
import io.flashtensors.llm.ChatResult;
import io.flashtensors.llm.SamplingOptions;
import io.flashtensors.llm.TokenListener;
import io.flashtensors.llm.qwen3.Fixtures;
import io.flashtensors.llm.qwen3.Qwen3ChatEngine;
import io.flashtensors.load.LoadedModel;
import io.flashtensors.memory.Tensor;
import io.flashtensors.store.StoredModel;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SDK without a daemon: configure, register, list, info, load, tensor dicts. */
class FlashTensorsTest {

  @TempDir Path temp;

  private FlashTensors configure(List<String> notices) {
    return FlashTensors.configure(
            new SettingsResolver(
                Map.of("FLASHTENSORS_HOME", temp.resolve("home").toString()), temp))
        .storagePath(temp.resolve("models"))
        .memPoolSize("1GB")
        .threads(2)
        .device("cpu")
        .notices(notices::add)
        .build();
  }

  @Test
  void configureShouldResolveTheSameKnobsAsStart() {
    FlashTensors ft = configure(new ArrayList<>());
    assertThat(ft.settings().storagePath()).isEqualTo(temp.resolve("models"));
    assertThat(ft.settings().memPoolSize()).isEqualTo(1L << 30);
    assertThat(ft.settings().threads()).isEqualTo(2);
    assertThat(ft.device()).isEqualTo("cpu");
    assertThat(ft.daemon()).isEmpty();
    assertThat(ft.freeMemory()).isZero();
    assertThat(ft.shutdownDaemon()).isFalse();
    assertThatThrownBy(() -> FlashTensors.configure().memPoolSize("lots").build())
        .hasMessageContaining("mem-pool-size from flag --mem-pool-size: 'lots' is not a size");
  }

  @Test
  void registerListInfoAndLoadShouldRunTheTinyQwen3() throws Exception {
    FlashTensors ft = configure(new ArrayList<>());
    StoredModel m = ft.registerModel("acme/tiny", Fixtures.tinyRandomModel());

    assertThat(ft.listModels()).extracting(ModelInfo::id).containsExactly("acme/tiny");
    ModelInfo info = ft.modelInfo("acme/tiny", null);
    assertThat(info.sizeBytes()).isEqualTo(m.tensorBytes());
    assertThat(info.dtypes()).contains("BF16");
    assertThat(info.partitions()).isEqualTo(1);
    assertThat(info.residency()).isEqualTo("unknown");
    assertThat(info.path()).isEqualTo(temp.resolve("models/acme/tiny/local"));

    try (Qwen3ChatEngine engine = ft.loadModel("acme/tiny")) {
      ChatResult r =
          engine.chat(
              new ChatRequest(
                  List.of(ChatMessage.user("Hello! What is 2+2?")),
                  List.of(),
                  false,
                  SamplingOptions.greedy(4)),
              TokenListener.none());
      assertThat(r.completionTokens()).isEqualTo(4);
    }
  }

  @Test
  void saveDictAndLoadDictShouldRoundTripTensors() throws Exception {
    FlashTensors ft = configure(new ArrayList<>());
    try (Arena arena = Arena.ofConfined()) {
      Tensor t = TestTensors.random(arena, "w", DType.F32, new long[] {7, 9}, new Random(3));
      ft.saveDict(Map.of("w", t), temp.resolve("dict"));
      try (LoadedModel loaded = ft.loadDict(temp.resolve("dict"))) {
        assertThat(TestTensors.sameContent(loaded.tensor("w"), t)).isTrue();
      }
    }
  }
}
