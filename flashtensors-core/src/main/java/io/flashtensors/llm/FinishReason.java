package io.flashtensors.llm;

/** Why generation ended. */
public enum FinishReason {
  /** A stop token or stop sequence was produced. */
  STOP,
  /** The token limit (max tokens or the context length) was reached. */
  LENGTH,
  /** The model produced tool calls and waits for their results. */
  TOOL_CALLS,
  /** The caller cancelled. */
  CANCELLED
}
