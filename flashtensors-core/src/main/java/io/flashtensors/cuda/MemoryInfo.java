package io.flashtensors.cuda;

/**
 * Device memory as the driver reports it ({@code cuMemGetInfo}).
 *
 * @param free bytes free on the device now
 * @param total bytes the device has
 */
public record MemoryInfo(long free, long total) {

  /** Bytes in use by any process. */
  public long used() {
    return total - free;
  }
}
