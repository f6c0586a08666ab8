package io.flashtensors.format;

/** Receives progress of a long operation; called often, so it must be cheap. */
@FunctionalInterface
public interface Progress {

  /** Ignores progress. */
  Progress NONE = (done, total) -> {};

  /**
   * @param done units finished so far (bytes, for conversions and loads)
   * @param total units in all
   */
  void update(long done, long total);
}
