package io.flashtensors.llm.chat;

import io.flashtensors.llm.ToolCall;
import java.util.List;

/**
 * A model's output split into its parts.
 *
 * @param reasoning the text inside {@code <think>...</think>}, without the newlines around it
 * @param content the answer, outside think and tool-call blocks, without leading newlines and
 *     trailing white space
 * @param toolCalls the well-formed tool calls, in order
 * @param malformedToolCalls tool-call blocks that could not be read, in order
 * @param reasoningUnfinished whether the output ended inside {@code <think>} (no {@code </think>})
 */
public record ParsedOutput(
    String reasoning,
    String content,
    List<ToolCall> toolCalls,
    List<MalformedToolCallException> malformedToolCalls,
    boolean reasoningUnfinished) {

  public ParsedOutput {
    toolCalls = List.copyOf(toolCalls);
    malformedToolCalls = List.copyOf(malformedToolCalls);
  }

  /**
   * The tool calls, failing if any block was malformed.
   *
   * @throws MalformedToolCallException the first malformed block
   */
  public List<ToolCall> requireWellFormedToolCalls() {
    if (!malformedToolCalls.isEmpty()) {
      throw malformedToolCalls.getFirst();
    }
    return toolCalls;
  }
}
