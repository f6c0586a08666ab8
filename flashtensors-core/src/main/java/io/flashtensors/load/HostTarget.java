package io.flashtensors.load;

import io.flashtensors.memory.HostMemory;
import io.flashtensors.memory.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;

/**
 * Loads tensors into host memory: one page-aligned block per destination, all freed together when
 * the {@link LoadedModel} closes. By default tensors stay where their file put them: flash layouts
 * and safetensors files are read straight into an image of the file, so a tensor is 4096-aligned
 * from a flash layout and, from safetensors, aligned as the file aligns it (the reference writer
 * aligns each tensor to its element size). With a larger alignment asked for, files whose tensors
 * miss it go through a bounded set of staging buffers, {@code poolSize} bytes in all, and are
 * copied out segment by segment.
 */
public final class HostTarget implements LoadTarget<LoadedModel> {

  private final int alignment;
  private final Arena arena = Arena.ofShared();
  private LoadPlan plan;
  private LoadContext context;
  private MemorySegment[] destinations;
  private BlockingQueue<MemorySegment> staging;
  private boolean closed;

  /** A target that keeps tensors where their files put them. */
  public HostTarget() {
    this(1);
  }

  /**
   * A target that places every tensor at an offset that is a multiple of {@code alignment} (a power
   * of two up to 4096) from a page boundary.
   */
  public HostTarget(int alignment) {
    if (alignment <= 0 || Integer.bitCount(alignment) != 1 || alignment > LoadPlan.IO_ALIGNMENT) {
      throw new IllegalArgumentException(
          "alignment %d is not a power of two up to 4096".formatted(alignment));
    }
    this.alignment = alignment;
  }

  @Override
  public int alignment() {
    return alignment;
  }

  @Override
  public void checkDevice(Device device) {
    if (!device.isCpu()) {
      throw new IllegalArgumentException(
          "device %s needs the GPU load path; this target holds tensors in host memory (cpu)"
              .formatted(device));
    }
  }

  @Override
  public void begin(LoadPlan plan, LoadContext context) {
    this.plan = plan;
    this.context = context;
    destinations = new MemorySegment[plan.destinations().size()];
    for (LoadPlan.Destination d : plan.destinations()) {
      destinations[d.index()] = HostMemory.allocate(d.size(), arena);
    }
    long staged =
        plan.chunks().stream().filter(c -> c.directSegment(plan.destinations()) == null).count();
    if (staged > 0) {
      int size = plan.largestChunk();
      long budget = Math.max(context.loader().poolSize(), (long) size);
      int count =
          (int)
              Math.max(
                  1, Math.min(Math.min(budget / size, staged), 2L * context.loader().threads()));
      staging = new ArrayBlockingQueue<>(count);
      for (int i = 0; i < count; i++) {
        staging.add(HostMemory.allocate(size, arena));
      }
    }
  }

  @Override
  public MemorySegment acquire(LoadPlan.ReadChunk chunk) throws InterruptedException {
    LoadPlan.Segment direct = chunk.directSegment(plan.destinations());
    if (direct != null) {
      return destinations[direct.destination()].asSlice(
          direct.destinationOffset(), chunk.bufferLength());
    }
    while (true) {
      MemorySegment buffer = staging.poll(50, TimeUnit.MILLISECONDS);
      if (buffer != null) {
        return buffer;
      }
      if (context.cancelled()) {
        throw new CancellationException("load cancelled");
      }
    }
  }

  @Override
  public void complete(LoadPlan.ReadChunk chunk, MemorySegment buffer) {
    if (chunk.directSegment(plan.destinations()) != null) {
      return;
    }
    try {
      for (LoadPlan.Segment s : chunk.segments()) {
        MemorySegment.copy(
            buffer,
            s.chunkOffset(),
            destinations[s.destination()],
            s.destinationOffset(),
            s.length());
      }
    } finally {
      staging.add(buffer);
    }
  }

  @Override
  public void release(LoadPlan.ReadChunk chunk, MemorySegment buffer) {
    if (chunk.directSegment(plan.destinations()) == null) {
      staging.add(buffer);
    }
  }

  @Override
  public LoadedModel finish(LoadContext context) throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (LoadPlan.Placement p : plan.tensors()) {
      MemorySegment data = destinations[p.destination()].asSlice(p.offset(), p.length());
      tensors.put(p.name(), new Tensor(p.name(), p.dtype(), p.shape(), data));
    }
    if (staging != null) {
      staging.clear();
    }
    return new LoadedModel(plan.model(), tensors, plan.destinationBytes(), arena, context);
  }

  @Override
  public void abort() {
    if (!closed) {
      closed = true;
      arena.close();
    }
  }
}
