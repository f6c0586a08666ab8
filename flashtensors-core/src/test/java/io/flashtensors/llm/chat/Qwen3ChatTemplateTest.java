package io.flashtensors.llm.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.llm.ChatMessage;
import io.flashtensors.llm.ChatRequest;
import io.flashtensors.llm.ToolCall;
import io.flashtensors.llm.ToolDefinition;
import io.flashtensors.llm.tokenizer.Qwen3TokenizerFiles;
import io.flashtensors.llm.tokenizer.TokenizerConfig;
import io.flashtensors.llm.tokenizer.TokenizerFiles;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Behaviour of the template on small cases; ReferenceChatTemplateTest holds the parity cases. */
class Qwen3ChatTemplateTest {

  private final Qwen3ChatTemplate template = Qwen3ChatTemplate.instance();

  @Test
  void rendersUserTurnAndGenerationPrompt() {
    assertThat(template.render(List.of(ChatMessage.user("Hi")), List.of(), true, true))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    assertThat(template.render(List.of(ChatMessage.user("Hi")), List.of(), true, false))
        .isEqualTo(
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
    assertThat(template.render(List.of(ChatMessage.user("Hi")), List.of(), false, false))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n");
  }

  @Test
  void dropsReasoningOfTurnsBeforeTheLastQuery() {
    List<ChatMessage> messages =
        List.of(
            ChatMessage.user("q1"),
            ChatMessage.assistant("a1", "r1", List.of()),
            ChatMessage.user("q2"),
            ChatMessage.assistant("<think>\nr2\n</think>\n\na2"));
    assertThat(template.render(messages, List.of(), false, true))
        .isEqualTo(
            "<|im_start|>user\nq1<|im_end|>\n<|im_start|>assistant\na1<|im_end|>\n"
                + "<|im_start|>user\nq2<|im_end|>\n"
                + "<|im_start|>assistant\n<think>\nr2\n</think>\n\na2<|im_end|>\n");
  }

  @Test
  void rendersToolsCallsAndGroupedResponses() {
    ToolDefinition weather =
        new ToolDefinition(
            "get_weather",
            "Weather of a city.",
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}");
    List<ChatMessage> messages =
        List.of(
            ChatMessage.system("Be brief."),
            ChatMessage.user("Paris and Rome?"),
            ChatMessage.assistant(
                "",
                null,
                List.of(
                    new ToolCall("c1", "get_weather", "{\"city\": \"Paris\"}"),
                    new ToolCall("c2", "get_weather", "{\"city\": \"Rome\"}"))),
            ChatMessage.tool("18C", "c1", "get_weather"),
            ChatMessage.tool("25C", "c2", "get_weather"));
    String prompt = template.render(new ChatRequest(messages, List.of(weather), true, null));
    assertThat(prompt)
        .startsWith("<|im_start|>system\nBe brief.\n\n# Tools\n\n")
        .contains(
            "<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\","
                + " \"description\": \"Weather of a city.\", \"parameters\": {\"type\":"
                + " \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}}\n</tools>")
        .contains(
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\":"
                + " {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_weather\","
                + " \"arguments\": {\"city\": \"Rome\"}}\n</tool_call><|im_end|>\n")
        .endsWith(
            "<|im_start|>user\n<tool_response>\n18C\n</tool_response>\n<tool_response>\n25C\n"
                + "</tool_response><|im_end|>\n<|im_start|>assistant\n");
  }

  @Test
  void refusesEmptyConversationsAndBadSchemas() {
    assertThatThrownBy(() -> template.render(List.of(), List.of(), true, true))
        .isInstanceOf(ChatTemplateException.class);
    assertThatThrownBy(() -> Qwen3ChatTemplate.toolJson(new ToolDefinition("f", "", "[1]")))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessageContaining("f");
  }

  @Test
  void acceptsTheQwen3TemplateAndRefusesOthers() {
    TokenizerConfig qwen =
        TokenizerConfig.load(TokenizerFiles.locate(Qwen3TokenizerFiles.tokenizerJson()));
    assertThat(qwen.chatTemplate()).isPresent();
    assertThat(Qwen3ChatTemplate.forConfig(qwen)).isSameAs(template);
    assertThat(Qwen3ChatTemplate.forConfig(TokenizerConfig.none())).isSameAs(template);
    TokenizerConfig other =
        new TokenizerConfig(
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            false,
            Optional.of("{{ messages }}"),
            "other/tokenizer_config.json");
    assertThatThrownBy(() -> Qwen3ChatTemplate.forConfig(other))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessageContaining("other/tokenizer_config.json");
  }

  @Test
  void readsSpecialTokensOfTheTokenizer() {
    TokenizerConfig config =
        TokenizerConfig.load(TokenizerFiles.locate(Qwen3TokenizerFiles.tokenizerJson()));
    Qwen3SpecialTokens tokens = Qwen3SpecialTokens.of(Qwen3TokenizerFiles.tokenizer(), config);
    assertThat(tokens.imEnd()).isEqualTo(151645);
    assertThat(tokens.eos()).isEqualTo(151645);
    assertThat(tokens.endThink()).isEqualTo(151668);
    assertThat(tokens.stopTokenIds()).containsExactly(151645, 151643);
    assertThat(config.padToken()).hasValue("<|endoftext|>");
    assertThat(config.bosToken()).isEmpty();
  }
}
