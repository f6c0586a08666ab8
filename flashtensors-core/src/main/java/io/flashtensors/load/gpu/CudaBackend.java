package io.flashtensors.load.gpu;

import io.flashtensors.cuda.Cuda;
import io.flashtensors.cuda.CudaContext;
import io.flashtensors.cuda.CudaDevice;
import io.flashtensors.cuda.CudaEvent;
import io.flashtensors.cuda.CudaStream;
import io.flashtensors.cuda.DeviceBuffer;
import io.flashtensors.cuda.MemoryInfo;
import io.flashtensors.cuda.PinnedBuffer;
import io.flashtensors.memory.HostSlab;
import java.lang.foreign.MemorySegment;
import java.util.List;

/** {@link GpuBackend} on the CUDA driver, through {@code io.flashtensors.cuda}. */
public final class CudaBackend implements GpuBackend {

  private final List<CudaDevice> devices;
  private final PinnedMemory pinnedMemory;

  /**
   * The visible devices, with pinned slabs as {@link PinnedMemory#REGISTERED} (the default of
   * {@link GpuLoaderOptions}); throws {@code CudaUnavailableException} without CUDA.
   */
  public CudaBackend() {
    this(PinnedMemory.REGISTERED);
  }

  /** The visible devices, with pinned slabs made as {@code pinnedMemory} says. */
  public CudaBackend(PinnedMemory pinnedMemory) {
    Cuda.requireAvailable();
    this.devices = Cuda.devices();
    this.pinnedMemory = pinnedMemory;
  }

  private CudaContext context(int device) {
    if (device < 0 || device >= devices.size()) {
      throw new IllegalArgumentException(
          "GPU %d does not exist: %d device(s) visible".formatted(device, devices.size()));
    }
    return devices.get(device).context();
  }

  @Override
  public int deviceCount() {
    return devices.size();
  }

  @Override
  public MemoryInfo memoryInfo(int device) {
    return context(device).memoryInfo();
  }

  @Override
  public Allocation allocate(int device, long bytes) {
    return new CudaAllocation(device, context(device).allocate(bytes));
  }

  @Override
  public long maxPinnedBlock() {
    return PinnedBuffer.MAX_BYTES;
  }

  @Override
  public HostSlab allocatePinned(long bytes) {
    return switch (pinnedMemory) {
      case HOST_ALLOC -> context(0).allocatePinned(bytes);
      case REGISTERED -> context(0).allocateRegistered(bytes);
    };
  }

  @Override
  public Stream openStream(int device) {
    return new CudaCopyStream(device, context(device).createStream());
  }

  /** The CUDA buffer behind an allocation this backend (or {@link #allocation}) made. */
  public static DeviceBuffer buffer(Allocation allocation) {
    return ((CudaAllocation) allocation).buffer;
  }

  /**
   * A buffer allocated elsewhere (by a load through the daemon) as an allocation of the GPU load
   * path; closing it frees the buffer.
   */
  public static Allocation allocation(int device, DeviceBuffer buffer) {
    return new CudaAllocation(device, buffer);
  }

  private record CudaAllocation(int device, DeviceBuffer buffer) implements Allocation {
    @Override
    public long address() {
      return buffer.address();
    }

    @Override
    public long byteSize() {
      return buffer.byteSize();
    }

    @Override
    public void copyToHost(long offset, MemorySegment dst) {
      buffer.copyToHost(offset, dst);
    }

    @Override
    public void fill(byte value) {
      buffer.fill(value);
    }

    @Override
    public void close() {
      buffer.close();
    }
  }

  private record CudaCopyStream(int device, CudaStream stream) implements Stream {
    @Override
    public void copyAsync(MemorySegment src, Allocation dst, long dstOffset) {
      ((CudaAllocation) dst).buffer.copyFromHostAsync(dstOffset, src, stream);
    }

    @Override
    public Fence fence() {
      CudaEvent event = stream.context().createEvent();
      event.record(stream);
      return new CudaFence(event);
    }

    @Override
    public void close() {
      stream.close();
    }
  }

  private record CudaFence(CudaEvent event) implements Fence {
    @Override
    public void await() {
      event.synchronize();
    }

    @Override
    public void close() {
      event.close();
    }
  }
}
