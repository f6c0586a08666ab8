package io.flashtensors.llm.qwen3.cuda;

import io.flashtensors.cuda.Cuda;
import io.flashtensors.cuda.CudaContext;
import io.flashtensors.llm.generate.ForwardPass;
import io.flashtensors.llm.generate.ModelBackend;
import io.flashtensors.llm.qwen3.Qwen3Config;
import io.flashtensors.llm.qwen3.Rope;
import io.flashtensors.memory.DeviceTensor;
import java.util.Map;

/**
 * Qwen3 on one NVIDIA GPU: the engine's {@link ModelBackend} over the project's own CUDA kernels,
 * computing on the bf16 weights where the GPU loader put them (no copy, no re-layout). Each {@link
 * #newForwardPass} gets its own KV cache in device memory.
 */
public final class CudaQwen3Backend implements ModelBackend {

  private final CudaQwen3Model model;
  private final Qwen3Config config;

  /**
   * @param tensors the model's tensors in GPU memory, by checkpoint name (all on one GPU)
   * @param precision accuracy/speed trade-off ({@link CudaPrecision#FAST} for serving)
   * @param tune measure the decode kernels' launch shapes on these weights at start
   */
  public CudaQwen3Backend(
      Qwen3Config config,
      Map<String, DeviceTensor> tensors,
      CudaPrecision precision,
      boolean tune) {
    this.config = config;
    Qwen3Shape shape = shapeOf(config);
    Qwen3DeviceWeights weights = Qwen3DeviceWeights.from(tensors, shape);
    CudaContext context = Cuda.device(weights.device()).context();
    this.model = new CudaQwen3Model(context, shape, weights, precision, tune);
  }

  /** The kernels' view of a config: sizes, and RoPE frequencies exactly as the CPU engine's. */
  public static Qwen3Shape shapeOf(Qwen3Config config) {
    Rope rope = new Rope(config);
    return new Qwen3Shape(
        config.hiddenSize(),
        config.intermediateSize(),
        config.numHeads(),
        config.numKvHeads(),
        config.headDim(),
        config.numLayers(),
        config.vocabSize(),
        config.rmsNormEps(),
        rope.invFreq(),
        rope.attentionScaling());
  }

  @Override
  public String device() {
    return "cuda:" + model.context().device().index();
  }

  public Qwen3Config config() {
    return config;
  }

  public CudaQwen3Model model() {
    return model;
  }

  @Override
  public ForwardPass newForwardPass(int contextLength) {
    return new CudaQwen3ForwardPass(model.newSequence(contextLength));
  }

  /** Unloads the kernels; the weights stay with the loader that owns them. */
  @Override
  public void close() {
    model.close();
  }
}
