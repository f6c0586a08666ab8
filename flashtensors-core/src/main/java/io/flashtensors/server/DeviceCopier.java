package io.flashtensors.server;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Copies host memory into GPU memory that another process allocated and exported as a CUDA IPC
 * handle. {@link CudaIpcCopier} does it with the CUDA driver; tests on machines without a GPU use a
 * simulated one.
 */
public interface DeviceCopier extends AutoCloseable {

  /** The GPUs this process sees. */
  List<Gpu> gpus();

  /**
   * Opens a client's allocation.
   *
   * @param gpuUuid the GPU's UUID ({@code GPU-...})
   * @param ipcHandle the 64 bytes of {@code cuIpcGetMemHandle}
   * @param size the allocation's size, as the client says; copies past it are refused
   * @throws IllegalArgumentException when no GPU has that UUID or the handle is malformed
   */
  Target open(String gpuUuid, byte[] ipcHandle, long size);

  @Override
  void close();

  /**
   * A GPU.
   *
   * @param index the device index in this process
   * @param uuid {@code GPU-...}
   * @param name the product name
   * @param totalBytes its memory
   */
  record Gpu(int index, String uuid, String name, long totalBytes) {}

  /** An opened client allocation. Closing it unmaps it (the client still owns the memory). */
  interface Target extends AutoCloseable {

    /** Queues a copy of {@code src} to {@code dstOffset}; may return before it is done. */
    void copy(MemorySegment src, long dstOffset);

    /** Waits until every queued copy has landed. */
    void await();

    @Override
    void close();
  }
}
