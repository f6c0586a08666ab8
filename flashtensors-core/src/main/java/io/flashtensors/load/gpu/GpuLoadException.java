package io.flashtensors.load.gpu;

/**
 * A GPU load cannot start or cannot finish: the device map names a GPU that is not there, the load
 * would pass {@code gpu-memory-utilization}, a GPU is out of memory, or the pinned pool has no
 * room. The message gives the numbers; everything the load took has been released when it is
 * thrown.
 */
public class GpuLoadException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public GpuLoadException(String message) {
    super(message);
  }

  public GpuLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
