package io.flashtensors.spring.model;

import io.flashtensors.store.ModelId;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.StoreException;
import io.flashtensors.store.StoredModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * Finds models on this machine: a folder given by path, or a store id ({@code org/name}) in the
 * model store under the storage path, pulled from the Hugging Face Hub first when the policy allows
 * and it is missing.
 */
public final class LocalModelSource implements ModelSource {

  private final Path storagePath;
  private final BiFunction<ModelStore, ModelId, StoredModel> puller;
  private volatile ModelStore store;

  /**
   * @param storagePath the root of the model store
   * @param puller downloads a missing model into the store (used with {@link
   *     PullPolicy#WHEN_MISSING})
   */
  public LocalModelSource(Path storagePath, BiFunction<ModelStore, ModelId, StoredModel> puller) {
    this.storagePath = Objects.requireNonNull(storagePath, "storagePath");
    this.puller = Objects.requireNonNull(puller, "puller");
  }

  @Override
  public ResolvedModel resolve(String model, PullPolicy pullPolicy) {
    if (model == null || model.isBlank()) {
      throw new ModelNotFoundException(
          "no model configured: set flashtensors.chat.model to a store id (org/name) or a folder");
    }
    String reference = model.strip();
    Path asPath = Path.of(expandHome(reference));
    if (Files.isDirectory(asPath)) {
      return folder(asPath);
    }
    if (!ModelId.isValid(reference)) {
      throw new ModelNotFoundException(
          "model folder " + asPath.toAbsolutePath().normalize() + " does not exist");
    }
    ModelId id = ModelId.parse(reference);
    try {
      ModelStore store = store();
      Optional<StoredModel> stored = store.find(id, null);
      if (stored.isEmpty()) {
        if (pullPolicy != PullPolicy.WHEN_MISSING) {
          throw new ModelNotFoundException(
              "model %s is not in the store at %s (set flashtensors.chat.pull-on-startup=when-missing to download it, run `flashtensors pull %s`, or point flashtensors.chat.model at a local folder)"
                  .formatted(id, this.storagePath, id));
        }
        stored = Optional.of(this.puller.apply(store, id));
      }
      return new ResolvedModel(id.toString(), checkModelFolder(store.folder(stored.get())));
    } catch (StoreException ex) {
      throw new ModelNotFoundException(ex.getMessage(), ex);
    }
  }

  /** The root of the model store. */
  public Path storagePath() {
    return this.storagePath;
  }

  private ModelStore store() {
    ModelStore current = this.store;
    if (current == null) {
      synchronized (this) {
        current = this.store;
        if (current == null) {
          current = ModelStore.open(this.storagePath);
          this.store = current;
        }
      }
    }
    return current;
  }

  private static ResolvedModel folder(Path folder) {
    Path normalized = folder.toAbsolutePath().normalize();
    Path name = normalized.getFileName();
    return new ResolvedModel(
        name == null ? normalized.toString() : name.toString(), checkModelFolder(normalized));
  }

  private static Path checkModelFolder(Path folder) {
    if (!Files.isRegularFile(folder.resolve("config.json"))) {
      throw new ModelNotFoundException(
          "model folder " + folder + " has no config.json; is it a Hugging Face model folder?");
    }
    return folder;
  }

  private static String expandHome(String path) {
    if (path.equals("~") || path.startsWith("~/")) {
      return System.getProperty("user.home") + path.substring(1);
    }
    return path;
  }
}
