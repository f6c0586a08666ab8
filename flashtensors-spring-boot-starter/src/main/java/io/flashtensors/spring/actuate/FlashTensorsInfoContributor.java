package io.flashtensors.spring.actuate;

import io.flashtensors.load.FlashLoader;
import io.flashtensors.spring.model.ManagedChatEngine;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;

/** Adds a {@code flashtensors} section to the info endpoint: versions, device, loader, model. */
public final class FlashTensorsInfoContributor implements InfoContributor {

  private final String configuredDevice;
  private final FlashLoader loader;
  private final ManagedChatEngine chatEngine;

  /**
   * @param configuredDevice the device setting (auto, cpu, cuda:N)
   * @param loader the loader
   * @param chatEngine the chat engine, or null when no chat model is configured
   */
  public FlashTensorsInfoContributor(
      String configuredDevice, FlashLoader loader, ManagedChatEngine chatEngine) {
    this.configuredDevice = configuredDevice;
    this.loader = loader;
    this.chatEngine = chatEngine;
  }

  @Override
  public void contribute(Info.Builder builder) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("version", versionOf(FlashLoader.class));
    details.put(
        "versions",
        Map.of(
            "java", Runtime.version().toString(),
            "springBoot", String.valueOf(SpringBootVersion.getVersion()),
            "springAi", versionOf(ChatModel.class)));
    details.put("device", this.configuredDevice);
    details.put(
        "loader",
        Map.of(
            "threads", this.loader.threads(),
            "chunkSizeBytes", this.loader.chunkSize(),
            "poolSizeBytes", this.loader.poolSize()));
    if (this.chatEngine != null) {
      details.put(
          "models",
          List.of(
              this.chatEngine
                  .ifLoaded()
                  .map(engine -> FlashTensorsHealthIndicator.describe(engine.descriptor()))
                  .orElseGet(
                      () -> Map.of("id", this.chatEngine.modelReference(), "loaded", false))));
    }
    builder.withDetail("flashtensors", details);
  }

  private static String versionOf(Class<?> type) {
    String version = type.getPackage().getImplementationVersion();
    return version != null ? version : "unknown";
  }
}
