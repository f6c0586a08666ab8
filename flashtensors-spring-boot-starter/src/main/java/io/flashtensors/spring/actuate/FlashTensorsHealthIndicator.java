package io.flashtensors.spring.actuate;

import io.flashtensors.llm.ModelDescriptor;
import io.flashtensors.spring.model.ManagedChatEngine;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Health of flashtensors: up when the chat model is loaded (or not asked for yet), down when its
 * last load failed; details name the model, the device and the pool.
 */
public final class FlashTensorsHealthIndicator extends AbstractHealthIndicator {

  private final String configuredDevice;
  private final ManagedChatEngine chatEngine;
  private final Supplier<ResidentPoolStatistics> pool;

  /**
   * @param configuredDevice the device setting (auto, cpu, cuda:N)
   * @param chatEngine the chat engine, or null when no chat model is configured
   * @param pool the pool's statistics, or a supplier of null when there is no pool
   */
  public FlashTensorsHealthIndicator(
      String configuredDevice,
      ManagedChatEngine chatEngine,
      Supplier<ResidentPoolStatistics> pool) {
    super("flashtensors health check failed");
    this.configuredDevice = configuredDevice;
    this.chatEngine = chatEngine;
    this.pool = pool;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    builder.up().withDetail("device", this.configuredDevice);
    if (this.chatEngine != null) {
      var loaded = this.chatEngine.ifLoaded();
      if (loaded.isPresent()) {
        builder.withDetail("model", describe(loaded.get().descriptor()));
      } else {
        var failure = this.chatEngine.lastFailure();
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", this.chatEngine.modelReference());
        model.put("loaded", false);
        if (failure.isPresent()) {
          model.put("error", String.valueOf(failure.get().getMessage()));
          builder.down();
        }
        builder.withDetail("model", model);
      }
    }
    ResidentPoolStatistics statistics = this.pool.get();
    if (statistics != null) {
      var failure = statistics.failure();
      if (failure.isPresent()) {
        builder
            .down()
            .withDetail("pool", Map.of("error", String.valueOf(failure.get().getMessage())));
      } else {
        builder.withDetail(
            "pool",
            Map.of(
                "capacityBytes", statistics.capacityBytes(),
                "usedBytes", statistics.usedBytes(),
                "residentModels", statistics.residentModels()));
      }
    }
  }

  static Map<String, Object> describe(ModelDescriptor descriptor) {
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("id", descriptor.id());
    model.put("loaded", true);
    model.put("architecture", descriptor.architecture());
    model.put("device", descriptor.device());
    model.put("contextLength", descriptor.contextLength());
    model.put("parameterBytes", descriptor.parameterBytes());
    model.put("loadSeconds", descriptor.loadSeconds());
    return model;
  }
}
