package io.flashtensors.llm;

import java.util.List;
import java.util.Objects;

/**
 * One message of a conversation, in the shape Hugging Face chat templates take.
 *
 * @param role who speaks
 * @param content the visible text (may be empty, never null)
 * @param reasoning the assistant's reasoning ({@code <think>} content), or null
 * @param toolCalls tool calls an assistant message makes (empty for other roles)
 * @param toolCallId for a tool message: the id of the call it answers, or null
 * @param name for a tool message: the tool's name, or null
 */
public record ChatMessage(
    Role role,
    String content,
    String reasoning,
    List<ToolCall> toolCalls,
    String toolCallId,
    String name) {

  /** Speakers of a chat. */
  public enum Role {
    SYSTEM,
    USER,
    ASSISTANT,
    TOOL;

    /** The lowercase name chat templates use. */
    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public ChatMessage {
    Objects.requireNonNull(role, "role");
    content = content == null ? "" : content;
    toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
  }

  public static ChatMessage system(String content) {
    return new ChatMessage(Role.SYSTEM, content, null, List.of(), null, null);
  }

  public static ChatMessage user(String content) {
    return new ChatMessage(Role.USER, content, null, List.of(), null, null);
  }

  public static ChatMessage assistant(String content) {
    return new ChatMessage(Role.ASSISTANT, content, null, List.of(), null, null);
  }

  public static ChatMessage assistant(String content, String reasoning, List<ToolCall> toolCalls) {
    return new ChatMessage(Role.ASSISTANT, content, reasoning, toolCalls, null, null);
  }

  public static ChatMessage tool(String content, String toolCallId, String name) {
    return new ChatMessage(Role.TOOL, content, null, List.of(), toolCallId, name);
  }
}
