package io.flashtensors.store;

/**
 * Told how far a long task (download, conversion, load) has come. Implementations must be cheap and
 * thread-safe: downloads report from several threads.
 */
@FunctionalInterface
public interface Progress {

  /** Ignores everything. */
  Progress NONE = (stage, done, total) -> {};

  /**
   * @param stage what is happening, e.g. {@code download}, {@code convert}, {@code load}
   * @param done units done so far (bytes)
   * @param total units in all; -1 when unknown
   */
  void update(String stage, long done, long total);
}
