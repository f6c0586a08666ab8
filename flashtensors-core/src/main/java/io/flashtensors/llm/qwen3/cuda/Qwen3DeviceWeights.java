package io.flashtensors.llm.qwen3.cuda;

import io.flashtensors.format.DType;
import io.flashtensors.memory.DeviceTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Where the weights of a Qwen3 model sit in GPU memory: device addresses of bf16 tensors in
 * PyTorch's {@code [out, in]} layout, exactly where the loader put them (the kernels read them in
 * place; nothing is copied or re-laid out).
 *
 * @param embed {@code model.embed_tokens.weight [vocab, hidden]}
 * @param norm {@code model.norm.weight [hidden]}
 * @param lmHead {@code lm_head.weight}, or the embedding when tied
 * @param layers the decoder layers
 * @param device the GPU index holding all of them
 */
public record Qwen3DeviceWeights(
    long embed, long norm, long lmHead, List<Layer> layers, int device) {

  public Qwen3DeviceWeights {
    layers = List.copyOf(layers);
  }

  /** Device addresses of one decoder layer. */
  public record Layer(
      long inputNorm,
      long q,
      long k,
      long v,
      long qNorm,
      long kNorm,
      long o,
      long postNorm,
      long gate,
      long up,
      long down) {}

  /**
   * Picks the model's tensors out of {@code tensors} (as the GPU loader names them) and checks each
   * one: present, bf16, the shape {@code shape} implies, on one GPU, 16-byte aligned.
   *
   * @throws IllegalArgumentException naming the first tensor that does not fit
   */
  public static Qwen3DeviceWeights from(Map<String, DeviceTensor> tensors, Qwen3Shape shape) {
    long h = shape.hidden();
    Picker p = new Picker(tensors);
    long embed = p.get("model.embed_tokens.weight", shape.vocab(), h);
    long norm = p.get("model.norm.weight", h);
    long lmHead =
        tensors.containsKey("lm_head.weight") ? p.get("lm_head.weight", shape.vocab(), h) : embed;
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < shape.layers(); i++) {
      String n = "model.layers." + i + ".";
      layers.add(
          new Layer(
              p.get(n + "input_layernorm.weight", h),
              p.get(n + "self_attn.q_proj.weight", shape.queryDim(), h),
              p.get(n + "self_attn.k_proj.weight", shape.kvDim(), h),
              p.get(n + "self_attn.v_proj.weight", shape.kvDim(), h),
              p.get(n + "self_attn.q_norm.weight", shape.headDim()),
              p.get(n + "self_attn.k_norm.weight", shape.headDim()),
              p.get(n + "self_attn.o_proj.weight", h, shape.queryDim()),
              p.get(n + "post_attention_layernorm.weight", h),
              p.get(n + "mlp.gate_proj.weight", shape.intermediate(), h),
              p.get(n + "mlp.up_proj.weight", shape.intermediate(), h),
              p.get(n + "mlp.down_proj.weight", h, shape.intermediate())));
    }
    return new Qwen3DeviceWeights(embed, norm, lmHead, layers, p.device);
  }

  private static final class Picker {
    private final Map<String, DeviceTensor> tensors;
    private int device = -1;

    Picker(Map<String, DeviceTensor> tensors) {
      this.tensors = tensors;
    }

    long get(String name, long... shape) {
      DeviceTensor t = tensors.get(name);
      if (t == null) {
        throw new IllegalArgumentException("tensor " + name + " is not in GPU memory");
      }
      if (t.dtype() != DType.BF16) {
        throw new IllegalArgumentException(
            "tensor %s is %s; the CUDA backend computes on bf16 weights (run with --device cpu)"
                .formatted(name, t.dtype()));
      }
      if (!Arrays.equals(t.shape(), shape)) {
        throw new IllegalArgumentException(
            "tensor %s has shape %s, the config implies %s"
                .formatted(name, Arrays.toString(t.shape()), Arrays.toString(shape)));
      }
      if (device >= 0 && t.device() != device) {
        throw new IllegalArgumentException(
            "tensor %s is on GPU %d, the others on GPU %d; the CUDA backend runs a model on one GPU"
                .formatted(name, t.device(), device));
      }
      device = t.device();
      if (t.address() % 16 != 0) {
        throw new IllegalArgumentException(
            "tensor %s is not 16-byte aligned in GPU memory (0x%x)".formatted(name, t.address()));
      }
      return t.address();
    }
  }
}
