package io.flashtensors.load.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The copy streams one load uses, so that it can wait for exactly its own copies. */
final class CopyLanes {

  private final GpuLoader loader;
  private final Set<GpuBackend.Stream> used = ConcurrentHashMap.newKeySet();

  CopyLanes(GpuLoader loader) {
    this.loader = loader;
  }

  /** A stream of {@code device}; {@code lane} spreads callers over the device's streams. */
  GpuBackend.Stream pick(int device, long lane) {
    List<GpuBackend.Stream> streams = loader.streams(device);
    GpuBackend.Stream s = streams.get((int) Math.floorMod(lane, (long) streams.size()));
    used.add(s);
    return s;
  }

  /** Fences after everything queued so far on the streams this load used. */
  List<GpuBackend.Fence> fences() {
    List<GpuBackend.Fence> fences = new ArrayList<>();
    for (GpuBackend.Stream s : used) {
      fences.add(s.fence());
    }
    return fences;
  }

  /**
   * Waits until every copy queued so far has run; reports the first error after waiting for all.
   */
  void awaitAll() {
    awaitAll(fences());
  }

  static void awaitAll(List<GpuBackend.Fence> fences) {
    RuntimeException first = null;
    for (GpuBackend.Fence f : fences) {
      try {
        f.await();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      } finally {
        try {
          f.close();
        } catch (RuntimeException e) {
          first = first == null ? e : first;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
