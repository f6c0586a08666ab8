package io.flashtensors.load.gpu;

import io.flashtensors.memory.DeviceTensor;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A model in GPU memory: one device allocation per (source file, GPU), tensors as views at
 * 256-byte-aligned offsets inside them. Handed out only after every copy has been confirmed; {@link
 * #close()} frees the device memory.
 */
public final class GpuModel implements AutoCloseable {

  private final String modelId;
  private final Path source;
  private final Map<String, DeviceTensor> tensors;
  private final List<GpuBackend.Allocation> allocations;
  private final GpuLoadReport report;
  private final Runnable release;
  private boolean closed;

  GpuModel(
      String modelId,
      Path source,
      Map<String, DeviceTensor> tensors,
      List<GpuBackend.Allocation> allocations,
      GpuLoadReport report,
      Runnable release) {
    this.modelId = modelId;
    this.source = source;
    this.tensors = Collections.unmodifiableMap(tensors);
    this.allocations = List.copyOf(allocations);
    this.report = report;
    this.release = release;
  }

  /** The tensor named {@code name}. */
  public DeviceTensor tensor(String name) {
    DeviceTensor t = tensors.get(name);
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
  public Map<String, DeviceTensor> tensors() {
    return tensors;
  }

  /** The model id. */
  public String modelId() {
    return modelId;
  }

  /** The folder or file it was loaded from. */
  public Path source() {
    return source;
  }

  /** The device allocations holding the tensors (see {@link CudaBackend#buffer}). */
  public List<GpuBackend.Allocation> allocations() {
    return allocations;
  }

  /** Device bytes held (tensors plus alignment padding). */
  public long deviceBytes() {
    return allocations.stream().mapToLong(GpuBackend.Allocation::byteSize).sum();
  }

  /** How the load went. */
  public GpuLoadReport report() {
    return report;
  }

  /** True once closed. */
  public synchronized boolean isClosed() {
    return closed;
  }

  /** Frees the device memory. Safe to call twice; tensors' addresses are invalid afterwards. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      release.run();
    }
  }

  @Override
  public String toString() {
    return "GpuModel[%s, %d tensors, %d bytes on GPU %s]"
        .formatted(modelId, tensors.size(), deviceBytes(), report.devices());
  }
}
