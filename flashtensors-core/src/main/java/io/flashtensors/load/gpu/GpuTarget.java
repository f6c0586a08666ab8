package io.flashtensors.load.gpu;

import io.flashtensors.load.Device;
import io.flashtensors.load.LoadContext;
import io.flashtensors.load.LoadPlan;
import io.flashtensors.load.LoadTarget;
import io.flashtensors.memory.PinnedChunk;
import io.flashtensors.util.ByteSize;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The {@link LoadTarget} that puts a model on GPUs: reader threads fill pinned chunks, and each
 * finished chunk is queued for {@code cuMemcpyHtoDAsync} into its destinations as soon as it lands.
 *
 * <p>If the model fits the pool it is read into chunks that it keeps afterwards (it becomes
 * resident); otherwise, or when caching is bypassed, it streams through a bounded ring whose chunks
 * are reused once the copies out of them are confirmed by a fence.
 */
final class GpuTarget implements LoadTarget<GpuModel> {

  private final GpuLoader loader;
  private final String key;
  private final List<String> fingerprint;
  private final CachePolicy policy;
  private final Future<?> result;
  private final long startNanos;

  private LoadPlan plan;
  private DeviceImage image;
  private CopyLanes lanes;
  private ResidentCache.Entry entry;
  private List<PinnedChunk> ringChunks;
  private BlockingQueue<Slot> ring;
  private AtomicReferenceArray<Slot> slotOf;
  private final AtomicLong firstAcquire = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong firstCopy = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong lastComplete = new AtomicLong();
  private long allocateNanos;

  /** A ring chunk and the fences its last copies must pass before it is refilled. */
  private static final class Slot {
    final PinnedChunk chunk;
    List<GpuBackend.Fence> fences = List.of();

    Slot(PinnedChunk chunk) {
      this.chunk = chunk;
    }
  }

  GpuTarget(
      GpuLoader loader,
      String key,
      List<String> fingerprint,
      CachePolicy policy,
      Future<?> result,
      long startNanos) {
    this.loader = loader;
    this.key = key;
    this.fingerprint = fingerprint;
    this.policy = policy;
    this.result = result;
    this.startNanos = startNanos;
  }

  @Override
  public int alignment() {
    return GpuLoader.ALIGNMENT;
  }

  @Override
  public void checkDevice(Device device) {
    loader.checkDevice(device);
  }

  @Override
  public void begin(LoadPlan plan, LoadContext context) {
    this.plan = plan;
    long chunkSize = loader.pool().chunkSize();
    if (plan.largestChunk() > chunkSize) {
      throw new GpuLoadException(
          "a read of %s does not fit a pinned chunk of %s: chunk-size is smaller than the"
                  .formatted(
                      ByteSize.formatPrecise(plan.largestChunk()),
                      ByteSize.formatPrecise(chunkSize))
              + " layout's checksum block");
    }
    String modelId = plan.model().modelId();
    long t0 = System.nanoTime();
    image = DeviceImage.allocate(loader, plan, modelId);
    allocateNanos = System.nanoTime() - t0;
    lanes = new CopyLanes(loader);
    try {
      int chunks = plan.chunks().size();
      if (policy == CachePolicy.USE) {
        entry = loader.cache().reserve(key, plan.model(), fingerprint, chunks);
      }
      if (entry == null) {
        ringChunks = loader.cache().ring(Math.min(loader.options().ringChunks(), chunks));
        if (ringChunks.isEmpty() && chunks > 0) {
          throw new GpuLoadException(
              "the pinned pool (%s) has no free chunk for %s: loads in flight hold all of it"
                  .formatted(ByteSize.formatPrecise(loader.pool().capacity()), modelId));
        }
        ring = new ArrayBlockingQueue<>(Math.max(1, ringChunks.size()));
        ringChunks.forEach(c -> ring.add(new Slot(c)));
        slotOf = new AtomicReferenceArray<>(chunks);
      }
    } catch (RuntimeException | Error e) {
      releaseHost();
      image.free(false);
      throw e;
    }
  }

  /** Whether this load keeps the model resident. */
  LoadSource source() {
    return entry != null ? LoadSource.DISK : LoadSource.STREAMED;
  }

  private void checkCancelled(LoadContext context) {
    if (result.isDone() || context.cancelled()) {
      throw new CancellationException("load of " + plan.model().modelId() + " cancelled");
    }
  }

  @Override
  public MemorySegment acquire(LoadPlan.ReadChunk chunk) throws InterruptedException {
    firstAcquire.accumulateAndGet(System.nanoTime(), Math::min);
    if (entry != null) {
      return entry.chunks.get(chunk.index()).segment();
    }
    while (true) {
      Slot slot = ring.poll(20, TimeUnit.MILLISECONDS);
      if (slot != null) {
        try {
          CopyLanes.awaitAll(slot.fences);
        } catch (RuntimeException e) {
          ring.add(slot);
          throw e;
        }
        slot.fences = List.of();
        slotOf.set(chunk.index(), slot);
        return slot.chunk.segment();
      }
      if (result.isDone()) {
        throw new CancellationException("load cancelled");
      }
    }
  }

  @Override
  public void complete(LoadPlan.ReadChunk chunk, MemorySegment buffer) {
    Slot slot = entry == null ? slotOf.getAndSet(chunk.index(), null) : null;
    try {
      if (result.isDone()) {
        throw new CancellationException("load of " + plan.model().modelId() + " cancelled");
      }
      long lane = Thread.currentThread().threadId();
      firstCopy.accumulateAndGet(System.nanoTime(), Math::min);
      List<GpuBackend.Stream> used = slot == null ? null : new ArrayList<>(2);
      for (LoadPlan.Segment s : chunk.segments()) {
        GpuBackend.Stream stream = lanes.pick(image.device(s.destination()), lane);
        image.copy(
            stream,
            buffer.asSlice(s.chunkOffset(), s.length()),
            s.destination(),
            s.destinationOffset());
        if (used != null && !used.contains(stream)) {
          used.add(stream);
        }
      }
      if (slot != null) {
        List<GpuBackend.Fence> fences = new ArrayList<>(used.size());
        for (GpuBackend.Stream stream : used) {
          fences.add(stream.fence());
        }
        slot.fences = fences;
      }
      lastComplete.accumulateAndGet(System.nanoTime(), Math::max);
    } finally {
      if (slot != null) {
        ring.add(slot);
      }
    }
  }

  @Override
  public void release(LoadPlan.ReadChunk chunk, MemorySegment buffer) {
    if (entry == null) {
      Slot slot = slotOf.getAndSet(chunk.index(), null);
      if (slot != null) {
        ring.add(slot);
      }
    }
  }

  @Override
  public GpuModel finish(LoadContext context) {
    checkCancelled(context);
    lanes.awaitAll();
    long done = System.nanoTime();
    if (ring != null) {
      for (Slot slot : ring) {
        slot.fences.forEach(GpuBackend.Fence::close);
        slot.fences = List.of();
      }
    }
    long copyStart = Math.min(firstCopy.get(), done);
    long readStart = Math.min(firstAcquire.get(), done);
    context.record("h2d", image.copiedBytes(), done - copyStart);
    GpuLoadReport report =
        new GpuLoadReport(
            plan.model().modelId(),
            source(),
            plan.readBytes(),
            image.copiedBytes(),
            (done - startNanos) / 1e9,
            Math.max(0, lastComplete.get() - readStart) / 1e9,
            (done - copyStart) / 1e9,
            allocateNanos / 1e9,
            image.devices(),
            context.snapshot());
    GpuModel model = image.toModel(report);
    if (entry != null) {
      List<ResidentCache.Extent> extents = new ArrayList<>(plan.chunks().size());
      for (LoadPlan.ReadChunk c : plan.chunks()) {
        extents.add(
            new ResidentCache.Extent(
                c.file(), c.fileOffset(), c.readLength(), entry.chunks.get(c.index())));
      }
      loader.cache().commit(entry, extents);
      entry = null;
    } else {
      loader.cache().releaseRing(ringChunks);
      ringChunks = null;
    }
    return model;
  }

  @Override
  public void abort() {
    try {
      // Copies may still be reading the chunks or writing the allocations: let them finish first.
      if (lanes != null) {
        lanes.awaitAll();
      }
    } catch (RuntimeException e) {
      // The copy error itself is what failed the load (or follows from it); freeing goes on.
    }
    if (ring != null) {
      for (Slot slot : ring) {
        slot.fences.forEach(GpuBackend.Fence::close);
      }
    }
    releaseHost();
    if (image != null) {
      image.free(false);
    }
  }

  private void releaseHost() {
    if (entry != null) {
      loader.cache().abort(entry);
      entry = null;
    }
    if (ringChunks != null) {
      loader.cache().releaseRing(ringChunks);
      ringChunks = null;
    }
  }
}
