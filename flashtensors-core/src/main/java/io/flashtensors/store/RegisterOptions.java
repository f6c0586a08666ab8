package io.flashtensors.store;

/**
 * How to register a model.
 *
 * @param force convert again even when the same source is registered already
 * @param keepSource keep the source safetensors in a {@code safetensors/} folder beside the flash
 *     layout ({@code --keep-safetensors})
 * @param commit the Hub commit of the source; empty for local folders
 * @param sourceDescription where the source came from, for {@code info}
 */
public record RegisterOptions(
    boolean force, boolean keepSource, String commit, String sourceDescription) {

  public RegisterOptions {
    commit = commit == null ? "" : commit;
    sourceDescription = sourceDescription == null ? "" : sourceDescription;
  }

  /** Defaults for a local folder. */
  public static RegisterOptions local() {
    return new RegisterOptions(false, false, "", "");
  }

  public RegisterOptions withForce(boolean value) {
    return new RegisterOptions(value, keepSource, commit, sourceDescription);
  }

  public RegisterOptions withKeepSource(boolean value) {
    return new RegisterOptions(force, value, commit, sourceDescription);
  }
}
