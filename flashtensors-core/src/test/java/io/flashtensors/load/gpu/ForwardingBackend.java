package io.flashtensors.load.gpu;

import io.flashtensors.cuda.MemoryInfo;
import io.flashtensors.memory.HostSlab;
import java.lang.foreign.MemorySegment;

/**
 * A backend that passes everything to another, for tests that bend one behaviour of a real GPU:
 * slower copies (to cancel mid-load), memory reports that hide what is used (to reach the driver's
 * own out-of-memory error), or several device indices on one GPU (to test device maps).
 */
class ForwardingBackend implements GpuBackend {

  final GpuBackend delegate;
  final int devices;
  volatile long copyDelayNanos;
  volatile boolean reportAllMemoryFree;

  ForwardingBackend(GpuBackend delegate, int devices) {
    this.delegate = delegate;
    this.devices = devices;
  }

  private int physical(int device) {
    if (device < 0 || device >= devices) {
      throw new IllegalArgumentException("no device " + device);
    }
    return device % delegate.deviceCount();
  }

  @Override
  public int deviceCount() {
    return devices;
  }

  @Override
  public MemoryInfo memoryInfo(int device) {
    MemoryInfo real = delegate.memoryInfo(physical(device));
    return reportAllMemoryFree ? new MemoryInfo(real.total(), real.total()) : real;
  }

  @Override
  public Allocation allocate(int device, long bytes) {
    return new Forwarded(device, delegate.allocate(physical(device), bytes));
  }

  /** An allocation of the delegate, seen under this backend's device index. */
  private record Forwarded(int device, Allocation inner) implements Allocation {
    @Override
    public long address() {
      return inner.address();
    }

    @Override
    public long byteSize() {
      return inner.byteSize();
    }

    @Override
    public void copyToHost(long offset, MemorySegment dst) {
      inner.copyToHost(offset, dst);
    }

    @Override
    public void fill(byte value) {
      inner.fill(value);
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  @Override
  public long maxPinnedBlock() {
    return delegate.maxPinnedBlock();
  }

  @Override
  public HostSlab allocatePinned(long bytes) {
    return delegate.allocatePinned(bytes);
  }

  @Override
  public Stream openStream(int device) {
    Stream s = delegate.openStream(physical(device));
    return new Stream() {
      @Override
      public int device() {
        return device;
      }

      @Override
      public void copyAsync(MemorySegment src, Allocation dst, long dstOffset) {
        long delay = copyDelayNanos;
        if (delay > 0) {
          try {
            Thread.sleep(delay / 1_000_000, (int) (delay % 1_000_000));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        s.copyAsync(src, ((Forwarded) dst).inner(), dstOffset);
      }

      @Override
      public Fence fence() {
        return s.fence();
      }

      @Override
      public void close() {
        s.close();
      }
    };
  }
}
