package io.flashtensors.server;

import io.flashtensors.cuda.Cuda;
import io.flashtensors.cuda.CudaContext;
import io.flashtensors.cuda.CudaDevice;
import io.flashtensors.cuda.CudaException;
import io.flashtensors.cuda.CudaPointers;
import io.flashtensors.cuda.CudaStream;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Locale;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * {@link DeviceCopier} on the CUDA driver: opens a client's allocation with {@code
 * cuIpcOpenMemHandle} in the GPU's primary context and copies into it with {@code
 * cuMemcpyHtoDAsync} on a stream of its own.
 */
public final class CudaIpcCopier implements DeviceCopier {

  /** {@code CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS}. */
  private static final int LAZY_ENABLE_PEER_ACCESS = 1;

  private CudaIpcCopier() {}

  /**
   * A copier on this machine's GPUs.
   *
   * @throws io.flashtensors.cuda.CudaUnavailableException when CUDA cannot be used, saying why
   */
  public static CudaIpcCopier create() {
    Cuda.requireAvailable();
    return new CudaIpcCopier();
  }

  @Override
  public List<Gpu> gpus() {
    return Cuda.devices().stream()
        .map(d -> new Gpu(d.index(), d.uuid(), d.name(), d.totalMemory()))
        .toList();
  }

  @Override
  public Target open(String gpuUuid, byte[] ipcHandle, long size) {
    CudaDevice device =
        Cuda.devices().stream()
            .filter(d -> d.uuid().equalsIgnoreCase(gpuUuid.strip()))
            .findFirst()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "the daemon sees no GPU "
                            + gpuUuid
                            + "; it sees "
                            + Cuda.devices().stream().map(CudaDevice::uuid).toList()));
    CudaContext context = device.context();
    context.makeCurrent();
    CUdeviceptr pointer = new CUdeviceptr();
    check(
        JCudaDriver.cuIpcOpenMemHandle(
            pointer, IpcHandles.fromBytes(ipcHandle), LAZY_ENABLE_PEER_ACCESS),
        "cuIpcOpenMemHandle(" + device.uuid() + ")");
    try {
      return new IpcTarget(context, pointer, size, context.createStream());
    } catch (RuntimeException e) {
      JCudaDriver.cuIpcCloseMemHandle(pointer);
      throw e;
    }
  }

  @Override
  public void close() {
    // Devices and their primary contexts live as long as the process.
  }

  static void check(int result, String operation) {
    if (result != CUresult.CUDA_SUCCESS) {
      throw new CudaException(operation, result);
    }
  }

  private static final class IpcTarget implements Target {
    private final CudaContext context;
    private final CUdeviceptr pointer;
    private final long size;
    private final CudaStream stream;
    private boolean closed;

    IpcTarget(CudaContext context, CUdeviceptr pointer, long size, CudaStream stream) {
      this.context = context;
      this.pointer = pointer;
      this.size = size;
      this.stream = stream;
    }

    @Override
    public void copy(MemorySegment src, long dstOffset) {
      if (dstOffset < 0 || dstOffset + src.byteSize() > size) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "a copy of %d bytes at offset %d passes the end of a %d-byte allocation",
                src.byteSize(),
                dstOffset,
                size));
      }
      context.makeCurrent();
      check(
          JCudaDriver.cuMemcpyHtoDAsync(
              pointer.withByteOffset(dstOffset),
              CudaPointers.host(src),
              src.byteSize(),
              stream.handle()),
          "cuMemcpyHtoDAsync(" + src.byteSize() + " bytes)");
    }

    @Override
    public void await() {
      stream.synchronize();
    }

    @Override
    public synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      context.makeCurrent();
      try {
        stream.synchronize();
      } finally {
        stream.close();
        check(JCudaDriver.cuIpcCloseMemHandle(pointer), "cuIpcCloseMemHandle");
      }
    }
  }
}
