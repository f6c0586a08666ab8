package io.flashtensors.llm.qwen3;

import io.flashtensors.format.DType;
import io.flashtensors.memory.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tensors of a Qwen3 checkpoint, checked against its config: every expected tensor present,
 * with the expected shape and a floating-point dtype the engine reads (BF16, F16 or F32).
 *
 * @param embedTokens {@code model.embed_tokens.weight [vocab, hidden]}
 * @param layers the decoder layers, in order
 * @param norm {@code model.norm.weight [hidden]}
 * @param lmHead {@code lm_head.weight [vocab, hidden]}, or {@code embedTokens} when tied
 */
public record Qwen3Weights(Tensor embedTokens, List<Layer> layers, Tensor norm, Tensor lmHead) {

  /** Dtypes the engine computes with (converted to float32 arithmetic). */
  public static final Set<DType> SUPPORTED_DTYPES = Set.of(DType.BF16, DType.F16, DType.F32);

  private static final Pattern LAYER_NAME = Pattern.compile("model\\.layers\\.(\\d+)\\..*");

  public Qwen3Weights {
    layers = List.copyOf(layers);
  }

  /**
   * One decoder layer. Matrices are PyTorch {@code [out, in]}, row-major.
   *
   * @param inputNorm {@code input_layernorm.weight [hidden]}
   * @param qProj {@code self_attn.q_proj.weight [heads*head_dim, hidden]}
   * @param kProj {@code self_attn.k_proj.weight [kv_heads*head_dim, hidden]}
   * @param vProj {@code self_attn.v_proj.weight [kv_heads*head_dim, hidden]}
   * @param qNorm {@code self_attn.q_norm.weight [head_dim]}
   * @param kNorm {@code self_attn.k_norm.weight [head_dim]}
   * @param oProj {@code self_attn.o_proj.weight [hidden, heads*head_dim]}
   * @param postAttentionNorm {@code post_attention_layernorm.weight [hidden]}
   * @param gateProj {@code mlp.gate_proj.weight [intermediate, hidden]}
   * @param upProj {@code mlp.up_proj.weight [intermediate, hidden]}
   * @param downProj {@code mlp.down_proj.weight [hidden, intermediate]}
   */
  public record Layer(
      Tensor inputNorm,
      Tensor qProj,
      Tensor kProj,
      Tensor vProj,
      Tensor qNorm,
      Tensor kNorm,
      Tensor oProj,
      Tensor postAttentionNorm,
      Tensor gateProj,
      Tensor upProj,
      Tensor downProj) {}

  /**
   * The tensors a checkpoint of this config must hold, by name, with their shapes. {@code
   * lm_head.weight} is listed only for untied models.
   */
  public static Map<String, long[]> expectedShapes(Qwen3Config c) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    long h = c.hiddenSize();
    shapes.put("model.embed_tokens.weight", new long[] {c.vocabSize(), h});
    for (int i = 0; i < c.numLayers(); i++) {
      String p = "model.layers." + i + ".";
      shapes.put(p + "input_layernorm.weight", new long[] {h});
      shapes.put(p + "self_attn.q_proj.weight", new long[] {c.queryDim(), h});
      shapes.put(p + "self_attn.k_proj.weight", new long[] {c.kvDim(), h});
      shapes.put(p + "self_attn.v_proj.weight", new long[] {c.kvDim(), h});
      shapes.put(p + "self_attn.q_norm.weight", new long[] {c.headDim()});
      shapes.put(p + "self_attn.k_norm.weight", new long[] {c.headDim()});
      shapes.put(p + "self_attn.o_proj.weight", new long[] {h, c.queryDim()});
      shapes.put(p + "post_attention_layernorm.weight", new long[] {h});
      shapes.put(p + "mlp.gate_proj.weight", new long[] {c.intermediateSize(), h});
      shapes.put(p + "mlp.up_proj.weight", new long[] {c.intermediateSize(), h});
      shapes.put(p + "mlp.down_proj.weight", new long[] {h, c.intermediateSize()});
    }
    shapes.put("model.norm.weight", new long[] {h});
    if (!c.tieWordEmbeddings()) {
      shapes.put("lm_head.weight", new long[] {c.vocabSize(), h});
    }
    return shapes;
  }

  /**
   * Binds the tensors of a checkpoint to the config. A tied model uses {@code embed_tokens} as LM
   * head even when the file also stores {@code lm_head.weight} (transformers does the same).
   *
   * @param source names the checkpoint in error messages
   * @throws Qwen3ConfigException naming every missing tensor, or the first wrong shape or dtype
   */
  public static Qwen3Weights bind(Qwen3Config config, Map<String, Tensor> tensors, String source) {
    Map<String, long[]> expected = expectedShapes(config);
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      Tensor t = tensors.get(e.getKey());
      if (t == null) {
        missing.add(e.getKey());
        continue;
      }
      if (!Arrays.equals(t.shape(), e.getValue())) {
        throw new Qwen3ConfigException(
            "%s: tensor %s has shape %s but config.json implies %s"
                .formatted(
                    source, e.getKey(), Arrays.toString(t.shape()), Arrays.toString(e.getValue())));
      }
      if (!SUPPORTED_DTYPES.contains(t.dtype())) {
        throw new Qwen3ConfigException(
            "%s: tensor %s has dtype %s; the engine reads BF16, F16 or F32"
                .formatted(source, e.getKey(), t.dtype()));
      }
    }
    if (!missing.isEmpty()) {
      throw new Qwen3ConfigException(
          "%s: %d tensor(s) missing for the config's %d layers: %s"
              .formatted(
                  source,
                  missing.size(),
                  config.numLayers(),
                  missing.size() > 6
                      ? String.join(", ", missing.subList(0, 6)) + ", ..."
                      : String.join(", ", missing)));
    }
    for (String name : tensors.keySet()) {
      Matcher m = LAYER_NAME.matcher(name);
      if (m.matches() && Long.parseLong(m.group(1)) >= config.numLayers()) {
        throw new Qwen3ConfigException(
            "%s: tensor %s belongs to a layer beyond num_hidden_layers=%d in config.json"
                .formatted(source, name, config.numLayers()));
      }
    }
    List<Layer> layers = new ArrayList<>(config.numLayers());
    for (int i = 0; i < config.numLayers(); i++) {
      String p = "model.layers." + i + ".";
      layers.add(
          new Layer(
              tensors.get(p + "input_layernorm.weight"),
              tensors.get(p + "self_attn.q_proj.weight"),
              tensors.get(p + "self_attn.k_proj.weight"),
              tensors.get(p + "self_attn.v_proj.weight"),
              tensors.get(p + "self_attn.q_norm.weight"),
              tensors.get(p + "self_attn.k_norm.weight"),
              tensors.get(p + "self_attn.o_proj.weight"),
              tensors.get(p + "post_attention_layernorm.weight"),
              tensors.get(p + "mlp.gate_proj.weight"),
              tensors.get(p + "mlp.up_proj.weight"),
              tensors.get(p + "mlp.down_proj.weight")));
    }
    Tensor embed = tensors.get("model.embed_tokens.weight");
    Tensor lmHead = config.tieWordEmbeddings() ? embed : tensors.get("lm_head.weight");
    return new Qwen3Weights(embed, layers, tensors.get("model.norm.weight"), lmHead);
  }

  /** Bytes of every distinct tensor (the tied LM head counted once). */
  public long parameterBytes() {
    long bytes = embedTokens.data().byteSize() + norm.data().byteSize();
    if (lmHead != embedTokens) {
      bytes += lmHead.data().byteSize();
    }
    for (Layer l : layers) {
      for (Tensor t :
          List.of(
              l.inputNorm,
              l.qProj,
              l.kProj,
              l.vProj,
              l.qNorm,
              l.kNorm,
              l.oProj,
              l.postAttentionNorm,
              l.gateProj,
              l.upProj,
              l.downProj)) {
        bytes += t.data().byteSize();
      }
    }
    return bytes;
  }
}
