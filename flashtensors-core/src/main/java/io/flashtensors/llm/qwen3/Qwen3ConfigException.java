package io.flashtensors.llm.qwen3;

/** A model's config or weights do not describe a Qwen3 model this engine can run. */
public final class Qwen3ConfigException extends IllegalArgumentException {

  public Qwen3ConfigException(String message) {
    super(message);
  }

  public Qwen3ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
