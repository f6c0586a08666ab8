package io.flashtensors.spring.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flashtensors.spring.model.ManagedChatEngine;
import io.flashtensors.spring.testing.FakeChatEngine;
import io.flashtensors.spring.testing.FakeChatEngine.Answer;
import io.flashtensors.spring.testing.FakeChatEngine.Piece;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.observation.ChatModelMeterObservationHandler;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;

class FlashTensorsChatModelObservationTests {

  private final FakeChatEngine engine =
      new FakeChatEngine(
          request -> Answer.of(Piece.reasoning("think"), Piece.content("Hi"), Piece.content("!")));

  private FlashTensorsChatModel model;

  private FlashTensorsChatModel model(ObservationRegistry registry) {
    this.model =
        FlashTensorsChatModel.builder()
            .engine(this.engine)
            .defaultOptions(
                FlashTensorsChatOptions.builder()
                    .model("test/tiny-qwen3")
                    .temperature(0.5)
                    .topK(20)
                    .build())
            .observationRegistry(registry)
            .build();
    return this.model;
  }

  @AfterEach
  void close() {
    if (this.model != null) {
      this.model.close();
    }
  }

  @Test
  void callIsObservedAsAGenAiChatOperation() {
    TestObservationRegistry registry = TestObservationRegistry.create();

    model(registry).call(new Prompt("hello"));

    TestObservationRegistryAssert.assertThat(registry)
        .doesNotHaveAnyRemainingCurrentObservation()
        .hasObservationWithNameEqualTo("gen_ai.client.operation")
        .that()
        .hasContextualNameEqualTo("chat test/tiny-qwen3")
        .hasLowCardinalityKeyValue("gen_ai.operation.name", "chat")
        .hasLowCardinalityKeyValue("gen_ai.system", "flashtensors")
        .hasLowCardinalityKeyValue("gen_ai.request.model", "test/tiny-qwen3")
        .hasLowCardinalityKeyValue("gen_ai.response.model", "test/tiny-qwen3")
        .hasHighCardinalityKeyValue("gen_ai.request.temperature", "0.5")
        .hasHighCardinalityKeyValue("gen_ai.request.top_k", "20")
        .hasHighCardinalityKeyValue("gen_ai.response.finish_reasons", "[\"stop\"]")
        .hasHighCardinalityKeyValue("gen_ai.usage.input_tokens", "7")
        .hasHighCardinalityKeyValue("gen_ai.usage.output_tokens", "3")
        .hasBeenStarted()
        .hasBeenStopped();
  }

  @Test
  void aModelGivenAsAFolderIsObservedUnderItsId() {
    TestObservationRegistry registry = TestObservationRegistry.create();
    ManagedChatEngine managed = new ManagedChatEngine("/models/tiny", () -> this.engine);
    managed.get();
    this.model =
        FlashTensorsChatModel.builder()
            .engine(managed)
            .defaultOptions(FlashTensorsChatOptions.builder().model("/models/tiny").build())
            .observationRegistry(registry)
            .build();

    assertThat(this.model.getOptions().getModel()).isEqualTo("test/tiny-qwen3");
    this.model.call(new Prompt("hello"));
    this.model.call(new Prompt("hello", ChatOptions.builder().model("/models/tiny").build()));

    TestObservationRegistryAssert.assertThat(registry)
        .hasNumberOfObservationsWithNameEqualTo("gen_ai.client.operation", 2)
        .forAllObservationsWithNameEqualTo(
            "gen_ai.client.operation",
            observation ->
                observation.hasLowCardinalityKeyValue("gen_ai.request.model", "test/tiny-qwen3"));
  }

  @Test
  void streamIsObservedWithTheAggregatedResponse() {
    TestObservationRegistry registry = TestObservationRegistry.create();

    model(registry).stream(new Prompt("hello")).blockLast();

    // The observation stops in doFinally, just after the subscriber saw the completion.
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                TestObservationRegistryAssert.assertThat(registry)
                    .hasObservationWithNameEqualTo("gen_ai.client.operation")
                    .that()
                    .hasBeenStopped()
                    .hasHighCardinalityKeyValue("gen_ai.request.stream", "true")
                    .hasHighCardinalityKeyValue("gen_ai.usage.output_tokens", "3")
                    .hasHighCardinalityKeyValue("gen_ai.response.finish_reasons", "[\"stop\"]"));
  }

  @Test
  void observationsBecomeSpringAiMeters() {
    MeterRegistry meters = new SimpleMeterRegistry();
    ObservationRegistry registry = ObservationRegistry.create();
    registry
        .observationConfig()
        .observationHandler(new ChatModelMeterObservationHandler(meters))
        .observationHandler(new DefaultMeterObservationHandler(meters));

    model(registry).call(new Prompt("hello"));
    model.stream(new Prompt("again")).blockLast();

    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> meters.find("gen_ai.client.operation").timer().count() == 2);
    assertThat(
            meters
                .get("gen_ai.client.operation")
                .tag("gen_ai.system", "flashtensors")
                .timer()
                .count())
        .isEqualTo(2);
    assertThat(
            meters
                .get("gen_ai.client.token.usage")
                .tag("gen_ai.token.type", "input")
                .tag("gen_ai.response.model", "test/tiny-qwen3")
                .counter()
                .count())
        .isEqualTo(14);
    assertThat(
            meters
                .get("gen_ai.client.token.usage")
                .tag("gen_ai.token.type", "output")
                .counter()
                .count())
        .isEqualTo(6);
  }
}
