package io.flashtensors.llm.chat;

import io.flashtensors.llm.ChatMessage;
import io.flashtensors.llm.ChatMessage.Role;
import io.flashtensors.llm.ChatRequest;
import io.flashtensors.llm.ToolCall;
import io.flashtensors.llm.ToolDefinition;
import io.flashtensors.llm.tokenizer.TokenizerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The Qwen3 chat template (the Jinja {@code chat_template} of Qwen3's tokenizer_config.json)
 * written out in Java, producing the same text as transformers' {@code apply_chat_template}:
 *
 * <ul>
 *   <li>a first system message opens the prompt; with tools it is followed by the tools block (each
 *       tool as {@code tojson}, i.e. Python {@code json.dumps});
 *   <li>user and later system messages as {@code <|im_start|>role\n...<|im_end|>\n};
 *   <li>assistant messages: reasoning (the {@code reasoning} field, else the text inside {@code
 *       <think>...</think>} of the content) is kept only for turns after the last real user query,
 *       and dropped from earlier turns; tool calls follow as {@code <tool_call>} JSON lines;
 *   <li>consecutive tool results share one user turn of {@code <tool_response>} blocks;
 *   <li>the generation prompt {@code <|im_start|>assistant\n}, plus an empty think block when
 *       thinking is off.
 * </ul>
 *
 * Tool-call arguments are written as given: {@link ToolCall#argumentsJson()} is the text the
 * template prints (as for string arguments in transformers).
 */
public final class Qwen3ChatTemplate {

  /** The Jinja source this class reproduces, verbatim from Qwen3's tokenizer_config.json. */
  public static final String JINJA_SOURCE = readResource("qwen3-chat-template.jinja");

  private static final Qwen3ChatTemplate INSTANCE = new Qwen3ChatTemplate();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static final String TOOLS_HEADER =
      "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
          + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>";
  private static final String TOOLS_FOOTER =
      "\n</tools>\n\nFor each function call, return a json object with function name and"
          + " arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
          + "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>";

  private Qwen3ChatTemplate() {}

  /** The template, for models known to use it. */
  public static Qwen3ChatTemplate instance() {
    return INSTANCE;
  }

  /**
   * The template for a model's tokenizer configuration: one without a chat template gets the Qwen3
   * template; one whose template is a different text is refused, since rendering it as Qwen3 would
   * silently give the model a prompt it was not trained on.
   *
   * @throws ChatTemplateException naming the file when its template is not Qwen3's
   */
  public static Qwen3ChatTemplate forConfig(TokenizerConfig config) {
    config
        .chatTemplate()
        .filter(template -> !isQwen3(template))
        .ifPresent(
            template -> {
              throw new ChatTemplateException(
                  config.source()
                      + ": the chat template is not the Qwen3 template this renderer implements"
                      + " (only Qwen3's April 2025 chat template is supported)");
            });
    return INSTANCE;
  }

  /** Whether a Jinja template text is the one this class reproduces. */
  public static boolean isQwen3(String template) {
    return normalize(template).equals(normalize(JINJA_SOURCE));
  }

  /** The prompt for a request: its messages and tools, with the generation prompt. */
  public String render(ChatRequest request) {
    return render(
        request.messages(),
        request.tools().stream().map(Qwen3ChatTemplate::toolJson).toList(),
        true,
        request.enableThinking());
  }

  /**
   * Renders a conversation.
   *
   * @param messages the conversation (at least one message)
   * @param tools tool schemas as the template receives them, usually {@code {"type": "function",
   *     "function": {...}}} objects (see {@link #toolJson}); empty for none
   * @param addGenerationPrompt append the start of the assistant's turn
   * @param enableThinking false adds an empty think block to the generation prompt, so the model
   *     answers without reasoning
   * @throws ChatTemplateException for an empty conversation
   */
  public String render(
      List<ChatMessage> messages,
      List<JsonNode> tools,
      boolean addGenerationPrompt,
      boolean enableThinking) {
    if (messages.isEmpty()) {
      throw new ChatTemplateException("the conversation has no messages");
    }
    StringBuilder out = new StringBuilder(256);
    boolean firstIsSystem = messages.getFirst().role() == Role.SYSTEM;
    if (!tools.isEmpty()) {
      out.append("<|im_start|>system\n");
      if (firstIsSystem) {
        out.append(messages.getFirst().content()).append("\n\n");
      }
      out.append(TOOLS_HEADER);
      for (JsonNode tool : tools) {
        out.append('\n').append(PythonJson.dumps(tool));
      }
      out.append(TOOLS_FOOTER).append("<|im_end|>\n");
    } else if (firstIsSystem) {
      out.append("<|im_start|>system\n")
          .append(messages.getFirst().content())
          .append("<|im_end|>\n");
    }

    int lastQuery = lastQueryIndex(messages);
    int last = messages.size() - 1;
    for (int i = 0; i <= last; i++) {
      ChatMessage message = messages.get(i);
      switch (message.role()) {
        case USER -> appendTurn(out, "user", message.content());
        case SYSTEM -> {
          if (i > 0) {
            appendTurn(out, "system", message.content());
          }
        }
        case ASSISTANT -> appendAssistant(out, message, i > lastQuery, i == last);
        case TOOL -> {
          if (i == 0 || messages.get(i - 1).role() != Role.TOOL) {
            out.append("<|im_start|>user");
          }
          out.append("\n<tool_response>\n").append(message.content()).append("\n</tool_response>");
          if (i == last || messages.get(i + 1).role() != Role.TOOL) {
            out.append("<|im_end|>\n");
          }
        }
      }
    }
    if (addGenerationPrompt) {
      out.append("<|im_start|>assistant\n");
      if (!enableThinking) {
        out.append("<think>\n\n</think>\n\n");
      }
    }
    return out.toString();
  }

  /**
   * The index of the last user message that is a real query, not a tool result wrapped in {@code
   * <tool_response>} tags; the last index when there is none.
   */
  private static int lastQueryIndex(List<ChatMessage> messages) {
    for (int i = messages.size() - 1; i >= 0; i--) {
      ChatMessage m = messages.get(i);
      if (m.role() == Role.USER
          && !(m.content().startsWith("<tool_response>")
              && m.content().endsWith("</tool_response>"))) {
        return i;
      }
    }
    return messages.size() - 1;
  }

  private static void appendTurn(StringBuilder out, String role, String content) {
    out.append("<|im_start|>").append(role).append('\n').append(content).append("<|im_end|>\n");
  }

  private static void appendAssistant(
      StringBuilder out, ChatMessage message, boolean afterLastQuery, boolean isLast) {
    String content = message.content();
    String reasoning = "";
    if (message.reasoning() != null) {
      reasoning = message.reasoning();
    } else if (content.contains("</think>")) {
      String beforeEnd = content.substring(0, content.indexOf("</think>"));
      String afterEnd = content.substring(content.lastIndexOf("</think>") + "</think>".length());
      beforeEnd = stripTrailingNewlines(beforeEnd);
      reasoning = stripLeadingNewlines(beforeEnd.substring(start(beforeEnd)));
      content = stripLeadingNewlines(afterEnd);
    }
    out.append("<|im_start|>assistant\n");
    if (afterLastQuery && (isLast || !reasoning.isEmpty())) {
      out.append("<think>\n")
          .append(stripTrailingNewlines(stripLeadingNewlines(reasoning)))
          .append("\n</think>\n\n")
          .append(stripLeadingNewlines(content));
    } else {
      out.append(content);
    }
    List<ToolCall> calls = message.toolCalls();
    for (int j = 0; j < calls.size(); j++) {
      if (j > 0 || !content.isEmpty()) {
        out.append('\n');
      }
      ToolCall call = calls.get(j);
      out.append("<tool_call>\n{\"name\": \"")
          .append(call.name())
          .append("\", \"arguments\": ")
          .append(call.argumentsJson())
          .append("}\n</tool_call>");
    }
    out.append("<|im_end|>\n");
  }

  /** Where the text after the last {@code <think>} starts (0 when there is none). */
  private static int start(String text) {
    int open = text.lastIndexOf("<think>");
    return open < 0 ? 0 : open + "<think>".length();
  }

  /**
   * A tool as the template receives it: {@code {"type": "function", "function": {"name",
   * "description", "parameters"}}}, the form of OpenAI's API and transformers' {@code
   * get_json_schema}.
   *
   * @throws ChatTemplateException when the tool's parameter schema is not a JSON object
   */
  public static JsonNode toolJson(ToolDefinition tool) {
    JsonNode parameters;
    try {
      parameters = JSON.readTree(tool.parametersJsonSchema());
    } catch (JacksonException e) {
      throw new ChatTemplateException(
          "tool " + tool.name() + ": the parameter schema is not valid JSON", e);
    }
    if (parameters == null || !parameters.isObject()) {
      throw new ChatTemplateException(
          "tool " + tool.name() + ": the parameter schema must be a JSON object");
    }
    ObjectNode function = JSON.createObjectNode();
    function.put("name", tool.name());
    function.put("description", tool.description());
    function.set("parameters", parameters);
    ObjectNode wrapper = JSON.createObjectNode();
    wrapper.put("type", "function");
    wrapper.set("function", function);
    return wrapper;
  }

  private static String stripLeadingNewlines(String s) {
    int i = 0;
    while (i < s.length() && s.charAt(i) == '\n') {
      i++;
    }
    return s.substring(i);
  }

  private static String stripTrailingNewlines(String s) {
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) == '\n') {
      end--;
    }
    return s.substring(0, end);
  }

  private static String normalize(String template) {
    return template.replace("\r\n", "\n").strip();
  }

  private static String readResource(String name) {
    try (InputStream in = Qwen3ChatTemplate.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
