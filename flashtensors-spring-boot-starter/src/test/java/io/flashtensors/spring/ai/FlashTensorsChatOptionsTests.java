package io.flashtensors.spring.ai;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.function.FunctionToolCallback;

class FlashTensorsChatOptionsTests {

  private final FlashTensorsChatOptions full =
      FlashTensorsChatOptions.builder()
          .model("Qwen/Qwen3-0.6B")
          .temperature(0.6)
          .topP(0.95)
          .topK(20)
          .minP(0.05)
          .maxTokens(128)
          .seed(42L)
          .stopSequences(List.of("END"))
          .presencePenalty(0.5)
          .frequencyPenalty(0.25)
          .thinking(false)
          .toolCallbacks(List.of(tool("weather")))
          .toolContext(Map.of("user", "ada"))
          .build();

  @Test
  void mutateThenBuildGivesEqualOptions() {
    FlashTensorsChatOptions copy = this.full.mutate().build();

    assertThat(copy).isEqualTo(this.full).hasSameHashCodeAs(this.full).isNotSameAs(this.full);
    assertThat(copy.getMinP()).isEqualTo(0.05);
    assertThat(copy.getSeed()).isEqualTo(42L);
    assertThat(copy.getThinking()).isFalse();
    assertThat(copy.getToolContext()).containsEntry("user", "ada");
  }

  @Test
  void mutateDoesNotChangeTheOriginal() {
    this.full.mutate().temperature(1.5).stopSequences(List.of("x")).build();

    assertThat(this.full.getTemperature()).isEqualTo(0.6);
    assertThat(this.full.getStopSequences()).containsExactly("END");
  }

  @Test
  void combineWithTakesTheOthersSetValuesAndKeepsTheRest() {
    FlashTensorsChatOptions combined =
        this.full
            .mutate()
            .combineWith(
                FlashTensorsChatOptions.builder()
                    .temperature(0.0)
                    .seed(7L)
                    .thinking(true)
                    .stopSequences(List.of("STOP")))
            .build();

    assertThat(combined.getTemperature()).isEqualTo(0.0);
    assertThat(combined.getSeed()).isEqualTo(7L);
    assertThat(combined.getThinking()).isTrue();
    assertThat(combined.getTopK()).isEqualTo(20);
    assertThat(combined.getMinP()).isEqualTo(0.05);
    assertThat(combined.getModel()).isEqualTo("Qwen/Qwen3-0.6B");
    assertThat(combined.getStopSequences()).containsExactly("END", "STOP");
  }

  @Test
  void combineWithAPortableBuilderKeepsOurOwnFields() {
    // What ChatClient does: defaults.mutate().combineWith(ChatOptions.builder()...)
    ChatOptions combined =
        this.full.mutate().combineWith(ChatOptions.builder().maxTokens(16).topP(0.5)).build();

    assertThat(combined).isInstanceOf(FlashTensorsChatOptions.class);
    FlashTensorsChatOptions ours = (FlashTensorsChatOptions) combined;
    assertThat(ours.getMaxTokens()).isEqualTo(16);
    assertThat(ours.getTopP()).isEqualTo(0.5);
    assertThat(ours.getSeed()).isEqualTo(42L);
    assertThat(ours.getThinking()).isFalse();
  }

  @Test
  void combineWithAppendsToolCallbacksAndMergesToolContext() {
    FlashTensorsChatOptions combined =
        this.full
            .mutate()
            .combineWith(
                ToolCallingChatOptions.builder()
                    .toolCallbacks(List.of(tool("clock")))
                    .toolContext(Map.of("tenant", "t1")))
            .build();

    assertThat(combined.getToolCallbacks())
        .extracting(t -> t.getToolDefinition().name())
        .containsExactly("weather", "clock");
    assertThat(combined.getToolContext())
        .containsEntry("user", "ada")
        .containsEntry("tenant", "t1");
  }

  @Test
  void fromReadsPortableAndToolOptions() {
    FlashTensorsChatOptions converted =
        FlashTensorsChatOptions.from(
            ToolCallingChatOptions.builder()
                .model("m")
                .temperature(0.3)
                .topK(5)
                .toolCallbacks(List.of(tool("clock")))
                .build());

    assertThat(converted.getModel()).isEqualTo("m");
    assertThat(converted.getTemperature()).isEqualTo(0.3);
    assertThat(converted.getTopK()).isEqualTo(5);
    assertThat(converted.getSeed()).isNull();
    assertThat(converted.getToolCallbacks()).hasSize(1);
  }

  @Test
  void builderWithNothingSetHasOnlyNulls() {
    FlashTensorsChatOptions empty = FlashTensorsChatOptions.builder().build();

    assertThat(empty.getTemperature()).isNull();
    assertThat(empty.getStopSequences()).isNull();
    assertThat(empty.getToolCallbacks()).isNull();
    assertThat(empty).isEqualTo(FlashTensorsChatOptions.builder().build());
  }

  static ToolCallback tool(String name) {
    return FunctionToolCallback.builder(name, (Map<String, Object> input) -> "ok")
        .description("a test tool")
        .inputType(Map.class)
        .build();
  }
}
