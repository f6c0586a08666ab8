package io.flashtensors.load.gpu;

import io.flashtensors.cuda.CudaException;
import io.flashtensors.cuda.MemoryInfo;
import io.flashtensors.memory.HostSlab;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * GPUs simulated in host memory, for testing the load path without a GPU. Copies really are
 * asynchronous: each stream runs them later on its own thread, reading the source at that time, so
 * a pipeline that reuses a pinned chunk before its fence is passed gets wrong bytes on the
 * "device".
 */
final class SimulatedGpuBackend implements GpuBackend {

  private final long capacity;
  private final long[] used;
  private final long[] occupiedByOthers;
  private final Set<SimAllocation> live = ConcurrentHashMap.newKeySet();
  private final AtomicLong livePinned = new AtomicLong();
  private final AtomicInteger copies = new AtomicInteger();
  private final AtomicInteger allocationsMade = new AtomicInteger();
  private final AtomicInteger openStreams = new AtomicInteger();
  private final AtomicReference<RuntimeException> sticky = new AtomicReference<>();
  volatile long copyDelayNanos;
  volatile long issueDelayNanos;
  volatile int failCopyNumber = -1;
  volatile boolean reportAllMemoryFree;

  /** When set, issuing a copy takes one permit first (so a test can hold a load mid-way). */
  volatile Semaphore issueGate;

  SimulatedGpuBackend(int devices, long capacity) {
    this.capacity = capacity;
    this.used = new long[devices];
    this.occupiedByOthers = new long[devices];
  }

  /** Simulates another process holding {@code bytes} of {@code device}. */
  synchronized void occupy(int device, long bytes) {
    occupiedByOthers[device] = bytes;
  }

  int liveAllocations() {
    return live.size();
  }

  long livePinnedBytes() {
    return livePinned.get();
  }

  int copies() {
    return copies.get();
  }

  /** Allocations made since start (successful {@link #allocate} calls). */
  int allocationsMade() {
    return allocationsMade.get();
  }

  @Override
  public int deviceCount() {
    return used.length;
  }

  @Override
  public synchronized MemoryInfo memoryInfo(int device) {
    if (reportAllMemoryFree) {
      return new MemoryInfo(capacity, capacity);
    }
    return new MemoryInfo(capacity - used[device] - occupiedByOthers[device], capacity);
  }

  @Override
  public Allocation allocate(int device, long bytes) {
    synchronized (this) {
      if (used[device] + occupiedByOthers[device] + bytes > capacity) {
        throw new CudaException(
            "cuMemAlloc(%d bytes on GPU %d)".formatted(bytes, device), 2 /* OUT_OF_MEMORY */);
      }
      used[device] += bytes;
    }
    SimAllocation a = new SimAllocation(device, bytes);
    live.add(a);
    allocationsMade.incrementAndGet();
    return a;
  }

  @Override
  public long maxPinnedBlock() {
    return 3L << 20;
  }

  @Override
  public HostSlab allocatePinned(long bytes) {
    Arena arena = Arena.ofShared();
    MemorySegment segment = arena.allocate(bytes, 4096);
    livePinned.addAndGet(bytes);
    return new HostSlab() {
      boolean closed;

      @Override
      public MemorySegment segment() {
        return segment;
      }

      @Override
      public synchronized void close() {
        if (!closed) {
          closed = true;
          livePinned.addAndGet(-bytes);
          arena.close();
        }
      }
    };
  }

  @Override
  public Stream openStream(int device) {
    openStreams.incrementAndGet();
    return new SimStream(device);
  }

  final class SimAllocation implements Allocation {
    private final int device;
    private final Arena arena = Arena.ofShared();
    final MemorySegment memory;
    private boolean closed;

    SimAllocation(int device, long bytes) {
      this.device = device;
      this.memory = arena.allocate(bytes, 256);
      memory.fill((byte) 0xEE);
    }

    @Override
    public int device() {
      return device;
    }

    @Override
    public long address() {
      return memory.address();
    }

    @Override
    public long byteSize() {
      return memory.byteSize();
    }

    @Override
    public void copyToHost(long offset, MemorySegment dst) {
      MemorySegment.copy(memory, offset, dst, 0, dst.byteSize());
    }

    @Override
    public void fill(byte value) {
      memory.fill(value);
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        synchronized (SimulatedGpuBackend.this) {
          used[device] -= memory.byteSize();
        }
        live.remove(this);
        arena.close();
      }
    }
  }

  private final class SimStream implements Stream {
    private final int device;
    private final ExecutorService queue =
        Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon(true).factory());

    SimStream(int device) {
      this.device = device;
    }

    @Override
    public int device() {
      return device;
    }

    @Override
    public void copyAsync(MemorySegment src, Allocation dst, long dstOffset) {
      RuntimeException failed = sticky.get();
      if (failed != null) {
        throw failed;
      }
      Semaphore gate = issueGate;
      if (gate != null) {
        gate.acquireUninterruptibly();
      }
      if (issueDelayNanos > 0) {
        try {
          Thread.sleep(issueDelayNanos / 1_000_000, (int) (issueDelayNanos % 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      int number = copies.incrementAndGet();
      SimAllocation target = (SimAllocation) dst;
      if (dstOffset < 0 || dstOffset + src.byteSize() > target.byteSize()) {
        throw new IndexOutOfBoundsException("copy outside the allocation");
      }
      queue.execute(
          () -> {
            if (sticky.get() != null) {
              return;
            }
            try {
              if (copyDelayNanos > 0) {
                Thread.sleep(copyDelayNanos / 1_000_000, (int) (copyDelayNanos % 1_000_000));
              }
              if (number == failCopyNumber) {
                throw new CudaException("cuMemcpyHtoDAsync", 700 /* ILLEGAL_ADDRESS */);
              }
              MemorySegment.copy(src, 0, target.memory, dstOffset, src.byteSize());
            } catch (RuntimeException e) {
              sticky.compareAndSet(null, e);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
    }

    @Override
    public Fence fence() {
      Future<?> reached = queue.submit(() -> {});
      return new Fence() {
        @Override
        public void await() {
          try {
            reached.get();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
          }
          RuntimeException failed = sticky.get();
          if (failed != null) {
            throw failed;
          }
        }

        @Override
        public void close() {}
      };
    }

    @Override
    public void close() {
      queue.shutdown();
      openStreams.decrementAndGet();
    }
  }
}
