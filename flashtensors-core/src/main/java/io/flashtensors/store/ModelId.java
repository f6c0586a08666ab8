package io.flashtensors.store;

import java.util.regex.Pattern;

/**
 * A model id as on the Hugging Face Hub: {@code org/name}. Both parts are 1 to 96 characters of
 * letters, digits, {@code -}, {@code _} and {@code .}, neither starting nor ending with {@code -}
 * or {@code .}, without {@code --} or {@code ..}. These are the Hub's own rules, and they also make
 * every id a safe pair of folder names: no {@code ..}, no separators, no absolute paths.
 */
public record ModelId(String org, String name) {

  private static final Pattern PART =
      Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?");

  public ModelId {
    checkPart(org, "organisation", org + "/" + name);
    checkPart(name, "name", org + "/" + name);
  }

  /**
   * Parses {@code org/name}.
   *
   * @throws IllegalArgumentException saying what is wrong with the text
   */
  public static ModelId parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("a model id is needed (org/name, e.g. Qwen/Qwen3-0.6B)");
    }
    int slash = text.indexOf('/');
    if (slash < 0 || text.indexOf('/', slash + 1) >= 0) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a model id: expected org/name, e.g. Qwen/Qwen3-0.6B");
    }
    return new ModelId(text.substring(0, slash), text.substring(slash + 1));
  }

  /** Whether the text is a valid model id (used to tell ids from folder paths). */
  public static boolean isValid(String text) {
    try {
      parse(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static void checkPart(String part, String what, String whole) {
    if (part == null
        || !PART.matcher(part).matches()
        || part.contains("..")
        || part.contains("--")) {
      throw new IllegalArgumentException(
          "'"
              + whole
              + "' is not a model id: the "
              + what
              + " must be 1-96 letters, digits, '-', '_' or '.', not starting or ending with '-' or"
              + " '.', without '--' or '..'");
    }
  }

  @Override
  public String toString() {
    return org + "/" + name;
  }
}
