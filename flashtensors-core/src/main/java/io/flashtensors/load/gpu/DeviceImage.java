package io.flashtensors.load.gpu;

import io.flashtensors.cuda.CudaException;
import io.flashtensors.load.LoadPlan;
import io.flashtensors.memory.DeviceTensor;
import io.flashtensors.util.ByteSize;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The device side of one load: its allocations (one per plan destination), the copies queued into
 * them, and turning them into a {@link GpuModel} or freeing them.
 */
final class DeviceImage {

  private final GpuLoader loader;
  private final LoadPlan plan;
  private final String modelId;
  private final GpuBackend.Allocation[] allocations;
  private final long[] reserved;
  private final AtomicLong copiedBytes = new AtomicLong();
  private boolean freed;

  private DeviceImage(
      GpuLoader loader,
      LoadPlan plan,
      String modelId,
      GpuBackend.Allocation[] allocations,
      long[] reserved) {
    this.loader = loader;
    this.plan = plan;
    this.modelId = modelId;
    this.allocations = allocations;
    this.reserved = reserved;
  }

  /**
   * Reserves the plan's bytes against {@code gpu-memory-utilization} and allocates them; on any
   * failure frees what it took and throws {@link GpuLoadException} with the numbers.
   */
  static DeviceImage allocate(GpuLoader loader, LoadPlan plan, String modelId) {
    long[] reserved = loader.reserveDeviceMemory(plan, plan.model().root().toString());
    GpuBackend.Allocation[] allocations = new GpuBackend.Allocation[plan.destinations().size()];
    DeviceImage image = new DeviceImage(loader, plan, modelId, allocations, reserved);
    try {
      for (LoadPlan.Destination d : plan.destinations()) {
        if (d.size() > 0) {
          allocations[d.index()] = allocateOne(loader, plan, d);
          // A reused block is filled too: with the option on, every allocation starts zeroed.
          if (loader.options().prefaultDeviceMemory()) {
            allocations[d.index()].fill((byte) 0);
          }
        }
      }
    } catch (RuntimeException | Error e) {
      image.free(false);
      throw e;
    }
    return image;
  }

  private static GpuBackend.Allocation allocateOne(
      GpuLoader loader, LoadPlan plan, LoadPlan.Destination d) {
    int device = d.device().index();
    GpuBackend.Allocation cached = loader.deviceCache().take(device, d.size());
    if (cached != null) {
      return cached;
    }
    try {
      return loader.backend().allocate(device, d.size());
    } catch (CudaException e) {
      if (!e.isOutOfMemory()) {
        throw e;
      }
      if (loader.deviceCache().flush(device) > 0) {
        try {
          return loader.backend().allocate(device, d.size());
        } catch (CudaException again) {
          if (!again.isOutOfMemory()) {
            throw again;
          }
          throw outOfMemory(loader, plan, d, again);
        }
      }
      throw outOfMemory(loader, plan, d, e);
    }
  }

  private static GpuLoadException outOfMemory(
      GpuLoader loader, LoadPlan plan, LoadPlan.Destination d, CudaException e) {
    int device = d.device().index();
    var info = loader.backend().memoryInfo(device);
    return new GpuLoadException(
        "GPU %d ran out of memory allocating %s for %s: %s (free %s of %s)"
            .formatted(
                device,
                ByteSize.formatPrecise(d.size()),
                plan.model().files().get(d.file()).path(),
                e.errorName(),
                ByteSize.formatPrecise(info.free()),
                ByteSize.formatPrecise(info.total())),
        e);
  }

  LoadPlan plan() {
    return plan;
  }

  /** Device of destination {@code destination}. */
  int device(int destination) {
    return plan.destinations().get(destination).device().index();
  }

  /** Queues a copy of {@code src} into destination {@code destination} at {@code offset}. */
  void copy(GpuBackend.Stream stream, MemorySegment src, int destination, long offset) {
    stream.copyAsync(src, allocations[destination], offset);
    copiedBytes.addAndGet(src.byteSize());
  }

  long copiedBytes() {
    return copiedBytes.get();
  }

  /** GPU indices in use, ascending. */
  List<Integer> devices() {
    TreeSet<Integer> devices = new TreeSet<>();
    plan.destinations().forEach(d -> devices.add(d.device().index()));
    return List.copyOf(devices);
  }

  /** The loaded model; it owns the allocations from now on. */
  GpuModel toModel(GpuLoadReport report) {
    Map<String, DeviceTensor> tensors = new LinkedHashMap<>();
    for (LoadPlan.Placement p : plan.tensors()) {
      GpuBackend.Allocation a = allocations[p.destination()];
      tensors.put(
          p.name(),
          new DeviceTensor(
              p.name(),
              p.dtype(),
              p.shape(),
              device(p.destination()),
              a == null ? 0 : a.address(),
              p.offset(),
              p.length()));
    }
    List<GpuBackend.Allocation> owned = new ArrayList<>();
    for (GpuBackend.Allocation a : allocations) {
      if (a != null) {
        owned.add(a);
      }
    }
    return new GpuModel(modelId, plan.model().root(), tensors, owned, report, () -> free(true));
  }

  /**
   * Returns the reservation and frees every allocation, or hands them to the device memory cache
   * when {@code reusable}: only a model's, whose copies have all been confirmed. A failed or
   * cancelled load frees its allocations (a copy that failed may leave one in doubt).
   */
  synchronized void free(boolean reusable) {
    if (freed) {
      return;
    }
    freed = true;
    RuntimeException first = null;
    for (GpuBackend.Allocation a : allocations) {
      if (a != null) {
        try {
          if (reusable) {
            loader.deviceCache().give(a);
          } else {
            a.close();
          }
        } catch (RuntimeException e) {
          first = first == null ? e : first;
        }
      }
    }
    loader.releaseDeviceMemory(reserved);
    if (first != null) {
      throw first;
    }
  }
}
