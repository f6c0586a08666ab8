package io.flashtensors.cuda;

import static io.flashtensors.cuda.Cuda.check;

import io.flashtensors.memory.HostMemory;
import io.flashtensors.memory.HostSlab;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jcuda.driver.JCudaDriver;

/**
 * Host memory mapped by us (anonymous {@code mmap}, marked for transparent huge pages) and then
 * page-locked for the GPU with {@code cuMemHostRegister}. The alternative to {@link PinnedBuffer}:
 * no {@code ByteBuffer} in between, and where the kernel backs the mapping with 2 MiB pages the
 * GPU's DMA walks far fewer page entries.
 */
public final class RegisteredBuffer implements HostSlab {

  private final CudaContext context;
  private final Arena arena;
  private final MemorySegment segment;
  private boolean closed;

  private RegisteredBuffer(CudaContext context, Arena arena, MemorySegment segment) {
    this.context = context;
    this.arena = arena;
    this.segment = segment;
  }

  static RegisteredBuffer allocate(CudaContext context, long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("registered memory must be positive, not " + bytes);
    }
    Arena arena = Arena.ofShared();
    try {
      MemorySegment segment = HostMemory.allocate(bytes, arena);
      context.makeCurrent();
      check(
          JCudaDriver.cuMemHostRegister(
              CudaPointers.host(segment), bytes, JCudaDriver.CU_MEMHOSTREGISTER_PORTABLE),
          "cuMemHostRegister(" + bytes + " bytes)");
      return new RegisteredBuffer(context, arena, segment);
    } catch (RuntimeException | Error e) {
      arena.close();
      throw e;
    }
  }

  @Override
  public MemorySegment segment() {
    return segment;
  }

  /** Unregisters and unmaps the memory. Closing twice does nothing. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      context.makeCurrent();
      try {
        check(JCudaDriver.cuMemHostUnregister(CudaPointers.host(segment)), "cuMemHostUnregister");
      } finally {
        arena.close();
      }
    }
  }
}
