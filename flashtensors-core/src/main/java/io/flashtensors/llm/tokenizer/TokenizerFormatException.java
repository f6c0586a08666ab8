package io.flashtensors.llm.tokenizer;

/**
 * A tokenizer or chat-template file that cannot be used: missing, unreadable, malformed, or
 * declaring a feature this implementation does not support. The message names the file and the
 * problem.
 */
public final class TokenizerFormatException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public TokenizerFormatException(String message) {
    super(message);
  }

  public TokenizerFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
