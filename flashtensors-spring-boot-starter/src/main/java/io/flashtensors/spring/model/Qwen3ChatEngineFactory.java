package io.flashtensors.spring.model;

import io.flashtensors.cuda.Cuda;
import io.flashtensors.llm.ChatEngine;
import io.flashtensors.llm.qwen3.Qwen3ChatEngine;
import io.flashtensors.llm.qwen3.cuda.CudaPrecision;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.load.gpu.GpuLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Opens Qwen3 models with flashtensors' engine where {@code flashtensors.device} says: {@code cpu}
 * (weights through the application's {@link FlashLoader}, so its listeners and meters hear the
 * load); {@code cuda}, {@code cuda:N} or a GPU UUID (weights through the application's GPU loader
 * and its pinned pool when there is one; fails with the reason when that GPU cannot be used); or
 * {@code auto}: the first GPU when CUDA can be used, else the CPU, saying why in the log.
 */
public final class Qwen3ChatEngineFactory implements ChatEngineFactory {

  private static final Log logger = LogFactory.getLog(Qwen3ChatEngineFactory.class);

  private final FlashLoader loader;
  private final Supplier<GpuLoader> gpuLoader;
  private final String device;
  private final int contextLength;

  /**
   * @param loader reads the weights of CPU models
   * @param gpuLoader the application's GPU loader, or null to give each GPU model its own
   * @param device {@code auto}, {@code cpu}, {@code cuda}, {@code cuda:N} or a GPU UUID
   * @param contextLength most tokens a request may hold; 0: the model's max_position_embeddings
   */
  public Qwen3ChatEngineFactory(
      FlashLoader loader, Supplier<GpuLoader> gpuLoader, String device, int contextLength) {
    this.loader = Objects.requireNonNull(loader, "loader");
    this.gpuLoader = gpuLoader;
    this.device = Objects.requireNonNull(device, "device").strip();
    if (contextLength < 0) {
      throw new IllegalArgumentException("context length must not be negative: " + contextLength);
    }
    this.contextLength = contextLength;
  }

  @Override
  public ChatEngine open(ResolvedModel model) {
    try {
      String wanted = this.device.toLowerCase(Locale.ROOT);
      if (wanted.equals("cpu")) {
        return openCpu(model);
      }
      if (wanted.equals("auto")) {
        if (!Cuda.isAvailable()) {
          logger.info(
              "flashtensors.device=auto: no usable GPU (%s); running %s on the CPU"
                  .formatted(Cuda.availability().reason(), model.id()));
          return openCpu(model);
        }
        return openGpu(model, 0);
      }
      return openGpu(model, Cuda.device(this.device).index());
    } catch (IOException ex) {
      throw new UncheckedIOException(
          "could not load model " + model.id() + " from " + model.folder() + ": " + ex.getMessage(),
          ex);
    }
  }

  private ChatEngine openCpu(ResolvedModel model) throws IOException {
    return Qwen3ChatEngine.openCpu(model.folder(), this.loader, this.contextLength, 0);
  }

  private ChatEngine openGpu(ResolvedModel model, int index) throws IOException {
    if (this.gpuLoader == null) {
      return Qwen3ChatEngine.openCuda(
          model.folder(), index, this.contextLength, CudaPrecision.FAST);
    }
    return Qwen3ChatEngine.openCuda(
        model.folder(), this.gpuLoader.get(), index, this.contextLength, CudaPrecision.FAST);
  }
}
