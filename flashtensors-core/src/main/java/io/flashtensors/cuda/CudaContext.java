package io.flashtensors.cuda;

import static io.flashtensors.cuda.Cuda.check;

import jcuda.driver.CUcontext;
import jcuda.driver.JCudaDriver;

/**
 * A device's primary context. CUDA binds a context to each OS thread, so every method here makes
 * this context current on the calling thread first; code that calls JCuda directly calls {@link
 * #makeCurrent()} itself.
 */
public final class CudaContext {

  private final CudaDevice device;
  private final CUcontext handle;

  CudaContext(CudaDevice device, CUcontext handle) {
    this.device = device;
    this.handle = handle;
  }

  /** The device this context belongs to. */
  public CudaDevice device() {
    return device;
  }

  /** The JCuda handle, for calls this layer does not wrap. */
  public CUcontext handle() {
    return handle;
  }

  /** Binds this context to the calling thread. */
  public void makeCurrent() {
    check(JCudaDriver.cuCtxSetCurrent(handle), "cuCtxSetCurrent(device " + device.index() + ")");
  }

  /** Free and total device memory now. */
  public MemoryInfo memoryInfo() {
    makeCurrent();
    long[] free = new long[1];
    long[] total = new long[1];
    check(JCudaDriver.cuMemGetInfo(free, total), "cuMemGetInfo");
    return new MemoryInfo(free[0], total[0]);
  }

  /** Waits until all work queued in this context has finished. */
  public void synchronize() {
    makeCurrent();
    check(JCudaDriver.cuCtxSynchronize(), "cuCtxSynchronize");
  }

  /** A stream that does not synchronise with the legacy default stream. */
  public CudaStream createStream() {
    return CudaStream.create(this);
  }

  /** An event for ordering and waiting, without timing (cheaper to record). */
  public CudaEvent createEvent() {
    return CudaEvent.create(this, false);
  }

  /** An event that can also measure elapsed time between two records. */
  public CudaEvent createTimingEvent() {
    return CudaEvent.create(this, true);
  }

  /** {@code bytes} of device memory ({@code cuMemAlloc}); close the buffer to free it. */
  public DeviceBuffer allocate(long bytes) {
    return DeviceBuffer.allocate(this, bytes);
  }

  /** Page-locked host memory of fewer than 2 GiB ({@code cuMemHostAlloc}, portable). */
  public PinnedBuffer allocatePinned(long bytes) {
    return PinnedBuffer.allocate(this, bytes);
  }

  /**
   * {@code bytes} of host memory mapped with transparent huge pages and page-locked with {@code
   * cuMemHostRegister} (portable); any size.
   */
  public RegisteredBuffer allocateRegistered(long bytes) {
    return RegisteredBuffer.allocate(this, bytes);
  }

  /** Loads a fatbin, cubin or PTX image ({@code cuModuleLoadData}). */
  public CudaModule loadModule(String name, byte[] image) {
    return CudaModule.load(this, name, image);
  }

  /** Loads a module from a class-path resource, such as {@code /kernels/qwen3.fatbin}. */
  public CudaModule loadModuleResource(String resource) {
    return CudaModule.loadResource(this, resource);
  }

  @Override
  public String toString() {
    return "CudaContext[device " + device.index() + "]";
  }
}
