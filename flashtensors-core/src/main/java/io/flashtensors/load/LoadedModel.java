package io.flashtensors.load;

import io.flashtensors.format.ModelFiles;
import io.flashtensors.memory.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A model loaded into host memory. Its tensors are views into memory the model owns; {@link
 * #close()} frees it all, after which touching a tensor's data throws {@link
 * IllegalStateException}.
 */
public final class LoadedModel implements AutoCloseable {

  private final Path source;
  private final ModelFiles.Format format;
  private final String modelId;
  private final String revision;
  private final Map<String, String> metadata;
  private final Map<String, Tensor> tensors;
  private final long hostBytes;
  private final Arena arena;
  private final LoadMetrics metrics;

  LoadedModel(
      ModelFiles model,
      Map<String, Tensor> tensors,
      long hostBytes,
      Arena arena,
      LoadContext context) {
    this.source = model.root();
    this.format = model.format();
    this.modelId = model.modelId();
    this.revision = model.revision();
    this.metadata = model.metadata();
    this.tensors = Collections.unmodifiableMap(tensors);
    this.hostBytes = hostBytes;
    this.arena = arena;
    this.metrics = context.snapshot();
  }

  /** The tensor named {@code name}. */
  public Tensor tensor(String name) {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new NoSuchElementException("model %s has no tensor '%s'".formatted(modelId, name));
    }
    return t;
  }

  /** True when the model has a tensor named {@code name}. */
  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  /** All tensors by name, in the order of their bytes on disk. */
  public Map<String, Tensor> tensors() {
    return tensors;
  }

  /** The folder or file the model was loaded from. */
  public Path source() {
    return source;
  }

  /** The format it was loaded from. */
  public ModelFiles.Format format() {
    return format;
  }

  /** The model id, such as {@code Qwen/Qwen3-0.6B}. */
  public String modelId() {
    return modelId;
  }

  /** The source revision, or null when unknown. */
  public String revision() {
    return revision;
  }

  /** The checkpoint's string metadata. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Host memory held, in bytes (tensor bytes plus alignment padding). */
  public long hostBytes() {
    return hostBytes;
  }

  /** Bytes and time of the load, by stage (the final {@code finish} stage excluded). */
  public LoadMetrics metrics() {
    return metrics;
  }

  /** Frees the memory of every tensor. Safe to call twice. */
  @Override
  public synchronized void close() {
    if (arena.scope().isAlive()) {
      arena.close();
    }
  }
}
