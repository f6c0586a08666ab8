package io.flashtensors.llm;

import java.util.List;
import java.util.Objects;

/**
 * A chat completion request: the conversation, the tools the model may call, and sampling.
 *
 * @param messages the conversation so far
 * @param tools tools offered to the model (empty: none)
 * @param enableThinking whether the model may think ({@code <think>...</think>}) before answering
 * @param sampling sampling and stopping options
 */
public record ChatRequest(
    List<ChatMessage> messages,
    List<ToolDefinition> tools,
    boolean enableThinking,
    SamplingOptions sampling) {

  public ChatRequest {
    messages = List.copyOf(Objects.requireNonNull(messages, "messages"));
    tools = tools == null ? List.of() : List.copyOf(tools);
    sampling = sampling == null ? SamplingOptions.defaults() : sampling;
  }
}
