package io.flashtensors.spring.ai;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.model.tool.DefaultToolCallingChatOptions;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.tool.ToolCallback;

/**
 * Options of a flashtensors chat request: the portable Spring AI options, tools, and what Qwen3
 * adds (seed, min-p, thinking). Immutable; {@link #mutate()} gives a builder preloaded with these
 * values, and {@link Builder#combineWith} lays another builder's non-null values over them.
 *
 * <p>A null value means "not set": the engine then uses the model's {@code generation_config.json}
 * default, else its own.
 */
public final class FlashTensorsChatOptions implements ToolCallingChatOptions {

  private final @Nullable String model;
  private final @Nullable Double frequencyPenalty;
  private final @Nullable Integer maxTokens;
  private final @Nullable Double presencePenalty;
  private final @Nullable List<String> stopSequences;
  private final @Nullable Double temperature;
  private final @Nullable Integer topK;
  private final @Nullable Double topP;
  private final @Nullable Double minP;
  private final @Nullable Long seed;
  private final @Nullable Boolean thinking;
  private final @Nullable List<ToolCallback> toolCallbacks;
  private final @Nullable Map<String, Object> toolContext;

  private FlashTensorsChatOptions(
      @Nullable String model,
      @Nullable Double frequencyPenalty,
      @Nullable Integer maxTokens,
      @Nullable Double presencePenalty,
      @Nullable List<String> stopSequences,
      @Nullable Double temperature,
      @Nullable Integer topK,
      @Nullable Double topP,
      @Nullable Double minP,
      @Nullable Long seed,
      @Nullable Boolean thinking,
      @Nullable List<ToolCallback> toolCallbacks,
      @Nullable Map<String, Object> toolContext) {
    this.model = model;
    this.frequencyPenalty = frequencyPenalty;
    this.maxTokens = maxTokens;
    this.presencePenalty = presencePenalty;
    this.stopSequences = stopSequences == null ? null : List.copyOf(stopSequences);
    this.temperature = temperature;
    this.topK = topK;
    this.topP = topP;
    this.minP = minP;
    this.seed = seed;
    this.thinking = thinking;
    this.toolCallbacks = toolCallbacks == null ? null : List.copyOf(toolCallbacks);
    this.toolContext = toolContext == null ? null : Map.copyOf(toolContext);
  }

  /** A builder with nothing set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads any {@link ChatOptions} as flashtensors options: the portable fields, the tools when it
   * is a {@link ToolCallingChatOptions}, and everything when it already is one of ours.
   */
  public static FlashTensorsChatOptions from(ChatOptions options) {
    if (options instanceof FlashTensorsChatOptions ours) {
      return ours;
    }
    Builder builder =
        builder()
            .model(options.getModel())
            .frequencyPenalty(options.getFrequencyPenalty())
            .maxTokens(options.getMaxTokens())
            .presencePenalty(options.getPresencePenalty())
            .stopSequences(options.getStopSequences())
            .temperature(options.getTemperature())
            .topK(options.getTopK())
            .topP(options.getTopP());
    if (options instanceof ToolCallingChatOptions tools) {
      builder.toolCallbacks(tools.getToolCallbacks()).toolContext(tools.getToolContext());
    }
    return builder.build();
  }

  @Override
  public Builder mutate() {
    return builder()
        .model(this.model)
        .frequencyPenalty(this.frequencyPenalty)
        .maxTokens(this.maxTokens)
        .presencePenalty(this.presencePenalty)
        .stopSequences(this.stopSequences)
        .temperature(this.temperature)
        .topK(this.topK)
        .topP(this.topP)
        .minP(this.minP)
        .seed(this.seed)
        .thinking(this.thinking)
        .toolCallbacks(this.toolCallbacks)
        .toolContext(this.toolContext);
  }

  @Override
  public @Nullable String getModel() {
    return this.model;
  }

  @Override
  public @Nullable Double getFrequencyPenalty() {
    return this.frequencyPenalty;
  }

  @Override
  public @Nullable Integer getMaxTokens() {
    return this.maxTokens;
  }

  @Override
  public @Nullable Double getPresencePenalty() {
    return this.presencePenalty;
  }

  @Override
  public @Nullable List<String> getStopSequences() {
    return this.stopSequences;
  }

  @Override
  public @Nullable Double getTemperature() {
    return this.temperature;
  }

  @Override
  public @Nullable Integer getTopK() {
    return this.topK;
  }

  @Override
  public @Nullable Double getTopP() {
    return this.topP;
  }

  /** Drops tokens less likely than this fraction of the most likely one; null: not set. */
  public @Nullable Double getMinP() {
    return this.minP;
  }

  /** Seed of the random draw; the same seed, prompt and options give the same answer. */
  public @Nullable Long getSeed() {
    return this.seed;
  }

  /** Whether Qwen3 may think before answering; null: the model's default (on). */
  public @Nullable Boolean getThinking() {
    return this.thinking;
  }

  @Override
  public @Nullable List<ToolCallback> getToolCallbacks() {
    return this.toolCallbacks;
  }

  @Override
  public @Nullable Map<String, Object> getToolContext() {
    return this.toolContext;
  }

  @Override
  public boolean equals(@Nullable Object other) {
    return other instanceof FlashTensorsChatOptions that
        && Objects.equals(this.model, that.model)
        && Objects.equals(this.frequencyPenalty, that.frequencyPenalty)
        && Objects.equals(this.maxTokens, that.maxTokens)
        && Objects.equals(this.presencePenalty, that.presencePenalty)
        && Objects.equals(this.stopSequences, that.stopSequences)
        && Objects.equals(this.temperature, that.temperature)
        && Objects.equals(this.topK, that.topK)
        && Objects.equals(this.topP, that.topP)
        && Objects.equals(this.minP, that.minP)
        && Objects.equals(this.seed, that.seed)
        && Objects.equals(this.thinking, that.thinking)
        && Objects.equals(this.toolCallbacks, that.toolCallbacks)
        && Objects.equals(this.toolContext, that.toolContext);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        this.model,
        this.frequencyPenalty,
        this.maxTokens,
        this.presencePenalty,
        this.stopSequences,
        this.temperature,
        this.topK,
        this.topP,
        this.minP,
        this.seed,
        this.thinking,
        this.toolCallbacks,
        this.toolContext);
  }

  @Override
  public String toString() {
    return "FlashTensorsChatOptions{model=%s, temperature=%s, topP=%s, topK=%s, minP=%s, maxTokens=%s, seed=%s, stop=%s, presencePenalty=%s, frequencyPenalty=%s, thinking=%s, tools=%s}"
        .formatted(
            this.model,
            this.temperature,
            this.topP,
            this.topK,
            this.minP,
            this.maxTokens,
            this.seed,
            this.stopSequences,
            this.presencePenalty,
            this.frequencyPenalty,
            this.thinking,
            this.toolCallbacks == null
                ? List.of()
                : this.toolCallbacks.stream().map(t -> t.getToolDefinition().name()).toList());
  }

  /**
   * Builds {@link FlashTensorsChatOptions}. {@link #combineWith} follows Spring AI: non-null
   * scalars of the other builder win, stop sequences and tool callbacks are appended, tool context
   * entries are merged.
   */
  public static final class Builder extends DefaultToolCallingChatOptions.Builder<Builder> {

    private @Nullable Double minP;
    private @Nullable Long seed;
    private @Nullable Boolean thinking;

    private Builder() {}

    /** Drops tokens less likely than this fraction of the most likely one (0: none). */
    public Builder minP(@Nullable Double minP) {
      this.minP = minP;
      return this;
    }

    /** Seed of the random draw. */
    public Builder seed(@Nullable Long seed) {
      this.seed = seed;
      return this;
    }

    /** Whether Qwen3 may think ({@code <think>...</think>}) before answering. */
    public Builder thinking(@Nullable Boolean thinking) {
      this.thinking = thinking;
      return this;
    }

    @Override
    public Builder combineWith(ChatOptions.Builder<?> other) {
      super.combineWith(other);
      if (other instanceof Builder that) {
        if (that.minP != null) {
          this.minP = that.minP;
        }
        if (that.seed != null) {
          this.seed = that.seed;
        }
        if (that.thinking != null) {
          this.thinking = that.thinking;
        }
      }
      return this;
    }

    @Override
    public FlashTensorsChatOptions build() {
      return new FlashTensorsChatOptions(
          this.model,
          this.frequencyPenalty,
          this.maxTokens,
          this.presencePenalty,
          this.stopSequences,
          this.temperature,
          this.topK,
          this.topP,
          this.minP,
          this.seed,
          this.thinking,
          this.toolCallbacks,
          this.toolContext);
    }
  }
}
