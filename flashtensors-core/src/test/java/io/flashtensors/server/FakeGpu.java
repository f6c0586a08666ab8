package io.flashtensors.server;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A GPU simulated in host memory for daemon tests without CUDA: "device allocations" are off-heap
 * segments named by 64-byte handles, and the copier writes into them. Copies can be held back with
 * {@link #gate} to simulate a slow PCIe link.
 */
final class FakeGpu implements DeviceCopier {

  static final String UUID = "GPU-00000000-1111-2222-3333-444444444444";

  private final Arena arena = Arena.ofShared();
  private final Map<ByteBuffer, MemorySegment> allocations = new ConcurrentHashMap<>();
  private final AtomicInteger nextHandle = new AtomicInteger();
  final AtomicInteger opened = new AtomicInteger();
  final AtomicInteger closed = new AtomicInteger();
  final AtomicInteger copies = new AtomicInteger();

  /** When set, each copy takes one permit first. */
  volatile Semaphore gate;

  /** A zeroed allocation and its handle. */
  byte[] allocate(long bytes) {
    byte[] handle = new byte[IpcHandles.SIZE];
    ByteBuffer.wrap(handle).putInt(nextHandle.incrementAndGet()).putLong(System.nanoTime());
    allocations.put(ByteBuffer.wrap(handle), arena.allocate(bytes, 256));
    return handle;
  }

  MemorySegment memory(byte[] handle) {
    return allocations.get(ByteBuffer.wrap(handle));
  }

  @Override
  public List<Gpu> gpus() {
    return List.of(new Gpu(0, UUID, "Simulated GPU", 1L << 30));
  }

  @Override
  public Target open(String gpuUuid, byte[] ipcHandle, long size) {
    if (!gpuUuid.equals(UUID)) {
      throw new IllegalArgumentException("the daemon sees no GPU " + gpuUuid);
    }
    MemorySegment memory = allocations.get(ByteBuffer.wrap(ipcHandle));
    if (memory == null) {
      throw new IllegalArgumentException("invalid IPC handle");
    }
    opened.incrementAndGet();
    return new Target() {
      @Override
      public void copy(MemorySegment src, long dstOffset) {
        Semaphore g = gate;
        if (g != null) {
          try {
            g.acquire();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        }
        MemorySegment.copy(src, 0, memory, dstOffset, src.byteSize());
        copies.incrementAndGet();
      }

      @Override
      public void await() {}

      @Override
      public void close() {
        closed.incrementAndGet();
      }
    };
  }

  @Override
  public void close() {}
}
