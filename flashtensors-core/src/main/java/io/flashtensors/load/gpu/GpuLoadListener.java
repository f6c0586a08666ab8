package io.flashtensors.load.gpu;

/**
 * Hears about GPU loads and the resident cache; the Spring starter binds these to Micrometer.
 * Called on loader threads, so implementations must be quick and thread-safe, and must not call
 * back into the loader.
 */
public interface GpuLoadListener {

  /** A load completed. */
  default void loadCompleted(GpuLoadReport report) {}

  /** A load failed or was cancelled; everything it took has been released. */
  default void loadFailed(String model, Throwable error) {}

  /** A model left the pinned pool. */
  default void evicted(ResidentModel model) {}
}
