package io.flashtensors.load;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a {@link LoadTarget} may ask of the load it serves: its settings, whether it was cancelled,
 * and a place to record the time of its own stages. Thread-safe.
 */
public final class LoadContext {

  private final FlashLoader loader;
  private final AtomicBoolean cancelled;
  private final long startNanos = System.nanoTime();
  private final Map<String, Accumulator> stages = new ConcurrentHashMap<>();
  private final Map<String, Integer> order = new ConcurrentHashMap<>();
  private volatile boolean directIo = true;
  private volatile boolean verified;
  private volatile long bytes;

  LoadContext(FlashLoader loader, AtomicBoolean cancelled) {
    this.loader = loader;
    this.cancelled = cancelled;
  }

  /** The loader's settings (threads, chunk size, pool size, checksum verification). */
  public FlashLoader loader() {
    return loader;
  }

  /** True once the load has been cancelled or has failed; long waits should stop early. */
  public boolean cancelled() {
    return cancelled.get();
  }

  /** Throws {@link CancellationException} once the load has been cancelled or has failed. */
  public void checkCancelled() {
    if (cancelled.get()) {
      throw new CancellationException("load cancelled");
    }
  }

  /**
   * Adds to stage {@code name}.
   *
   * @param name stage name, such as {@code read} or {@code h2d}
   * @param bytes bytes handled
   * @param nanos time taken
   */
  public void record(String name, long bytes, long nanos) {
    order.putIfAbsent(name, order.size());
    Accumulator a = stages.computeIfAbsent(name, k -> new Accumulator());
    a.bytes.add(bytes);
    a.nanos.add(nanos);
    a.count.increment();
  }

  /** Metrics of the load so far. */
  public LoadMetrics snapshot() {
    Map<String, LoadMetrics.Stage> result = new LinkedHashMap<>();
    order.entrySet().stream()
        .sorted(Map.Entry.comparingByValue())
        .forEach(
            e -> {
              Accumulator a = stages.get(e.getKey());
              result.put(
                  e.getKey(), new LoadMetrics.Stage(a.bytes.sum(), a.nanos.sum(), a.count.sum()));
            });
    return new LoadMetrics(
        bytes,
        System.nanoTime() - startNanos,
        loader.threads(),
        loader.chunkSize(),
        directIo,
        verified,
        result);
  }

  void readBytes(long bytes) {
    this.bytes = bytes;
  }

  void directIo(boolean direct) {
    this.directIo = direct;
  }

  void verified(boolean verified) {
    this.verified = verified;
  }

  void cancel() {
    cancelled.set(true);
  }

  private static final class Accumulator {
    final LongAdder bytes = new LongAdder();
    final LongAdder nanos = new LongAdder();
    final LongAdder count = new LongAdder();
  }
}
