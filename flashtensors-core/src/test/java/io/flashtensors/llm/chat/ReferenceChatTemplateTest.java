package io.flashtensors.llm.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.llm.ChatMessage;
import io.flashtensors.llm.tokenizer.Qwen3TokenizerFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Parity with transformers' {@code apply_chat_template(tokenize=False)} on Qwen3's template: the
 * texts in {@code reference/chat-expected.json} were made by
 * scripts/reference/make_tokenizer_refs.py (transformers 5.17 on the GPU machine) from the
 * conversations in {@code reference/chat-conversations.json}, each in four variants (generation
 * prompt with thinking default, on and off; no generation prompt).
 */
class ReferenceChatTemplateTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final JsonNode CONVERSATIONS = read("/reference/chat-conversations.json");
  private static final JsonNode EXPECTED = read("/reference/chat-expected.json");

  static JsonNode read(String resource) {
    try (InputStream in = ReferenceChatTemplateTest.class.getResourceAsStream(resource)) {
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Stream<Arguments> renderings() {
    Map<String, JsonNode> conversations = new HashMap<>();
    CONVERSATIONS
        .get("conversations")
        .forEach(c -> conversations.put(c.get("name").stringValue(), c));
    CONVERSATIONS
        .get("special_token_conversations")
        .forEach(c -> conversations.put(c.get("name").stringValue(), c));
    Map<String, JsonNode> variants = new HashMap<>();
    CONVERSATIONS.get("variants").forEach(v -> variants.put(v.get("name").stringValue(), v));
    List<Arguments> cases = new ArrayList<>();
    for (String section : List.of("renderings", "special_token_renderings")) {
      for (JsonNode r : EXPECTED.get(section)) {
        cases.add(
            Arguments.of(
                r.get("conversation").stringValue() + "/" + r.get("variant").stringValue(),
                conversations.get(r.get("conversation").stringValue()),
                variants.get(r.get("variant").stringValue()),
                r));
      }
    }
    return cases.stream();
  }

  @Test
  void referenceComesFromTransformersForEveryConversation() {
    int conversations = CONVERSATIONS.get("conversations").size();
    int variants = CONVERSATIONS.get("variants").size();
    assertThat(EXPECTED.get("renderings").size()).isEqualTo(conversations * variants);
    assertThat(EXPECTED.at("/meta/versions/transformers").stringValue()).startsWith("5.");
    assertThat(EXPECTED.at("/meta/loaded_with").stringValue()).contains("AutoTokenizer");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("renderings")
  void rendersAsTransformersDoes(
      String name, JsonNode conversation, JsonNode variant, JsonNode expected) {
    List<ChatMessage> messages = HfChatFormat.messages(conversation.get("messages"));
    List<JsonNode> tools =
        conversation.has("tools") ? HfChatFormat.tools(conversation.get("tools")) : List.of();
    boolean thinking =
        !variant.has("enable_thinking") || variant.get("enable_thinking").booleanValue();
    String prompt =
        Qwen3ChatTemplate.instance()
            .render(messages, tools, variant.get("add_generation_prompt").booleanValue(), thinking);
    assertThat(expected.has("text")).as("transformers rendered this case").isTrue();
    assertThat(prompt).isEqualTo(expected.get("text").stringValue());
    // The prompt's ids, as the engine will encode it, equal HF tokenizers' ids of the same text.
    assertThat(Qwen3TokenizerFiles.tokenizer().encode(prompt)).isEqualTo(ids(expected.get("ids")));
  }

  private static int[] ids(JsonNode array) {
    int[] ids = new int[array.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = array.get(i).intValue();
    }
    return ids;
  }
}
