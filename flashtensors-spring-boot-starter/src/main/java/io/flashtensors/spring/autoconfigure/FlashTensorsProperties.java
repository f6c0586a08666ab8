package io.flashtensors.spring.autoconfigure;

import io.flashtensors.spring.ai.FlashTensorsChatOptions;
import io.flashtensors.spring.model.PullPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of flashtensors: where models live, how they are loaded, and the chat model's
 * defaults.
 */
@ConfigurationProperties("flashtensors")
public final class FlashTensorsProperties {

  private static final Pattern DEVICE = Pattern.compile("auto|cpu|cuda(:\\d+)?|GPU-[0-9a-fA-F-]+");

  /** Folder of the model store. Defaults to ~/.flashtensors/models. */
  private final Path storagePath;

  /**
   * Memory for chunk buffers: staging buffers of host loads, and the pinned pool of GPU loads and
   * resident models. Unset: two chunks per reader thread.
   */
  private final DataSize memPoolSize;

  /** Size of the chunks weights are read and copied in. */
  private final DataSize chunkSize;

  /** Threads reading weights from disk. Unset: twice the available processors, at most 16. */
  private final Integer numThreads;

  /** Fraction of the GPU's memory the loader may allocate, between 0 and 1. */
  private final double gpuMemoryUtilization;

  /**
   * Where the model runs: auto (a GPU when there is one, else the CPU), cpu, cuda:N or a GPU UUID.
   */
  private final String device;

  /** Daemon holding a shared pool of resident models (remote mode). */
  private final Server server;

  /** Spring AI chat model and its default options. */
  private final Chat chat;

  public FlashTensorsProperties(
      Path storagePath,
      DataSize memPoolSize,
      @DefaultValue("32MB") DataSize chunkSize,
      Integer numThreads,
      @DefaultValue("0.9") double gpuMemoryUtilization,
      @DefaultValue("auto") String device,
      @DefaultValue Server server,
      @DefaultValue Chat chat) {
    this.storagePath =
        storagePath != null
            ? storagePath
            : Path.of(System.getProperty("user.home"), ".flashtensors", "models");
    this.memPoolSize =
        memPoolSize == null ? null : requirePositive("mem-pool-size", memPoolSize, true);
    this.chunkSize = requirePositive("chunk-size", chunkSize, false);
    if (numThreads != null && numThreads < 1) {
      throw new IllegalArgumentException(
          "flashtensors.num-threads must be at least 1, was " + numThreads);
    }
    this.numThreads = numThreads;
    if (!(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1)) {
      throw new IllegalArgumentException(
          "flashtensors.gpu-memory-utilization must be in (0, 1], was " + gpuMemoryUtilization);
    }
    this.gpuMemoryUtilization = gpuMemoryUtilization;
    if (!DEVICE.matcher(device).matches()) {
      throw new IllegalArgumentException(
          "flashtensors.device must be auto, cpu, cuda:N or a GPU UUID, was '" + device + "'");
    }
    this.device = device;
    this.server = server;
    this.chat = chat;
  }

  private static DataSize requirePositive(String name, DataSize size, boolean zeroAllowed) {
    if (size.isNegative() || (!zeroAllowed && size.toBytes() == 0)) {
      throw new IllegalArgumentException(
          "flashtensors."
              + name
              + " must be "
              + (zeroAllowed ? "0 or more" : "more than 0")
              + ", was "
              + size);
    }
    return size;
  }

  public Path getStoragePath() {
    return this.storagePath;
  }

  public DataSize getMemPoolSize() {
    return this.memPoolSize;
  }

  public DataSize getChunkSize() {
    return this.chunkSize;
  }

  public Integer getNumThreads() {
    return this.numThreads;
  }

  public double getGpuMemoryUtilization() {
    return this.gpuMemoryUtilization;
  }

  public String getDevice() {
    return this.device;
  }

  public Server getServer() {
    return this.server;
  }

  public Chat getChat() {
    return this.chat;
  }

  /** The flashtensors daemon. */
  public static final class Server {

    /** Whether to use a running flashtensors daemon instead of loading in this process. */
    private final boolean enabled;

    /** Address of the daemon. */
    private final String host;

    /** Port of the daemon. */
    private final int port;

    public Server(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("127.0.0.1") String host,
        @DefaultValue("8073") int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(
            "flashtensors.server.port must be in 1..65535, was " + port);
      }
      this.enabled = enabled;
      this.host = host;
      this.port = port;
    }

    public boolean isEnabled() {
      return this.enabled;
    }

    public String getHost() {
      return this.host;
    }

    public int getPort() {
      return this.port;
    }
  }

  /** The Spring AI chat model and its default options. */
  public static final class Chat {

    /** Whether to create the chat model when a model is configured. */
    private final boolean enabled;

    /**
     * Model to serve: an id in the model store (such as Qwen/Qwen3-0.6B) or a local folder in
     * Hugging Face layout. No chat model is created while it is unset.
     */
    private final String model;

    /** Whether a model missing from the store is downloaded at startup: never or when-missing. */
    private final PullPolicy pullOnStartup;

    /** Whether to load the model while the application starts rather than on the first request. */
    private final boolean loadOnStartup;

    /** Sampling temperature; 0 picks the most likely token. Unset: the model's default. */
    private final Double temperature;

    /** Nucleus sampling: keep the smallest set of tokens whose probability reaches this value. */
    private final Double topP;

    /** Keep only this many most likely tokens. */
    private final Integer topK;

    /** Drop tokens less likely than this fraction of the most likely one. */
    private final Double minP;

    /** Most tokens to generate for one answer. */
    private final Integer maxTokens;

    /** Seed of the random draw, for answers that repeat. */
    private final Long seed;

    /** Comma-separated list of texts that end the answer. */
    private final List<String> stop;

    /** Subtracted from the logit of every token already generated. */
    private final Double presencePenalty;

    /** Subtracted from a token's logit once for each time it was generated. */
    private final Double frequencyPenalty;

    /** Whether Qwen3 may think before answering. Unset: on, as the model's chat template does. */
    private final Boolean thinking;

    /** Most tokens one request may hold, prompt and answer. Unset: the model's maximum. */
    private final Integer contextLength;

    /** Requests that may wait while the model is busy; more get an error at once. */
    private final int queueSize;

    /**
     * Longest a request waits for its turn, and longest a stream waits for its reader, before it
     * fails.
     */
    private final Duration waitTimeout;

    public Chat(
        @DefaultValue("true") boolean enabled,
        String model,
        @DefaultValue("never") PullPolicy pullOnStartup,
        @DefaultValue("true") boolean loadOnStartup,
        Double temperature,
        Double topP,
        Integer topK,
        Double minP,
        Integer maxTokens,
        Long seed,
        List<String> stop,
        Double presencePenalty,
        Double frequencyPenalty,
        Boolean thinking,
        Integer contextLength,
        @DefaultValue("16") int queueSize,
        @DefaultValue("60s") Duration waitTimeout) {
      if (queueSize < 0) {
        throw new IllegalArgumentException(
            "flashtensors.chat.queue-size must be 0 or more, was " + queueSize);
      }
      if (waitTimeout.isNegative()) {
        throw new IllegalArgumentException(
            "flashtensors.chat.wait-timeout must not be negative, was " + waitTimeout);
      }
      this.enabled = enabled;
      this.model = model;
      this.pullOnStartup = pullOnStartup;
      this.loadOnStartup = loadOnStartup;
      this.temperature = temperature;
      this.topP = topP;
      this.topK = topK;
      this.minP = minP;
      this.maxTokens = maxTokens;
      this.seed = seed;
      this.stop = stop == null ? List.of() : List.copyOf(stop);
      this.presencePenalty = presencePenalty;
      this.frequencyPenalty = frequencyPenalty;
      this.thinking = thinking;
      if (contextLength != null && contextLength < 1) {
        throw new IllegalArgumentException(
            "flashtensors.chat.context-length must be at least 1, was " + contextLength);
      }
      this.contextLength = contextLength;
      this.queueSize = queueSize;
      this.waitTimeout = waitTimeout;
    }

    /** The default options of the chat model. */
    public FlashTensorsChatOptions toOptions() {
      return FlashTensorsChatOptions.builder()
          .model(this.model)
          .temperature(this.temperature)
          .topP(this.topP)
          .topK(this.topK)
          .minP(this.minP)
          .maxTokens(this.maxTokens)
          .seed(this.seed)
          .stopSequences(this.stop.isEmpty() ? null : this.stop)
          .presencePenalty(this.presencePenalty)
          .frequencyPenalty(this.frequencyPenalty)
          .thinking(this.thinking)
          .build();
    }

    public boolean isEnabled() {
      return this.enabled;
    }

    public String getModel() {
      return this.model;
    }

    public PullPolicy getPullOnStartup() {
      return this.pullOnStartup;
    }

    public boolean isLoadOnStartup() {
      return this.loadOnStartup;
    }

    public Double getTemperature() {
      return this.temperature;
    }

    public Double getTopP() {
      return this.topP;
    }

    public Integer getTopK() {
      return this.topK;
    }

    public Double getMinP() {
      return this.minP;
    }

    public Integer getMaxTokens() {
      return this.maxTokens;
    }

    public Long getSeed() {
      return this.seed;
    }

    public List<String> getStop() {
      return this.stop;
    }

    public Double getPresencePenalty() {
      return this.presencePenalty;
    }

    public Double getFrequencyPenalty() {
      return this.frequencyPenalty;
    }

    public Boolean getThinking() {
      return this.thinking;
    }

    public Integer getContextLength() {
      return this.contextLength;
    }

    public int getQueueSize() {
      return this.queueSize;
    }

    public Duration getWaitTimeout() {
      return this.waitTimeout;
    }
  }
}
