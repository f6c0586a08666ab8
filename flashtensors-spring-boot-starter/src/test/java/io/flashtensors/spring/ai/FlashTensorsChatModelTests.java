package io.flashtensors.spring.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.flashtensors.llm.ChatMessage;
import io.flashtensors.llm.ChatRequest;
import io.flashtensors.llm.ToolCall;
import io.flashtensors.llm.chat.MalformedToolCallException;
import io.flashtensors.spring.testing.FakeChatEngine;
import io.flashtensors.spring.testing.FakeChatEngine.Answer;
import io.flashtensors.spring.testing.FakeChatEngine.Piece;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import reactor.test.StepVerifier;

class FlashTensorsChatModelTests {

  private static final FlashTensorsChatOptions DEFAULTS =
      FlashTensorsChatOptions.builder()
          .model("test/tiny-qwen3")
          .temperature(0.7)
          .maxTokens(64)
          .thinking(false)
          .build();

  private final List<FlashTensorsChatModel> models = new ArrayList<>();

  private final ExecutorService callers = Executors.newCachedThreadPool();

  @AfterEach
  void close() {
    this.models.forEach(FlashTensorsChatModel::close);
    this.callers.shutdownNow();
  }

  private FlashTensorsChatModel model(FakeChatEngine engine) {
    return model(engine, 16, Duration.ofSeconds(30));
  }

  private FlashTensorsChatModel model(FakeChatEngine engine, int queueSize, Duration waitTimeout) {
    FlashTensorsChatModel model =
        FlashTensorsChatModel.builder()
            .engine(engine)
            .defaultOptions(DEFAULTS)
            .queueSize(queueSize)
            .waitTimeout(waitTimeout)
            .build();
    this.models.add(model);
    return model;
  }

  private static Function<ChatRequest, Answer> always(Answer answer) {
    return request -> answer;
  }

  @Test
  void callHandsTheWholeConversationToTheEngine() {
    FakeChatEngine engine = new FakeChatEngine(always(Answer.words("fine")));
    AssistantMessage earlier =
        AssistantMessage.builder()
            .content("")
            .properties(Map.of("thinking", "let me look it up"))
            .toolCalls(
                List.of(
                    new AssistantMessage.ToolCall(
                        "call_0", "function", "weather", "{\"city\":\"Oslo\"}")))
            .build();
    ToolResponseMessage toolResult =
        ToolResponseMessage.builder()
            .responses(
                List.of(new ToolResponseMessage.ToolResponse("call_0", "weather", "{\"c\":3}")))
            .build();

    model(engine)
        .call(
            new Prompt(
                List.of(
                    new SystemMessage("be brief"),
                    new UserMessage("weather in Oslo?"),
                    earlier,
                    toolResult)));

    List<ChatMessage> messages = engine.lastRequest().messages();
    assertThat(messages)
        .extracting(ChatMessage::role)
        .containsExactly(
            ChatMessage.Role.SYSTEM,
            ChatMessage.Role.USER,
            ChatMessage.Role.ASSISTANT,
            ChatMessage.Role.TOOL);
    assertThat(messages.get(0).content()).isEqualTo("be brief");
    assertThat(messages.get(2).reasoning()).isEqualTo("let me look it up");
    assertThat(messages.get(2).toolCalls())
        .containsExactly(new ToolCall("call_0", "weather", "{\"city\":\"Oslo\"}"));
    assertThat(messages.get(3)).isEqualTo(ChatMessage.tool("{\"c\":3}", "call_0", "weather"));
  }

  @Test
  void callWithoutOptionsUsesTheModelDefaults() {
    FakeChatEngine engine = new FakeChatEngine(always(Answer.words("ok")));

    model(engine).call(new Prompt("hi"));

    ChatRequest request = engine.lastRequest();
    assertThat(request.sampling().temperature()).isEqualTo(0.7);
    assertThat(request.sampling().maxTokens()).isEqualTo(64);
    assertThat(request.enableThinking()).isFalse();
  }

  @Test
  void callWithOptionsUsesThemAsGivenWithoutMergingDefaults() {
    FakeChatEngine engine = new FakeChatEngine(always(Answer.words("ok")));

    model(engine)
        .call(
            new Prompt(
                "hi",
                FlashTensorsChatOptions.builder()
                    .topK(5)
                    .seed(9L)
                    .minP(0.1)
                    .stopSequences(List.of("###"))
                    .build()));

    ChatRequest request = engine.lastRequest();
    assertThat(request.sampling().temperature()).isNull();
    assertThat(request.sampling().maxTokens()).isNull();
    assertThat(request.sampling().topK()).isEqualTo(5);
    assertThat(request.sampling().seed()).isEqualTo(9L);
    assertThat(request.sampling().minP()).isEqualTo(0.1);
    assertThat(request.sampling().stopSequences()).containsExactly("###");
    assertThat(request.enableThinking()).isTrue();
  }

  @Test
  void callAcceptsPortableChatOptions() {
    FakeChatEngine engine = new FakeChatEngine(always(Answer.words("ok")));

    model(engine)
        .call(
            new Prompt(
                "hi",
                ChatOptions.builder().temperature(0.0).presencePenalty(1.5).maxTokens(3).build()));

    assertThat(engine.lastRequest().sampling().temperature()).isEqualTo(0.0);
    assertThat(engine.lastRequest().sampling().presencePenalty()).isEqualTo(1.5);
    assertThat(engine.lastRequest().sampling().maxTokens()).isEqualTo(3);
  }

  @Test
  void callReturnsTheAnswerWithUsageFinishReasonModelAndReasoningApart() {
    FakeChatEngine engine =
        new FakeChatEngine(
            always(
                Answer.of(
                    Piece.reasoning("The user greets. "),
                    Piece.reasoning("Greet back."),
                    Piece.content("Hello"),
                    Piece.content(" there!"))));

    ChatResponse response = model(engine).call(new Prompt("hi"));

    AssistantMessage output = response.getResult().getOutput();
    assertThat(output.getText()).isEqualTo("Hello there!");
    assertThat(output.getMetadata()).containsEntry("thinking", "The user greets. Greet back.");
    assertThat(response.getResult().getMetadata().getFinishReason()).isEqualTo("stop");
    assertThat((String) response.getResult().getMetadata().get("thinking"))
        .isEqualTo("The user greets. Greet back.");
    assertThat(response.getMetadata().getModel()).isEqualTo("test/tiny-qwen3");
    assertThat(response.getMetadata().getId()).startsWith("chat-");
    assertThat((String) response.getMetadata().get("device")).isEqualTo("cpu");
    assertThat(response.getMetadata().getUsage().getPromptTokens()).isEqualTo(7);
    assertThat(response.getMetadata().getUsage().getCompletionTokens()).isEqualTo(4);
    assertThat(response.getMetadata().getUsage().getTotalTokens()).isEqualTo(11);
    assertThat(response.hasToolCalls()).isFalse();
  }

  @Test
  void callReturnsToolCallsForTheClientToRun() {
    FakeChatEngine engine =
        new FakeChatEngine(
            always(
                new Answer(
                    List.of(Piece.toolMarkup("<tool_call>...</tool_call>")),
                    List.of(
                        new ToolCall(null, "weather", "{\"city\":\"Oslo\"}"),
                        new ToolCall("b", "clock", "{}")))));

    ChatResponse response =
        model(engine)
            .call(
                new Prompt(
                    "weather?",
                    FlashTensorsChatOptions.builder()
                        .toolCallbacks(
                            List.of(
                                FlashTensorsChatOptionsTests.tool("weather"),
                                FlashTensorsChatOptionsTests.tool("clock")))
                        .build()));

    assertThat(response.hasToolCalls()).isTrue();
    assertThat(response.getResult().getOutput().getToolCalls())
        .containsExactly(
            new AssistantMessage.ToolCall("call_0", "function", "weather", "{\"city\":\"Oslo\"}"),
            new AssistantMessage.ToolCall("b", "function", "clock", "{}"));
    assertThat(response.getResult().getOutput().getText()).isEmpty();
    assertThat(response.getResult().getMetadata().getFinishReason()).isEqualTo("tool_calls");
    assertThat(engine.lastRequest().tools())
        .extracting(io.flashtensors.llm.ToolDefinition::name)
        .containsExactly("weather", "clock");
    assertThat(engine.lastRequest().tools().getFirst().parametersJsonSchema()).contains("object");
  }

  @Test
  void callWithMalformedToolArgumentsFailsWithAClearError() {
    FakeChatEngine engine =
        new FakeChatEngine(
            always(
                new Answer(List.of(), List.of(new ToolCall("a", "weather", "{\"city\": Oslo")))));

    assertThatThrownBy(() -> model(engine).call(new Prompt("weather?")))
        .isInstanceOf(MalformedToolCallException.class)
        .hasMessageContaining("malformed tool call (arguments of tool 'weather' are not valid JSON")
        .hasMessageContaining("{\"city\": Oslo");
  }

  @Test
  void callWithToolArgumentsThatAreNotAnObjectFails() {
    FakeChatEngine engine =
        new FakeChatEngine(always(new Answer(List.of(), List.of(new ToolCall("a", "w", "[1,2]")))));

    assertThatThrownBy(() -> model(engine).call(new Prompt("x")))
        .isInstanceOf(MalformedToolCallException.class)
        .hasMessageContaining("not a JSON object");
  }

  @Test
  void callForAnotherModelFails() {
    FakeChatEngine engine = new FakeChatEngine(always(Answer.words("ok")));

    assertThatThrownBy(
            () ->
                model(engine)
                    .call(new Prompt("hi", ChatOptions.builder().model("other/model").build())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("serves 'test/tiny-qwen3'")
        .hasMessageContaining("'other/model'");
    assertThat(engine.requests()).isEmpty();
  }

  @Test
  void callWithImagesFails() {
    FakeChatEngine engine = new FakeChatEngine(always(Answer.words("ok")));
    UserMessage withImage =
        UserMessage.builder()
            .text("what is this?")
            .media(
                new org.springframework.ai.content.Media(
                    org.springframework.util.MimeTypeUtils.IMAGE_PNG,
                    new org.springframework.core.io.ByteArrayResource(new byte[] {1})))
            .build();

    assertThatThrownBy(() -> model(engine).call(new Prompt(withImage)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("text only");
  }

  @Test
  void callWithInvalidSamplingFails() {
    FakeChatEngine engine = new FakeChatEngine(always(Answer.words("ok")));

    assertThatThrownBy(
            () -> model(engine).call(new Prompt("hi", ChatOptions.builder().topP(1.5).build())))
        .hasMessageContaining("topP must be in (0, 1], was 1.5");
    assertThatThrownBy(
            () -> model(engine).call(new Prompt("hi", ChatOptions.builder().maxTokens(0).build())))
        .hasMessageContaining("maxTokens must be at least 1");
  }

  @Test
  void streamEmitsOneChunkPerPieceThenTheFinishWithUsage() {
    FakeChatEngine engine =
        new FakeChatEngine(
            always(
                Answer.of(
                    Piece.reasoning("hmm"),
                    Piece.content(""),
                    Piece.content("Hel"),
                    Piece.content("lo"),
                    Piece.content("!"))));

    List<ChatResponse> chunks = model(engine).stream(new Prompt("hi")).collectList().block();

    assertThat(chunks).hasSize(5);
    assertThat(chunks)
        .extracting(c -> c.getResult().getOutput().getText())
        .containsExactly("", "Hel", "lo", "!", "");
    assertThat(chunks.getFirst().getResult().getOutput().getMetadata())
        .containsEntry("thinking", "hmm");
    assertThat(chunks)
        .allSatisfy(c -> assertThat(c.getMetadata().getModel()).isEqualTo("test/tiny-qwen3"));
    assertThat(chunks)
        .extracting(c -> c.getMetadata().getId())
        .containsOnly(chunks.getFirst().getMetadata().getId());
    ChatResponse last = chunks.getLast();
    assertThat(last.getResult().getMetadata().getFinishReason()).isEqualTo("stop");
    assertThat(last.getResult().getOutput().getMetadata()).containsEntry("thinking", "hmm");
    assertThat(last.getMetadata().getUsage().getPromptTokens()).isEqualTo(7);
    assertThat(last.getMetadata().getUsage().getCompletionTokens()).isEqualTo(5);
    assertThat(chunks.subList(0, 4))
        .allSatisfy(c -> assertThat(c.getResult().getMetadata().getFinishReason()).isNull());
  }

  @Test
  void streamOfStringsGivesOnlyTheAnswer() {
    FakeChatEngine engine =
        new FakeChatEngine(
            always(Answer.of(Piece.reasoning("secret"), Piece.content("a"), Piece.content("b"))));

    String text = String.join("", model(engine).stream("hi").collectList().block());

    assertThat(text).isEqualTo("ab");
  }

  @Test
  void streamEndsWithToolCalls() {
    FakeChatEngine engine =
        new FakeChatEngine(
            always(
                new Answer(
                    List.of(Piece.toolMarkup("<tool_call>"), Piece.toolMarkup("{...}")),
                    List.of(new ToolCall("x", "clock", "{}")))));

    List<ChatResponse> chunks = model(engine).stream(new Prompt("time?")).collectList().block();

    assertThat(chunks).hasSize(1);
    assertThat(chunks.getFirst().hasToolCalls()).isTrue();
    assertThat(chunks.getFirst().getResult().getMetadata().getFinishReason())
        .isEqualTo("tool_calls");
  }

  @Test
  void streamPausesGenerationWhileTheSubscriberAsksForNothing() throws Exception {
    FakeChatEngine engine = new FakeChatEngine(always(Answer.words("a ".repeat(500))));
    FlashTensorsChatModel model = model(engine);

    StepVerifier.create(model.stream(new Prompt("count")), 2)
        .expectNextCount(2)
        .then(
            () -> {
              // The engine thread waits for demand instead of running ahead.
              sleep(200);
              assertThat(engine.piecesEmitted()).isLessThanOrEqualTo(3);
            })
        .thenRequest(3)
        .expectNextCount(3)
        .then(() -> assertThat(engine.piecesEmitted()).isLessThanOrEqualTo(6))
        .thenCancel()
        .verify(Duration.ofSeconds(10));
  }

  @Test
  void streamCancellationStopsGeneration() {
    FakeChatEngine engine = new FakeChatEngine(always(Answer.words("a ".repeat(10_000))));
    FlashTensorsChatModel model = model(engine);

    List<ChatResponse> firstThree = model.stream(new Prompt("count")).take(3).collectList().block();

    assertThat(firstThree).hasSize(3);
    await().atMost(Duration.ofSeconds(5)).until(() -> engine.lastFinishReason() != null);
    assertThat(engine.lastFinishReason()).isEqualTo(io.flashtensors.llm.FinishReason.CANCELLED);
    assertThat(engine.piecesEmitted()).isLessThan(10);
    // The engine is free again: the next request is answered.
    assertThat(model.call(new Prompt("again")).getResult()).isNotNull();
  }

  @Test
  void streamCancelledWhileQueuedNeverReachesTheEngine() throws Exception {
    FakeChatEngine engine = new FakeChatEngine(always(Answer.words("x")));
    FlashTensorsChatModel model = model(engine);
    engine.hold(1);
    CompletableFuture<ChatResponse> first =
        CompletableFuture.supplyAsync(() -> model.call(new Prompt("first")), this.callers);
    assertThat(engine.awaitStarted()).isTrue();

    var queued = model.stream(new Prompt("second")).subscribe();
    sleep(100);
    queued.dispose();
    engine.release();

    assertThat(first.get().getResult().getOutput().getText()).isEqualTo("x");
    sleep(100);
    assertThat(engine.requests()).hasSize(1);
  }

  @Test
  void streamFailsWhenTheModelFails() {
    FakeChatEngine engine =
        new FakeChatEngine(
            request -> {
              throw new IllegalStateException("KV cache full");
            });

    StepVerifier.create(model(engine).stream(new Prompt("hi")))
        .expectErrorMessage("KV cache full")
        .verify(Duration.ofSeconds(5));
  }

  @Test
  void concurrentRequestsAreSerializedOnASingleRequestEngine() throws Exception {
    FakeChatEngine engine =
        new FakeChatEngine(
            request -> Answer.words("answer to " + request.messages().getLast().content()));
    FlashTensorsChatModel model = model(engine);
    ExecutorService callers = this.callers;
    {
      List<Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String question = "q" + i;
        boolean streamed = i % 2 == 1;
        answers.add(
            callers.submit(
                () ->
                    !streamed
                        ? model.call(new Prompt(question)).getResult().getOutput().getText()
                        : String.join(
                            "",
                            model.stream(new Prompt(question))
                                .map(this::text)
                                .collectList()
                                .block())));
      }
      for (int i = 0; i < 6; i++) {
        assertThat(answers.get(i).get()).isEqualTo("answer to q" + i);
      }
    }
    assertThat(engine.requests()).hasSize(6);
    assertThat(engine.maxActive()).isEqualTo(1);
  }

  @Test
  void callWhenTheQueueIsFullFailsAtOnce() throws Exception {
    FakeChatEngine engine = new FakeChatEngine(always(Answer.words("x")));
    FlashTensorsChatModel model = model(engine, 0, Duration.ofSeconds(30));
    engine.hold(1);
    CompletableFuture<ChatResponse> first =
        CompletableFuture.supplyAsync(() -> model.call(new Prompt("first")), this.callers);
    assertThat(engine.awaitStarted()).isTrue();

    assertThatThrownBy(() -> model.call(new Prompt("second")))
        .isInstanceOf(ModelBusyException.class)
        .hasMessageContaining("model busy")
        .hasMessageContaining("queue-size=0");
    StepVerifier.create(model.stream(new Prompt("third")))
        .expectError(ModelBusyException.class)
        .verify(Duration.ofSeconds(5));

    engine.release();
    assertThat(first.get().getResult().getOutput().getText()).isEqualTo("x");
  }

  @Test
  void callThatWaitsLongerThanTheTimeoutFails() throws Exception {
    FakeChatEngine engine = new FakeChatEngine(always(Answer.words("x")));
    FlashTensorsChatModel model = model(engine, 4, Duration.ofMillis(100));
    engine.hold(1);
    CompletableFuture<ChatResponse> first =
        CompletableFuture.supplyAsync(() -> model.call(new Prompt("first")), this.callers);
    assertThat(engine.awaitStarted()).isTrue();

    assertThatThrownBy(() -> model.call(new Prompt("second")))
        .isInstanceOf(ModelBusyException.class)
        .hasMessageContaining("waited PT0.1S");

    engine.release();
    first.get();
  }

  @Test
  void engineAllowingTwoRequestsRunsTwoAtOnce() throws Exception {
    FakeChatEngine engine = new FakeChatEngine("test/tiny-qwen3", 2, always(Answer.words("x")));
    FlashTensorsChatModel model = model(engine);
    engine.hold(2);
    CompletableFuture<ChatResponse> a =
        CompletableFuture.supplyAsync(() -> model.call(new Prompt("a")), this.callers);
    CompletableFuture<ChatResponse> b =
        CompletableFuture.supplyAsync(() -> model.call(new Prompt("b")), this.callers);

    assertThat(engine.awaitStarted()).isTrue();
    engine.release();
    a.get();
    b.get();
    assertThat(engine.maxActive()).isEqualTo(2);
  }

  private String text(ChatResponse response) {
    return response.getResult().getOutput().getText();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
  }
}
