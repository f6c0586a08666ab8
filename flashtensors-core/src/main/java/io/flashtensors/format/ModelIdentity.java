package io.flashtensors.format;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A model's id and revision guessed from where its files are: a Hugging Face cache snapshot ({@code
 * models--Org--Name/snapshots/<commit>}) gives both; any other folder gives its name.
 *
 * @param modelId the id, such as {@code Qwen/Qwen3-0.6B}
 * @param revision the commit hash, or null
 */
public record ModelIdentity(String modelId, String revision) {

  private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

  /** The identity of the model in {@code folder}. */
  public static ModelIdentity of(Path folder) {
    Path absolute = folder.toAbsolutePath().normalize();
    Path name = absolute.getFileName();
    if (name == null) {
      return new ModelIdentity("model", null);
    }
    Path snapshots = absolute.getParent();
    Path repo = snapshots == null ? null : snapshots.getParent();
    if (repo != null
        && repo.getFileName() != null
        && snapshots.getFileName().toString().equals("snapshots")
        && repo.getFileName().toString().startsWith("models--")
        && COMMIT.matcher(name.toString()).matches()) {
      String id = repo.getFileName().toString().substring("models--".length()).replace("--", "/");
      return new ModelIdentity(id, name.toString());
    }
    return new ModelIdentity(name.toString(), null);
  }
}
