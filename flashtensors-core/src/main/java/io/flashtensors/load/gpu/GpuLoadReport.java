package io.flashtensors.load.gpu;

import io.flashtensors.load.LoadMetrics;
import java.util.List;

/**
 * What one GPU load did, with its stages' bytes and wall-clock times.
 *
 * @param modelId the model id
 * @param source where the bytes came from
 * @param readBytes bytes read from files (0 for a resident load)
 * @param deviceBytes bytes copied to GPUs
 * @param seconds from the call to the confirmed last copy
 * @param readSeconds from the first read to the last (reads overlap the copies); 0 when resident
 * @param copySeconds from the first copy queued to the last copy confirmed
 * @param allocateSeconds device memory allocation
 * @param devices GPU indices the model went to
 * @param loaderMetrics the file reader's own stage metrics, or null for a resident load
 */
public record GpuLoadReport(
    String modelId,
    LoadSource source,
    long readBytes,
    long deviceBytes,
    double seconds,
    double readSeconds,
    double copySeconds,
    double allocateSeconds,
    List<Integer> devices,
    LoadMetrics loaderMetrics) {

  public GpuLoadReport {
    devices = List.copyOf(devices);
  }

  /** Device bytes per second of the whole load, in GB/s (10^9 bytes). */
  public double gigabytesPerSecond() {
    return rate(deviceBytes, seconds);
  }

  /** Read rate in GB/s (0 for a resident load). */
  public double readGigabytesPerSecond() {
    return rate(readBytes, readSeconds);
  }

  /** Host-to-device rate in GB/s over the copy stage. */
  public double copyGigabytesPerSecond() {
    return rate(deviceBytes, copySeconds);
  }

  private static double rate(long bytes, double seconds) {
    return seconds <= 0 ? 0 : bytes / seconds / 1e9;
  }
}
