package io.flashtensors.spring.ai;

/** The model produced a tool call that cannot be handed to a tool: its arguments are not JSON. */
public class MalformedToolCallException extends RuntimeException {

  public MalformedToolCallException(String message, Throwable cause) {
    super(message, cause);
  }
}
