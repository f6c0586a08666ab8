package io.flashtensors.llm.chat;

/** A conversation or template the chat template cannot render; the message says why. */
public final class ChatTemplateException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public ChatTemplateException(String message) {
    super(message);
  }

  public ChatTemplateException(String message, Throwable cause) {
    super(message, cause);
  }
}
