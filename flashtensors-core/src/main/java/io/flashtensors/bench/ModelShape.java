package io.flashtensors.bench;

import io.flashtensors.format.DType;
import io.flashtensors.format.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The tensor names and shapes of a Qwen3 dense model, as Hugging Face checkpoints write them, for
 * generating checkpoints with random weights.
 *
 * @param name shape name, such as {@code qwen3-0.6b}
 * @param hiddenSize model width
 * @param layers decoder layers
 * @param heads attention heads
 * @param kvHeads key/value heads
 * @param headDim size of one head
 * @param intermediateSize MLP width
 * @param vocabSize vocabulary size
 * @param tieWordEmbeddings true when {@code lm_head} shares the embedding (no {@code lm_head}
 *     tensor)
 */
public record ModelShape(
    String name,
    int hiddenSize,
    int layers,
    int heads,
    int kvHeads,
    int headDim,
    int intermediateSize,
    int vocabSize,
    boolean tieWordEmbeddings) {

  /** The shapes known by name: published Qwen3 configs, and small ones for demos and tests. */
  public static final Map<String, ModelShape> KNOWN =
      Map.of(
          "tiny", new ModelShape("tiny", 64, 2, 4, 2, 16, 128, 1000, true),
          "small", new ModelShape("small", 512, 8, 8, 4, 64, 1536, 32000, true),
          "qwen3-0.6b", new ModelShape("qwen3-0.6b", 1024, 28, 16, 8, 128, 3072, 151936, true),
          "qwen3-1.7b", new ModelShape("qwen3-1.7b", 2048, 28, 16, 8, 128, 6144, 151936, true),
          "qwen3-4b", new ModelShape("qwen3-4b", 2560, 36, 32, 8, 128, 9728, 151936, true),
          "qwen3-8b", new ModelShape("qwen3-8b", 4096, 36, 32, 8, 128, 12288, 151936, false),
          "qwen3-14b", new ModelShape("qwen3-14b", 5120, 40, 40, 8, 128, 17408, 151936, false));

  /** The shape called {@code name}, or an error listing the known ones. */
  public static ModelShape named(String name) {
    ModelShape shape = KNOWN.get(name.toLowerCase(Locale.ROOT));
    if (shape == null) {
      throw new IllegalArgumentException(
          "unknown model shape '%s' (known: %s)"
              .formatted(name, String.join(", ", KNOWN.keySet().stream().sorted().toList())));
    }
    return shape;
  }

  /** This shape with the number of layers changed, to reach a target size. */
  public ModelShape withLayers(int layers) {
    return new ModelShape(
        name,
        hiddenSize,
        layers,
        heads,
        kvHeads,
        headDim,
        intermediateSize,
        vocabSize,
        tieWordEmbeddings);
  }

  /** Tensors in Hugging Face order, all of {@code dtype}. */
  public List<TensorSpec> tensors(DType dtype) {
    List<TensorSpec> specs = new ArrayList<>();
    specs.add(new TensorSpec("model.embed_tokens.weight", dtype, dims(vocabSize, hiddenSize)));
    for (int i = 0; i < layers; i++) {
      String p = "model.layers." + i + ".";
      specs.add(new TensorSpec(p + "input_layernorm.weight", dtype, dims(hiddenSize)));
      specs.add(
          new TensorSpec(p + "mlp.down_proj.weight", dtype, dims(hiddenSize, intermediateSize)));
      specs.add(
          new TensorSpec(p + "mlp.gate_proj.weight", dtype, dims(intermediateSize, hiddenSize)));
      specs.add(
          new TensorSpec(p + "mlp.up_proj.weight", dtype, dims(intermediateSize, hiddenSize)));
      specs.add(new TensorSpec(p + "post_attention_layernorm.weight", dtype, dims(hiddenSize)));
      specs.add(new TensorSpec(p + "self_attn.k_norm.weight", dtype, dims(headDim)));
      specs.add(
          new TensorSpec(
              p + "self_attn.k_proj.weight", dtype, dims(kvHeads * headDim, hiddenSize)));
      specs.add(
          new TensorSpec(p + "self_attn.o_proj.weight", dtype, dims(hiddenSize, heads * headDim)));
      specs.add(new TensorSpec(p + "self_attn.q_norm.weight", dtype, dims(headDim)));
      specs.add(
          new TensorSpec(p + "self_attn.q_proj.weight", dtype, dims(heads * headDim, hiddenSize)));
      specs.add(
          new TensorSpec(
              p + "self_attn.v_proj.weight", dtype, dims(kvHeads * headDim, hiddenSize)));
    }
    specs.add(new TensorSpec("model.norm.weight", dtype, dims(hiddenSize)));
    if (!tieWordEmbeddings) {
      specs.add(new TensorSpec("lm_head.weight", dtype, dims(vocabSize, hiddenSize)));
    }
    return specs;
  }

  /** Bytes of all tensors in {@code dtype}. */
  public long byteSize(DType dtype) {
    return tensors(dtype).stream().mapToLong(TensorSpec::byteSize).sum();
  }

  /** A Hugging Face {@code config.json} for this shape. */
  public String configJson(DType dtype) {
    String torchDtype =
        switch (dtype) {
          case BF16 -> "bfloat16";
          case F16 -> "float16";
          case F32 -> "float32";
          default -> dtype.name().toLowerCase(Locale.ROOT);
        };
    return """
        {
          "architectures": ["Qwen3ForCausalLM"],
          "attention_bias": false,
          "attention_dropout": 0.0,
          "bos_token_id": 151643,
          "eos_token_id": 151645,
          "head_dim": %d,
          "hidden_act": "silu",
          "hidden_size": %d,
          "initializer_range": 0.02,
          "intermediate_size": %d,
          "max_position_embeddings": 40960,
          "max_window_layers": %d,
          "model_type": "qwen3",
          "num_attention_heads": %d,
          "num_hidden_layers": %d,
          "num_key_value_heads": %d,
          "rms_norm_eps": 1e-06,
          "rope_scaling": null,
          "rope_theta": 1000000,
          "sliding_window": null,
          "tie_word_embeddings": %s,
          "torch_dtype": "%s",
          "use_cache": true,
          "use_sliding_window": false,
          "vocab_size": %d
        }
        """
        .formatted(
            headDim,
            hiddenSize,
            intermediateSize,
            layers,
            heads,
            layers,
            kvHeads,
            tieWordEmbeddings,
            torchDtype,
            vocabSize);
  }

  private static long[] dims(long... d) {
    return d;
  }
}
