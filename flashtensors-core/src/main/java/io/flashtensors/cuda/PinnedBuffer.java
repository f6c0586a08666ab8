package io.flashtensors.cuda;

import static io.flashtensors.cuda.Cuda.check;

import io.flashtensors.memory.HostSlab;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

/**
 * Page-locked host memory from {@code cuMemHostAlloc} (portable to every context). The GPU reads it
 * by DMA, so {@code cuMemcpyHtoDAsync} from it overlaps with other work and runs at the PCIe limit.
 *
 * <p>A block must stay under 2 GiB: JCuda hands the memory back as a {@code ByteBuffer}, whose size
 * is an {@code int}. Pools of more are made of several blocks ({@code PinnedPool}). Pinning costs
 * about 0.35 s a GiB, so allocate once and reuse.
 */
public final class PinnedBuffer implements HostSlab {

  /** The largest block JCuda can allocate: 2 GiB less one page. */
  public static final long MAX_BYTES = (1L << 31) - 4096;

  private final CudaContext context;
  private final Pointer pointer;
  private final long byteSize;
  private final Arena arena;
  private final MemorySegment segment;
  private boolean closed;

  @SuppressWarnings("restricted") // the address comes from cuMemHostAlloc, the size with it
  private PinnedBuffer(CudaContext context, Pointer pointer, long byteSize, long address) {
    this.context = context;
    this.pointer = pointer;
    this.byteSize = byteSize;
    // Bound to an arena so that use after close() fails in Java instead of touching freed memory.
    this.arena = Arena.ofShared();
    this.segment = MemorySegment.ofAddress(address).reinterpret(byteSize, arena, null);
  }

  static PinnedBuffer allocate(CudaContext context, long bytes) {
    if (bytes <= 0 || bytes > MAX_BYTES) {
      throw new IllegalArgumentException(
          "a pinned block must be 1 byte to %d bytes (under 2 GiB), not %d; use PinnedPool for more"
              .formatted(MAX_BYTES, bytes));
    }
    context.makeCurrent();
    Pointer p = new Pointer();
    check(
        JCudaDriver.cuMemHostAlloc(p, bytes, JCudaDriver.CU_MEMHOSTALLOC_PORTABLE),
        "cuMemHostAlloc(" + bytes + " bytes)");
    long address = MemorySegment.ofBuffer(p.getByteBuffer(0, bytes)).address();
    return new PinnedBuffer(context, p, bytes, address);
  }

  @Override
  public MemorySegment segment() {
    return segment;
  }

  /** Size in bytes. */
  public long byteSize() {
    return byteSize;
  }

  /** The JCuda pointer to the first byte. */
  public Pointer pointer() {
    return pointer;
  }

  /** Frees the block ({@code cuMemFreeHost}). Closing twice does nothing. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      arena.close();
      context.makeCurrent();
      check(JCudaDriver.cuMemFreeHost(pointer), "cuMemFreeHost");
    }
  }
}
