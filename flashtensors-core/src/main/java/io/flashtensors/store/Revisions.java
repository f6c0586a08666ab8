package io.flashtensors.store;

import java.util.regex.Pattern;

/**
 * Revision names: a branch ({@code main}), a tag, a commit hash, or {@code refs/pr/1}. Each maps to
 * one folder name in the store, with {@code /} written as {@code --} (git refs cannot contain
 * {@code --} followed by nothing special, and the mapping is checked to be reversible).
 */
public final class Revisions {

  /** Revision of models pulled without {@code --revision}. */
  public static final String DEFAULT_HUB = "main";

  /** Revision of models registered from a local folder without {@code --revision}. */
  public static final String DEFAULT_LOCAL = "local";

  private static final Pattern REVISION =
      Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9_.+-]|/(?=[A-Za-z0-9_])){0,199}");

  private Revisions() {}

  /**
   * Checks a revision name and returns it.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static String check(String revision) {
    if (revision == null
        || !REVISION.matcher(revision).matches()
        || revision.contains("..")
        || revision.contains("--")
        || revision.endsWith(".")
        || revision.endsWith(".lock")) {
      throw new IllegalArgumentException(
          "'"
              + revision
              + "' is not a revision: use a branch, tag or commit (letters, digits, '.', '_', '-',"
              + " '+', single '/' between parts)");
    }
    return revision;
  }

  /** The folder name of a revision. */
  public static String folderName(String revision) {
    return check(revision).replace("/", "--");
  }
}
