package io.flashtensors.spring.ai;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.llm.ChatMessage;
import io.flashtensors.llm.ChatRequest;
import io.flashtensors.llm.ToolCall;
import io.flashtensors.spring.testing.FakeChatEngine;
import io.flashtensors.spring.testing.FakeChatEngine.Answer;
import io.flashtensors.spring.testing.FakeChatEngine.Piece;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.tool.annotation.Tool;
import org.springframework.ai.tool.annotation.ToolParam;

/** ChatClient runs the tool loop: the model only asks for tools and reads their results. */
class ChatClientToolCallingTests {

  private final FakeChatEngine engine = new FakeChatEngine(ChatClientToolCallingTests::answer);

  private final FlashTensorsChatModel model =
      FlashTensorsChatModel.builder()
          .engine(this.engine)
          .defaultOptions(FlashTensorsChatOptions.builder().model("test/tiny-qwen3").build())
          .build();

  private final WeatherTools tools = new WeatherTools();

  @AfterEach
  void close() {
    this.model.close();
  }

  /**
   * Asks for the weather tool first; once a tool result is in the conversation, answers with it.
   */
  private static Answer answer(ChatRequest request) {
    ChatMessage last = request.messages().getLast();
    if (last.role() == ChatMessage.Role.TOOL) {
      return Answer.of(Piece.content("It is "), Piece.content(last.content() + " in Oslo."));
    }
    return new Answer(
        List.of(Piece.toolMarkup("<tool_call>")),
        List.of(new ToolCall("call_7", "currentTemperature", "{\"city\":\"Oslo\"}")));
  }

  @Test
  void callRunsTheToolThroughTheAdvisorAndAnswersWithItsResult() {
    String answer =
        ChatClient.create(this.model)
            .prompt()
            .user("Weather in Oslo?")
            .tools(this.tools)
            .call()
            .content();

    assertThat(answer).isEqualTo("It is 3 C in Oslo.");
    assertThat(this.tools.calls.get()).isEqualTo(1);
    assertThat(this.engine.requests()).hasSize(2);
    ChatRequest first = this.engine.requests().getFirst();
    assertThat(first.tools())
        .singleElement()
        .satisfies(
            tool -> {
              assertThat(tool.name()).isEqualTo("currentTemperature");
              assertThat(tool.description()).isEqualTo("Current temperature in a city");
              assertThat(tool.parametersJsonSchema()).contains("\"city\"");
            });
    List<ChatMessage> second = this.engine.requests().get(1).messages();
    assertThat(second)
        .extracting(ChatMessage::role)
        .containsExactly(ChatMessage.Role.USER, ChatMessage.Role.ASSISTANT, ChatMessage.Role.TOOL);
    assertThat(second.get(1).toolCalls())
        .containsExactly(new ToolCall("call_7", "currentTemperature", "{\"city\":\"Oslo\"}"));
    assertThat(second.get(2).toolCallId()).isEqualTo("call_7");
  }

  @Test
  void streamRunsTheToolThroughTheAdvisorToo() {
    String answer =
        String.join(
            "",
            ChatClient.create(this.model)
                .prompt()
                .user("Weather in Oslo?")
                .tools(this.tools)
                .stream()
                .content()
                .collectList()
                .block());

    assertThat(answer).isEqualTo("It is 3 C in Oslo.");
    assertThat(this.tools.calls.get()).isEqualTo(1);
  }

  static final class WeatherTools {

    final AtomicInteger calls = new AtomicInteger();

    @Tool(description = "Current temperature in a city")
    String currentTemperature(@ToolParam(description = "the city") String city) {
      this.calls.incrementAndGet();
      return "Oslo".equals(city) ? "3 C" : "unknown";
    }
  }
}
