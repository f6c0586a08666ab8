package io.flashtensors.spring.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flashtensors.spring.ai.FlashTensorsChatModel;
import io.flashtensors.spring.ai.FlashTensorsChatOptions;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole stack on the tiny committed Qwen3 (full vocabulary, real tokenizer, random weights):
 * Boot auto-configuration loads it on the CPU, and ChatClient's greedy answers, called and
 * streamed, match the continuations Hugging Face transformers produced for the same chats ({@code
 * fixtures/models/qwen3-tiny-random/reference.json}).
 */
@SpringBootTest(
    classes = TinyQwen3EndToEndTests.App.class,
    properties = {
      "flashtensors.chat.model=" + TinyQwen3EndToEndTests.MODEL,
      "flashtensors.device=cpu",
      "flashtensors.chat.temperature=0",
      "flashtensors.chat.max-tokens=24",
      "flashtensors.chat.context-length=512"
    })
class TinyQwen3EndToEndTests {

  static final String MODEL = "../fixtures/models/qwen3-tiny-random";

  private static final JsonNode REFERENCE =
      JsonMapper.builder().build().readTree(Path.of(MODEL, "reference.json").toFile());

  @Autowired ChatClient.Builder chatClientBuilder;

  @Autowired FlashTensorsChatModel chatModel;

  @Autowired MeterRegistry meters;

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {}

  private static JsonNode prompt(int index) {
    return REFERENCE.get("prompts").get(index);
  }

  @Test
  void callAnswersWithTransformersGreedyContinuation() {
    JsonNode reference = prompt(0);

    ChatResponse response =
        this.chatClientBuilder
            .build()
            .prompt()
            .user(reference.get("messages").get(0).get("content").asString())
            .options(FlashTensorsChatOptions.builder().thinking(false))
            .call()
            .chatResponse();

    assertThat(response.getResult().getOutput().getText())
        .isEqualTo(reference.get("greedy_text").asString());
    assertThat(response.getMetadata().getUsage().getPromptTokens())
        .isEqualTo(reference.get("input_ids").size());
    assertThat(response.getMetadata().getUsage().getCompletionTokens()).isEqualTo(24);
    assertThat(response.getResult().getMetadata().getFinishReason()).isEqualTo("length");
    assertThat(response.getMetadata().getModel()).isEqualTo("qwen3-tiny-random");
    assertThat((String) response.getMetadata().get("device")).isEqualTo("cpu");
  }

  @Test
  void streamDeliversTheSameAnswerPieceByPiece() {
    JsonNode reference = prompt(1);

    List<ChatResponse> chunks =
        this.chatClientBuilder
            .build()
            .prompt()
            .system(reference.get("messages").get(0).get("content").asString())
            .user(reference.get("messages").get(1).get("content").asString())
            .options(FlashTensorsChatOptions.builder().thinking(true))
            .stream()
            .chatResponse()
            .collectList()
            .block(Duration.ofMinutes(2));

    StringBuilder text = new StringBuilder();
    chunks.forEach(chunk -> text.append(chunk.getResult().getOutput().getText()));
    assertThat(text).hasToString(reference.get("greedy_text").asString());
    assertThat(chunks).hasSizeGreaterThan(10);
    ChatResponse last = chunks.getLast();
    assertThat(last.getResult().getMetadata().getFinishReason()).isEqualTo("length");
    assertThat(last.getMetadata().getUsage().getPromptTokens())
        .isEqualTo(reference.get("input_ids").size());
  }

  @Test
  void theLoadAndTheChatsAreMetered() {
    this.chatModel.call("Hello! What is 2+2?");

    assertThat(this.chatModel.descriptor().device()).isEqualTo("cpu");
    assertThat(this.chatModel.descriptor().parameterBytes()).isPositive();
    assertThat(this.meters.get("flashtensors.load.bytes").functionCounter().count())
        .isGreaterThanOrEqualTo(this.chatModel.descriptor().parameterBytes());
    assertThat(this.meters.get("flashtensors.models.resident").gauge().value()).isEqualTo(1);
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(
                        this.meters
                            .get("gen_ai.client.token.usage")
                            .tag("gen_ai.token.type", "output")
                            .tag("gen_ai.system", "flashtensors")
                            .counter()
                            .count())
                    .isGreaterThanOrEqualTo(24));
  }
}
