package io.flashtensors.spring.actuate;

import io.flashtensors.load.LoadListener;
import io.flashtensors.load.LoadMetrics;
import io.flashtensors.spring.model.ManagedChatEngine;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.Supplier;

/**
 * Meters of flashtensors: loads (count, time, bytes, throughput, failures) heard as the loader's
 * {@link LoadListener}, models resident, and, when a {@link ResidentPoolStatistics} is given, the
 * pinned pool's occupancy and its cache hits and evictions.
 */
public final class FlashTensorsMetrics implements MeterBinder, LoadListener {

  private final Supplier<? extends Collection<ManagedChatEngine>> chatEngines;
  private final Supplier<ResidentPoolStatistics> poolSupplier;
  private volatile ResidentPoolStatistics pool;
  private final Tags tags;
  private final AtomicLong loads = new AtomicLong();
  private final DoubleAdder loadSeconds = new DoubleAdder();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private volatile double lastBytesPerSecond;

  /**
   * @param chatEngines chat engines whose loaded model counts as resident when there is no pool;
   *     asked at each reading, so beans are not created early
   * @param pool the pool's statistics, or null when there is no pool; asked once, when binding
   * @param tags tags added to every meter
   */
  public FlashTensorsMetrics(
      Supplier<? extends Collection<ManagedChatEngine>> chatEngines,
      Supplier<ResidentPoolStatistics> pool,
      Iterable<Tag> tags) {
    this.chatEngines = chatEngines;
    this.poolSupplier = pool;
    this.tags = Tags.of(tags);
  }

  @Override
  public void onComplete(LoadMetrics metrics) {
    this.loads.incrementAndGet();
    this.loadSeconds.add(metrics.seconds());
    this.bytes.addAndGet(metrics.bytes());
    this.lastBytesPerSecond = metrics.gigabytesPerSecond() * 1e9;
  }

  @Override
  public void onFailure(Throwable error) {
    this.failures.incrementAndGet();
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    this.pool = this.poolSupplier.get();
    FunctionTimer.builder(
            "flashtensors.load.duration",
            this,
            m -> m.loads.get(),
            m -> m.loadSeconds.sum(),
            TimeUnit.SECONDS)
        .description("Time of completed model loads, from planning to the last byte placed")
        .tags(this.tags)
        .register(registry);
    FunctionCounter.builder("flashtensors.load.bytes", this, m -> m.bytes.get())
        .description("Bytes read by completed model loads")
        .baseUnit(BaseUnits.BYTES)
        .tags(this.tags)
        .register(registry);
    Gauge.builder("flashtensors.load.throughput", this, m -> m.lastBytesPerSecond)
        .description("Bytes per second of the last completed load")
        .baseUnit("bytes.per.second")
        .tags(this.tags)
        .register(registry);
    FunctionCounter.builder("flashtensors.load.failures", this, m -> m.failures.get())
        .description("Model loads that failed or were cancelled")
        .tags(this.tags)
        .register(registry);
    Gauge.builder("flashtensors.models.resident", this, FlashTensorsMetrics::residentModels)
        .description("Models loaded and ready")
        .tags(this.tags)
        .register(registry);
    ResidentPoolStatistics pool = this.pool;
    if (pool != null) {
      Gauge.builder("flashtensors.pool.capacity", pool, ResidentPoolStatistics::capacityBytes)
          .description("Bytes of pinned host memory in the pool")
          .baseUnit(BaseUnits.BYTES)
          .tags(this.tags)
          .register(registry);
      Gauge.builder("flashtensors.pool.used", pool, ResidentPoolStatistics::usedBytes)
          .description("Bytes of the pool in use by resident models and loads in flight")
          .baseUnit(BaseUnits.BYTES)
          .tags(this.tags)
          .register(registry);
      FunctionCounter.builder("flashtensors.cache.hits", pool, ResidentPoolStatistics::cacheHits)
          .description("Loads served from resident models without reading files")
          .tags(this.tags)
          .register(registry);
      FunctionCounter.builder(
              "flashtensors.cache.evictions", pool, ResidentPoolStatistics::cacheEvictions)
          .description("Resident models evicted to make room")
          .tags(this.tags)
          .register(registry);
    }
  }

  private double residentModels() {
    ResidentPoolStatistics pool = this.pool;
    if (pool != null) {
      return pool.residentModels();
    }
    return this.chatEngines.get().stream().filter(engine -> engine.ifLoaded().isPresent()).count();
  }
}
