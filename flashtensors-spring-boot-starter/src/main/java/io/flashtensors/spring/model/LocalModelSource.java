package io.flashtensors.spring.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Finds models on this machine: a folder given by path, or a store id looked up under the storage
 * path ({@code <storage-path>/<org>/<name>}).
 */
public final class LocalModelSource implements ModelSource {

  private static final Pattern STORE_ID =
      Pattern.compile("[A-Za-z0-9][\\w.-]*/[A-Za-z0-9][\\w.-]*");

  private final Path storagePath;

  /**
   * @param storagePath the root of the model store
   */
  public LocalModelSource(Path storagePath) {
    this.storagePath = Objects.requireNonNull(storagePath, "storagePath");
  }

  @Override
  public ResolvedModel resolve(String model, PullPolicy pullPolicy) {
    if (model == null || model.isBlank()) {
      throw new ModelNotFoundException(
          "no model configured: set flashtensors.chat.model to a store id (org/name) or a folder");
    }
    Path asPath = Path.of(expandHome(model.strip()));
    if (Files.isDirectory(asPath)) {
      return folder(asPath);
    }
    if (!STORE_ID.matcher(model.strip()).matches()) {
      throw new ModelNotFoundException(
          "model folder " + asPath.toAbsolutePath().normalize() + " does not exist");
    }
    Path inStore = this.storagePath.resolve(model.strip());
    if (Files.isDirectory(inStore)) {
      return new ResolvedModel(model.strip(), checkModelFolder(inStore));
    }
    if (pullPolicy == PullPolicy.WHEN_MISSING) {
      throw new ModelNotFoundException(
          "model "
              + model
              + " is not in the store at "
              + this.storagePath
              + " and this build cannot download it from here; run `flashtensors pull "
              + model
              + " --storage-path "
              + this.storagePath
              + "` first");
    }
    throw new ModelNotFoundException(
        "model "
            + model
            + " is not in the store at "
            + this.storagePath
            + " (set flashtensors.chat.pull-on-startup=when-missing to download it, or point"
            + " flashtensors.chat.model at a local folder)");
  }

  /** The root of the model store. */
  public Path storagePath() {
    return this.storagePath;
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
