package io.flashtensors.cuda;

import static io.flashtensors.cuda.Cuda.check;

import java.lang.foreign.MemorySegment;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/** A block of device memory from {@code cuMemAlloc}. Closing it frees the memory. */
public final class DeviceBuffer implements AutoCloseable {

  private final CudaContext context;
  private final AllocatedPointer pointer;
  private final long byteSize;
  private boolean closed;

  private DeviceBuffer(CudaContext context, AllocatedPointer pointer, long byteSize) {
    this.context = context;
    this.pointer = pointer;
    this.byteSize = byteSize;
  }

  static DeviceBuffer allocate(CudaContext context, long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("device allocation must be positive, not " + bytes);
    }
    context.makeCurrent();
    AllocatedPointer p = new AllocatedPointer();
    check(
        JCudaDriver.cuMemAlloc(p, bytes),
        "cuMemAlloc(%d bytes on GPU %d)".formatted(bytes, context.device().index()));
    return new DeviceBuffer(context, p, bytes);
  }

  /** The context (and so the device) that owns the memory. */
  public CudaContext context() {
    return context;
  }

  /** Size in bytes. */
  public long byteSize() {
    return byteSize;
  }

  /** Device address of the first byte (aligned to at least 256 bytes by the driver). */
  public long address() {
    return pointer.address();
  }

  /** A pointer to the first byte, for kernel parameters and calls this class does not wrap. */
  public CUdeviceptr pointer() {
    return pointer;
  }

  /** A pointer {@code offset} bytes in. */
  public CUdeviceptr pointer(long offset) {
    checkRange(offset, 0);
    return pointer.withByteOffset(offset);
  }

  /** Copies {@code src} (native memory) to {@code offset}, waiting until done. */
  public void copyFromHost(long offset, MemorySegment src) {
    checkRange(offset, src.byteSize());
    context.makeCurrent();
    check(
        JCudaDriver.cuMemcpyHtoD(
            pointer.withByteOffset(offset), CudaPointers.host(src), src.byteSize()),
        "cuMemcpyHtoD(" + src.byteSize() + " bytes)");
  }

  /**
   * Queues a copy of {@code src} to {@code offset} on {@code stream}. Truly asynchronous only from
   * pinned memory; {@code src} must stay valid until the stream has run the copy.
   */
  public void copyFromHostAsync(long offset, MemorySegment src, CudaStream stream) {
    checkRange(offset, src.byteSize());
    context.makeCurrent();
    check(
        JCudaDriver.cuMemcpyHtoDAsync(
            pointer.withByteOffset(offset),
            CudaPointers.host(src),
            src.byteSize(),
            stream.handle()),
        "cuMemcpyHtoDAsync(" + src.byteSize() + " bytes)");
  }

  /** Copies {@code dst.byteSize()} bytes from {@code offset} into {@code dst}, waiting. */
  public void copyToHost(long offset, MemorySegment dst) {
    checkRange(offset, dst.byteSize());
    context.makeCurrent();
    check(
        JCudaDriver.cuMemcpyDtoH(
            CudaPointers.host(dst), pointer.withByteOffset(offset), dst.byteSize()),
        "cuMemcpyDtoH(" + dst.byteSize() + " bytes)");
  }

  /** Sets every byte to {@code value}, waiting. */
  public void fill(byte value) {
    context.makeCurrent();
    check(JCudaDriver.cuMemsetD8(pointer, value, byteSize), "cuMemsetD8");
  }

  private void checkRange(long offset, long length) {
    if (closed) {
      throw new IllegalStateException("device buffer already freed");
    }
    if (offset < 0 || length < 0 || offset > byteSize - length) {
      throw new IndexOutOfBoundsException(
          "range [%d, %d) is outside the %d-byte device buffer"
              .formatted(offset, offset + length, byteSize));
    }
  }

  /** Frees the memory ({@code cuMemFree}). Closing twice does nothing. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      context.makeCurrent();
      check(JCudaDriver.cuMemFree(pointer), "cuMemFree");
    }
  }

  @Override
  public String toString() {
    return "DeviceBuffer[GPU %d, %d bytes @0x%x]"
        .formatted(context.device().index(), byteSize, address());
  }

  /** Reads back the address the driver wrote into the pointer. */
  private static final class AllocatedPointer extends CUdeviceptr {
    long address() {
      return getNativePointer();
    }
  }
}
