package io.flashtensors.llm.qwen3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class Qwen3ConfigTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** The config.json of Qwen/Qwen3-0.6B as published (transformers 4.51 form). */
  private static final String QWEN3_06B =
      """
      {"architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
       "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu",
       "hidden_size": 1024, "initializer_range": 0.02, "intermediate_size": 3072,
       "max_position_embeddings": 40960, "max_window_layers": 28, "model_type": "qwen3",
       "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8,
       "rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 1000000, "sliding_window": null,
       "tie_word_embeddings": true, "torch_dtype": "bfloat16", "transformers_version": "4.51.0",
       "use_cache": true, "use_sliding_window": false, "vocab_size": 151936}
      """;

  private static ObjectNode qwen06b() {
    return (ObjectNode) JSON.readTree(QWEN3_06B);
  }

  @Test
  void readsThePublishedTransformers4Form() {
    Qwen3Config c = Qwen3Config.parse(qwen06b());
    assertThat(c.hiddenSize()).isEqualTo(1024);
    assertThat(c.queryDim()).isEqualTo(2048);
    assertThat(c.kvDim()).isEqualTo(1024);
    assertThat(c.groupSize()).isEqualTo(2);
    assertThat(c.ropeTheta()).isEqualTo(1_000_000);
    assertThat(c.ropeScaling()).isEqualTo(RopeScaling.NONE);
    assertThat(c.tieWordEmbeddings()).isTrue();
    assertThat(c.eosTokenIds()).containsExactly(151645);
    assertThat(c.dtype()).isEqualTo("bfloat16");
    assertThat(c.maxPositionEmbeddings()).isEqualTo(40960);
  }

  @Test
  void readsTheTransformers5Form() {
    ObjectNode n = qwen06b();
    n.remove("rope_theta");
    n.remove("rope_scaling");
    n.remove("torch_dtype");
    n.put("dtype", "bfloat16");
    n.set(
        "rope_parameters", JSON.readTree("{\"rope_type\": \"default\", \"rope_theta\": 5000000}"));
    n.set("eos_token_id", JSON.readTree("[151645, 151643]"));
    Qwen3Config c = Qwen3Config.parse(n);
    assertThat(c.ropeTheta()).isEqualTo(5_000_000);
    assertThat(c.dtype()).isEqualTo("bfloat16");
    assertThat(c.eosTokenIds()).containsExactly(151645, 151643);
  }

  @Test
  void ropeParametersWinOverATopLevelTheta() {
    ObjectNode n = qwen06b();
    n.set("rope_parameters", JSON.readTree("{\"rope_type\": \"default\", \"rope_theta\": 10000}"));
    assertThat(Qwen3Config.parse(n).ropeTheta()).isEqualTo(10_000);
  }

  @Test
  void readsYarnScalingOfTheQwen3ModelCard() {
    ObjectNode n = qwen06b();
    n.set(
        "rope_scaling",
        JSON.readTree(
            "{\"rope_type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 32768}"));
    RopeScaling s = Qwen3Config.parse(n).ropeScaling();
    assertThat(s.type()).isEqualTo(RopeScaling.Type.YARN);
    assertThat(s.factor()).isEqualTo(4.0);
    assertThat(s.originalMaxPositions()).isEqualTo(32768);
    assertThat(new Rope(Qwen3Config.parse(n)).attentionScaling())
        .isCloseTo((float) (0.1 * Math.log(4) + 1), org.assertj.core.data.Offset.offset(1e-6f));
  }

  @Test
  void absentKeysTakeTransformersDefaults() {
    ObjectNode n = qwen06b();
    for (String key :
        List.of(
            "head_dim",
            "num_key_value_heads",
            "rope_theta",
            "tie_word_embeddings",
            "rms_norm_eps",
            "max_position_embeddings")) {
      n.remove(key);
    }
    Qwen3Config c = Qwen3Config.parse(n);
    assertThat(c.headDim()).isEqualTo(128);
    assertThat(c.numKvHeads()).isEqualTo(16);
    assertThat(c.ropeTheta()).isEqualTo(10_000);
    assertThat(c.tieWordEmbeddings()).isFalse();
    assertThat(c.rmsNormEps()).isEqualTo(1e-6f);
    assertThat(c.maxPositionEmbeddings()).isEqualTo(32768);
  }

  @Test
  void refusesOtherArchitectures() {
    ObjectNode n = qwen06b();
    n.set("architectures", JSON.readTree("[\"LlamaForCausalLM\"]"));
    assertThatThrownBy(() -> Qwen3Config.parse(n))
        .isInstanceOf(Qwen3ConfigException.class)
        .hasMessage("unsupported architecture LlamaForCausalLM; this engine runs Qwen3ForCausalLM");
  }

  @Test
  void refusesUnsupportedRopeTypesAndFeatures() {
    ObjectNode n = qwen06b();
    n.set("rope_scaling", JSON.readTree("{\"type\": \"dynamic\", \"factor\": 2.0}"));
    assertThatThrownBy(() -> Qwen3Config.parse(n))
        .hasMessage("unsupported rope_type 'dynamic' (supported: default, linear, yarn)");
    ObjectNode sliding = qwen06b();
    sliding.put("use_sliding_window", true);
    assertThatThrownBy(() -> Qwen3Config.parse(sliding)).hasMessageContaining("use_sliding_window");
    ObjectNode bias = qwen06b();
    bias.put("attention_bias", true);
    assertThatThrownBy(() -> Qwen3Config.parse(bias)).hasMessageContaining("attention_bias");
  }

  @Test
  void namesMissingAndMalformedKeys() {
    ObjectNode n = qwen06b();
    n.remove("hidden_size");
    assertThatThrownBy(() -> Qwen3Config.parse(n)).hasMessage("missing hidden_size");
    ObjectNode m = qwen06b();
    m.put("num_hidden_layers", "28");
    assertThatThrownBy(() -> Qwen3Config.parse(m))
        .hasMessage("num_hidden_layers must be an integer, not \"28\"");
    ObjectNode g = qwen06b();
    g.put("num_key_value_heads", 5);
    assertThatThrownBy(() -> Qwen3Config.parse(g)).hasMessageContaining("multiple of");
  }

  @Test
  void fileErrorsNameTheFile(@TempDir Path dir) throws IOException {
    assertThatThrownBy(() -> Qwen3Config.read(dir))
        .hasMessage(
            dir.resolve("config.json") + ": not found (a Qwen3 model folder needs config.json)");
    Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": ");
    assertThatThrownBy(() -> Qwen3Config.read(dir))
        .hasMessageStartingWith(dir.resolve("config.json") + ": not valid JSON");
    Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"GPT2LMHeadModel\"]}");
    assertThatThrownBy(() -> Qwen3Config.read(dir))
        .hasMessageStartingWith(
            dir.resolve("config.json") + ": unsupported architecture GPT2LMHeadModel");
  }

  @Test
  void generationDefaultsReadTheQwen3File(@TempDir Path dir) throws IOException {
    Files.writeString(
        dir.resolve("generation_config.json"),
        """
        {"bos_token_id": 151643, "do_sample": true, "eos_token_id": [151645, 151643],
         "pad_token_id": 151643, "temperature": 0.6, "top_k": 20, "top_p": 0.95,
         "transformers_version": "4.51.0"}
        """);
    GenerationDefaults d = GenerationDefaults.read(dir);
    assertThat(d.doSample()).isTrue();
    assertThat(d.temperature()).isEqualTo(0.6);
    assertThat(d.topK()).isEqualTo(20);
    assertThat(d.topP()).isEqualTo(0.95);
    assertThat(d.minP()).isNull();
    assertThat(d.eosTokenIds()).containsExactly(151645, 151643);
    assertThat(GenerationDefaults.stopTokens(Qwen3Config.parse(qwen06b()), d))
        .containsExactly(151645, 151643);
    assertThat(GenerationDefaults.read(dir.resolve("absent"))).isEqualTo(GenerationDefaults.NONE);
  }
}
