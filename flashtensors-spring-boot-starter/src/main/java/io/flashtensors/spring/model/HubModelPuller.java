package io.flashtensors.spring.model;

import io.flashtensors.store.FlashModelConverter;
import io.flashtensors.store.ModelId;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.StoredModel;
import io.flashtensors.store.hub.HubClient;
import io.flashtensors.store.hub.HubPull;
import io.flashtensors.store.hub.RetryPolicy;
import java.util.Optional;
import java.util.function.BiFunction;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Downloads a model from the Hugging Face Hub into the store and converts it to the flash layout.
 * The endpoint and token come from {@code HF_ENDPOINT} and {@code HF_TOKEN}, as for the command
 * line.
 */
public final class HubModelPuller implements BiFunction<ModelStore, ModelId, StoredModel> {

  private static final Log logger = LogFactory.getLog(HubModelPuller.class);

  private final String endpoint;
  private final Optional<String> token;

  public HubModelPuller(String endpoint, Optional<String> token) {
    this.endpoint = endpoint;
    this.token = token;
  }

  /** From {@code HF_ENDPOINT} (default https://huggingface.co) and {@code HF_TOKEN}. */
  public static HubModelPuller fromEnvironment() {
    String endpoint = System.getenv("HF_ENDPOINT");
    String token = System.getenv("HF_TOKEN");
    return new HubModelPuller(
        endpoint == null || endpoint.isBlank() ? "https://huggingface.co" : endpoint,
        token == null || token.isBlank() ? Optional.empty() : Optional.of(token));
  }

  @Override
  public StoredModel apply(ModelStore store, ModelId id) {
    logger.info("Pulling " + id + " from " + this.endpoint + " into " + store.root());
    try (HubClient client = new HubClient(this.endpoint, this.token, RetryPolicy.standard())) {
      HubPull.Result result =
          new HubPull(client, store, new FlashModelConverter())
              .pull(id, HubPull.Options.defaults(), new LoggingProgress(id.toString()));
      logger.info(
          "Pulled %s: %d bytes in %.1f s, converted in %.1f s"
              .formatted(
                  id, result.downloadedBytes(), result.downloadSeconds(), result.convertSeconds()));
      return result.model();
    }
  }

  /** Logs each stage and every tenth of the way. */
  private static final class LoggingProgress implements io.flashtensors.store.Progress {

    private final String model;
    private String stage = "";
    private long lastTenth = -1;

    LoggingProgress(String model) {
      this.model = model;
    }

    @Override
    public synchronized void update(String stage, long done, long total) {
      long tenth = total > 0 ? done * 10 / total : -1;
      if (!stage.equals(this.stage) || tenth != this.lastTenth) {
        this.stage = stage;
        this.lastTenth = tenth;
        logger.info(
            "%s: %s %s"
                .formatted(this.model, stage, total > 0 ? (tenth * 10) + "%" : done + " bytes"));
      }
    }
  }
}
