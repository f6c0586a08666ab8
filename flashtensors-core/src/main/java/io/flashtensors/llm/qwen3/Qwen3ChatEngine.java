package io.flashtensors.llm.qwen3;

import io.flashtensors.cuda.Cuda;
import io.flashtensors.cuda.CudaDevice;
import io.flashtensors.llm.ChatEngine;
import io.flashtensors.llm.ChatRequest;
import io.flashtensors.llm.ChatResult;
import io.flashtensors.llm.FinishReason;
import io.flashtensors.llm.ModelDescriptor;
import io.flashtensors.llm.SamplingOptions;
import io.flashtensors.llm.TokenListener;
import io.flashtensors.llm.ToolCall;
import io.flashtensors.llm.chat.ParsedOutput;
import io.flashtensors.llm.chat.Qwen3ChatTemplate;
import io.flashtensors.llm.chat.Qwen3OutputParser;
import io.flashtensors.llm.chat.Qwen3SpecialTokens;
import io.flashtensors.llm.generate.ForwardPass;
import io.flashtensors.llm.generate.GenerationListener;
import io.flashtensors.llm.generate.GenerationRequest;
import io.flashtensors.llm.generate.GenerationResult;
import io.flashtensors.llm.generate.Generator;
import io.flashtensors.llm.generate.IncrementalDecoder;
import io.flashtensors.llm.generate.ModelBackend;
import io.flashtensors.llm.generate.SamplingParams;
import io.flashtensors.llm.qwen3.cpu.CpuQwen3Backend;
import io.flashtensors.llm.qwen3.cuda.CudaPrecision;
import io.flashtensors.llm.qwen3.cuda.CudaQwen3Backend;
import io.flashtensors.llm.tokenizer.StreamingDecoder;
import io.flashtensors.llm.tokenizer.Tokenizer;
import io.flashtensors.llm.tokenizer.TokenizerConfig;
import io.flashtensors.llm.tokenizer.TokenizerFiles;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.load.gpu.GpuLoader;
import io.flashtensors.load.gpu.GpuLoaderOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A Qwen3 model that chats: renders the conversation with the Qwen3 chat template, tokenizes it,
 * generates on its backend (CPU, or a device backend), and splits the output into reasoning, answer
 * and tool calls as it streams. One request runs at a time; others wait.
 */
public final class Qwen3ChatEngine implements ChatEngine {

  private final Qwen3Model model;
  private final ModelBackend backend;
  private final Tokenizer tokenizer;
  private final Qwen3SpecialTokens specialTokens;
  private final int contextLength;
  private final ReentrantLock lock = new ReentrantLock();

  /**
   * An engine over a loaded model and a backend built on its weights; it owns both and closes them.
   *
   * @param tokenizer the model's tokenizer, or null (then only {@link #generate} with token ids
   *     works)
   * @param tokenizerConfig its tokenizer_config.json (chat template check, eos), or {@link
   *     TokenizerConfig#none()}
   * @param contextLength the most tokens one request may hold (at most max_position_embeddings)
   */
  public Qwen3ChatEngine(
      Qwen3Model model,
      ModelBackend backend,
      Tokenizer tokenizer,
      TokenizerConfig tokenizerConfig,
      int contextLength) {
    if (contextLength < 2 || contextLength > model.config().maxPositionEmbeddings()) {
      throw new IllegalArgumentException(
          "context length must be in [2, %d] (max_position_embeddings), not %d"
              .formatted(model.config().maxPositionEmbeddings(), contextLength));
    }
    this.model = model;
    this.backend = backend;
    this.tokenizer = tokenizer;
    this.contextLength = contextLength;
    if (tokenizer != null) {
      Qwen3ChatTemplate.forConfig(tokenizerConfig);
      this.specialTokens = Qwen3SpecialTokens.of(tokenizer, tokenizerConfig);
    } else {
      this.specialTokens = null;
    }
  }

  /**
   * Loads the model in {@code path} with its tokenizer (when the folder has one) on the CPU.
   *
   * @param contextLength most tokens a request may hold; 0: the model's max_position_embeddings
   * @param threads CPU threads; 0: one per available processor
   */
  public static Qwen3ChatEngine openCpu(
      Path path, FlashLoader loader, int contextLength, int threads) throws IOException {
    return openCpu(Qwen3Model.load(path, loader), contextLength, threads);
  }

  /**
   * An engine on the CPU over a model whose weights are in host memory already (loaded, or mapped
   * from the daemon's shared memory); it owns the model.
   *
   * @param contextLength most tokens a request may hold; 0: the model's max_position_embeddings
   * @param threads CPU threads; 0: one per available processor
   */
  public static Qwen3ChatEngine openCpu(Qwen3Model model, int contextLength, int threads)
      throws IOException {
    CpuQwen3Backend backend = null;
    try {
      backend =
          new CpuQwen3Backend(
              model.config(), model.weights(), threads, CpuQwen3Backend.DEFAULT_PREFILL_BLOCK);
      return withTokenizer(model, backend, contextLength);
    } catch (IOException | RuntimeException e) {
      if (backend != null) {
        backend.close();
      }
      model.close();
      throw e;
    }
  }

  /**
   * Loads the model in {@code path} into the memory of GPU {@code device} (streamed through a small
   * pinned ring by the GPU loader) and runs it there with the CUDA backend.
   *
   * @param contextLength most tokens a request may hold; 0: the model's max_position_embeddings
   */
  public static Qwen3ChatEngine openCuda(
      Path path, int device, int contextLength, CudaPrecision precision) throws IOException {
    GpuLoaderOptions options =
        GpuLoaderOptions.builder().memPoolSize(256L << 20).chunkSize(16L << 20).build();
    return openCuda(
        Qwen3Model.loadOnGpu(path, GpuLoader.create(options), device, true),
        contextLength,
        precision);
  }

  /**
   * As {@link #openCuda(Path, int, int, CudaPrecision)}, through the caller's GPU loader (its
   * pinned pool and resident cache, e.g. an application's), which stays the caller's to close.
   */
  public static Qwen3ChatEngine openCuda(
      Path path, GpuLoader loader, int device, int contextLength, CudaPrecision precision)
      throws IOException {
    return openCuda(Qwen3Model.loadOnGpu(path, loader, device, false), contextLength, precision);
  }

  /**
   * An engine on the GPU over a model whose weights are in GPU memory already (loaded by a {@link
   * GpuLoader}, or copied in by the daemon); it owns the model.
   *
   * @param contextLength most tokens a request may hold; 0: the model's max_position_embeddings
   */
  public static Qwen3ChatEngine openCuda(
      Qwen3Model model, int contextLength, CudaPrecision precision) throws IOException {
    CudaQwen3Backend backend = null;
    try {
      backend = new CudaQwen3Backend(model.config(), model.deviceTensors(), precision, true);
      return withTokenizer(model, backend, contextLength);
    } catch (IOException | RuntimeException e) {
      if (backend != null) {
        backend.close();
      }
      model.close();
      throw e;
    }
  }

  /**
   * Loads the model in {@code path} where {@code device} says: {@code cpu}; {@code cuda}, {@code
   * cuda:N} or a GPU UUID (fails with the reason when that GPU cannot be used); or {@code auto}:
   * the first GPU when CUDA can be used, else the CPU, telling {@code notice} why.
   *
   * @param contextLength most tokens a request may hold; 0: the model's max_position_embeddings
   * @param threads CPU threads (CPU only); 0: one per available processor
   */
  public static Qwen3ChatEngine open(
      Path path, String device, int contextLength, int threads, Consumer<String> notice)
      throws IOException {
    String d = device.strip().toLowerCase(Locale.ROOT);
    if (d.equals("cpu")) {
      return openCpu(path, FlashLoader.create(), contextLength, threads);
    }
    if (d.equals("auto")) {
      if (!Cuda.isAvailable()) {
        notice.accept("no usable GPU (" + Cuda.availability().reason() + "); running on the CPU");
        return openCpu(path, FlashLoader.create(), contextLength, threads);
      }
      return openCuda(path, 0, contextLength, CudaPrecision.FAST);
    }
    CudaDevice gpu = Cuda.device(device.strip());
    return openCuda(path, gpu.index(), contextLength, CudaPrecision.FAST);
  }

  private static Qwen3ChatEngine withTokenizer(
      Qwen3Model model, ModelBackend backend, int contextLength) throws IOException {
    Tokenizer tokenizer = null;
    TokenizerConfig tokenizerConfig = TokenizerConfig.none();
    if (model.hasTokenizer()) {
      TokenizerFiles files = TokenizerFiles.locate(model.folder());
      tokenizer = Tokenizer.load(model.folder());
      tokenizerConfig = TokenizerConfig.load(files);
    }
    int context = contextLength > 0 ? contextLength : model.config().maxPositionEmbeddings();
    return new Qwen3ChatEngine(model, backend, tokenizer, tokenizerConfig, context);
  }

  @Override
  public ModelDescriptor descriptor() {
    return new ModelDescriptor(
        model.id(),
        model.config().architecture(),
        backend.device(),
        contextLength,
        model.parameterBytes(),
        model.loadSeconds());
  }

  /** The loaded model. */
  public Qwen3Model model() {
    return model;
  }

  /** The tokenizer, or null when the model folder has none. */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** The prompt text of a request (the chat template with the generation prompt). */
  public String renderPrompt(ChatRequest request) {
    requireTokenizer();
    return Qwen3ChatTemplate.instance().render(request);
  }

  /** The token ids of a request's prompt. */
  public int[] promptIds(ChatRequest request) {
    return tokenizer.encode(renderPrompt(request));
  }

  @Override
  public ChatResult chat(ChatRequest request, TokenListener listener) {
    int[] ids = promptIds(request);
    Qwen3OutputParser parser = new Qwen3OutputParser();
    GenerationResult result =
        generate(ids, request.sampling(), (id, text) -> parser.accept(text, listener));
    ParsedOutput parsed = parser.finish(listener);
    // A <tool_call> block that cannot be read is an error the caller sees, not a dropped call.
    List<ToolCall> toolCalls = parsed.requireWellFormedToolCalls();
    FinishReason finish = result.finishReason();
    if (finish == FinishReason.STOP && !toolCalls.isEmpty()) {
      finish = FinishReason.TOOL_CALLS;
    }
    return new ChatResult(
        parsed.content(),
        parsed.reasoning(),
        toolCalls,
        Arrays.stream(result.outputIds()).boxed().toList(),
        result.promptTokens(),
        result.completionTokens(),
        finish,
        result.timings());
  }

  /**
   * Generates from token ids as they are (no template). The output is decoded when the model has a
   * tokenizer; generation stops at the model's stop tokens (generation_config.json, config.json,
   * and the chat format's end-of-turn tokens).
   */
  public GenerationResult generate(
      int[] promptIds, SamplingOptions options, GenerationListener listener) {
    GenerationDefaults defaults = model.generationDefaults();
    SamplingParams params = defaults.samplingParams(options);
    if (promptIds.length >= contextLength) {
      throw new IllegalArgumentException(
          "the prompt has %d tokens; the context holds %d"
              .formatted(promptIds.length, contextLength));
    }
    int maxTokens = defaults.maxTokens(options, promptIds.length, contextLength);
    if (tokenizer == null && !options.stopSequences().isEmpty()) {
      throw new IllegalArgumentException(
          model.folder() + " has no tokenizer.json, so stop sequences cannot be matched");
    }
    GenerationRequest request =
        new GenerationRequest(
            promptIds,
            params,
            maxTokens,
            stopTokens(),
            options.stopSequences(),
            tokenizer == null ? model.config().vocabSize() : tokenizer.vocabularySize());
    lock.lock();
    try (ForwardPass pass = backend.newForwardPass(promptIds.length + maxTokens)) {
      return Generator.generate(pass, decoder(), request, listener);
    } finally {
      lock.unlock();
    }
  }

  /** Tokens that end generation. */
  public Set<Integer> stopTokens() {
    Set<Integer> stops =
        new LinkedHashSet<>(
            GenerationDefaults.stopTokens(model.config(), model.generationDefaults()));
    if (specialTokens != null) {
      for (int id : specialTokens.stopTokenIds()) {
        stops.add(id);
      }
    }
    return stops;
  }

  private IncrementalDecoder decoder() {
    if (tokenizer == null) {
      return null;
    }
    StreamingDecoder stream = tokenizer.newStreamingDecoder(false);
    return new IncrementalDecoder() {
      @Override
      public String push(int tokenId) {
        return stream.push(tokenId);
      }

      @Override
      public String finish() {
        return stream.finish();
      }
    };
  }

  private void requireTokenizer() {
    if (tokenizer == null) {
      throw new IllegalStateException(
          model.folder() + " has no tokenizer.json: give the prompt as token ids");
    }
  }

  /** Closes the backend, then frees the weights. */
  @Override
  public void close() {
    try {
      backend.close();
    } finally {
      model.close();
    }
  }
}
