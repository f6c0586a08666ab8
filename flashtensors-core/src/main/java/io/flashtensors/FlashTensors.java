package io.flashtensors;

import io.flashtensors.config.Setting;
import io.flashtensors.config.Settings;
import io.flashtensors.config.SettingsResolver;
import io.flashtensors.cuda.Cuda;
import io.flashtensors.cuda.CudaDevice;
import io.flashtensors.llm.qwen3.Qwen3ChatEngine;
import io.flashtensors.llm.qwen3.Qwen3Model;
import io.flashtensors.llm.qwen3.cuda.CudaPrecision;
import io.flashtensors.load.DeviceMap;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.load.LoadedModel;
import io.flashtensors.load.SharedModels;
import io.flashtensors.load.TensorDict;
import io.flashtensors.memory.Tensor;
import io.flashtensors.server.DaemonClient;
import io.flashtensors.server.DaemonException;
import io.flashtensors.server.DaemonGpuLoader;
import io.flashtensors.server.DaemonProcess;
import io.flashtensors.server.proto.LoadToHostReply;
import io.flashtensors.server.proto.ModelSummary;
import io.flashtensors.store.FlashModelConverter;
import io.flashtensors.store.ModelId;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.Progress;
import io.flashtensors.store.RegisterOptions;
import io.flashtensors.store.Revisions;
import io.flashtensors.store.StoredModel;
import io.flashtensors.store.hub.HubClient;
import io.flashtensors.store.hub.HubPull;
import io.flashtensors.store.hub.RetryPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The Java SDK: what the Python flashtensors module offers ({@code configure}, {@code
 * register_model}, {@code load_model}, {@code save_dict}/{@code load_dict}, {@code list_models},
 * {@code get_model_info}, {@code cleanup_gpu}, {@code shutdown_server}) for programs that are not
 * Spring applications.
 *
 * <pre>{@code
 * FlashTensors ft = FlashTensors.configure()
 *     .storagePath(Path.of("/models"))
 *     .memPoolSize("30GB")
 *     .device("cuda:0")
 *     .build();
 * ft.startDaemon();                                  // optional: share a resident pool
 * ft.registerModel("Qwen/Qwen3-0.6B");               // pull from the Hub and convert
 * try (Qwen3ChatEngine engine = ft.loadModel("Qwen/Qwen3-0.6B")) {
 *   ChatResult r = engine.chat(ChatRequest.of("Hello"), TokenListener.NONE);
 * }
 * }</pre>
 *
 * <p>Settings left unset come from {@code FLASHTENSORS_*} environment variables, the config file
 * {@code ~/.flashtensors/config}, and defaults, as for the command line. Loads go through the
 * daemon when one runs for the same flashtensors home: on the CPU the weights are mapped from its
 * shared pool (no copy), on a GPU the daemon copies them into this process's GPU memory; without a
 * daemon the model loads in this process.
 */
public final class FlashTensors {

  private final Settings settings;
  private final String device;
  private final boolean useDaemon;
  private final Consumer<String> notices;

  private FlashTensors(
      Settings settings, String device, boolean useDaemon, Consumer<String> notices) {
    this.settings = settings;
    this.device = device;
    this.useDaemon = useDaemon;
    this.notices = notices;
  }

  /** Starts a configuration with the same knobs as {@code flashtensors start}. */
  public static Builder configure() {
    return new Builder(SettingsResolver.system());
  }

  /** As {@link #configure()}, over another environment and home (tests, embedding). */
  public static Builder configure(SettingsResolver resolver) {
    return new Builder(resolver);
  }

  /** The resolved settings. */
  public Settings settings() {
    return settings;
  }

  /** The device models load onto: {@code cpu}, {@code cuda}, {@code cuda:N}, or {@code auto}. */
  public String device() {
    return device;
  }

  // ---- daemon ----------------------------------------------------------------------------------

  /**
   * Starts the daemon in the background with these settings, as {@code flashtensors start} does.
   *
   * @throws IllegalStateException when one is running already
   */
  public DaemonProcess.State startDaemon() throws IOException, InterruptedException {
    return DaemonProcess.startBackground(settings, Duration.ofSeconds(120));
  }

  /** The running daemon of this flashtensors home, if any. */
  public Optional<DaemonProcess.State> daemon() {
    return DaemonProcess.find(settings.home());
  }

  /** Stops the daemon ({@code shutdown_server}); false when none was running. */
  public boolean shutdownDaemon() {
    return DaemonProcess.stop(settings.home(), settings.token(), Duration.ofSeconds(60))
        .isPresent();
  }

  private Optional<DaemonClient> client() {
    if (!useDaemon) {
      return Optional.empty();
    }
    return daemon().map(s -> DaemonClient.connect(s.connectHost(), s.port(), settings.token()));
  }

  // ---- store -----------------------------------------------------------------------------------

  /** The model store under {@code storage-path}. */
  public ModelStore store() {
    return ModelStore.open(settings.storagePath());
  }

  /**
   * Pulls a model from the Hugging Face Hub (revision {@code main}) and converts it into the store
   * ({@code register_model}); does nothing when the store has the Hub's current commit.
   */
  public StoredModel registerModel(String modelId) {
    return registerModel(modelId, HubPull.Options.defaults(), Progress.NONE);
  }

  /** As {@link #registerModel(String)}, with a revision, keep-safetensors, force and progress. */
  public StoredModel registerModel(String modelId, HubPull.Options options, Progress progress) {
    try (HubClient hub =
        new HubClient(settings.hfEndpoint(), settings.hfToken(), RetryPolicy.standard())) {
      return new HubPull(hub, store(), new FlashModelConverter())
          .pull(ModelId.parse(modelId), options, progress)
          .model();
    }
  }

  /** Converts a local Hugging Face folder into the store under {@code modelId} (no network). */
  public StoredModel registerModel(String modelId, Path folder) {
    return store()
        .register(
            ModelId.parse(modelId),
            Revisions.DEFAULT_LOCAL,
            folder,
            new FlashModelConverter(),
            RegisterOptions.local(),
            Progress.NONE);
  }

  /** Every model of the store, with where it is resident ({@code list_models}). */
  public List<ModelInfo> listModels() {
    List<ModelInfo> infos = new ArrayList<>();
    Map<String, ModelSummary> resident = residency();
    ModelStore store = store();
    for (StoredModel m : store.list()) {
      infos.add(
          ModelInfo.of(
              m,
              store.folder(m),
              resident.get(m.displayName()),
              !resident.isEmpty() || daemon().isPresent()));
    }
    return infos;
  }

  /** One model ({@code get_model_info}); revision null for the one registered last. */
  public ModelInfo modelInfo(String modelId, String revision) {
    ModelStore store = store();
    StoredModel m = store.get(ModelId.parse(modelId), revision);
    Map<String, ModelSummary> resident = residency();
    return ModelInfo.of(m, store.folder(m), resident.get(m.displayName()), daemon().isPresent());
  }

  private Map<String, ModelSummary> residency() {
    Map<String, ModelSummary> byName = new java.util.HashMap<>();
    Optional<DaemonClient> client = client();
    if (client.isPresent()) {
      try (DaemonClient c = client.get()) {
        for (ModelSummary s : c.list().getModelsList()) {
          byName.put(s.getModelId() + "@" + s.getRevision(), s);
        }
      } catch (DaemonException e) {
        notices.accept("the daemon did not answer (" + e.getMessage() + ")");
      }
    }
    return byName;
  }

  // ---- loading ---------------------------------------------------------------------------------

  /**
   * Loads a Qwen3 model onto the configured device ({@code load_model}) and returns its chat
   * engine; the caller closes it, which frees the weights.
   *
   * @param model a store id ({@code org/name}, optionally {@code @revision}) or a model folder
   */
  public Qwen3ChatEngine loadModel(String model) throws IOException {
    return open(model, 0, 0).engine();
  }

  /**
   * How a model was opened.
   *
   * @param engine the engine; the caller closes it
   * @param how where the weights came from, for a one-line report
   */
  public record Opened(Qwen3ChatEngine engine, String how) {}

  /**
   * Loads a model onto the configured device, through the daemon when one runs.
   *
   * @param contextLength most tokens a request may hold; 0: the model's maximum
   * @param threads CPU threads; 0: one per processor
   */
  public Opened open(String model, int contextLength, int threads) throws IOException {
    Path asPath = Path.of(model);
    if (Files.exists(asPath)) {
      return new Opened(
          Qwen3ChatEngine.open(asPath, device, contextLength, threads, notices),
          "loaded from " + asPath + " in this process");
    }
    String id = model;
    String revision = null;
    int at = model.indexOf('@');
    if (at > 0) {
      id = model.substring(0, at);
      revision = model.substring(at + 1);
    }
    if (!ModelId.isValid(id)) {
      throw new java.nio.file.NoSuchFileException(
          model, null, "no such model folder or file, nor a model id (org/name) of the store");
    }
    ModelStore store = store();
    StoredModel stored = store.get(ModelId.parse(id), revision);
    Path folder = store.folder(stored);
    String d = device.strip().toLowerCase(Locale.ROOT);
    boolean gpu = !d.equals("cpu") && !(d.equals("auto") && !Cuda.isAvailable());
    Optional<DaemonClient> client = client();
    if (client.isPresent()) {
      try (DaemonClient c = client.get()) {
        return gpu
            ? openThroughDaemonOnGpu(c, stored, contextLength)
            : openThroughDaemonOnCpu(c, stored, folder, contextLength, threads);
      } catch (DaemonException e) {
        notices.accept(
            "the daemon could not serve "
                + stored.displayName()
                + " ("
                + e.getMessage()
                + "); loading it in this process");
      }
    }
    return new Opened(
        Qwen3ChatEngine.open(folder, device, contextLength, threads, notices),
        "loaded " + stored.displayName() + " from the store in this process");
  }

  private Opened openThroughDaemonOnCpu(
      DaemonClient c, StoredModel stored, Path folder, int contextLength, int threads)
      throws IOException {
    LoadToHostReply r = c.loadToHost(stored.id(), stored.revision());
    if (r.getSharedFilesCount() == 0) {
      notices.accept(
          "the daemon keeps "
              + stored.displayName()
              + " in private memory; loading it in this process");
      return new Opened(
          Qwen3ChatEngine.open(folder, "cpu", contextLength, threads, notices),
          "loaded " + stored.displayName() + " from the store in this process");
    }
    long t0 = System.nanoTime();
    List<Path> files = r.getSharedFilesList().stream().map(Path::of).toList();
    LoadedModel mapped = SharedModels.map(Path.of(r.getFolder()), files);
    double seconds = (System.nanoTime() - t0) / 1e9;
    Qwen3Model model = Qwen3Model.of(Path.of(r.getFolder()), mapped, seconds);
    return new Opened(
        Qwen3ChatEngine.openCpu(model, contextLength, threads),
        String.format(
            Locale.ROOT,
            "mapped %s from the daemon's shared pool in %.3f s (%s)",
            stored.displayName(),
            seconds,
            r.getCacheHit()
                ? "resident"
                : String.format(Locale.ROOT, "read by the daemon in %.2f s", r.getSeconds())));
  }

  private Opened openThroughDaemonOnGpu(DaemonClient c, StoredModel stored, int contextLength)
      throws IOException {
    CudaDevice gpu =
        device.strip().equalsIgnoreCase("auto") ? Cuda.device(0) : Cuda.device(device.strip());
    DaemonGpuLoader.Loaded loaded =
        new DaemonGpuLoader(c, Duration.ofMinutes(10)).load(stored.id(), stored.revision(), gpu);
    Qwen3Model model = Qwen3Model.of(loaded.folder(), loaded.model(), loaded.seconds());
    return new Opened(
        Qwen3ChatEngine.openCuda(model, contextLength, CudaPrecision.FAST),
        String.format(
            Locale.ROOT,
            "copied %s into GPU %d by the daemon in %.3f s (%s, host-to-device %.3f s)",
            stored.displayName(),
            gpu.index(),
            loaded.seconds(),
            loaded.resident()
                ? "resident"
                : String.format(
                    Locale.ROOT, "read by the daemon in %.2f s", loaded.confirm().getHostSeconds()),
            loaded.confirm().getCopySeconds()));
  }

  /**
   * Frees what this process holds on GPUs ({@code cleanup_gpu}): the engines and models it loaded
   * free their memory when closed, so this only asks the daemon to drop the models nothing uses
   * from its pool. Returns the bytes the daemon freed (0 without a daemon).
   */
  public long freeMemory() {
    Optional<DaemonClient> client = client();
    if (client.isEmpty()) {
      return 0;
    }
    try (DaemonClient c = client.get()) {
      return c.clear().getFreedBytes();
    }
  }

  // ---- tensor dicts ----------------------------------------------------------------------------

  /** Saves tensors as a flash layout folder ({@code save_dict}). */
  public void saveDict(Map<String, Tensor> tensors, Path folder) throws IOException {
    TensorDict.save(tensors, folder);
  }

  /** Loads a saved tensor dict into host memory ({@code load_dict} with {@code {"": "cpu"}}). */
  public LoadedModel loadDict(Path folder) throws IOException {
    return TensorDict.load(
        folder,
        DeviceMap.cpu(),
        FlashLoader.builder().threads(settings.threads()).chunkSize(settings.chunkSize()).build());
  }

  /** Settings of a {@link FlashTensors}; unset ones come from the environment and config file. */
  public static final class Builder {
    private final SettingsResolver resolver;
    private final Map<Setting, String> flags = new EnumMap<>(Setting.class);
    private String device = "auto";
    private boolean useDaemon = true;
    private Consumer<String> notices = s -> {};

    private Builder(SettingsResolver resolver) {
      this.resolver = resolver;
    }

    public Builder storagePath(Path path) {
      flags.put(Setting.STORAGE_PATH, path.toString());
      return this;
    }

    /** The daemon's pool, e.g. {@code "30GB"}. */
    public Builder memPoolSize(String size) {
      flags.put(Setting.MEM_POOL_SIZE, size);
      return this;
    }

    /** Bytes per read, e.g. {@code "32MB"}. */
    public Builder chunkSize(String size) {
      flags.put(Setting.CHUNK_SIZE, size);
      return this;
    }

    public Builder threads(int threads) {
      flags.put(Setting.THREADS, Integer.toString(threads));
      return this;
    }

    public Builder gpuMemoryUtilization(double fraction) {
      flags.put(Setting.GPU_MEMORY_UTILIZATION, Double.toString(fraction));
      return this;
    }

    public Builder host(String host) {
      flags.put(Setting.HOST, host);
      return this;
    }

    public Builder port(int port) {
      flags.put(Setting.PORT, Integer.toString(port));
      return this;
    }

    public Builder token(String token) {
      flags.put(Setting.TOKEN, token);
      return this;
    }

    public Builder hfToken(String token) {
      flags.put(Setting.HF_TOKEN, token);
      return this;
    }

    /** {@code cpu}, {@code cuda}, {@code cuda:N}, a GPU UUID, or {@code auto} (the default). */
    public Builder device(String device) {
      this.device = device;
      return this;
    }

    /** Whether loads go through a running daemon (default true). */
    public Builder useDaemon(boolean use) {
      this.useDaemon = use;
      return this;
    }

    /** Receives one-line notices (falling back to the CPU, the daemon not answering). */
    public Builder notices(Consumer<String> consumer) {
      this.notices = consumer;
      return this;
    }

    /**
     * Resolves the settings.
     *
     * @throws IllegalArgumentException naming the setting, its source and the problem
     */
    public FlashTensors build() {
      return new FlashTensors(resolver.resolve(flags), device, useDaemon, notices);
    }
  }
}
