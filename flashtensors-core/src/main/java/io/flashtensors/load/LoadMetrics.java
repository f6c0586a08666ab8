package io.flashtensors.load;

import java.util.Map;

/**
 * Bytes and time of a load, overall and by stage.
 *
 * <p>Stages the loader records: {@code plan}, {@code allocate}, {@code read}, {@code verify},
 * {@code place}, {@code finish}; targets may add their own (a GPU target adds its copies). Time of
 * stages that run on several threads at once ({@code read}, {@code verify}, {@code place}) is
 * summed over the threads, so it can exceed the wall time.
 *
 * @param bytes bytes read from files
 * @param wallNanos wall-clock time from the start of planning to the result
 * @param threads reader threads
 * @param chunkSize bytes per read, as asked
 * @param directIo true when every file was read with O_DIRECT, false when any fell back to buffered
 *     reads
 * @param verified true when checksums were verified
 * @param stages bytes and time by stage name, in the order the stages first ran
 */
public record LoadMetrics(
    long bytes,
    long wallNanos,
    int threads,
    long chunkSize,
    boolean directIo,
    boolean verified,
    Map<String, Stage> stages) {

  public LoadMetrics {
    stages = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(stages));
  }

  /**
   * One stage.
   *
   * @param bytes bytes the stage handled
   * @param nanos time spent in it (summed over threads)
   * @param count how many times it ran (chunks, for per-chunk stages)
   */
  public record Stage(long bytes, long nanos, long count) {

    /** Bytes per second of stage time, in GB/s (10^9 bytes). */
    public double gigabytesPerSecond() {
      return nanos == 0 ? 0 : bytes / (double) nanos;
    }
  }

  /** Wall-clock seconds. */
  public double seconds() {
    return wallNanos / 1e9;
  }

  /** Bytes read per wall-clock second, in GB/s (10^9 bytes). */
  public double gigabytesPerSecond() {
    return wallNanos == 0 ? 0 : bytes / (double) wallNanos;
  }

  /** The stage named {@code name}, or an empty one. */
  public Stage stage(String name) {
    return stages.getOrDefault(name, new Stage(0, 0, 0));
  }
}
