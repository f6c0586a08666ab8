package io.flashtensors.llm.qwen3.cuda;

import io.flashtensors.cuda.CudaContext;
import io.flashtensors.cuda.CudaStream;
import java.nio.file.Path;

/**
 * A Qwen3 model ready to run on one GPU: the kernels loaded into the device's context, the weights
 * where the loader put them, and the decode products' tuned launch plan. Sequences ({@link
 * #newSequence}) hold the per-conversation state (KV cache, activations, the captured decode step).
 */
public final class CudaQwen3Model implements AutoCloseable {

  private final CudaContext context;
  private final Qwen3Shape shape;
  private final Qwen3DeviceWeights weights;
  private final CudaPrecision precision;
  private final Qwen3Kernels kernels;
  private final GemvPlan plan;

  /**
   * @param tune measure the decode products' launch shapes on these weights (tens of milliseconds
   *     for an 8B model; remembered per GPU model and shape, see {@link GemvPlan#cacheFile})
   *     instead of using the heuristic
   */
  public CudaQwen3Model(
      CudaContext context,
      Qwen3Shape shape,
      Qwen3DeviceWeights weights,
      CudaPrecision precision,
      boolean tune) {
    if (weights.layers().size() != shape.layers()) {
      throw new IllegalArgumentException(
          "%d layers of weights for a %d-layer model"
              .formatted(weights.layers().size(), shape.layers()));
    }
    this.context = context;
    this.shape = shape;
    this.weights = weights;
    this.precision = precision;
    this.kernels = new Qwen3Kernels(context);
    GemvPlan chosen = null;
    if (tune) {
      Path cache = GemvPlan.cacheFile();
      String key = GemvPlan.cacheKey(context.device().name(), shape);
      chosen = GemvPlan.cached(cache, key);
      if (chosen == null) {
        try (CudaStream stream = context.createStream()) {
          chosen = GemvPlan.tune(kernels, shape, weights, stream);
        } catch (RuntimeException e) {
          kernels.close();
          throw e;
        }
        GemvPlan.remember(cache, key, chosen);
      }
    } else {
      chosen = GemvPlan.heuristic(shape);
    }
    this.plan = chosen;
  }

  /** A new sequence whose KV cache holds {@code contextLength} tokens. */
  public CudaQwen3Sequence newSequence(int contextLength) {
    return new CudaQwen3Sequence(this, contextLength);
  }

  public Qwen3Shape shape() {
    return shape;
  }

  public CudaPrecision precision() {
    return precision;
  }

  public CudaContext context() {
    return context;
  }

  Qwen3DeviceWeights weights() {
    return weights;
  }

  Qwen3Kernels kernels() {
    return kernels;
  }

  GemvPlan plan() {
    return plan;
  }

  /** The decode products' warps per row, by product, and their measured µs when tuned. */
  public String planSummary() {
    return "splits "
        + plan.splits()
        + (plan.tunedMicros().isEmpty() ? "" : ", µs " + plan.tunedMicros());
  }

  /** Unloads the kernels (the weights belong to the loader). */
  @Override
  public void close() {
    kernels.close();
  }
}
