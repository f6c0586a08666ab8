package io.flashtensors.load.gpu;

import java.util.Map;

/**
 * Totals of a {@link GpuLoader} since it started, and its pool now.
 *
 * @param loads loads completed
 * @param failedLoads loads that failed
 * @param cancelledLoads loads cancelled
 * @param cacheHits loads served from the pinned pool
 * @param cacheMisses loads that read files
 * @param evictions models evicted from the pool
 * @param evictedBytes pinned bytes those models held
 * @param bytesRead bytes read from files
 * @param readSeconds wall-clock seconds of read stages
 * @param bytesCopied bytes copied to GPUs
 * @param copySeconds wall-clock seconds of copy stages
 * @param poolCapacityBytes pinned pool size
 * @param poolUsedBytes pool bytes held (resident models and loads in flight)
 * @param poolResidentBytes pool bytes held by resident models
 * @param residentModels number of resident models
 * @param poolAllocationSeconds how long pinning the pool took at start
 * @param deviceBytesHeld GPU bytes held by loaded models and loads in flight, by GPU index
 * @param deviceBytesCached GPU bytes of closed models kept for reuse ({@code device-memory-cache}),
 *     by GPU index; not part of {@code deviceBytesHeld}
 */
public record GpuLoadMetrics(
    long loads,
    long failedLoads,
    long cancelledLoads,
    long cacheHits,
    long cacheMisses,
    long evictions,
    long evictedBytes,
    long bytesRead,
    double readSeconds,
    long bytesCopied,
    double copySeconds,
    long poolCapacityBytes,
    long poolUsedBytes,
    long poolResidentBytes,
    int residentModels,
    double poolAllocationSeconds,
    Map<Integer, Long> deviceBytesHeld,
    Map<Integer, Long> deviceBytesCached) {

  public GpuLoadMetrics {
    deviceBytesHeld = Map.copyOf(deviceBytesHeld);
    deviceBytesCached = Map.copyOf(deviceBytesCached);
  }

  /** Mean read rate over all loads, GB/s. */
  public double readGigabytesPerSecond() {
    return readSeconds <= 0 ? 0 : bytesRead / readSeconds / 1e9;
  }

  /** Mean host-to-device rate over all loads, GB/s. */
  public double copyGigabytesPerSecond() {
    return copySeconds <= 0 ? 0 : bytesCopied / copySeconds / 1e9;
  }

  /** Fraction of the pool held, 0 to 1. */
  public double poolOccupancy() {
    return poolCapacityBytes == 0 ? 0 : poolUsedBytes / (double) poolCapacityBytes;
  }
}
