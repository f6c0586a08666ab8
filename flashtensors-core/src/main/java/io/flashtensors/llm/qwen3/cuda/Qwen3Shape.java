package io.flashtensors.llm.qwen3.cuda;

/**
 * The sizes of a Qwen3 model as the CUDA kernels need them.
 *
 * @param hidden hidden size H
 * @param intermediate MLP size I
 * @param heads query heads
 * @param kvHeads key/value heads (heads is a multiple of it)
 * @param headDim dimensions of one head (even, at most 256)
 * @param layers decoder layers
 * @param vocab vocabulary size (rows of the embedding and the LM head)
 * @param rmsNormEps epsilon of every RMSNorm
 * @param invFreq RoPE inverse frequencies, headDim / 2 of them (from the CPU engine's Rope)
 * @param ropeScaling factor on cos and sin (YaRN's attention factor; 1 otherwise)
 */
public record Qwen3Shape(
    int hidden,
    int intermediate,
    int heads,
    int kvHeads,
    int headDim,
    int layers,
    int vocab,
    float rmsNormEps,
    float[] invFreq,
    float ropeScaling) {

  public Qwen3Shape {
    invFreq = invFreq.clone();
    if (hidden <= 0 || intermediate <= 0 || heads <= 0 || kvHeads <= 0 || layers <= 0) {
      throw new IllegalArgumentException("model sizes must be positive");
    }
    if (heads % kvHeads != 0) {
      throw new IllegalArgumentException(
          "%d attention heads are not a multiple of %d key/value heads".formatted(heads, kvHeads));
    }
    if (headDim <= 0 || headDim % 2 != 0 || headDim > 256) {
      throw new IllegalArgumentException(
          "the CUDA backend takes head_dim up to 256 and even, not " + headDim);
    }
    if (invFreq.length != headDim / 2) {
      throw new IllegalArgumentException("RoPE needs head_dim / 2 inverse frequencies");
    }
    // 16-byte loads of bf16 rows need every row length to be a multiple of 8 elements.
    for (int[] d :
        new int[][] {
          {hidden, 0}, {intermediate, 1}, {heads * headDim, 2}, {kvHeads * headDim, 3}
        }) {
      if (d[0] % 8 != 0) {
        String[] names = {
          "hidden_size", "intermediate_size", "heads x head_dim", "kv_heads x head_dim"
        };
        throw new IllegalArgumentException(
            "the CUDA backend needs %s to be a multiple of 8, not %d; run this model with --device cpu"
                .formatted(names[d[1]], d[0]));
      }
    }
  }

  /** Width of the q projection: heads x headDim. */
  public int queryDim() {
    return heads * headDim;
  }

  /** Width of the k and v projections: kvHeads x headDim. */
  public int kvDim() {
    return kvHeads * headDim;
  }

  /** Query heads per key/value head. */
  public int groupSize() {
    return heads / kvHeads;
  }

  @Override
  public float[] invFreq() {
    return invFreq.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Qwen3Shape s
        && hidden == s.hidden
        && intermediate == s.intermediate
        && heads == s.heads
        && kvHeads == s.kvHeads
        && headDim == s.headDim
        && layers == s.layers
        && vocab == s.vocab
        && Float.compare(rmsNormEps, s.rmsNormEps) == 0
        && java.util.Arrays.equals(invFreq, s.invFreq)
        && Float.compare(ropeScaling, s.ropeScaling) == 0;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(hidden, intermediate, heads, kvHeads, headDim, layers, vocab);
  }

  @Override
  public String toString() {
    return "Qwen3Shape[hidden=%d, intermediate=%d, heads=%d, kvHeads=%d, headDim=%d, layers=%d, vocab=%d]"
        .formatted(hidden, intermediate, heads, kvHeads, headDim, layers, vocab);
  }
}
