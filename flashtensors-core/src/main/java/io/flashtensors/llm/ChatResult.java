package io.flashtensors.llm;

import java.util.List;

/**
 * What a chat completion produced.
 *
 * @param content the answer, without reasoning or tool-call markup
 * @param reasoning the text inside {@code <think>...</think>}, or empty
 * @param toolCalls the tool calls the model made (finish reason {@link FinishReason#TOOL_CALLS})
 * @param outputIds every generated token id, markup included
 * @param promptTokens tokens in the rendered prompt
 * @param completionTokens tokens generated
 * @param finishReason why generation ended
 * @param timings where the time went
 */
public record ChatResult(
    String content,
    String reasoning,
    List<ToolCall> toolCalls,
    List<Integer> outputIds,
    int promptTokens,
    int completionTokens,
    FinishReason finishReason,
    GenerationTimings timings) {

  public ChatResult {
    toolCalls = List.copyOf(toolCalls);
    outputIds = List.copyOf(outputIds);
  }
}
