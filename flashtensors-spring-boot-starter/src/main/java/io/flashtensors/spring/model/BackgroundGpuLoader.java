package io.flashtensors.spring.model;

import io.flashtensors.load.gpu.GpuLoadMetrics;
import io.flashtensors.load.gpu.GpuLoader;
import io.flashtensors.spring.actuate.ResidentPoolStatistics;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The application's {@link GpuLoader}, created on a background thread so that pinning its pool
 * (about 0.35 s a GiB) stays off the startup path. Until it is ready the pool reads as empty; a
 * creation that failed (no CUDA driver, not enough host memory) is logged, kept for the health
 * endpoint, and thrown to whoever asks for the loader.
 */
public final class BackgroundGpuLoader implements ResidentPoolStatistics, AutoCloseable {

  private static final Log logger = LogFactory.getLog(BackgroundGpuLoader.class);

  private final CompletableFuture<GpuLoader> loader = new CompletableFuture<>();

  /**
   * Starts creating the loader now.
   *
   * @param factory creates the loader and pins its pool, e.g. {@code () ->
   *     GpuLoader.create(options)}
   */
  public BackgroundGpuLoader(Supplier<GpuLoader> factory) {
    Objects.requireNonNull(factory, "factory");
    Thread.ofPlatform()
        .name("flashtensors-pin-pool")
        .daemon(true)
        .start(
            () -> {
              try {
                GpuLoader created = factory.get();
                logger.info(
                    "Pinned a pool of %d bytes for GPU loads in %.2f s"
                        .formatted(
                            created.metrics().poolCapacityBytes(),
                            created.poolAllocationTime().toNanos() / 1e9));
                this.loader.complete(created);
              } catch (RuntimeException | Error ex) {
                logger.warn("No GPU loader: " + ex.getMessage());
                this.loader.completeExceptionally(ex);
              }
            });
  }

  /**
   * The loader, waiting for its pool when it is still being pinned.
   *
   * @throws RuntimeException why the loader could not be created
   */
  public GpuLoader get() {
    try {
      return this.loader.get();
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the GPU loader", ex);
    } catch (ExecutionException ex) {
      if (ex.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new CompletionException(ex.getCause());
    }
  }

  /** The loader when it is ready; never waits. */
  public Optional<GpuLoader> ifReady() {
    return this.loader.isDone() && !this.loader.isCompletedExceptionally()
        ? Optional.of(this.loader.join())
        : Optional.empty();
  }

  /** Why creating the loader failed, when it did. */
  @Override
  public Optional<Throwable> failure() {
    if (!this.loader.isCompletedExceptionally()) {
      return Optional.empty();
    }
    return Optional.of(this.loader.handle((ok, error) -> error).join());
  }

  private Optional<GpuLoadMetrics> metrics() {
    return ifReady().map(GpuLoader::metrics);
  }

  @Override
  public long capacityBytes() {
    return metrics().map(GpuLoadMetrics::poolCapacityBytes).orElse(0L);
  }

  @Override
  public long usedBytes() {
    return metrics().map(GpuLoadMetrics::poolUsedBytes).orElse(0L);
  }

  @Override
  public int residentModels() {
    return metrics().map(GpuLoadMetrics::residentModels).orElse(0);
  }

  @Override
  public long cacheHits() {
    return metrics().map(GpuLoadMetrics::cacheHits).orElse(0L);
  }

  @Override
  public long cacheEvictions() {
    return metrics().map(GpuLoadMetrics::evictions).orElse(0L);
  }

  /** Closes the loader, now or as soon as its pool is pinned. */
  @Override
  public void close() {
    this.loader.thenAccept(GpuLoader::close);
  }
}
