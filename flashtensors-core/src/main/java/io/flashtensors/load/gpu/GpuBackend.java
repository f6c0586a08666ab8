package io.flashtensors.load.gpu;

import io.flashtensors.cuda.MemoryInfo;
import io.flashtensors.memory.HostSlab;
import java.lang.foreign.MemorySegment;

/**
 * The few GPU operations the load path needs: device memory, pinned host memory, and ordered
 * asynchronous copies with fences. {@link CudaBackend} implements them with the CUDA driver; tests
 * without a GPU use a simulated backend, so the pipeline's logic (cache, eviction, cancellation,
 * cleanup) is checked everywhere and its CUDA calls on the GPU machine.
 */
public interface GpuBackend {

  /** Number of devices. */
  int deviceCount();

  /** Free and total memory of {@code device} now. */
  MemoryInfo memoryInfo(int device);

  /** {@code bytes} of memory on {@code device}, or a {@code CudaException} when it has none. */
  Allocation allocate(int device, long bytes);

  /** Largest pinned block {@link #allocatePinned} accepts. */
  long maxPinnedBlock();

  /** A block of pinned host memory. */
  HostSlab allocatePinned(long bytes);

  /** A new copy stream on {@code device}. */
  Stream openStream(int device);

  /** Device memory; closing frees it. */
  interface Allocation extends AutoCloseable {

    /** Device index. */
    int device();

    /** Device address of the first byte. */
    long address();

    /** Size in bytes. */
    long byteSize();

    /** Copies bytes back to host memory, waiting (for checks and tests). */
    void copyToHost(long offset, MemorySegment dst);

    /** Sets every byte to {@code value}, waiting. */
    void fill(byte value);

    /** Frees the memory; closing twice does nothing. */
    @Override
    void close();
  }

  /** An ordered queue of copies to one device. */
  interface Stream extends AutoCloseable {

    /** Device index. */
    int device();

    /**
     * Queues a copy of {@code src} (pinned memory that stays untouched until a later fence is
     * reached) to {@code dst} at {@code dstOffset}.
     */
    void copyAsync(MemorySegment src, Allocation dst, long dstOffset);

    /** A fence after everything queued so far. */
    Fence fence();

    /** Destroys the stream. */
    @Override
    void close();
  }

  /** A point in a stream; {@link #await()} returns when the work before it is done. */
  interface Fence extends AutoCloseable {

    /** Waits for the work before the fence and reports its errors. */
    void await();

    /** Releases the fence. */
    @Override
    void close();
  }
}
