package io.flashtensors.spring.model;

import io.flashtensors.llm.ChatEngine;
import io.flashtensors.llm.qwen3.Qwen3ChatEngine;
import io.flashtensors.load.FlashLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;

/**
 * Opens Qwen3 models with flashtensors' engine: weights through the application's {@link
 * FlashLoader} (so its listeners, meters included, hear the load), the tokenizer and chat template
 * from the model folder.
 *
 * <p>Devices: {@code cpu}, and {@code auto}, which picks the CPU while this build has no GPU
 * engine. {@code cuda:N} fails with a message saying so, rather than running somewhere else.
 */
public final class Qwen3ChatEngineFactory implements ChatEngineFactory {

  private final FlashLoader loader;
  private final String device;
  private final int contextLength;

  /**
   * @param loader reads the weights
   * @param device {@code auto}, {@code cpu} or {@code cuda:N}
   * @param contextLength most tokens a request may hold; 0: the model's max_position_embeddings
   */
  public Qwen3ChatEngineFactory(FlashLoader loader, String device, int contextLength) {
    this.loader = Objects.requireNonNull(loader, "loader");
    this.device = Objects.requireNonNull(device, "device");
    if (contextLength < 0) {
      throw new IllegalArgumentException("context length must not be negative: " + contextLength);
    }
    this.contextLength = contextLength;
  }

  @Override
  public ChatEngine open(ResolvedModel model) {
    if (this.device.startsWith("cuda")) {
      throw new IllegalStateException(
          "flashtensors.device="
              + this.device
              + ": this build has no GPU chat engine yet; use flashtensors.device=cpu or auto");
    }
    try {
      return Qwen3ChatEngine.openCpu(model.folder(), this.loader, this.contextLength, 0);
    } catch (IOException ex) {
      throw new UncheckedIOException(
          "could not load model " + model.id() + " from " + model.folder() + ": " + ex.getMessage(),
          ex);
    }
  }
}
