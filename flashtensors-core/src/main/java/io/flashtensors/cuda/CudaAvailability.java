package io.flashtensors.cuda;

/**
 * Whether CUDA can be used in this process, found once by probing the driver.
 *
 * @param available whether the driver loaded, initialised and reported at least one device
 * @param reason why CUDA is unavailable (empty when it is available)
 * @param result the driver's {@code CUresult} behind an unavailability, or {@link
 *     CudaException#NO_RESULT} when the driver library itself could not be loaded
 * @param deviceCount number of visible devices (0 when unavailable)
 * @param driverVersion the driver's CUDA version as the driver reports it (12060 is 12.6; 0 when
 *     unknown)
 */
public record CudaAvailability(
    boolean available, String reason, int result, int deviceCount, int driverVersion) {

  static CudaAvailability unavailable(String reason, int result) {
    return new CudaAvailability(false, reason, result, 0, 0);
  }

  /** The driver version as {@code major.minor}, such as {@code 13.0}. */
  public String driverVersionString() {
    return driverVersion / 1000 + "." + (driverVersion % 1000) / 10;
  }
}
