package io.flashtensors.load.gpu;

import io.flashtensors.load.DeviceMap;
import io.flashtensors.load.LoadPlan;
import io.flashtensors.util.Throwables;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Future;

/**
 * Loads a resident model: no reads, only host-to-device copies out of the pinned chunks that hold
 * it, queued round-robin over the copy streams and confirmed by fences.
 */
final class ResidentLoad {

  private final GpuLoader loader;
  private final ResidentCache.Entry entry;
  private final DeviceMap deviceMap;
  private final Future<?> result;
  private final long startNanos;

  ResidentLoad(
      GpuLoader loader,
      ResidentCache.Entry entry,
      DeviceMap deviceMap,
      Future<?> result,
      long startNanos) {
    this.loader = loader;
    this.entry = entry;
    this.deviceMap = deviceMap;
    this.result = result;
    this.startNanos = startNanos;
  }

  GpuModel run() {
    String modelId = entry.model.modelId();
    LoadPlan plan =
        LoadPlan.create(entry.model, deviceMap, GpuLoader.ALIGNMENT, loader.options().chunkSize());
    long t0 = System.nanoTime();
    DeviceImage image = DeviceImage.allocate(loader, plan, modelId);
    long allocateNanos = System.nanoTime() - t0;
    CopyLanes lanes = new CopyLanes(loader);
    try {
      Extents extents = new Extents(entry.extents, plan.model().files().size());
      long copyStart = System.nanoTime();
      long lane = 0;
      for (LoadPlan.ReadChunk chunk : plan.chunks()) {
        if (result.isDone()) {
          throw new CancellationException("load of " + modelId + " cancelled");
        }
        for (LoadPlan.Segment s : chunk.segments()) {
          GpuBackend.Stream stream = lanes.pick(image.device(s.destination()), lane);
          long from = chunk.fileOffset() + s.chunkOffset();
          long to = from + s.length();
          long dst = s.destinationOffset();
          while (from < to) {
            ResidentCache.Extent e = extents.find(chunk.file(), from);
            long n = Math.min(to, e.fileOffset() + e.length()) - from;
            image.copy(
                stream,
                e.chunk().segment().asSlice(from - e.fileOffset(), n),
                s.destination(),
                dst);
            from += n;
            dst += n;
          }
        }
        lane++;
      }
      lanes.awaitAll();
      long done = System.nanoTime();
      return image.toModel(
          new GpuLoadReport(
              modelId,
              LoadSource.RESIDENT,
              0,
              image.copiedBytes(),
              (done - startNanos) / 1e9,
              0,
              (done - copyStart) / 1e9,
              allocateNanos / 1e9,
              image.devices(),
              null));
    } catch (RuntimeException | Error e) {
      try {
        lanes.awaitAll();
      } catch (RuntimeException suppressed) {
        Throwables.suppress(e, suppressed); // the lanes rethrow a copy failure that may be e
      }
      image.free(false);
      throw e;
    }
  }

  /** The resident extents of each file, searchable by file offset. */
  private static final class Extents {
    private final List<List<ResidentCache.Extent>> byFile = new ArrayList<>();
    private final long[][] starts;

    Extents(List<ResidentCache.Extent> extents, int files) {
      for (int i = 0; i < files; i++) {
        byFile.add(new ArrayList<>());
      }
      extents.forEach(e -> byFile.get(e.file()).add(e));
      starts = new long[files][];
      for (int i = 0; i < files; i++) {
        byFile.get(i).sort((a, b) -> Long.compare(a.fileOffset(), b.fileOffset()));
        starts[i] = byFile.get(i).stream().mapToLong(ResidentCache.Extent::fileOffset).toArray();
      }
    }

    ResidentCache.Extent find(int file, long offset) {
      int i = Arrays.binarySearch(starts[file], offset);
      if (i < 0) {
        i = -i - 2;
      }
      if (i >= 0) {
        ResidentCache.Extent e = byFile.get(file).get(i);
        if (offset < e.fileOffset() + e.length()) {
          return e;
        }
      }
      throw new IllegalStateException(
          "the resident copy of file %d lacks byte %d: the cache entry is inconsistent"
              .formatted(file, offset));
    }
  }
}
