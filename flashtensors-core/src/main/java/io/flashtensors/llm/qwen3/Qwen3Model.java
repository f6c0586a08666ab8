package io.flashtensors.llm.qwen3;

import io.flashtensors.load.FlashLoader;
import io.flashtensors.load.LoadedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A Qwen3 model in host memory: its config, generation defaults and weights, loaded from a folder
 * in Hugging Face layout (safetensors) or in the flash layout. The config is read and checked
 * before any weight is loaded, so a wrong folder fails in milliseconds.
 */
public final class Qwen3Model implements AutoCloseable {

  private final Path folder;
  private final Qwen3Config config;
  private final GenerationDefaults generationDefaults;
  private final LoadedModel loaded;
  private final Qwen3Weights weights;
  private final double loadSeconds;

  private Qwen3Model(
      Path folder,
      Qwen3Config config,
      GenerationDefaults generationDefaults,
      LoadedModel loaded,
      Qwen3Weights weights,
      double loadSeconds) {
    this.folder = folder;
    this.config = config;
    this.generationDefaults = generationDefaults;
    this.loaded = loaded;
    this.weights = weights;
    this.loadSeconds = loadSeconds;
  }

  /**
   * Loads the model in {@code path} (a folder, or a single safetensors file beside config.json).
   */
  public static Qwen3Model load(Path path, FlashLoader loader) throws IOException {
    if (!Files.exists(path)) {
      throw new NoSuchFileException(path.toString(), null, "no such model folder or file");
    }
    Path folder = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
    Qwen3Config config = Qwen3Config.read(folder);
    GenerationDefaults defaults = GenerationDefaults.read(folder);
    long start = System.nanoTime();
    LoadedModel loaded = loader.load(path);
    try {
      Qwen3Weights weights = Qwen3Weights.bind(config, loaded.tensors(), path.toString());
      double seconds = (System.nanoTime() - start) / 1e9;
      return new Qwen3Model(folder, config, defaults, loaded, weights, seconds);
    } catch (RuntimeException e) {
      loaded.close();
      throw e;
    }
  }

  /**
   * A model over weights loaded elsewhere (such as mapped from the daemon's shared memory); it owns
   * {@code loaded} and closes it, also when binding fails.
   *
   * @param folder the folder with config.json (and tokenizer files, if any)
   * @param loadSeconds what bringing the weights in took, for reports
   */
  public static Qwen3Model of(Path folder, LoadedModel loaded, double loadSeconds)
      throws IOException {
    try {
      Qwen3Config config = Qwen3Config.read(folder);
      GenerationDefaults defaults = GenerationDefaults.read(folder);
      Qwen3Weights weights = Qwen3Weights.bind(config, loaded.tensors(), folder.toString());
      return new Qwen3Model(folder, config, defaults, loaded, weights, loadSeconds);
    } catch (IOException | RuntimeException e) {
      loaded.close();
      throw e;
    }
  }

  /** The folder holding config.json (and tokenizer files, if any). */
  public Path folder() {
    return folder;
  }

  /** The model id: the store id of a flash layout, else the folder name. */
  public String id() {
    return loaded.modelId();
  }

  public Qwen3Config config() {
    return config;
  }

  public GenerationDefaults generationDefaults() {
    return generationDefaults;
  }

  public Qwen3Weights weights() {
    return weights;
  }

  /** Seconds the weights took to load (reading and copying into host memory). */
  public double loadSeconds() {
    return loadSeconds;
  }

  /** Bytes of weights. */
  public long parameterBytes() {
    return weights.parameterBytes();
  }

  /** Whether the folder holds a Hugging Face tokenizer ({@code tokenizer.json}). */
  public boolean hasTokenizer() {
    return Files.isRegularFile(folder.resolve("tokenizer.json"));
  }

  /** Frees the weights; backends built on them must be closed first. */
  @Override
  public void close() {
    loaded.close();
  }
}
