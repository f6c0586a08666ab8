package io.flashtensors.llm.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.llm.ChatMessage;
import io.flashtensors.llm.ToolCall;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class HfChatFormatTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static List<ChatMessage> read(String json) {
    return HfChatFormat.messages(JSON.readTree(json));
  }

  @Test
  void readsAllRolesAndAssistantFields() {
    List<ChatMessage> messages =
        read(
            """
            [{"role": "system", "content": "s"},
             {"role": "user", "content": "u"},
             {"role": "assistant", "content": null, "reasoning_content": "r",
              "tool_calls": [{"id": "c1", "type": "function",
                              "function": {"name": "f", "arguments": {"a": 1.0, "b": [true]}}},
                             {"name": "g", "arguments": "{\\"x\\":1}"}]},
             {"role": "tool", "content": "42", "tool_call_id": "c1", "name": "f"}]
            """);
    assertThat(messages)
        .extracting(ChatMessage::role)
        .containsExactly(
            ChatMessage.Role.SYSTEM,
            ChatMessage.Role.USER,
            ChatMessage.Role.ASSISTANT,
            ChatMessage.Role.TOOL);
    ChatMessage assistant = messages.get(2);
    assertThat(assistant.content()).isEmpty();
    assertThat(assistant.reasoning()).isEqualTo("r");
    assertThat(assistant.toolCalls())
        .containsExactly(
            new ToolCall("c1", "f", "{\"a\": 1.0, \"b\": [true]}"),
            new ToolCall(null, "g", "{\"x\":1}"));
    assertThat(messages.get(3).toolCallId()).isEqualTo("c1");
  }

  @Test
  void namesTheMessageAndFieldThatIsWrong() {
    assertThatThrownBy(() -> read("{\"role\": \"user\"}"))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessageContaining("array");
    assertThatThrownBy(() -> read("[{\"content\": \"x\"}]")).hasMessageContaining("message 0");
    assertThatThrownBy(
            () -> read("[{\"role\": \"user\"}, {\"role\": \"robot\", \"content\": \"\"}]"))
        .hasMessageContaining("message 1")
        .hasMessageContaining("robot");
    assertThatThrownBy(
            () ->
                read(
                    "[{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"x\"}]}]"))
        .hasMessageContaining("content")
        .hasMessageContaining("part lists");
    assertThatThrownBy(
            () ->
                read(
                    "[{\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": [{\"function\": {}}]}]"))
        .hasMessageContaining("tool call 0");
    assertThatThrownBy(() -> HfChatFormat.tools(JSON.readTree("[1]")))
        .hasMessageContaining("tool 0");
  }
}
