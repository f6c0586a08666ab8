package io.flashtensors.format;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not what it claims to be: a truncated file, a header that lies, a manifest that
 * points outside its folder, a checksum that does not match. The message names the file and the
 * problem, in one line.
 */
public class FormatException extends IOException {

  private static final long serialVersionUID = 1L;

  private final transient Path file;

  /**
   * @param file the file at fault
   * @param problem what is wrong with it, starting in lower case
   */
  public FormatException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  /**
   * @param file the file at fault
   * @param problem what is wrong with it, starting in lower case
   * @param cause the underlying error
   */
  public FormatException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  /** The file at fault. */
  public Path file() {
    return file;
  }
}
