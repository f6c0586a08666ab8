package io.flashtensors.llm.qwen3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.format.DType;
import io.flashtensors.memory.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Qwen3WeightsTest {

  private final Path dir = Fixtures.root().resolve("qwen3-parity/gqa4-headdim32-untied-v4");
  private Arena arena;
  private Qwen3Config config;
  private Map<String, Tensor> tensors;

  @BeforeEach
  void open() {
    arena = Arena.ofShared();
    config = Qwen3Config.read(dir);
    tensors =
        new LinkedHashMap<>(Fixtures.readSafetensors(dir.resolve("model.safetensors"), arena));
  }

  @AfterEach
  void close() {
    arena.close();
  }

  @Test
  void bindsEveryTensorOfTheCheckpoint() {
    Qwen3Weights w = Qwen3Weights.bind(config, tensors, "fixture");
    assertThat(w.layers()).hasSize(config.numLayers());
    assertThat(w.lmHead()).isSameAs(tensors.get("lm_head.weight"));
    assertThat(w.layers().get(1).kNorm())
        .isSameAs(tensors.get("model.layers.1.self_attn.k_norm.weight"));
    assertThat(Qwen3Weights.expectedShapes(config)).hasSize(tensors.size());
  }

  @Test
  void tiedModelsUseTheEmbeddingEvenWhenAnLmHeadIsStored() {
    Path tied = Fixtures.root().resolve("qwen3-parity/gqa2-tied-theta1e6-v4");
    Qwen3Config c = Qwen3Config.read(tied);
    Map<String, Tensor> t =
        new LinkedHashMap<>(Fixtures.readSafetensors(tied.resolve("model.safetensors"), arena));
    Tensor embed = t.get("model.embed_tokens.weight");
    t.put(
        "lm_head.weight", new Tensor("lm_head.weight", embed.dtype(), embed.shape(), embed.data()));
    assertThat(Qwen3Weights.bind(c, t, "tied").lmHead()).isSameAs(embed);
  }

  @Test
  void namesMissingTensors() {
    tensors.remove("model.layers.1.self_attn.q_norm.weight");
    tensors.remove("lm_head.weight");
    assertThatThrownBy(() -> Qwen3Weights.bind(config, tensors, "ckpt"))
        .isInstanceOf(Qwen3ConfigException.class)
        .hasMessage(
            "ckpt: 2 tensor(s) missing for the config's 2 layers: "
                + "model.layers.1.self_attn.q_norm.weight, lm_head.weight");
  }

  @Test
  void namesWrongShapes() {
    Tensor q = tensors.get("model.layers.0.self_attn.q_proj.weight");
    long[] shape = q.shape();
    tensors.put(
        q.name(), new Tensor(q.name(), q.dtype(), new long[] {shape[1], shape[0]}, q.data()));
    assertThatThrownBy(() -> Qwen3Weights.bind(config, tensors, "ckpt"))
        .hasMessage(
            "ckpt: tensor model.layers.0.self_attn.q_proj.weight has shape [48, 128] but config.json implies [128, 48]");
  }

  @Test
  void namesUnsupportedDtypes() {
    Tensor n = tensors.get("model.norm.weight");
    tensors.put(n.name(), new Tensor(n.name(), DType.I16, n.shape(), n.data()));
    assertThatThrownBy(() -> Qwen3Weights.bind(config, tensors, "ckpt"))
        .hasMessage(
            "ckpt: tensor model.norm.weight has dtype I16; the engine reads BF16, F16 or F32");
  }

  @Test
  void refusesLayersBeyondTheConfig() {
    Tensor n = tensors.get("model.layers.0.input_layernorm.weight");
    tensors.put(
        "model.layers.2.input_layernorm.weight",
        new Tensor("model.layers.2.input_layernorm.weight", n.dtype(), n.shape(), n.data()));
    assertThatThrownBy(() -> Qwen3Weights.bind(config, tensors, "ckpt"))
        .hasMessageContaining("beyond num_hidden_layers=2");
  }

  @Test
  void countsParameterBytesOnce() {
    long sum = 0;
    for (Tensor t : tensors.values()) {
      sum += t.data().byteSize();
    }
    assertThat(Qwen3Weights.bind(config, tensors, "ckpt").parameterBytes()).isEqualTo(sum);
  }
}
