package io.flashtensors.llm.chat;

import io.flashtensors.llm.ChatMessage;
import io.flashtensors.llm.ChatMessage.Role;
import io.flashtensors.llm.ToolCall;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/**
 * Reads conversations and tools in the JSON form Hugging Face chat templates and OpenAI's API use:
 * {@code [{"role": "user", "content": "..."}]}, assistant messages with {@code reasoning_content}
 * and {@code tool_calls} (each {@code {"type": "function", "function": {"name", "arguments"}}} or
 * just {@code {"name", "arguments"}}), and tool messages. Problems are reported with the index of
 * the message and the field.
 */
public final class HfChatFormat {

  private HfChatFormat() {}

  /**
   * The messages of a JSON array.
   *
   * @throws ChatTemplateException naming the message and field that is not as expected
   */
  public static List<ChatMessage> messages(JsonNode array) {
    if (array == null || !array.isArray()) {
      throw new ChatTemplateException("messages must be a JSON array of message objects");
    }
    List<ChatMessage> messages = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      messages.add(message(array.get(i), "message " + i));
    }
    return messages;
  }

  /**
   * The tools of a JSON array, kept as the JSON objects the template prints. A bare function object
   * ({@code {"name", "description", "parameters"}}) is accepted as it is, as transformers does.
   *
   * @throws ChatTemplateException when an entry is not a JSON object
   */
  public static List<JsonNode> tools(JsonNode array) {
    if (array == null || !array.isArray()) {
      throw new ChatTemplateException("tools must be a JSON array of tool objects");
    }
    List<JsonNode> tools = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      if (!array.get(i).isObject()) {
        throw new ChatTemplateException("tool " + i + " is not a JSON object");
      }
      tools.add(array.get(i));
    }
    return tools;
  }

  private static ChatMessage message(JsonNode m, String where) {
    if (!m.isObject()) {
      throw new ChatTemplateException(where + " is not a JSON object");
    }
    JsonNode roleNode = m.get("role");
    if (roleNode == null || !roleNode.isString()) {
      throw new ChatTemplateException(where + " has no \"role\" string");
    }
    Role role =
        switch (roleNode.stringValue().toLowerCase(Locale.ROOT)) {
          case "system" -> Role.SYSTEM;
          case "user" -> Role.USER;
          case "assistant" -> Role.ASSISTANT;
          case "tool" -> Role.TOOL;
          default ->
              throw new ChatTemplateException(
                  where
                      + " has role \""
                      + roleNode.stringValue()
                      + "\"; expected system, user, assistant or tool");
        };
    String content = optionalString(m, "content", where);
    String reasoning = optionalString(m, "reasoning_content", where);
    List<ToolCall> toolCalls = new ArrayList<>();
    JsonNode calls = m.get("tool_calls");
    if (calls != null && !calls.isNull()) {
      if (!calls.isArray()) {
        throw new ChatTemplateException(where + ": tool_calls must be an array");
      }
      for (int j = 0; j < calls.size(); j++) {
        toolCalls.add(toolCall(calls.get(j), where + ", tool call " + j));
      }
    }
    return new ChatMessage(
        role,
        content,
        reasoning,
        toolCalls,
        optionalString(m, "tool_call_id", where),
        optionalString(m, "name", where));
  }

  /**
   * Arguments given as a string are kept as that text; given as JSON they are written as the
   * template's {@code tojson} would print them, so either way the prompt matches transformers'.
   */
  private static ToolCall toolCall(JsonNode call, String where) {
    if (!call.isObject()) {
      throw new ChatTemplateException(where + " is not a JSON object");
    }
    JsonNode function = call.has("function") ? call.get("function") : call;
    if (!function.isObject() || !function.path("name").isString()) {
      throw new ChatTemplateException(where + " has no function name");
    }
    JsonNode arguments = function.get("arguments");
    String argumentsText;
    if (arguments == null || arguments.isNull()) {
      argumentsText = "{}";
    } else if (arguments.isString()) {
      argumentsText = arguments.stringValue();
    } else {
      argumentsText = PythonJson.dumps(arguments);
    }
    String id = call.path("id").isString() ? call.get("id").stringValue() : null;
    return new ToolCall(id, function.get("name").stringValue(), argumentsText);
  }

  private static String optionalString(JsonNode m, String field, String where) {
    JsonNode node = m.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isString()) {
      throw new ChatTemplateException(
          where
              + ": \""
              + field
              + "\" must be a string"
              + (node.isArray() ? " (content part lists are not supported)" : ""));
    }
    return node.stringValue();
  }
}
