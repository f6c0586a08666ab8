package io.flashtensors.spring.ai;

import io.flashtensors.llm.ChatEngine;
import io.flashtensors.llm.ChatRequest;
import io.flashtensors.llm.ChatResult;
import io.flashtensors.llm.ModelDescriptor;
import io.flashtensors.spring.model.ManagedChatEngine;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.MessageAggregator;
import org.springframework.ai.chat.model.StreamingChatModel;
import org.springframework.ai.chat.observation.ChatModelObservationContext;
import org.springframework.ai.chat.observation.ChatModelObservationConvention;
import org.springframework.ai.chat.observation.ChatModelObservationDocumentation;
import org.springframework.ai.chat.observation.DefaultChatModelObservationConvention;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import reactor.core.publisher.Flux;

/**
 * A Spring AI {@link ChatModel} answering with a local Qwen3 model through a flashtensors {@link
 * ChatEngine}.
 *
 * <p>Options follow Spring AI 2.0: a prompt's options are used as given, and a prompt without
 * options gets {@link #getOptions()}; merging is {@code ChatClient}'s job. Tool calls come back as
 * {@link org.springframework.ai.chat.messages.AssistantMessage.ToolCall}s with finish reason {@code
 * tool_calls}; running them is left to {@code ChatClient}'s tool-calling advisor. Reasoning ({@code
 * <think>}) is kept apart from the answer, under the {@value #THINKING_KEY} key of the assistant
 * message's metadata and of the generation metadata.
 *
 * <p>Streams emit one chunk per decoded piece. Reasoning chunks have empty text and their piece
 * under {@value #THINKING_KEY}; the last chunk has the finish reason, the usage, any tool calls and
 * the whole reasoning. Requests share the engine through a bounded queue: at most the engine's
 * {@link ChatEngine#maxConcurrentRequests()} run at once, at most {@code queueSize} wait, each for
 * at most {@code waitTimeout}; beyond that a request fails with {@link ModelBusyException}.
 */
public final class FlashTensorsChatModel implements ChatModel, StreamingChatModel, AutoCloseable {

  /** The {@code gen_ai.system} of observations. */
  public static final String PROVIDER = "flashtensors";

  /** Metadata key of reasoning text, as Spring AI's Ollama model names it. */
  public static final String THINKING_KEY = "thinking";

  /** Response metadata key of the device that answered ({@code cpu}, {@code cuda:0}). */
  public static final String DEVICE_KEY = "device";

  private static final ChatModelObservationConvention DEFAULT_OBSERVATION_CONVENTION =
      new DefaultChatModelObservationConvention();

  private final ManagedChatEngine engine;
  private final FlashTensorsChatOptions defaultOptions;
  private final ObservationRegistry observationRegistry;
  private final int queueSize;
  private final Duration waitTimeout;
  private final ExecutorService generators;
  private final Object gateLock = new Object();
  private volatile RequestGate gate;
  private ChatModelObservationConvention observationConvention = DEFAULT_OBSERVATION_CONVENTION;

  private FlashTensorsChatModel(Builder builder) {
    this.engine = Objects.requireNonNull(builder.engine, "engine must be set");
    this.defaultOptions = builder.defaultOptions;
    this.observationRegistry = builder.observationRegistry;
    this.queueSize = builder.queueSize;
    this.waitTimeout = builder.waitTimeout;
    this.generators = Executors.newCachedThreadPool(generatorThreads());
  }

  /** A builder; {@link Builder#engine} is required. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public ChatResponse call(Prompt prompt) {
    Prompt request = withOptions(prompt);
    FlashTensorsChatOptions options = checkedOptions(request);
    request = request.mutate().chatOptions(options).build();
    ChatRequest chatRequest = RequestMapper.toChatRequest(request.getInstructions(), options);
    ChatModelObservationContext context =
        ChatModelObservationContext.builder().prompt(request).provider(PROVIDER).build();
    return ChatModelObservationDocumentation.CHAT_MODEL_OPERATION
        .observation(
            this.observationConvention,
            DEFAULT_OBSERVATION_CONVENTION,
            () -> context,
            this.observationRegistry)
        .observe(
            () -> {
              ChatEngine engine = this.engine.get();
              ChatResult result;
              RequestGate.Turn turn = enter(gate(engine));
              try {
                result =
                    engine.chat(
                        chatRequest, (piece, kind) -> !Thread.currentThread().isInterrupted());
              } finally {
                turn.close();
              }
              ChatResponse response =
                  ResponseMapper.finalResponse(newId(), result, engine.descriptor(), false);
              context.setResponse(response);
              return response;
            });
  }

  @Override
  public Flux<ChatResponse> stream(Prompt prompt) {
    return Flux.deferContextual(
        contextView -> {
          FlashTensorsChatOptions options = checkedOptions(withOptions(prompt));
          Prompt request = prompt.mutate().chatOptions(options).build();
          ChatRequest chatRequest = RequestMapper.toChatRequest(request.getInstructions(), options);
          ChatModelObservationContext context =
              ChatModelObservationContext.builder()
                  .prompt(request)
                  .provider(PROVIDER)
                  .streaming(true)
                  .build();
          Observation observation =
              ChatModelObservationDocumentation.CHAT_MODEL_OPERATION.observation(
                  this.observationConvention,
                  DEFAULT_OBSERVATION_CONVENTION,
                  () -> context,
                  this.observationRegistry);
          Observation parent = contextView.getOrDefault(ObservationThreadLocalAccessor.KEY, null);
          observation.parentObservation(parent);
          // Started inside the parent's scope so tracers parent the span correctly.
          Observation.Scope parentScope =
              parent != null ? parent.openScope() : Observation.Scope.NOOP;
          try {
            observation.start();
          } finally {
            parentScope.close();
          }
          String responseId = newId();
          Flux<ChatResponse> chunks =
              Flux.<ChatResponse>create(
                      sink ->
                          this.generators.execute(
                              new StreamingGeneration(
                                  sink,
                                  responseId,
                                  this.engine::get,
                                  this::gate,
                                  chatRequest,
                                  this.waitTimeout)))
                  .doOnError(observation::error)
                  .doFinally(signal -> observation.stop())
                  .contextWrite(ctx -> ctx.put(ObservationThreadLocalAccessor.KEY, observation));
          return new MessageAggregator().aggregate(chunks, context::setResponse);
        });
  }

  /**
   * The options a prompt without options gets. Once the model is loaded, a model given as a folder
   * reads as the model's id, so observations and meters name the model, not the path.
   */
  @Override
  public FlashTensorsChatOptions getOptions() {
    return withModelId(this.defaultOptions);
  }

  /** Describes the model, loading it first when it is not loaded yet. */
  public ModelDescriptor descriptor() {
    return this.engine.get().descriptor();
  }

  /** Reports observations with this convention instead of Spring AI's default one. */
  public void setObservationConvention(ChatModelObservationConvention observationConvention) {
    this.observationConvention =
        Objects.requireNonNull(observationConvention, "observationConvention");
  }

  /** Stops the generator threads; the engine belongs to its {@link ManagedChatEngine}. */
  @Override
  public void close() {
    this.generators.shutdownNow();
  }

  private Prompt withOptions(Prompt prompt) {
    Objects.requireNonNull(prompt, "prompt");
    return prompt.getOptions() == null
        ? prompt.mutate().chatOptions(this.defaultOptions).build()
        : prompt;
  }

  private FlashTensorsChatOptions checkedOptions(Prompt prompt) {
    ChatOptions given = Objects.requireNonNull(prompt.getOptions(), "options");
    FlashTensorsChatOptions options = FlashTensorsChatOptions.from(given);
    String model = options.getModel();
    if (model != null && !servesModel(model)) {
      throw new IllegalArgumentException(
          "this chat model serves '%s'; the request asked for model '%s'"
              .formatted(this.engine.modelReference(), model));
    }
    return withModelId(options);
  }

  private FlashTensorsChatOptions withModelId(FlashTensorsChatOptions options) {
    String model = options.getModel();
    if (model == null || !model.equals(this.engine.modelReference())) {
      return options;
    }
    return this.engine
        .ifLoaded()
        .map(engine -> engine.descriptor().id())
        .filter(id -> !id.equals(model))
        .map(id -> options.mutate().model(id).build())
        .orElse(options);
  }

  private boolean servesModel(String model) {
    return model.equals(this.engine.modelReference())
        || model.equals(this.defaultOptions.getModel())
        || this.engine.ifLoaded().map(e -> e.descriptor().id().equals(model)).orElse(false);
  }

  private RequestGate gate(ChatEngine engine) {
    RequestGate current = this.gate;
    if (current == null) {
      synchronized (this.gateLock) {
        current = this.gate;
        if (current == null) {
          current =
              new RequestGate(
                  Math.max(1, engine.maxConcurrentRequests()), this.queueSize, this.waitTimeout);
          this.gate = current;
        }
      }
    }
    return current;
  }

  private static RequestGate.Turn enter(RequestGate gate) {
    try {
      return gate.enter();
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the model", ex);
    }
  }

  private static String newId() {
    return "chat-" + UUID.randomUUID();
  }

  private static ThreadFactory generatorThreads() {
    return Thread.ofPlatform().name("flashtensors-generate-", 0).daemon(true).factory();
  }

  /** Builds a {@link FlashTensorsChatModel}. */
  public static final class Builder {

    private ManagedChatEngine engine;
    private FlashTensorsChatOptions defaultOptions = FlashTensorsChatOptions.builder().build();
    private ObservationRegistry observationRegistry = ObservationRegistry.NOOP;
    private int queueSize = 16;
    private Duration waitTimeout = Duration.ofSeconds(60);

    private Builder() {}

    /** The engine, loaded on first use; required. */
    public Builder engine(ManagedChatEngine engine) {
      this.engine = Objects.requireNonNull(engine, "engine");
      return this;
    }

    /** An engine that is already loaded; the caller keeps ownership and closes it. */
    public Builder engine(ChatEngine engine) {
      return engine(ManagedChatEngine.of(engine));
    }

    /** Options of prompts that carry none. */
    public Builder defaultOptions(FlashTensorsChatOptions defaultOptions) {
      this.defaultOptions = Objects.requireNonNull(defaultOptions, "defaultOptions");
      return this;
    }

    /** Where observations go; none by default. */
    public Builder observationRegistry(ObservationRegistry observationRegistry) {
      this.observationRegistry = Objects.requireNonNull(observationRegistry, "observationRegistry");
      return this;
    }

    /** How many requests may wait while the engine is busy (default 16; 0: none wait). */
    public Builder queueSize(int queueSize) {
      if (queueSize < 0) {
        throw new IllegalArgumentException("queueSize must not be negative, was " + queueSize);
      }
      this.queueSize = queueSize;
      return this;
    }

    /**
     * The longest a request waits for its turn, and the longest a stream waits for its subscriber
     * to ask for more (default 60 s).
     */
    public Builder waitTimeout(Duration waitTimeout) {
      if (waitTimeout.isNegative()) {
        throw new IllegalArgumentException("waitTimeout must not be negative, was " + waitTimeout);
      }
      this.waitTimeout = waitTimeout;
      return this;
    }

    public FlashTensorsChatModel build() {
      return new FlashTensorsChatModel(this);
    }
  }
}
