package io.flashtensors.llm.qwen3.cuda;

/** How the CUDA backend trades accuracy for speed; decode arithmetic is float32 in both. */
public enum CudaPrecision {
  /**
   * bf16 KV cache, and prompt activations rounded to bf16 for the tensor-core GEMMs and the
   * tensor-core attention (as Hugging Face transformers computes in bf16). Logits stay within about
   * 1e-2 relative of float32.
   */
  FAST("kvbf16", 2),
  /**
   * float32 KV cache, and prompt activations split into two bf16 parts (hi + lo) so the tensor
   * cores give float32-grade products (twice the prompt's tensor work): logits within about 1e-5
   * relative of a float32 reference, as the CPU engine.
   */
  EXACT("kvf32", 4);

  private final String kernelSuffix;
  private final int kvBytes;

  CudaPrecision(String kernelSuffix, int kvBytes) {
    this.kernelSuffix = kernelSuffix;
    this.kvBytes = kvBytes;
  }

  /** Kernel-name part for the KV-cache element type. */
  String kv() {
    return kernelSuffix;
  }

  /** Bytes of one KV-cache element. */
  int kvBytes() {
    return kvBytes;
  }
}
