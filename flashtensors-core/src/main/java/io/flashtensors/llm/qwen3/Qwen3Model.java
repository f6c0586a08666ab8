package io.flashtensors.llm.qwen3;

import io.flashtensors.load.Device;
import io.flashtensors.load.DeviceMap;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.load.LoadedModel;
import io.flashtensors.load.gpu.GpuLoader;
import io.flashtensors.load.gpu.GpuModel;
import io.flashtensors.memory.DeviceTensor;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * A loaded Qwen3 model: its config, generation defaults and weights, loaded from a folder in
 * Hugging Face layout (safetensors) or in the flash layout, into host memory ({@link #load}) or
 * into GPU memory by the GPU loader ({@link #loadOnGpu}). The config is read and checked before any
 * weight is loaded, so a wrong folder fails in milliseconds.
 */
public final class Qwen3Model implements AutoCloseable {

  private final Path folder;
  private final Qwen3Config config;
  private final GenerationDefaults generationDefaults;
  private final LoadedModel loaded;
  private final Qwen3Weights weights;
  private final GpuModel onGpu;
  private final double loadSeconds;
  private AutoCloseable owned;

  private Qwen3Model(
      Path folder,
      Qwen3Config config,
      GenerationDefaults generationDefaults,
      LoadedModel loaded,
      Qwen3Weights weights,
      GpuModel onGpu,
      double loadSeconds) {
    this.folder = folder;
    this.config = config;
    this.generationDefaults = generationDefaults;
    this.loaded = loaded;
    this.weights = weights;
    this.onGpu = onGpu;
    this.loadSeconds = loadSeconds;
  }

  /**
   * Loads the model in {@code path} (a folder, or a single safetensors file beside config.json).
   */
  public static Qwen3Model load(Path path, FlashLoader loader) throws IOException {
    if (!Files.exists(path)) {
      throw new NoSuchFileException(path.toString());
    }
    Path folder = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
    Qwen3Config config = Qwen3Config.read(folder);
    GenerationDefaults defaults = GenerationDefaults.read(folder);
    long start = System.nanoTime();
    LoadedModel loaded = loader.load(path);
    try {
      Qwen3Weights weights = Qwen3Weights.bind(config, loaded.tensors(), path.toString());
      double seconds = (System.nanoTime() - start) / 1e9;
      return new Qwen3Model(folder, config, defaults, loaded, weights, null, seconds);
    } catch (RuntimeException e) {
      loaded.close();
      throw e;
    }
  }

  /**
   * Loads the model in {@code path} into the memory of GPU {@code device} with {@code loader}; the
   * weights stay where the loader puts them (a CUDA backend reads them there).
   */
  public static Qwen3Model loadOnGpu(Path path, GpuLoader loader, int device) throws IOException {
    return loadOnGpu(path, loader, device, false);
  }

  /**
   * As {@link #loadOnGpu(Path, GpuLoader, int)}; with {@code ownLoader} the model closes the loader
   * after its weights (also when loading fails).
   */
  public static Qwen3Model loadOnGpu(Path path, GpuLoader loader, int device, boolean ownLoader)
      throws IOException {
    try {
      Qwen3Model model = loadOnGpu0(path, loader, device);
      return ownLoader ? model.withOwned(loader) : model;
    } catch (IOException | RuntimeException e) {
      if (ownLoader) {
        loader.close();
      }
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
  public static Qwen3Model of(Path folder, LoadedModel loaded, double loadSeconds) {
    try {
      Qwen3Config config = Qwen3Config.read(folder);
      GenerationDefaults defaults = GenerationDefaults.read(folder);
      Qwen3Weights weights = Qwen3Weights.bind(config, loaded.tensors(), folder.toString());
      return new Qwen3Model(folder, config, defaults, loaded, weights, null, loadSeconds);
    } catch (RuntimeException e) {
      loaded.close();
      throw e;
    }
  }

  /**
   * A model over weights already in GPU memory (such as copied there by the daemon through CUDA
   * IPC); it owns {@code onGpu} and closes it, also when reading the config fails.
   *
   * @param folder the folder with config.json (and tokenizer files, if any)
   * @param loadSeconds what bringing the weights in took, for reports
   */
  public static Qwen3Model of(Path folder, GpuModel onGpu, double loadSeconds) {
    try {
      Qwen3Config config = Qwen3Config.read(folder);
      GenerationDefaults defaults = GenerationDefaults.read(folder);
      return new Qwen3Model(folder, config, defaults, null, null, onGpu, loadSeconds);
    } catch (RuntimeException e) {
      onGpu.close();
      throw e;
    }
  }

  private Qwen3Model withOwned(AutoCloseable owned) {
    Qwen3Model m =
        new Qwen3Model(folder, config, generationDefaults, loaded, weights, onGpu, loadSeconds);
    m.owned = owned;
    return m;
  }

  private static Qwen3Model loadOnGpu0(Path path, GpuLoader loader, int device) throws IOException {
    if (!Files.exists(path)) {
      throw new NoSuchFileException(path.toString());
    }
    Path folder = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
    Qwen3Config config = Qwen3Config.read(folder);
    GenerationDefaults defaults = GenerationDefaults.read(folder);
    long start = System.nanoTime();
    GpuModel onGpu;
    try {
      onGpu = loader.load(path, DeviceMap.all(Device.cuda(device))).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while loading " + path + " onto the GPU");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException("loading " + path + " onto GPU " + device + ": " + cause, cause);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Qwen3Model(folder, config, defaults, null, null, onGpu, seconds);
  }

  /** The folder holding config.json (and tokenizer files, if any). */
  public Path folder() {
    return folder;
  }

  /** The model id: the store id of a flash layout, else the folder name. */
  public String id() {
    return loaded != null ? loaded.modelId() : onGpu.modelId();
  }

  public Qwen3Config config() {
    return config;
  }

  public GenerationDefaults generationDefaults() {
    return generationDefaults;
  }

  /**
   * The weights in host memory.
   *
   * @throws IllegalStateException when the model was loaded onto a GPU
   */
  public Qwen3Weights weights() {
    if (weights == null) {
      throw new IllegalStateException("the model's weights are in GPU memory, not host memory");
    }
    return weights;
  }

  /** Whether the weights are in GPU memory ({@link #deviceTensors}) rather than host memory. */
  public boolean isOnGpu() {
    return onGpu != null;
  }

  /**
   * The tensors in GPU memory, by checkpoint name.
   *
   * @throws IllegalStateException when the model was loaded into host memory
   */
  public Map<String, DeviceTensor> deviceTensors() {
    if (onGpu == null) {
      throw new IllegalStateException("the model's weights are in host memory");
    }
    return onGpu.tensors();
  }

  /** Seconds the weights took to load (reading and copying into host or GPU memory). */
  public double loadSeconds() {
    return loadSeconds;
  }

  /** Bytes of weights. */
  public long parameterBytes() {
    if (weights != null) {
      return weights.parameterBytes();
    }
    return onGpu.tensors().values().stream().mapToLong(DeviceTensor::byteSize).sum();
  }

  /** Whether the folder holds a Hugging Face tokenizer ({@code tokenizer.json}). */
  public boolean hasTokenizer() {
    return Files.isRegularFile(folder.resolve("tokenizer.json"));
  }

  /** Frees the weights; backends built on them must be closed first. */
  @Override
  public void close() {
    try {
      if (loaded != null) {
        loaded.close();
      } else {
        onGpu.close();
      }
    } finally {
      if (owned != null) {
        try {
          owned.close();
        } catch (Exception e) {
          throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
      }
    }
  }
}
