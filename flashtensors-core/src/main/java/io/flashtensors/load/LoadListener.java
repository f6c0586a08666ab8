package io.flashtensors.load;

/**
 * Hears about loads: progress while reading, and metrics at the end. Progress is reported from the
 * reader threads after each chunk, so implementations must be thread-safe and quick.
 */
public interface LoadListener {

  /** Hears nothing. */
  LoadListener NONE = new LoadListener() {};

  /** The plan is made; nothing has been allocated yet. */
  default void onStart(LoadPlan plan) {}

  /**
   * Bytes read and placed so far.
   *
   * @param bytesDone bytes of finished chunks
   * @param bytesTotal bytes the plan reads
   */
  default void onProgress(long bytesDone, long bytesTotal) {}

  /** The load finished; {@code metrics} has the bytes and time of each stage. */
  default void onComplete(LoadMetrics metrics) {}

  /** The load failed or was cancelled, and everything it took has been freed. */
  default void onFailure(Throwable error) {}
}
